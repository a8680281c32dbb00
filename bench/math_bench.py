"""Benchmark of rewardkit's math verification against TRL's accuracy_reward and math-verify.

One run, one corpus, every system scores the same completions:

- the corpus is built from real data (``../shared/data``): GSM8K test questions with their gold
  solutions and MATH-500 problems with their reference solutions. Each gold answer becomes several
  completions whose truth is known by construction: correct ones in the recipe's XML format, as
  ``$1,234.00``, in ``\\boxed{}``, as a ``\\frac``, as an expression, with words around the
  number, the reference solution itself, a Minerva-style "final answer is $…$"; wrong ones with
  the answer changed;
- systems: ``math_correctness`` (1 worker and a pool), the full ``gsm8k`` preset (1 worker and a
  pool), ``trl.rewards.accuracy_reward``, and math-verify's default ``parse`` + ``verify`` per
  sample;
- measured: completions per second (batches of 64, as a trainer calls rewards), agreement with
  the truth, and for every disagreement between rewardkit and another system, which one is right;
  the time for a 64-completion batch holding 8 pathological answers, scored from a non-main
  thread; the pool's cold start;
- LaTeX answers alone: 2,000 new MATH-500-style (gold, answer) pairs (each gold against its
  reference solution's boxed answer, a respelling, a wrong answer of the same form and another
  problem's answer), verified by ``rewardkit`` with one worker and with the pool (the verdict of
  ``verify_answers``) and by math-verify's serial ``verify(parse(gold), parse(answer))``, on the
  same ``$…$`` strings, taking turns chunk by chunk; then the mixed workload, 2,000 pairs where
  half the wrong answers are expressions built from the gold (plus or times a term, a sign
  flipped inside a fraction, a root left unsimplified, a variable renamed, an interval with one
  bound wrong);
- the first batch that needs sympy in a fresh process, with the workers started on first need
  and started in the background when the reward is built.

Results go to ``bench/results/math_bench.json`` and ``.md``, and the table into ``docs/math.md``
(between the ``math-bench`` markers). Run: ``python bench/math_bench.py`` (``--help`` for sizes); it takes a
few minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import platform
import random
import re
import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable

REPO = Path(__file__).resolve().parents[1]
if str(Path(__file__).resolve().parent) not in sys.path:  # "import math_bench" from the workers
    sys.path.insert(0, str(Path(__file__).resolve().parent))
BATCH = 64

# -- corpus -------------------------------------------------------------------------------------


def _gsm8k_rows(data: Path, limit: int, rng: random.Random) -> list[dict[str, Any]]:
    rows = [json.loads(line) for line in (data / "gsm8k" / "test.jsonl").read_text().splitlines()]
    return rng.sample(rows, min(limit, len(rows)))


def _math_rows(data: Path, limit: int, rng: random.Random) -> list[dict[str, Any]]:
    rows = [json.loads(line) for line in (data / "math500" / "test.jsonl").read_text().splitlines()]
    return rng.sample(rows, min(limit, len(rows)))


def build_corpus(data: Path, n_gsm8k: int, n_math: int, seed: int, n_warm: int = 0) -> tuple[list, list]:
    """Completions with known truth, and a warm-up corpus built the same way from other problems.

    Each item: dataset, kind, completion, answer (gold column for rewardkit), solution (gold for
    TRL / math-verify), truth."""
    rng = random.Random(seed)
    gsm8k = _gsm8k_rows(data, n_gsm8k + n_warm, rng)
    math = _math_rows(data, n_math + n_warm, rng)
    warm = _completions(gsm8k[:n_warm], math[:n_warm], rng)
    return _completions(gsm8k[n_warm:], math[n_warm:], rng), warm


def _completions(gsm8k_rows: list[dict], math_rows: list[dict], rng: random.Random) -> list[dict[str, Any]]:
    corpus: list[dict[str, Any]] = []
    for row in gsm8k_rows:
        gold = row["answer"]
        n = int(gold.rsplit("####", 1)[1].strip().replace(",", ""))
        reasoning = re.sub(r"<<[^>]*>>", "", gold.rsplit("####", 1)[0]).strip()
        wrong = n + rng.choice([1, -1, 10, 2]) if n != 0 else 3

        def add(kind: str, completion: str, truth: bool) -> None:
            corpus.append(
                {"dataset": "gsm8k", "kind": kind, "completion": completion, "answer": gold, "solution": gold, "truth": truth}
            )

        xml = "<reasoning>\n{r}\n</reasoning>\n<answer>\n{a}\n</answer>\n"
        add("xml", xml.format(r=reasoning, a=n), True)
        add("money", xml.format(r=reasoning, a=f"${n:,}.00"), True)
        add("boxed", f"{reasoning}\nThe answer is $\\boxed{{{n}}}$.", True)
        add("frac", f"{reasoning}\nSo we get $\\boxed{{\\frac{{{2 * n}}}{{2}}}}$.", True)
        add("words", f"{reasoning}\nTherefore the answer is {n:,} in total.", True)
        add("xml_wrong", xml.format(r=reasoning, a=wrong), False)
        add("boxed_wrong", f"{reasoning}\nThe answer is $\\boxed{{{wrong}}}$.", False)

    for row in math_rows:
        gold, solution = row["answer"], row["solution"]
        from rewardkit.plugins.math.extractors import last_boxed

        boxed = last_boxed(solution)
        if boxed is None:
            continue
        start = solution.rfind("\\boxed{" + boxed + "}")
        before = solution[:start] if start >= 0 else solution

        def add(kind: str, completion: str, truth: bool) -> None:
            corpus.append(
                {"dataset": "math500", "kind": kind, "completion": completion, "answer": gold, "solution": solution, "truth": truth}
            )

        add("solution", solution, True)
        add("final_answer_is", f"{before.rstrip()} ...\nThe final answer is ${gold}$. I hope it is correct.", True)
        if "\\frac" in gold and "\\dfrac" not in gold:
            add("dfrac", solution.replace("\\boxed{" + boxed + "}", "\\boxed{" + boxed.replace("\\frac", "\\dfrac") + "}"), True)
        if re.fullmatch(r"-?\d+", gold.strip()):
            value = int(gold)
            add("wrong", solution.replace("\\boxed{" + boxed + "}", f"\\boxed{{{value + 1}}}"), False)
        elif "\\infty" not in gold and "=" not in gold and "," not in gold and "\\text" not in gold:
            add("wrong", solution.replace("\\boxed{" + boxed + "}", "\\boxed{" + boxed + " + 1}"), False)
    return corpus


# -- systems ------------------------------------------------------------------------------------


def _worker_cpu() -> dict[int, float] | None:
    """CPU seconds used so far by each live verification worker (Linux /proc; None elsewhere)."""
    from rewardkit.pool import shared_pools

    if not os.path.isdir("/proc/self"):
        return None
    seconds = {}
    for pool in shared_pools():
        for pid in pool.pids():
            try:
                with open(f"/proc/{pid}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                seconds[pid] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
            except (OSError, ValueError, IndexError):
                continue  # the worker just ended
    return seconds


def timed_batches(score: Callable[[list[dict[str, Any]]], list[Any]], items: list[dict[str, Any]]) -> tuple[list[Any], float, float | None]:
    """Scores, wall seconds, and CPU seconds (this process plus its verification workers)."""
    results: list[Any] = []
    workers_before = _worker_cpu()
    cpu = time.process_time()
    start = time.perf_counter()
    for i in range(0, len(items), BATCH):
        results += score(items[i : i + BATCH])
    wall = time.perf_counter() - start
    cpu = time.process_time() - cpu
    workers_after = _worker_cpu()
    if workers_before is None or workers_after is None:
        return results, wall, None
    # Workers replaced meanwhile (a timeout kills one) take their CPU time with them: a lower bound.
    return results, wall, cpu + sum(t - workers_before.get(pid, 0.0) for pid, t in workers_after.items())


def rewardkit_reward(workers: int) -> Callable:
    from rewardkit import get_reward

    reward = get_reward("math_correctness", workers=workers)

    def score(batch: list[dict[str, Any]]) -> list[Any]:
        return reward([b["completion"] for b in batch], answer=[b["answer"] for b in batch])

    return score


def rewardkit_preset(workers: int) -> Callable:
    from rewardkit.composition_loader import load_composition

    comp = load_composition(
        {"extends": "gsm8k", "rewards": [{"name": "math_correctness", "params": {"workers": workers}}]}
    )

    def score(batch: list[dict[str, Any]]) -> list[Any]:
        scores = comp.score([b["completion"] for b in batch], answer=[b["answer"] for b in batch])
        return scores.components["math_correctness"]

    return score


def trl_accuracy() -> Callable:
    from trl.rewards import accuracy_reward

    def score(batch: list[dict[str, Any]]) -> list[Any]:
        completions = [[{"role": "assistant", "content": b["completion"]}] for b in batch]
        return accuracy_reward(completions, solution=[b["solution"] for b in batch])

    return score


def math_verify_default() -> Callable:
    from math_verify import parse, verify

    def score(batch: list[dict[str, Any]]) -> list[Any]:
        return [float(verify(parse(b["solution"]), parse(b["completion"]))) for b in batch]

    return score


def clear_worker_caches() -> None:
    """Runs in a verification worker: forget parsed answers (the next system sees none)."""
    time.sleep(0.05)  # keep this worker busy so that the other workers get one of these too
    _clear_process_caches()
    from rewardkit.plugins.math.symbolic import clear_caches

    clear_caches()


def _clear_process_caches() -> None:
    from rewardkit.plugins.math.extractors import _tidy_short
    from rewardkit.plugins.math.numerals import _parse_numeral
    from rewardkit.plugins.math.rewards import is_integer_numeral
    from rewardkit.plugins.math.verifier import READINGS

    _parse_numeral.cache_clear()
    _tidy_short.cache_clear()
    is_integer_numeral.cache_clear()
    READINGS.clear()
    if "math_verify.parser" in sys.modules:  # math-verify's own 20-entry parse cache
        sys.modules["math_verify.parser"].parse_latex_cached.cache_clear()


def clear_caches() -> None:
    """Before each timed chunk: no system profits from answers another system just parsed."""
    from rewardkit.pool import shared_pools

    _clear_process_caches()
    import math_bench  # this file as a module: workers can import the task by that name

    for pool in shared_pools():
        pool.map(math_bench.clear_worker_caches, [()] * (3 * pool.size), timeout=30)


def verdict(score: Any) -> bool | None:
    return None if score is None else score > 0


# -- LaTeX answer pairs ----------------------------------------------------------------------------


def _bump_first_digit(answer: str) -> str | None:
    m = re.search(r"\d", answer)
    return None if m is None else answer[: m.start()] + str((int(m.group()) + 1) % 10) + answer[m.end() :]


# The kinds of expression a wrong answer is in the mixed workload, and the terms added or multiplied.
EXPRESSION_KINDS = ("term", "sign", "root", "rename", "interval")
TERMS = ("1", "2", "x", r"\sqrt{2}", r"\pi", "n", r"\frac{1}{2}")
_ROOT = re.compile(r"(\d+)\s*\\sqrt\{(\d+)\}")
_VARIABLE = re.compile(r"(?<![\\A-Za-z])[a-z](?![A-Za-z])")
_NOT_AN_EXPRESSION = re.compile(r"=|\\in(?![a-z])|\\text|\\cup")
_INTERVAL = re.compile(r"\s*(\\left)?[(\[][^,]*,[^,]*(\\right)?[)\]]\s*")


def expression_wrong(gold: str, kind: str, rng: random.Random) -> str | None:
    """A wrong answer built from ``gold`` as an expression of one kind, or None where the kind does not apply.

    ``term``: the gold plus or times a term; ``sign``: a sign flipped inside a fraction;
    ``root``: a root left unsimplified wrongly (``3\\sqrt{2}`` as ``\\sqrt{6}``; a gold without one
    left under a root); ``rename``: a variable renamed; ``interval``: one bound of an interval
    changed."""
    if kind in ("term", "root") and _NOT_AN_EXPRESSION.search(gold):
        return None  # an equation or words: no expression to extend
    if kind in ("term", "root") and "," in gold:
        start, end = _last_element(gold)  # a tuple, interval or set: its last element changes
        return gold[:start] + expression_wrong(gold[start:end].strip(), kind, rng) + gold[end:]  # type: ignore[operator]
    if kind == "term":
        if rng.random() < 0.5:
            return f"{gold} + {rng.choice(TERMS)}"
        return f"{rng.choice(TERMS[1:])}\\left({gold}\\right)"  # times anything but 1
    if kind == "sign":
        start = gold.find("\\frac{")
        return None if start < 0 else gold[: start + 6] + "-" + gold[start + 6 :]
    if kind == "root":
        m = _ROOT.search(gold)
        if m is not None and m.group(1) != "1":
            return gold[: m.start()] + f"\\sqrt{{{int(m.group(1)) * int(m.group(2))}}}" + gold[m.end() :]
        return f"\\sqrt{{{gold}}}"
    if kind == "rename":
        present = sorted(set(_VARIABLE.findall(gold)) - {"d", "e", "i"})
        if not present:
            return None
        old = rng.choice(present)
        new = rng.choice([c for c in "abcknpqrstuvwxyz" if c not in gold])
        return _VARIABLE.sub(lambda m: new if m.group() == old else m.group(), gold)
    if kind == "interval":
        if not _INTERVAL.fullmatch(gold):
            return None
        left, right = gold.split(",", 1)
        digits = [i for i, c in enumerate(left) if c.isdigit()] if rng.random() < 0.5 else []
        if digits:
            return _bump_first_digit(left) + "," + right
        return left + "," + (_bump_first_digit(right) or right + " + 1")
    raise ValueError(kind)


def _last_element(text: str) -> tuple[int, int]:
    """Where the last comma-separated element of ``(a, b)``, ``\\{a, b\\}`` or ``a, b`` starts and ends."""
    end = len(text)
    for closer in ("\\right)", "\\right]", "\\}", ")", "]"):
        if text.endswith(closer):
            end = len(text) - len(closer)
            break
    depth = 0
    for i in range(end - 1, -1, -1):
        if text[i] in ")]}":
            depth += 1
        elif text[i] in "([{":
            depth -= 1
        elif text[i] == "," and depth == 0:
            return i + 1, end
    return 0, end


def latex_pairs(data: Path, n: int, seed: int, expression_wrongs: int = 0) -> list[tuple[str, str]]:
    """``n`` distinct MATH-500-style (gold, answer) pairs, as ``$…$`` strings, shuffled.

    For each problem: the reference solution's boxed answer and the gold respelled (``\\dfrac``, no
    spaces): right; the gold with its first digit changed and another problem's answer: wrong;
    and ``expression_wrongs`` wrong expressions of different kinds (:func:`expression_wrong`; a
    variable renamed, a sign flipped in a fraction and a bound of an interval changed where the
    gold has one): with 2, half the wrong answers are expressions (the mixed workload)."""
    from rewardkit.plugins.math.extractors import last_boxed

    rows = [json.loads(line) for line in (data / "math500" / "test.jsonl").read_text().splitlines()]
    rng = random.Random(seed)
    pairs: dict[tuple[str, str], None] = {}
    while len(pairs) < n:
        for row in rng.sample(rows, len(rows)):
            gold = row["answer"]
            answers = [last_boxed(row["solution"]) or gold, gold.replace("\\frac", "\\dfrac").replace(" ", ""),
                       _bump_first_digit(gold), rng.choice(rows)["answer"]]
            if expression_wrongs:
                kinds = [k for k in EXPRESSION_KINDS if k not in ("term", "root") and expression_wrong(gold, k, rng)]
                kinds = (kinds + rng.sample(["term", "root"], 2))[:expression_wrongs]
                answers += [expression_wrong(gold, k, rng) for k in kinds]
            for answer in answers:
                if answer is not None and len(pairs) < n:
                    pairs.setdefault((f"${gold}$", f"${answer}$"), None)
    ordered = list(pairs)
    rng.shuffle(ordered)
    return ordered


# -- per kind of answer ------------------------------------------------------------------------------

ANSWER_KINDS = ("number", "expression", "tuple", "relation", "words")
_TEXT_COMMAND = re.compile(r"\\(?:text|mbox|textbf|textit|mathrm|operatorname)\s*\{")
_ENVIRONMENT = re.compile(r"\\(?:begin|end)\{[A-Za-z*]+\}")
_PROSE_WORD = re.compile(r"(?<![\\A-Za-z])[A-Za-z]{2,}")
_RELATION = re.compile(r"=|<|>|\\(?:le|ge|leq|geq|ne|neq|lt|gt)(?![A-Za-z])")
_SEQUENCE = re.compile(r",|\\begin\{|\\\{")


def answer_kind(gold: str) -> str:
    """What kind of answer a MATH-500 gold is: a plain ``number``; ``words`` (``\\text{Evelyn}``,
    names, units); a ``relation`` (``y = 2x + 3``, ``x \\le 5``); a ``tuple`` (tuples, intervals,
    sets, lists, matrices); else an ``expression``."""
    from rewardkit.plugins.math.numerals import parse_numeral

    if parse_numeral(gold) is not None:
        return "number"
    if _TEXT_COMMAND.search(gold) or _PROSE_WORD.search(re.sub(r"\\[A-Za-z]+", " ", _ENVIRONMENT.sub(" ", gold))):
        return "words"
    if _RELATION.search(gold):
        return "relation"
    return "tuple" if _SEQUENCE.search(gold) else "expression"


def kind_pairs(data: Path) -> dict[str, list[tuple[str, str]]]:
    """Per kind of answer, MATH-500's distinct gold answers each against itself (right) and against
    ``<gold>+37`` (wrong), as ``$…$`` strings."""
    rows = [json.loads(line) for line in (data / "math500" / "test.jsonl").read_text().splitlines()]
    pairs: dict[str, list[tuple[str, str]]] = {kind: [] for kind in ANSWER_KINDS}
    for gold in dict.fromkeys(row["answer"] for row in rows):
        pairs[answer_kind(gold)] += [(f"${gold}$", f"${gold}$"), (f"${gold}$", f"${gold}+37$")]
    return pairs


def per_kind_speed(data: Path, pool_size: int, seed: int, at_least: int = 200) -> dict[str, Any]:
    """:func:`latex_speed` on each kind's pairs, and on all of them shuffled together (a mixed
    batch); a kind with few pairs is timed over as many repetitions as make ``at_least`` pairs,
    every cache emptied before each."""
    by_kind = kind_pairs(data)
    mixed = [pair for kind in ANSWER_KINDS for pair in by_kind[kind]]
    random.Random(seed).shuffle(mixed)
    out = {}
    for kind, pairs in [*by_kind.items(), ("mixed", mixed)]:
        repeats = -(-at_least // len(pairs))
        out[kind] = latex_speed(pairs * repeats, repeats, pool_size, repeated=True)
        out[kind]["distinct_pairs"] = len(pairs)
    return out


def rewardkit_pairs(workers: int, cache_size: int = 100_000) -> Callable:
    from rewardkit.plugins.math.verifier import Verifier

    verifier = Verifier(workers=workers, cache_size=cache_size)

    def verify(batch: list[tuple[str, str]]) -> list[Any]:
        return [v.correct for v in verifier.verify_texts(batch)]

    return verify


def math_verify_pairs() -> Callable:
    from math_verify import parse, verify

    def run(batch: list[tuple[str, str]]) -> list[Any]:
        return [bool(verify(parse(g), parse(a))) for g, a in batch]

    return run


def latex_speed(pairs: list[tuple[str, str]], chunks: int, pool_size: int, repeated: bool = False) -> dict[str, Any]:
    """Pairs per second (wall and CPU) of each system on the same pairs, taking turns per chunk
    (each chunk starts with the caller's caches empty: no system reads what another just read).
    ``repeated``: the chunks repeat pairs, so rewardkit keeps no verdicts and every cache, the
    workers' too, is emptied before each chunk."""
    cache_size = 0 if repeated else 100_000
    systems = {
        "rewardkit (1 worker)": rewardkit_pairs(1, cache_size),
        f"rewardkit ({pool_size} workers)": rewardkit_pairs(pool_size, cache_size),
        "math-verify serial parse+verify": math_verify_pairs(),
    }
    warm = [("$\\frac{\\pi}{2}$", "$\\dfrac{\\pi}{2}$"), ("$x^2+1$", "$1+x^2$"), ("$(1, 2)$", "$(1,2)$")]
    for verify in systems.values():
        verify(warm)  # untimed: imports and pool start-up
    names = list(systems)
    totals = {name: {"verdicts": [], "seconds": 0.0, "cpu_seconds": 0.0} for name in names}
    for k in range(chunks):
        chunk = pairs[k * len(pairs) // chunks : (k + 1) * len(pairs) // chunks]
        for name in names[k % len(names) :] + names[: k % len(names)]:
            clear_caches() if repeated else _clear_process_caches()
            verdicts, seconds, cpu = timed_batches(systems[name], chunk)
            total = totals[name]
            total["verdicts"] += verdicts
            total["seconds"] += seconds
            total["cpu_seconds"] = None if cpu is None or total["cpu_seconds"] is None else total["cpu_seconds"] + cpu
    baseline = names[-1]
    out: dict[str, Any] = {"pairs": len(pairs), "distinct_golds": len({g for g, _ in pairs}), "chunks": chunks, "systems": {}}
    for name in names:
        t = totals[name]
        out["systems"][name] = {
            "seconds": t["seconds"],
            "per_second": len(pairs) / t["seconds"],
            "cpu_seconds": t["cpu_seconds"],
            "per_cpu_second": len(pairs) / t["cpu_seconds"] if t["cpu_seconds"] else None,
            "agreement_with_math_verify": sum(a == b for a, b in zip(t["verdicts"], totals[baseline]["verdicts"])) / len(pairs),
        }
    mv = out["systems"][baseline]
    for name in names[:-1]:
        r = out["systems"][name]
        r["speedup_wall"] = r["per_second"] / mv["per_second"]
        r["speedup_cpu"] = r["per_cpu_second"] / mv["per_cpu_second"] if r["per_cpu_second"] and mv["per_cpu_second"] else None
    ours = totals[names[0]]["verdicts"]
    out["disagreements_with_math_verify"] = [
        {"gold": g, "answer": a, "rewardkit": x, "math-verify": y}
        for (g, a), x, y in zip(pairs, ours, totals[baseline]["verdicts"]) if x != y
    ]
    return out


# -- the pathological batch ---------------------------------------------------------------------


def pathological_batch_seconds() -> dict[str, Any]:
    """64 completions, 8 pathological, scored by math_correctness from a non-main thread."""
    sys.path.insert(0, str(REPO / "tests"))
    from test_math_bounded import PATHOLOGICAL, _normal_cases  # the test's own cases

    from rewardkit import get_reward

    rows = [(c, g) for c, g, _ in _normal_cases()] + [(c, "42") for c, _ in PATHOLOGICAL.values()]
    random.Random(1).shuffle(rows)
    reward = get_reward("math_correctness", timeout=1.0)
    reward(["\\boxed{\\frac{\\pi}{2}}"], answer=["\\frac{\\pi}{2}"])  # start the pool first
    out: dict[str, Any] = {}

    def run() -> None:
        start = time.perf_counter()
        result = reward.evaluate([r[0] for r in rows], answer=[r[1] for r in rows])
        out["seconds"] = time.perf_counter() - start
        out["timeouts"] = result.metrics["timeouts"]

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    return out


# -- the first batch of a process ----------------------------------------------------------------

FIRST_BATCH = """
import json, sys, time
from rewardkit import get_reward
reward = get_reward("math_correctness", workers=1, start_workers=sys.argv[1] == "1")
time.sleep(float(sys.argv[2]))  # the trainer generates the first completions meanwhile
start = time.perf_counter()
out = reward.evaluate([r"\\boxed{x^2+2x+1}", r"\\boxed{7}"], answer=["(x+1)^2", "7"])
assert out.scores == [1.0, 1.0], out
print(json.dumps(time.perf_counter() - start))
"""


def first_batch_seconds(generation_seconds: float) -> dict[str, float]:
    """Seconds the first batch that needs sympy takes in a fresh process: with the workers started
    on first need, and started in the background when the reward is built (right away, and
    ``generation_seconds`` later, as a first training step would call it)."""
    import subprocess

    out = {}
    for name, start, wait in (("started on first need", "0", 0.0), ("started when built, batch at once", "1", 0.0),
                              (f"started when built, batch {generation_seconds:g} s later", "1", generation_seconds)):
        result = subprocess.run([sys.executable, "-c", FIRST_BATCH, start, str(wait)], capture_output=True, text=True,
                                check=True, timeout=600)
        out[name] = json.loads(result.stdout.strip().splitlines()[-1])
    return out


# -- main ---------------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    cpu = platform.processor()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions = {}
    for module in ("sympy", "math_verify", "trl", "latex2sympy2_extended"):
        try:
            from importlib.metadata import version

            versions[module] = version(module.replace("_", "-"))
        except Exception:  # noqa: BLE001
            versions[module] = "?"
    from rewardkit.pool import cpu_count

    return {
        "cpu": cpu,
        "cores": cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_average_at_start": os.getloadavg() if hasattr(os, "getloadavg") else None,  # when called
        "versions": versions,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=Path(os.environ.get("REWARDKIT_SHARED_DATA", REPO.parent / "shared" / "data")))
    parser.add_argument("--gsm8k", type=int, default=150, help="GSM8K questions (8 completions each)")
    parser.add_argument("--math", type=int, default=485, help="MATH-500 problems (3-4 completions each)")
    parser.add_argument("--workers", type=int, default=None, help="pool size (default: CPU count)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--chunks", type=int, default=5, help="the systems take turns chunk by chunk")
    parser.add_argument("--warm", type=int, default=15, help="problems of each dataset scored untimed before each pass")
    parser.add_argument("--latex-pairs", type=int, default=2000, help="MATH-500-style (gold, answer) pairs for the LaTeX speed test")
    parser.add_argument("--generation-seconds", type=float, default=10.0,
                        help="seconds between building the reward and its first batch (a first generation step)")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "math_bench.json")
    parser.add_argument("--docs", default=str(REPO / "docs" / "math.md"), help="markdown file to update ('' to skip)")
    args = parser.parse_args(argv)
    logging.getLogger("math_verify").setLevel(logging.ERROR)
    load_at_start = os.getloadavg() if hasattr(os, "getloadavg") else None

    if not (args.data / "gsm8k" / "test.jsonl").exists():
        parser.error(f"no GSM8K data under {args.data} (give the shared data folder with --data)")
    from rewardkit.pool import cpu_count

    pool_size = args.workers or cpu_count()
    corpus, warm = build_corpus(args.data, args.gsm8k, args.math, args.seed, n_warm=args.warm)
    subsets = {
        "all": corpus,
        "gsm8k": [c for c in corpus if c["dataset"] == "gsm8k"],
        "math500": [c for c in corpus if c["dataset"] == "math500"],
    }
    print(f"corpus: {len(corpus)} completions ({len(subsets['gsm8k'])} GSM8K, {len(subsets['math500'])} MATH-500)", flush=True)

    # Cold start of the verification pool: fork server, sympy import, warm-up, workers.
    from rewardkit.plugins.math.verifier import Verifier

    start = time.perf_counter()
    Verifier(workers=1).check_many([("x^2+2x+1", "(x+1)^2")])  # a pair only sympy decides
    cold_start = time.perf_counter() - start
    print(f"pool cold start: {cold_start:.2f} s", flush=True)

    systems: dict[str, Callable[[], Callable]] = {
        "math_correctness (1 worker)": lambda: rewardkit_reward(1),
        f"math_correctness ({pool_size} workers)": lambda: rewardkit_reward(pool_size),
        "gsm8k preset (1 worker)": lambda: rewardkit_preset(1),
        f"gsm8k preset ({pool_size} workers)": lambda: rewardkit_preset(pool_size),
        "trl accuracy_reward": trl_accuracy,
        "math-verify parse+verify": math_verify_default,
    }
    # Every system is built once and scores the same warm-up completions (other problems),
    # untimed: imports, pool start-up, and what any long run has warm (ANTLR's prediction tables,
    # sympy's caches) are not what is measured. The corpus is then cut into chunks of distinct
    # problems and the systems take turns on each chunk, so load from other jobs on the machine
    # falls on all of them alike; no answer is seen twice, so no cache answers for another pass.
    scorers = {}
    for name, make in systems.items():
        scorers[name] = make()
        timed_batches(scorers[name], warm)
    names = list(scorers)
    totals = {
        name: {subset: {"scores": [], "seconds": 0.0, "cpu_seconds": 0.0} for subset in ("gsm8k", "math500")}
        for name in names
    }
    for k in range(args.chunks):
        for name in names[k % len(names) :] + names[: k % len(names)]:
            for subset in ("gsm8k", "math500"):
                items = subsets[subset]
                chunk = items[k * len(items) // args.chunks : (k + 1) * len(items) // args.chunks]
                clear_caches()
                scores, seconds, cpu_seconds = timed_batches(scorers[name], chunk)
                total = totals[name][subset]
                total["scores"] += scores
                total["seconds"] += seconds
                total["cpu_seconds"] = None if cpu_seconds is None or total["cpu_seconds"] is None else total["cpu_seconds"] + cpu_seconds

    results: dict[str, Any] = {}
    for name in names:
        per_subset = {}
        for subset in ("gsm8k", "math500"):
            items, total = subsets[subset], totals[name][subset]
            verdicts = [verdict(s) for s in total["scores"]]
            per_subset[subset] = {
                "n": len(items),
                "seconds": total["seconds"],
                "per_second": len(items) / total["seconds"],
                "cpu_seconds": total["cpu_seconds"],
                "per_cpu_second": len(items) / total["cpu_seconds"] if total["cpu_seconds"] else None,
                "correct_verdicts": sum(v == c["truth"] for v, c in zip(verdicts, items)),
                "unscored": sum(v is None for v in verdicts),
                "verdicts": verdicts,
            }
        total_n = sum(p["n"] for p in per_subset.values())
        total_s = sum(p["seconds"] for p in per_subset.values())
        cpus = [p["cpu_seconds"] for p in per_subset.values()]
        results[name] = {
            "subsets": per_subset,
            "n": total_n,
            "seconds": total_s,
            "per_second": total_n / total_s,
            "per_cpu_second": total_n / sum(cpus) if all(cpus) else None,
            "accuracy": sum(p["correct_verdicts"] for p in per_subset.values()) / total_n,
        }
        print(f"{name:32} {results[name]['per_second']:10.1f}/s  {results[name]['per_cpu_second'] or 0:10.1f}/cpu-s  "
              f"accuracy {results[name]['accuracy']:.4f}", flush=True)

    # Who is right where rewardkit and another system disagree.
    ours = "math_correctness (1 worker)"
    ordered = [c for s in ("gsm8k", "math500") for c in subsets[s]]

    def all_verdicts(name: str) -> list[Any]:
        return [v for s in ("gsm8k", "math500") for v in results[name]["subsets"][s]["verdicts"]]

    disagreements = {}
    for name in results:
        if name.startswith(("math_correctness", "gsm8k preset")):
            continue
        rows = [
            (c, a, b) for c, a, b in zip(ordered, all_verdicts(ours), all_verdicts(name)) if a != b
        ]
        by_kind: dict[str, dict[str, int]] = {}
        for c, a, b in rows:
            key = f"{c['dataset']}/{c['kind']}"
            entry = by_kind.setdefault(key, {"rewardkit_right": 0, "other_right": 0, "neither": 0})
            if a == c["truth"]:
                entry["rewardkit_right"] += 1
            elif b == c["truth"]:
                entry["other_right"] += 1
            else:
                entry["neither"] += 1
        examples = [
            {"kind": f"{c['dataset']}/{c['kind']}", "truth": c["truth"], "rewardkit": a, name: b,
             "answer": c["answer"][-80:], "completion_end": c["completion"][-160:]}
            for c, a, b in rows if a != c["truth"]
        ][:15]
        disagreements[name] = {
            "total": len(rows),
            "rewardkit_right": sum(e["rewardkit_right"] for e in by_kind.values()),
            "other_right": sum(e["other_right"] for e in by_kind.values()),
            "by_kind": by_kind,
            "rewardkit_wrong_examples": examples,
        }
    own_mistakes = [
        {"kind": f"{c['dataset']}/{c['kind']}", "truth": c["truth"], "verdict": a, "answer": c["answer"][-80:],
         "completion_end": c["completion"][-200:]}
        for c, a in zip(ordered, all_verdicts(ours)) if a != c["truth"]
    ]

    latex = {
        "answers": latex_speed(latex_pairs(args.data, args.latex_pairs, args.seed), args.chunks, pool_size),
        "mixed": latex_speed(latex_pairs(args.data, args.latex_pairs, args.seed, expression_wrongs=2), args.chunks, pool_size),
    }
    kinds = per_kind_speed(args.data, pool_size, args.seed)
    for workload, result in latex.items():
        for name, r in result["systems"].items():
            print(f"LaTeX {workload:7} {name:34} {r['per_second']:8.1f}/s  {r['per_cpu_second'] or 0:8.1f}/cpu-s  "
                  f"x{r.get('speedup_wall') or 1:.1f} wall  x{r.get('speedup_cpu') or 1:.1f} cpu", flush=True)
    first_batch = first_batch_seconds(args.generation_seconds)
    print(f"first batch that needs sympy: {first_batch}", flush=True)

    pathological = pathological_batch_seconds()
    print(f"64-completion batch with 8 pathological answers, from a thread: {pathological['seconds']:.2f} s "
          f"({pathological['timeouts']} timeouts)", flush=True)

    for r in results.values():
        for p in r["subsets"].values():
            del p["verdicts"]
    report = {
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "machine": {**machine(), "load_average_at_start": load_at_start,
                    "load_average_at_end": os.getloadavg() if hasattr(os, "getloadavg") else None},
        "note": "shared machine: other agents were running; per-second figures are indicative",
        "corpus": {
            "completions": len(corpus),
            "gsm8k": len(subsets["gsm8k"]),
            "math500": len(subsets["math500"]),
            "kinds": sorted({f"{c['dataset']}/{c['kind']}" for c in corpus}),
            "correct_share": sum(c["truth"] for c in corpus) / len(corpus),
        },
        "batch_size": BATCH,
        "chunks": args.chunks,
        "pool_size": pool_size,
        "pool_cold_start_seconds": cold_start,
        "first_batch_seconds": first_batch,
        "systems": results,
        "disagreements_with_rewardkit": disagreements,
        "rewardkit_mistakes": own_mistakes[:30],
        "pathological_batch": pathological,
        "latex_pairs": latex,
        "answer_kinds": kinds,
        "targets": targets(results, pool_size),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2, default=str) + "\n")
    results = table(report)
    args.out.with_suffix(".md").write_text(f"# Math verification benchmark\n\n{results}\n")
    print(f"wrote {args.out} and {args.out.with_suffix('.md')}")
    if args.docs:
        write_between_markers(Path(args.docs), "math-bench", results)
        print(f"updated {args.docs}")
    return 0


def targets(results: dict[str, Any], pool_size: int) -> dict[str, Any]:
    """The issue's targets, as ratios of wall-clock throughput and of throughput per CPU second."""
    trl = results["trl accuracy_reward"]
    mv = results["math-verify parse+verify"]
    preset_pool = results[f"gsm8k preset ({pool_size} workers)"]
    preset_one = results["gsm8k preset (1 worker)"]
    single = results["math_correctness (1 worker)"]

    def ratio(a: dict[str, Any], b: dict[str, Any], key: str) -> float | None:
        return a[key] / b[key] if a.get(key) and b.get(key) else None

    gsm, math = "gsm8k", "math500"
    return {
        "gsm8k preset / trl accuracy_reward on GSM8K completions (target 20)": {
            "wall_pool": ratio(preset_pool["subsets"][gsm], trl["subsets"][gsm], "per_second"),
            "wall_1_worker": ratio(preset_one["subsets"][gsm], trl["subsets"][gsm], "per_second"),
            "cpu_1_worker": ratio(preset_one["subsets"][gsm], trl["subsets"][gsm], "per_cpu_second"),
        },
        "accuracy (target: at least math-verify's)": {
            "rewardkit": single["accuracy"], "math-verify": mv["accuracy"], "trl": trl["accuracy"],
        },
        "math_correctness 1 worker / math-verify on MATH-500 completions (target 2)": {
            "wall": ratio(single["subsets"][math], mv["subsets"][math], "per_second"),
            "cpu": ratio(single["subsets"][math], mv["subsets"][math], "per_cpu_second"),
        },
    }


def run_line(report: dict[str, Any], libraries: tuple[str, ...]) -> str:
    """"Run <date> on <cpu>, <n> cores, Python <v> (<library> <version>, …)" for a results table."""
    m = report["machine"]
    versions = ", ".join(f"{name.replace('_', '-')} {m['versions'][name]}" for name in libraries)
    return f"Run {report['date'][:10]} on {m['cpu']}, {m['cores']} cores, Python {m['python']} ({versions})"


def table(report: dict[str, Any]) -> str:
    """The results table (markdown) of a report: throughput, agreement, ratios against the targets."""
    m = report["machine"]
    lines = [
        f"{run_line(report, ('sympy', 'math_verify', 'trl'))}; "
        f"{report['corpus']['completions']} completions ({report['corpus']['gsm8k']} GSM8K, "
        f"{report['corpus']['math500']} MATH-500), batches of {report['batch_size']}, systems taking turns "
        f"over {report['chunks']} chunks. Shared machine (other jobs running, load average "
        f"{m['load_average_at_start'][0]:.1f} at start, {m['load_average_at_end'][0]:.1f} at the end): throughput "
        "figures are indicative.",
        "",
        "| system | GSM8K /s | MATH-500 /s | GSM8K /CPU-s | MATH-500 /CPU-s | agreement with truth |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]

    def num(value: float | None, fmt: str = ",.0f") -> str:
        return "n/a" if value is None else format(value, fmt)

    for name, r in report["systems"].items():
        s = r["subsets"]
        lines.append(
            f"| {name} | {num(s['gsm8k']['per_second'])} | {num(s['math500']['per_second'])} | "
            f"{num(s['gsm8k']['per_cpu_second'])} | {num(s['math500']['per_cpu_second'])} | {r['accuracy']:.2%} |"
        )
    t = report["targets"]
    g = t["gsm8k preset / trl accuracy_reward on GSM8K completions (target 20)"]
    a = t["accuracy (target: at least math-verify's)"]
    lx = t["math_correctness 1 worker / math-verify on MATH-500 completions (target 2)"]
    lines += [
        "",
        "/s: completions per second of wall-clock time; /CPU-s: per second of CPU time of the caller "
        "and its verification workers together (what a dedicated core gives; less sensitive to the "
        "other jobs on the machine).",
        "",
        f"- gsm8k preset vs TRL `accuracy_reward` on GSM8K completions: {num(g['wall_1_worker'], '.0f')}× "
        f"(1 worker), {num(g['wall_pool'], '.0f')}× (pool), {num(g['cpu_1_worker'], '.0f')}× per CPU second; target 20×.",
        f"- agreement with truth: rewardkit {a['rewardkit']:.2%}, math-verify {a['math-verify']:.2%}, "
        f"TRL {a['trl']:.2%}; target: at least math-verify's.",
        f"- LaTeX answers (MATH-500 completions), one worker vs math-verify in one process: "
        f"{num(lx['wall'], '.1f')}× wall-clock, {num(lx['cpu'], '.1f')}× per CPU second; target 2×.",
        f"- a 64-completion batch with 8 pathological answers, scored from a non-main thread: "
        f"{report['pathological_batch']['seconds']:.2f} s ({report['pathological_batch']['timeouts']} timeouts at 1 s); "
        f"pool cold start {report['pool_cold_start_seconds']:.1f} s (once per process).",
    ]
    described = {
        "answers": ("LaTeX answers alone", "5×"),
        "mixed": ("LaTeX answers, half the wrong ones expressions (the mixed workload)", "3×"),
    }
    for workload, lp in report["latex_pairs"].items():
        one, pool, mv = list(lp["systems"].values())
        title, target = described[workload]
        lines.append(
            f"- {title}: {lp['pairs']:,} new MATH-500-style (gold, answer) pairs ({lp['distinct_golds']} distinct "
            f"golds), the same `$…$` strings for each system: rewardkit {num(one['per_second'])}/s with one worker, "
            f"{num(pool['per_second'])}/s with the pool; math-verify's serial `parse`+`verify` {num(mv['per_second'])}/s. "
            f"Per worker {num(one['speedup_wall'], '.1f')}× wall-clock and {num(one['speedup_cpu'], '.1f')}× per CPU "
            f"second, pool {num(pool['speedup_wall'], '.1f')}× wall-clock; target {target} per worker. Verdicts agree "
            f"with math-verify's on {one['agreement_with_math_verify']:.2%} of the pairs."
        )
    lines += [
        "",
        "Per kind of answer: MATH-500's distinct gold answers, each against itself and against `<gold>+37`, as `$…$` "
        "strings (the mixed row: all of them shuffled together), repeated to at least 200 pairs with every cache "
        "emptied between repetitions (rewardkit's verdict cache off); pairs per second, rewardkit with one worker "
        "against math-verify's serial `parse`+`verify`:",
        "",
        "| kind | distinct pairs | rewardkit /s | math-verify /s | × wall-clock | × per CPU second | same verdicts |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for kind, lp in report["answer_kinds"].items():
        one, _, mv = list(lp["systems"].values())
        lines.append(
            f"| {kind} | {lp['distinct_pairs']} | {num(one['per_second'])} | {num(mv['per_second'])} | "
            f"{num(one['speedup_wall'], '.1f')}× | {num(one['speedup_cpu'], '.1f')}× | {one['agreement_with_math_verify']:.1%} |"
        )
    lines.append("")
    first = report["first_batch_seconds"]
    lines.append(
        "- the first batch that needs sympy, in a fresh process (one worker): "
        + "; ".join(f"{name}: {seconds:.2f} s" for name, seconds in first.items())
        + "."
    )
    for name, d in report["disagreements_with_rewardkit"].items():
        lines.append(
            f"- rewardkit vs {name}: {d['total']} disagreements; rewardkit right on {d['rewardkit_right']}, "
            f"{name} right on {d['other_right']}."
        )
    return "\n".join(lines)


def write_between_markers(path: Path, name: str, table: str) -> None:
    """Put ``table`` between ``<!-- name:begin -->`` and ``<!-- name:end -->`` in ``path`` (appended
    with the markers when they are not there yet)."""
    text = path.read_text() if path.exists() else ""
    begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
    if begin in text and end in text:
        text = text[: text.index(begin) + len(begin)] + "\n" + table + "\n" + text[text.index(end) :]
    else:
        text += f"\n{begin}\n{table}\n{end}\n"
    path.write_text(text)


if __name__ == "__main__":
    sys.exit(main())
