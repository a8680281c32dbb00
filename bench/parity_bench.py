"""The open-r1 / TRL parity rewards against TRL's own functions (and open-r1's), on the same inputs.

One run scores one generated corpus with rewardkit's parity rewards and with the reference
functions of the installed ``trl`` (``trl.rewards``), imported here and nowhere in rewardkit:

| rewardkit | reference |
| --- | --- |
| ``think_format`` (``answer_tag: null``) | ``think_format_reward`` |
| ``accuracy`` | ``accuracy_reward`` |
| ``math_correctness`` (``reasoning_delimiters: ["</think>"]``) | ``reasoning_accuracy_reward`` |
| ``cosine_scaled`` (``max_len: 512``, tokens) | ``get_cosine_scaled_reward(512)`` |
| ``soft_overlong`` (512, cache 128, tokens) | ``get_soft_overlong_punishment(512, 128)`` |
| ``repetition_penalty`` (words) | ``get_repetition_penalty_reward()`` on word ids |
| ``kimi_length``, ``reasoning_steps`` | open-r1's ``len_reward``, ``reasoning_steps_reward`` (``--open-r1``) |

open-r1 is not on PyPI: with ``--open-r1 PATH`` (its ``src/open_r1/rewards.py`` from a local
checkout) the two functions TRL lacks are read from that file (only those two definitions are
compiled; the module's other imports need open-r1's package) and compared too; without it they
are reported as not compared.

The corpus (``--gsm8k`` and ``--math`` rows of ``../shared/data``, seed ``--seed``): for each
problem, one GRPO group of completions whose correctness is known by construction, varied over
the answer's form (``\\boxed{}``, "The answer is N.", ``<answer>``, ``#### N``, ``$1,234``,
``$…$``, a fraction), the wrapper (plain; ``<think>…</think>`` then the answer; whitespace before
``<think>``; ``<think>`` opened by the chat template; unclosed; two think blocks; the right answer
inside the reasoning and another after it), the reasoning's style (as written, ``Step N:``,
numbered, bullets, First/Next/Finally), its length (the reasoning repeated 1 to 8 times), chat
messages or plain strings, and the gold column as datasets store it (GSM8K's full solution or the
bare number; MATH's reference solution or its bare answer). Edge cases are added to every tenth
group: empty, blank, unicode, a 40,000-character completion. Token ids (TRL's
``completion_ids``) are the completion's words and punctuation marks numbered, the same for both.

Agreement is exact equality of scores (1e-9 for floats); every disagreement is classed by the
completion's construction, and for correctness-based rewards by which side matches the truth.
Writes ``bench/results/parity_bench.json`` and ``.md``. Run: ``python bench/parity_bench.py``
(a few minutes on 2 cores; TRL's math-verify calls dominate).
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import datetime as dt
import importlib.metadata as md
import io
import json
import os
import platform
import random
import re
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any, Callable

REPO = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("REWARDKIT_SHARED_DATA", REPO.parent / "shared" / "data"))
MAX_LEN = 512
CACHE = 128
TOKEN = re.compile(r"\w+|[^\w\s]")

# -- corpus -------------------------------------------------------------------------------------

STYLES = ("plain", "steps", "numbered", "bullets", "transitions")
WRAPPERS = ("plain", "think", "think_ws", "think_unclosed", "think_twice", "answer_in_think")  # and think_prompt


def styled(lines: list[str], style: str) -> str:
    """The reasoning lines in one of open-r1's step-marker styles."""
    if style == "steps":
        return "\n".join(f"Step {i}: {line}" for i, line in enumerate(lines, 1))
    if style == "numbered":
        return "\n".join(f"{i}. {line}" for i, line in enumerate(lines, 1))
    if style == "bullets":
        return "\n".join(f"{'-*'[i % 2]} {line}" for i, line in enumerate(lines))
    if style == "transitions":
        words = ["First,", "Next,", "Second,", "Finally,"]
        return "\n".join(f"{words[min(i, 3)]} {line[:1].lower()}{line[1:]}" for i, line in enumerate(lines))
    return "\n".join(lines)


def wrapped(wrapper: str, reasoning: str, answer: str, other: str) -> tuple[str, str]:
    """(prompt suffix, completion) for a wrapper; ``other`` is the answer the reasoning mentions."""
    if wrapper == "plain":
        return "", f"{reasoning}\n{answer}"
    if wrapper == "think":
        return "", f"<think>\n{reasoning}\n</think>\n{answer}"
    if wrapper == "think_ws":
        return "", f"\n  <think>{reasoning}</think> {answer}"
    if wrapper == "think_prompt":
        return "<think>", f"\n{reasoning}\n</think>\n{answer}"
    if wrapper == "think_unclosed":
        return "", f"<think>\n{reasoning}\n{answer}"
    if wrapper == "think_twice":
        return "", f"<think>{reasoning}</think>\n<think>Let me check.</think>\n{answer}"
    return "", f"<think>\n{reasoning}\nMaybe it is {other}.\n</think>\n{answer}"


def gsm8k_forms(n: int) -> dict[str, str]:
    return {
        "boxed": f"The answer is $\\boxed{{{n}}}$.",
        "sentence": f"The answer is {n}.",
        "answer_tag": f"<answer>\n{n}\n</answer>",
        "hashes": f"#### {n}",
        "money": f"So she pays ${n:,}.00 in total.",
        "frac": f"$\\frac{{{2 * n}}}{{2}}$",
    }


def math_forms(answer: str) -> dict[str, str]:
    return {
        "boxed": f"The final answer is $\\boxed{{{answer}}}$.",
        "final_answer_is": f"The final answer is ${answer}$. I hope it is correct.",
        "answer_tag": f"<answer>{answer}</answer>",
        "bare": f"The answer is {answer}",
    }


def _wrong_math(answer: str) -> str | None:
    if re.fullmatch(r"-?\d+", answer.strip()):
        return str(int(answer) + 1)
    if any(t in answer for t in ("\\infty", "=", ",", "\\text")):
        return None
    return f"{answer} + 1"


def build_corpus(data: Path, n_gsm8k: int, n_math: int, seed: int) -> list[list[dict[str, Any]]]:
    """GRPO groups of completions; each item records how it was built and whether it is right."""
    rng = random.Random(seed)
    gsm = [json.loads(x) for x in (data / "gsm8k" / "test.jsonl").read_text().splitlines()]
    mth = [json.loads(x) for x in (data / "math500" / "test.jsonl").read_text().splitlines()]
    groups: list[list[dict[str, Any]]] = []
    for k, row in enumerate(rng.sample(gsm, n_gsm8k)):
        body, final = row["answer"].rsplit("####", 1)
        n = int(final.strip().replace(",", ""))
        lines = [ln for ln in re.sub(r"<<[^>]*>>", "", body).strip().splitlines() if ln.strip()]
        gold = row["answer"] if k % 2 == 0 else str(n)
        wrong = n + rng.choice([1, -1, 10, 2]) if n != 0 else 3
        groups.append(_group(rng, "gsm8k", "full_solution" if k % 2 == 0 else "bare",
                             row["question"], gold, lines, gsm8k_forms(n), gsm8k_forms(wrong), str(n), str(wrong)))
    for k, row in enumerate(rng.sample(mth, n_math)):
        from rewardkit.plugins.math.extractors import last_boxed

        boxed = last_boxed(row["solution"])
        if boxed is None:
            continue
        before = row["solution"][: row["solution"].rfind("\\boxed{")]
        # sentences before the boxed one, none with an unclosed $ (the cut would leave math open)
        sentences = [s.strip() for s in re.split(r"(?<=\.)\s+|\n+", before) if s.strip()]
        # and no earlier \boxed{} (some solutions box the answer twice): the answer comes at the end
        lines = [s.replace("\\boxed", "") for s in sentences if s.count("$") % 2 == 0][:12] or ["We compute."]
        wrong = _wrong_math(row["answer"])
        gold = row["solution"] if k % 2 == 0 else row["answer"]
        groups.append(_group(rng, "math500", "full_solution" if k % 2 == 0 else "bare", row["problem"], gold, lines,
                             math_forms(row["answer"]), math_forms(wrong) if wrong else None, row["answer"], wrong))
    for g, group in enumerate(groups):
        if g % 10 == 0:
            group += _edge_cases(group[0])
    return groups


def _group(rng, dataset, gold_style, question, gold, lines, right_forms, wrong_forms, right, wrong) -> list[dict]:
    # one group in six has a chat template that opens <think> in the prompt: every completion starts inside it
    template_opens_think = rng.random() < 1 / 6
    group = []
    for j in range(8):
        correct = wrong_forms is None or j % 2 == 0
        forms = right_forms if correct else wrong_forms
        form = rng.choice(sorted(forms))
        wrapper = "think_prompt" if template_opens_think else rng.choice(WRAPPERS)
        style = rng.choice(STYLES)
        repeat = rng.choice([1, 1, 2, 4, 8])
        reasoning = "\n".join([styled(lines, style)] * repeat)
        other = wrong if correct else right
        suffix, completion = wrapped(wrapper, reasoning, forms[form], str(other))
        group.append({
            "dataset": dataset, "gold_style": gold_style, "form": form, "wrapper": wrapper, "style": style,
            "repeat": repeat, "chat": rng.random() < 0.5, "truth": correct,
            "prompt": f"{question}\nThink step by step. {suffix}".rstrip(), "completion": completion, "solution": gold,
            "answer_text": forms[form],
        })
    return group


def _edge_cases(like: dict[str, Any]) -> list[dict[str, Any]]:
    base = {k: like[k] for k in ("dataset", "gold_style", "prompt", "solution", "chat")}
    texts = {
        "empty": ("", False),
        "blank": ("  \n\t ", False),
        "unicode": ("<think>\n让我们一步一步思考。🙂 Ünïcödé — ∑ ≠ ∞\n</think>\nНе знаю.", False),
        "long": ("<think>\n" + "We keep thinking about it. " * 1500 + "\n</think>\n" + like["answer_text"], like["truth"]),
        "tags_only": ("<think></think>", False),
    }
    return [{**base, "form": "edge", "wrapper": kind, "style": "plain", "repeat": 1, "truth": truth,
             "completion": text} for kind, (text, truth) in texts.items()]


def token_ids(text: str) -> list[int]:
    """The completion's words and punctuation marks, numbered by first appearance (stand-in token ids)."""
    vocab: dict[str, int] = {}
    return [vocab.setdefault(t, len(vocab)) for t in TOKEN.findall(text)]


def word_ids(text: str) -> list[int]:
    """Lower-cased whitespace words numbered: the n-grams rewardkit's repetition_penalty (words) sees."""
    vocab: dict[str, int] = {}
    return [vocab.setdefault(w, len(vocab)) for w in text.lower().split()]


# -- the two sides --------------------------------------------------------------------------------


def rewardkit_side() -> dict[str, Callable[[list[dict]], list]]:
    from rewardkit import get_reward

    rewards = {
        "think_format": get_reward("think_format", answer_tag=None),
        "accuracy": get_reward("accuracy", gold_column="solution"),
        "reasoning_accuracy": get_reward("math_correctness", gold_column="solution", reasoning_delimiters=["</think>"]),
        "cosine_scaled": get_reward("cosine_scaled", gold_column="solution", max_len=MAX_LEN),
        "soft_overlong": get_reward("soft_overlong", max_length=MAX_LEN, cache=CACHE),
        "repetition_penalty": get_reward("repetition_penalty"),
        "kimi_length": get_reward("kimi_length", gold_column="solution"),
        "reasoning_steps": get_reward("reasoning_steps"),
    }

    def call(reward):
        def score(group: list[dict]) -> list:
            completions = [[{"role": "assistant", "content": g["completion"]}] if g["chat"] else g["completion"] for g in group]
            prompts = [[{"role": "user", "content": g["prompt"]}] if g["chat"] else g["prompt"] for g in group]
            return reward(completions, prompts=prompts, solution=[g["solution"] for g in group],
                          completion_ids=[token_ids(g["completion"]) for g in group])
        return score

    return {name: call(r) for name, r in rewards.items()}


def trl_side(open_r1: Path | None) -> dict[str, Callable[[list[dict]], list]]:
    from trl.rewards import (
        accuracy_reward, get_cosine_scaled_reward, get_repetition_penalty_reward,
        get_soft_overlong_punishment, reasoning_accuracy_reward, think_format_reward,
    )

    cosine = get_cosine_scaled_reward(MAX_LEN)
    overlong = get_soft_overlong_punishment(MAX_LEN, CACHE)
    repetition = get_repetition_penalty_reward()

    def chat(group):
        return [[{"role": "assistant", "content": g["completion"]}] for g in group]

    def sol(group):
        return [g["solution"] for g in group]

    def ids(group):
        return [token_ids(g["completion"]) for g in group]

    def logged(name, fn):
        """TRL's own log_extra columns (gold_parsed, answer_parsed) kept per item, to explain disagreements."""

        def score(group):
            cols: dict[str, list] = {}
            scores = fn(chat(group), sol(group), log_extra=lambda key, values: cols.__setitem__(key, values))
            PARSED[name] += list(zip(cols["gold_parsed"], cols["answer_parsed"]))
            return scores

        return score

    sides = {
        "think_format": lambda g: think_format_reward(chat(g)),
        "accuracy": logged("accuracy", accuracy_reward),
        "reasoning_accuracy": logged(
            "reasoning_accuracy", lambda c, s, **kw: reasoning_accuracy_reward(c, s, reasoning_delimiters=["</think>"], **kw)
        ),
        "cosine_scaled": lambda g: cosine(chat(g), sol(g), ids(g)),
        "soft_overlong": lambda g: overlong(ids(g)),
        "repetition_penalty": lambda g: repetition([word_ids(x["completion"]) for x in g]),
    }
    if open_r1 is not None:
        functions = open_r1_functions(open_r1, ("len_reward", "reasoning_steps_reward"))
        sides["kimi_length"] = lambda g: quiet(functions["len_reward"], chat(g), sol(g))
        sides["reasoning_steps"] = lambda g: functions["reasoning_steps_reward"](chat(g))
    return sides


def quiet(fn: Callable, *args: Any) -> Any:
    """Call ``fn`` with its prints (open-r1 prints every gold it cannot parse) swallowed."""
    with contextlib.redirect_stdout(io.StringIO()):
        return fn(*args)


def open_r1_functions(path: Path, names: tuple[str, ...]) -> dict[str, Callable]:
    """The named top-level functions of open-r1's rewards.py, compiled alone (the rest needs its package)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    keep = [node for node in tree.body if isinstance(node, ast.FunctionDef) and node.name in names]
    missing = set(names) - {node.name for node in keep}
    if missing:
        raise SystemExit(f"{path} has no {', '.join(sorted(missing))}: pass open-r1's src/open_r1/rewards.py")
    namespace: dict[str, Any] = {}
    exec("import math, re\nfrom typing import Dict, Optional\nfrom latex2sympy2_extended import NormalizationConfig\n"
         "from math_verify import LatexExtractionConfig, parse, verify", namespace)
    exec(compile(ast.Module(body=keep, type_ignores=[]), str(path), "exec"), namespace)
    return {name: namespace[name] for name in names}


# -- comparison ---------------------------------------------------------------------------------

LATEX_FORMS = {"boxed", "final_answer_is", "frac"}  # answers written in $…$ or \\boxed{}
PARSED: dict[str, list[tuple[str, str]]] = defaultdict(list)  # TRL's (gold_parsed, answer_parsed) per item
CORRECTNESS = {"accuracy", "reasoning_accuracy", "cosine_scaled", "kimi_length"}


def same(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is b
    return abs(float(a) - float(b)) <= 1e-9


def expected_truth(name: str, item: dict) -> bool:
    """Whether the item's answer is right for the reward (reasoning accuracy: only after </think>)."""
    if name == "reasoning_accuracy" and (item["wrapper"] == "think_unclosed" or "</think>" not in item["completion"]):
        return False
    return item["truth"]


def disagreement_class(name: str, i: int, item: dict, ours: Any, verdicts: dict[str, tuple], judge_open_r1) -> str:
    """A label that names why the two sides differ on item ``i``."""
    if name not in CORRECTNESS:
        return item["wrapper"]
    basis = "reasoning_accuracy" if name == "reasoning_accuracy" else "accuracy"
    truth = expected_truth(basis, item)
    if name == "kimi_length":
        if ours is None:
            return f"gold unreadable: rewardkit does not score it, open-r1 counts the answer correct ({item['dataset']} gold {item['gold_style']})"
        rk = verdicts["accuracy"][0]
        ref, gold_read = judge_open_r1(item)
        if rk == ref:
            return "other"
        if rk != truth:
            return f"open-r1 right, rewardkit wrong (answer {item['form']}, {item['dataset']} gold {item['gold_style']})"
        if not gold_read:
            return f"rewardkit right; open-r1 cannot parse the gold and counts every answer correct ({item['dataset']} gold {item['gold_style']})"
        if item["form"] in LATEX_FORMS:
            return f"rewardkit right; open-r1 parses another answer (answer {item['form']})"
        return f"rewardkit right; open-r1 finds no LaTeX answer (answer {item['form']})"
    rk, ref = verdicts[basis]
    if rk == ref:
        return "length" if name == "cosine_scaled" else "other"
    prefix = "correctness: " if name == "cosine_scaled" else ""
    return prefix + trl_mechanism(basis, i, item, rk, ref, truth)


def trl_mechanism(basis: str, i: int, item: dict, rk: bool | None, ref: bool | None, truth: bool) -> str:
    """Why TRL's verdict differs, from what TRL itself logged as parsed gold and answer."""
    gold_parsed, answer_parsed = PARSED[basis][i]
    where = f"{item['dataset']} gold {item['gold_style']}"
    if ref is None:
        return f"TRL cannot parse the gold, not scored; rewardkit scores it {'right' if rk == truth else 'wrong'} ({where})"
    if rk is None:
        return f"rewardkit cannot read the gold, not scored ({where})"
    if rk != truth:
        return f"TRL right, rewardkit wrong (answer {item['form']}, {item['wrapper']}, {where})"
    if answer_parsed == "[unparseable]":
        return f"rewardkit right; TRL extracts no answer (answer {item['form']})"
    return f"rewardkit right; TRL parses another gold or answer (answer {item['form']}, {where})"


def open_r1_judge(len_reward: Callable) -> Callable[[dict], tuple[bool, bool]]:
    """open-r1's own correctness call inside len_reward, and whether it could parse the gold.

    Beside a longer copy the item scores 0.5 when judged correct, else 0; len_reward prints
    "Failed to parse gold solution" when it counts an unreadable gold as correct."""

    def judge(item: dict) -> tuple[bool, bool]:
        longer = item["completion"] + " " * (len(item["completion"]) + 1)
        chat = [[{"content": item["completion"]}], [{"content": longer}]]
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            correct = len_reward(chat, [item["solution"]] * 2)[0] > 0
        return correct, "Failed to parse gold" not in printed.getvalue()

    return judge


def verdict(score: Any) -> bool | None:
    return None if score is None else float(score) > 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--gsm8k", type=int, default=300)
    parser.add_argument("--math", type=int, default=160)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--open-r1", type=Path, default=None, help="open-r1's src/open_r1/rewards.py (optional)")
    parser.add_argument("--open-r1-commit", default=None, help="the commit that file was taken from (recorded)")
    args = parser.parse_args()

    groups = build_corpus(args.data, args.gsm8k, args.math, args.seed)
    items = [item for group in groups for item in group]
    ours_fns, theirs_fns = rewardkit_side(), trl_side(args.open_r1)
    judge = open_r1_judge(open_r1_functions(args.open_r1, ("len_reward",))["len_reward"]) if args.open_r1 else None
    ours: dict[str, list] = defaultdict(list)
    theirs: dict[str, list] = defaultdict(list)
    seconds: dict[str, dict[str, float]] = defaultdict(dict)
    for name in ours_fns:
        for side, fns, out in (("rewardkit", ours_fns, ours), ("reference", theirs_fns, theirs)):
            if name not in fns:
                continue
            start = time.process_time()
            for group in groups:
                scores = fns[name](group)
                assert len(scores) == len(group), name
                out[name] += scores
            seconds[name][side] = time.process_time() - start
        print(name, seconds[name], flush=True)

    per_reward: dict[str, dict[str, Any]] = {}
    for name in ours_fns:
        if name not in theirs:
            per_reward[name] = {"compared": False, "n": len(items)}
            continue
        verdicts = {
            basis: ([verdict(s) for s in ours[basis]], [verdict(s) for s in theirs[basis]])
            for basis in ("accuracy", "reasoning_accuracy")
        }
        classes: Counter = Counter()
        examples: dict[str, list] = defaultdict(list)
        agree = 0
        for i, item in enumerate(items):
            a, b = ours[name][i], theirs[name][i]
            if same(a, b):
                agree += 1
                continue
            label = disagreement_class(name, i, item, a, {k: (v[0][i], v[1][i]) for k, v in verdicts.items()}, judge)
            classes[label] += 1
            if len(examples[label]) < 2:
                examples[label].append({
                    "rewardkit": a, "reference": b, "trl_parsed": PARSED["reasoning_accuracy" if name == "reasoning_accuracy" else "accuracy"][i] if PARSED else None, "truth": expected_truth(name, item), "solution": item["solution"][-160:],
                    "completion": item["completion"][:100] + (" … " + item["completion"][-160:] if len(item["completion"]) > 100 else ""),
                })
        truth_stats = {}
        if name in ("accuracy", "reasoning_accuracy"):
            for side, scores in (("rewardkit", ours[name]), ("reference", theirs[name])):
                judged = [(verdict(s), expected_truth(name, it)) for s, it in zip(scores, items)]
                truth_stats[side] = {
                    "right": sum(v == t for v, t in judged), "wrong": sum(v is not None and v != t for v, t in judged),
                    "not_scored": sum(v is None for v, _ in judged),
                }
        if truth_stats:
            truth_stats["rewardkit_wrong"] = [
                {"score": ours[name][i], "truth": expected_truth(name, it), "form": it["form"], "wrapper": it["wrapper"],
                 "solution": it["solution"][-120:], "completion": it["completion"][-200:]}
                for i, it in enumerate(items)
                if ours[name][i] is not None and verdict(ours[name][i]) != expected_truth(name, it)
            ]
        per_reward[name] = {
            "compared": True, "n": len(items), "agree": agree, "agreement": 100 * agree / len(items),
            "classes": dict(classes.most_common()), "examples": examples, "truth": truth_stats,
            "cpu_seconds": seconds[name],
        }

    record = {
        "date": dt.datetime.now().isoformat(timespec="seconds"),
        "commit": subprocess.run(["git", "-C", str(REPO), "describe", "--always", "--dirty"], capture_output=True, text=True).stdout.strip(),
        "machine": f"{platform.machine()}, Python {platform.python_version()}",
        "versions": {p: md.version(p) for p in ("trl", "math-verify")},
        "open_r1": {"path": str(args.open_r1), "commit": args.open_r1_commit} if args.open_r1 else None,
        "corpus": {
            "completions": len(items), "groups": len(groups), "seed": args.seed,
            **{key: dict(sorted(Counter(str(it[key]) for it in items).items()))
               for key in ("dataset", "gold_style", "form", "wrapper", "style", "repeat", "chat", "truth")},
            "longest": max(len(it["completion"]) for it in items),
        },
        "settings": {"max_len": MAX_LEN, "soft_overlong": [MAX_LEN, CACHE]},
        "rewards": per_reward,
    }
    out = REPO / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "parity_bench.json").write_text(json.dumps(record, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    (out / "parity_bench.md").write_text(markdown(record), encoding="utf-8")
    print(markdown(record)[:6000])


EXPLAIN = {  # what each class of disagreement comes from (checked against the examples TRL logs)
    "think_prompt": "the chat template ended the prompt with `<think>`, so the completion starts inside the reasoning: "
    "rewardkit reads the prompt (`think_in_prompt: auto`) and scores the format; TRL's function sees only the completion (0)",
    "think_ws": "whitespace (a newline) before `<think>`: TRL's pattern is anchored at `^<think>`, rewardkit allows it",
    "TRL extracts no answer": "TRL parses the completion with LaTeX extraction only and `try_extract_without_anchor=False`: "
    "an answer outside `$…$`/`\\boxed{}` (`<answer>` tags, \"The answer is 18.\", `#### 18`, `$18.00`, bare LaTeX) is not "
    "found, nor a lone `$\\frac{36}{2}$` after the reasoning (TRL logs `[unparseable]`); rewardkit's extractors read them",
    "TRL cannot parse the gold": "MATH answers stored bare (`-\\sqrt{3}`, `p - q`, `\\text{Evelyn}`) give math-verify's "
    "default `parse` nothing: TRL returns None (the sample is skipped); rewardkit reads the gold and scores it",
    "TRL parses another gold or answer": "a bare MATH gold parsed partly (`7\\pi` as 7, a `pmatrix` as 24/49), or a "
    "bare wrong answer `\\frac{14}{3} + 1` parsed as its first term 14/3 (judged correct); the examples show TRL's parse",
    "open-r1 cannot parse the gold": "open-r1's `len_reward` parses the gold with `LatexExtractionConfig()` only, so "
    "GSM8K golds (`#### 18`, `18`) and bare MATH answers give nothing, and it then counts every answer in the group "
    "correct (\"to avoid penalizing\"); rewardkit reads the gold and scores the wrong answers as wrong",
    "open-r1 finds no LaTeX answer": "as TRL: an answer outside `$…$`/`\\boxed{}` is not found, so a right answer "
    "counts as wrong",
    "open-r1 parses another answer": "`first_match` takes the first LaTeX span of the completion: GSM8K reasoning "
    "writes money as `$150 + $390 = $540`, so a `$…$` pair from the reasoning is taken before the final `\\boxed{}`",
    "length": "the same correctness, different length (does not occur: both count `completion_ids`)",
}

PAIRS = {
    "think_format": ("`think_format` (`answer_tag: null`)", "TRL `think_format_reward`"),
    "accuracy": ("`accuracy`", "TRL `accuracy_reward`"),
    "reasoning_accuracy": ("`math_correctness` (`reasoning_delimiters: [\"</think>\"]`)", "TRL `reasoning_accuracy_reward`"),
    "cosine_scaled": ("`cosine_scaled` (`max_len: 512`)", "TRL `get_cosine_scaled_reward(512)`"),
    "soft_overlong": ("`soft_overlong` (512, 128)", "TRL `get_soft_overlong_punishment(512, 128)`"),
    "repetition_penalty": ("`repetition_penalty` (words)", "TRL `get_repetition_penalty_reward()` on word ids"),
    "kimi_length": ("`kimi_length`", "open-r1 `len_reward`, per group"),
    "reasoning_steps": ("`reasoning_steps`", "open-r1 `reasoning_steps_reward`"),
}


def markdown(record: dict) -> str:
    c = record["corpus"]
    lines = [
        "# Parity rewards vs TRL's (and open-r1's) own functions",
        "",
        f"{record['date']}, commit {record['commit']}, {record['machine']}; trl {record['versions']['trl']}, "
        f"math-verify {record['versions']['math-verify']}"
        + (f"; open-r1 rewards.py at {record['open_r1']['commit']}" if record["open_r1"] else "; open-r1 not given") + ".",
        "",
        f"Corpus: {c['completions']:,} completions in {c['groups']} GRPO groups (seed {c['seed']}); "
        f"{c['dataset']}; right/wrong {c['truth']}; chat messages {c['chat']}; longest {c['longest']:,} characters. "
        "Scores compared exactly (floats to 1e-9). CPU seconds of one process for the whole corpus.",
        "",
        "| rewardkit | reference | n | agreement | rewardkit s | reference s |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for name, r in record["rewards"].items():
        ours, theirs = PAIRS[name]
        if not r["compared"]:
            lines.append(f"| {ours} | {theirs} | {r['n']} | not compared (no reference given) | | |")
            continue
        s = r["cpu_seconds"]
        lines.append(f"| {ours} | {theirs} | {r['n']} | {r['agreement']:.2f}% | {s['rewardkit']:.1f} | {s['reference']:.1f} |")
    lines += ["", "Against the truth (the completion's correctness by construction; reasoning accuracy: the answer after `</think>`):", "",
              "| reward | side | right | wrong | not scored |", "| --- | --- | ---: | ---: | ---: |"]
    for name in ("accuracy", "reasoning_accuracy"):
        for side, t in record["rewards"][name].get("truth", {}).items():
            if side == "rewardkit_wrong":
                continue
            lines.append(f"| {name} | {side} | {t['right']} | {t['wrong']} | {t['not_scored']} |")
    for name, r in record["rewards"].items():
        if not r["compared"] or not r["classes"]:
            continue
        lines += ["", f"## {name}: {r['n'] - r['agree']} disagreements", ""]
        explained: set[str] = set()
        for label, n in r["classes"].items():
            key = next((key for key in EXPLAIN if key in label), None)
            why = "" if key is None else f": {EXPLAIN[key]}" if key not in explained else " (as above)"
            explained.add(key)
            lines.append(f"- {n} × {label}{why}")
            for ex in r["examples"][label][:1]:
                parsed = f"TRL parsed gold {ex['trl_parsed'][0]}, answer {ex['trl_parsed'][1]}; " if ex.get("trl_parsed") and name in CORRECTNESS - {"kimi_length"} else ""
                lines.append(f"  - e.g. rewardkit {ex['rewardkit']}, reference {ex['reference']}, truth {ex['truth']}; {parsed}"
                             f"gold …{json.dumps(ex['solution'][-60:], ensure_ascii=False)}; "
                             f"completion {json.dumps(ex['completion'][:80] + ' … ' + ex['completion'][-80:], ensure_ascii=False)}")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    if sys.argv[1:] == ["--markdown-only"]:  # rewrite the .md from the .json (after editing EXPLAIN)
        out = REPO / "bench" / "results"
        (out / "parity_bench.md").write_text(markdown(json.loads((out / "parity_bench.json").read_text())), encoding="utf-8")
    else:
        main()
