"""Conformance benchmark: rewardkit and math-verify's defaults on one labelled corpus, set by set.

Sets (every row a gold, a whole completion and the truth):

- ``public suites``: the cases of tests/math_conformance_cases.py, built from the facts the public
  checkers test (math-verify, open-r1, TRL, verl, open-instruct; each case cites its source);
- ``GSM8K completions``: for GSM8K test questions (``../shared/data``), the reference reasoning
  ended the ways models end it (the few-shot "The answer is N.", a last ``A: N`` line, "Final
  answer: the total is N.", ``Answer: $ N $``, ``\\boxed{\\$N}``, the malformed ``\\boxed{\\N}``,
  spaces as thousands separators, a decimal comma, no markup at all, the recipe's XML tag), each
  with the right number and a wrong one; the gold is the dataset's solution (``… #### N``);
- ``MATH-500 completions``: for MATH-500 problems, the reference solution and its reasoning ended
  other ways (Minerva's "The final answer is $…$", an ``Answer:`` line, no box, the last math
  span), lists as several boxes, sets as separate boxes, matrices as bmatrix and
  ``\\left[\\begin{array}…\\right]``, decimals with a comma; each with the right answer and a wrong
  one (its last digit changed); the gold is the ``answer`` field in ``$…$``.

Then the paths that decide without sympy against the sympy path: a generated corpus of (gold,
answer) pairs (tests/math_numeric_corpus.py: random expressions, structures and MATH-500's golds,
each against equal respellings and near misses) decided as the caller decides them (plain
numerals, exact forms, values clearly apart) and, wherever the caller decides, by the workers'
``symbolic.check``; every disagreement is listed (there must be none).

Systems, on the same (gold, completion) strings: ``rewardkit.verify_answers`` (the verdict of
``math_correctness``; the reward itself is run too and must agree), and math-verify's default
``verify(parse(gold), parse(completion))``. Both get the same time limit per sample (5 s,
math-verify's default). Reported: agreement with the truth per set and per kind, and every
disagreement between the two with who is right. Results: ``bench/results/math_conformance.json``
and ``.md``, and a table in ``docs/math.md`` (between the ``math-conformance`` markers).

Run: ``python bench/math_conformance.py`` (``--help`` for sizes); a few minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import random
import re
import sys
import time
from pathlib import Path
from typing import Any, NamedTuple

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))  # the public facts' cases
sys.path.insert(0, str(REPO / "bench"))

from math_bench import machine, run_line, write_between_markers  # noqa: E402 - after the path set-up
from math_numeric_corpus import against_sympy, generated_pairs  # noqa: E402
TIMEOUT = 5.0  # math-verify's own default limits (parsing_timeout=5, timeout_seconds=5)
CHUNK = 256


class Row(NamedTuple):
    set: str
    kind: str
    gold: str
    completion: str
    truth: bool | None
    source: str


# -- the corpus ---------------------------------------------------------------------------------


def public_rows() -> list[Row]:
    from math_conformance_cases import CASES

    return [Row("public suites", c.kind, c.gold, c.completion, c.truth, c.source) for c in CASES]


def gsm8k_rows(data: Path, limit: int, rng: random.Random) -> list[Row]:
    lines = (data / "gsm8k" / "test.jsonl").read_text().splitlines()
    rows = [json.loads(line) for line in rng.sample(lines, min(limit, len(lines)))]
    out: list[Row] = []
    for row in rows:
        gold = row["answer"]
        n = int(gold.rsplit("####", 1)[1].strip().replace(",", ""))
        reasoning = re.sub(r"<<[^>]*>>", "", gold.rsplit("####", 1)[0]).strip()
        wrong = n + rng.choice([1, -1, 2, 10]) if n != 0 else 3
        endings = {
            "few-shot 'The answer is N.'": "The answer is {}.",
            "last line 'A: N'": "A: {}",
            "prose 'Final answer: the total is N.'": "Final answer: the total is {}.",
            "'Answer: $ N $'": "Answer: $ {} $",
            "boxed \\$N": "So the cost is $\\boxed{{\\${}}}$.",
            "boxed \\N (malformed)": "So the cost is $\\boxed{{\\{}}}$.",
            "decimal comma N,00": "Le total est donc {},00 €.",
            "no markup": "So the result is {}",
            "xml answer tag": "<answer>\n{}\n</answer>",
        }
        for kind, ending in endings.items():
            for value, truth in ((n, True), (wrong, False)):
                out.append(Row("GSM8K completions", kind, gold, f"{reasoning}\n{ending.format(value)}", truth, "gsm8k"))
        if abs(n) >= 1000:
            for value, truth in ((n, True), (wrong, False)):
                spaced = f"{value:,}".replace(",", " ")
                out.append(Row("GSM8K completions", "space thousands", gold, f"{reasoning}\nThe total is {spaced}.", truth, "gsm8k"))
    return out


def _bump_first_digit(answer: str) -> str | None:
    """The answer with its first digit changed (a wrong answer of the same form), or None.

    The first digit, not the last: the last is often a base (``52_8``) or a unit's power
    (``15\\mbox{ cm}^2``) that checkers do not compare."""
    m = re.search(r"\d", answer)
    if m is None:
        return None
    i = m.start()
    return answer[:i] + str((int(answer[i]) + 1) % 10) + answer[i + 1 :]


def _top_level_items(answer: str) -> list[str]:
    """The comma-separated items of a bare list (``-2,1``), outside any bracket."""
    items, depth, start = [], 0, 0
    for i, ch in enumerate(answer):
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == "," and depth == 0:
            items.append(answer[start:i].strip())
            start = i + 1
    items.append(answer[start:].strip())
    return items


def _reasoning_before(solution: str, end: int) -> str:
    """The solution up to the last sentence or line that ends before ``end`` outside any math
    span (the sentence holding the boxed answer goes, and no ``$`` or ``\\[`` is left open)."""
    for p in range(end, 0, -1):
        if solution[p - 1] not in ".\n" or (solution[p - 1] == "." and solution[p : p + 1] not in (" ", "\n", "")):
            continue
        head = solution[:p]
        displays = head.count("$$")
        dollars = len(re.findall(r"(?<!\\)\$", head.replace("$$", "")))
        if displays % 2 == dollars % 2 == 0 and head.count("\\[") == head.count("\\]") and head.count("\\(") == head.count("\\)"):
            return head.rstrip()
    return ""


def math_rows(data: Path, limit: int, rng: random.Random) -> list[Row]:
    from rewardkit.plugins.math.extractors import last_boxed

    lines = (data / "math500" / "test.jsonl").read_text().splitlines()
    rows = [json.loads(line) for line in rng.sample(lines, min(limit, len(lines)))]
    out: list[Row] = []
    for row in rows:
        answer, solution = row["answer"], row["solution"]
        box = last_boxed(solution)
        if box is None:
            continue
        # The reasoning without the sentence of the final box, and no other box left in it (some
        # solutions box the answer of each of two methods): the ending alone gives the answer.
        before = _reasoning_before(solution, solution.rfind("\\boxed{" + box + "}")).replace("\\boxed{", "{")
        stated = re.search(r"(?i)answer", before)  # "our answer is 143" before the new ending: ambiguous
        if stated is not None:
            before = _reasoning_before(before, stated.start())
        gold = f"${answer}$"
        wrong = _bump_first_digit(answer)

        def add(kind: str, right: str, bad: str | None) -> None:
            out.append(Row("MATH-500 completions", kind, gold, right, True, "math500"))
            if bad is not None:
                out.append(Row("MATH-500 completions", kind, gold, bad, False, "math500"))

        boxed_wrong = None if wrong is None else solution.replace("\\boxed{" + box + "}", "\\boxed{" + wrong + "}")
        add("reference solution", solution, boxed_wrong)
        add("Minerva 'The final answer is $…$'", f"{before} ...\nFinal Answer: The final answer is ${answer}$. I hope it is correct.",
            None if wrong is None else f"{before} ...\nFinal Answer: The final answer is ${wrong}$. I hope it is correct.")
        add("'Answer:' line", f"{before}\nAnswer: ${answer}$", None if wrong is None else f"{before}\nAnswer: ${wrong}$")
        add("no box: last math span", f"{before}\nSo we get ${answer}$.", None if wrong is None else f"{before}\nSo we get ${wrong}$.")
        items = _top_level_items(answer)
        if len(items) > 1 and "\\" not in answer and not any(re.fullmatch(r"\d{3}", i) for i in items[1:]):
            add("list as several boxes", before + "\n" + ", ".join(f"\\boxed{{{i}}}" for i in items),
                before + "\n" + ", ".join(f"\\boxed{{{i}}}" for i in items[:-1] + [_bump_first_digit(items[-1]) or items[-1] + "1"]))
        if answer.startswith("\\{") and answer.endswith("\\}"):
            inner = _top_level_items(answer[2:-2])
            add("set as separate boxes", before + "\n" + " and ".join(f"$\\boxed{{{i}}}$" for i in inner), None)
        if "pmatrix" in answer:
            add("matrix as bmatrix", solution.replace("pmatrix", "bmatrix"), None if boxed_wrong is None else boxed_wrong.replace("pmatrix", "bmatrix"))
            cols = answer.split("\\\\")[0].count("&") + 1
            array = answer.replace("\\begin{pmatrix}", "\\left[\\begin{array}{" + "c" * cols + "}").replace("\\end{pmatrix}", "\\end{array}\\right]")
            add("matrix as array", f"{before}\nSo the answer is ${array}$.",
                None if wrong is None else f"{before}\nSo the answer is ${_bump_first_digit(array)}$.")
        if re.fullmatch(r"-?\d+\.(?:\d\d|\d{4,})", answer.strip()):  # 4,5 is a pair, as MATH's own -2,1
            comma = answer.replace(".", ",")
            add("decimal comma", f"{before}\nSo the answer is ${comma}$.", f"{before}\nSo the answer is ${_bump_first_digit(comma)}$.")
        if "\\frac" in box and "\\dfrac" not in box:
            add("\\dfrac for \\frac", solution.replace("\\boxed{" + box + "}", "\\boxed{" + box.replace("\\frac", "\\dfrac") + "}"), None)
    return out


# -- the systems --------------------------------------------------------------------------------


def rewardkit_verdicts(rows: list[Row]) -> list[bool | None]:
    from rewardkit import verify_answers

    out: list[bool | None] = []
    for i in range(0, len(rows), CHUNK):
        chunk = rows[i : i + CHUNK]
        out += verify_answers([(r.gold, r.completion) for r in chunk], timeout=TIMEOUT)
    return out


def reward_verdicts(rows: list[Row]) -> list[bool | None]:
    from rewardkit.plugins.math import MathCorrectness

    reward = MathCorrectness(timeout=TIMEOUT)
    out: list[bool | None] = []
    for i in range(0, len(rows), CHUNK):
        chunk = rows[i : i + CHUNK]
        scores = reward([r.completion for r in chunk], answer=[r.gold for r in chunk])
        out += [None if s is None else s > 0 for s in scores]
    return out


def math_verify_verdicts(rows: list[Row]) -> list[bool | None]:
    """math-verify's defaults: ``verify(parse(gold), parse(completion))``; None when the gold
    parses to nothing (TRL's accuracy_reward skips such samples)."""
    from math_verify import parse, verify

    out: list[bool | None] = []
    for r in rows:
        try:
            gold = parse(r.gold)
            out.append(bool(verify(gold, parse(r.completion))) if gold else None)
        except Exception:  # noqa: BLE001 - a crash is a wrong verdict, as in a reward
            out.append(False)
    return out


# -- report -------------------------------------------------------------------------------------


def summarise(rows: list[Row], verdicts: dict[str, list[bool | None]]) -> dict[str, Any]:
    sets: dict[str, Any] = {}
    for name in dict.fromkeys(r.set for r in rows):
        idx = [i for i, r in enumerate(rows) if r.set == name]
        entry: dict[str, Any] = {"rows": len(idx)}
        for system, v in verdicts.items():
            entry[system] = sum(v[i] == rows[i].truth for i in idx) / len(idx)
        kinds: dict[str, Any] = {}
        for kind in dict.fromkeys(rows[i].kind for i in idx):
            kidx = [i for i in idx if rows[i].kind == kind]
            kinds[kind] = {"rows": len(kidx)} | {s: sum(v[i] == rows[i].truth for i in kidx) for s, v in verdicts.items()}
        entry["kinds"] = kinds
        sets[name] = entry
    return sets


def disagreements(rows: list[Row], ours: list[bool | None], theirs: list[bool | None]) -> list[dict[str, Any]]:
    out = []
    for r, a, b in zip(rows, ours, theirs):
        if a != b:
            right = "rewardkit" if a == r.truth else "math-verify" if b == r.truth else "neither"
            out.append({"set": r.set, "kind": r.kind, "source": r.source, "truth": r.truth, "rewardkit": a,
                        "math-verify": b, "right": right, "gold": r.gold[-120:], "completion_end": r.completion[-240:]})
    return out


def write_markdown(path: Path, report: dict[str, Any]) -> str:
    lines = [
        f"{run_line(report, ('sympy', 'math_verify'))}; shared machine (load average "
        f"{report['machine']['load_average_at_start'][0]:.1f} at start, {report['machine']['load_average_at_end'][0]:.1f} at "
        f"the end). Time limit {report['timeout_seconds']:.0f} s per "
        "sample for both.",
        "",
        "| set | rows | rewardkit (`verify_answer`, `math_correctness`) | math-verify defaults | rewardkit right, math-verify wrong | math-verify right, rewardkit wrong |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, s in report["sets"].items():
        d = [x for x in report["disagreements"] if x["set"] == name]
        lines.append(
            f"| {name} | {s['rows']:,} | {s['rewardkit']:.3f} | {s['math-verify']:.3f} | "
            f"{sum(x['right'] == 'rewardkit' for x in d)} | {sum(x['right'] == 'math-verify' for x in d)} |"
        )
    against = report["without_sympy_against_sympy"]
    decided = against["decided"]
    lines += [
        "",
        f"`math_correctness` on the same rows: agreement {report['reward_matches_verify_answer']:.2%} with "
        "`verify_answer` (the same verdicts by construction).",
        "",
        f"Without sympy against the sympy path: of {against['pairs']:,} generated (gold, answer) pairs, the caller "
        f"decided {sum(n for k, n in decided.items() if k != 'worker'):,} without sympy ("
        + ", ".join(f"{k} {n:,}" for k, n in decided.items() if k != "worker")
        + f"; {decided.get('worker', 0):,} left to the workers); the sympy path's verdict differs on "
        f"{len(against['disagreements'])} of them.",
    ]
    table = "\n".join(lines)
    detail = ["# Math conformance: rewardkit vs math-verify's defaults", "", table, "", "## By kind", ""]
    for name, s in report["sets"].items():
        detail += [f"### {name}", "", "| kind | rows | rewardkit right | math-verify right |", "| --- | ---: | ---: | ---: |"]
        detail += [f"| {k} | {v['rows']} | {v['rewardkit']} | {v['math-verify']} |" for k, v in s["kinds"].items()]
        detail.append("")
    detail += ["## Every disagreement", "", "| set | kind | truth | rewardkit | math-verify | right | gold | completion (end) |",
               "| --- | --- | --- | --- | --- | --- | --- | --- |"]

    def cell(text: str) -> str:
        return text.replace("|", "\\|").replace("\n", " ")[-100:]

    for x in report["disagreements"]:
        detail.append(f"| {x['set']} | {x['kind']} | {x['truth']} | {x['rewardkit']} | {x['math-verify']} | "
                      f"{x['right']} | `{cell(x['gold'])}` | `{cell(x['completion_end'])}` |")
    path.write_text("\n".join(detail) + "\n")
    return table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=Path(os.environ.get("REWARDKIT_SHARED_DATA", REPO.parent / "shared" / "data")))
    parser.add_argument("--gsm8k", type=int, default=150, help="GSM8K questions (18-20 completions each)")
    parser.add_argument("--math", type=int, default=500, help="MATH-500 problems (8-14 completions each)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--generated", type=int, default=20_000, help="generated pairs checked against the sympy path")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "math_conformance.json")
    parser.add_argument("--docs", default=str(REPO / "docs" / "math.md"), help="markdown file to update ('' to skip)")
    args = parser.parse_args(argv)
    logging.getLogger("math_verify").setLevel(logging.ERROR)
    logging.getLogger("latex2sympy2_extended").setLevel(logging.ERROR)
    if not (args.data / "gsm8k" / "test.jsonl").exists():
        parser.error(f"no GSM8K data under {args.data} (give the shared data folder with --data)")

    rng = random.Random(args.seed)
    rows = public_rows() + gsm8k_rows(args.data, args.gsm8k, rng) + math_rows(args.data, args.math, rng)
    print(f"corpus: {len(rows)} rows", flush=True)
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    seconds = {}
    verdicts = {}
    for name, run in (("rewardkit", rewardkit_verdicts), ("math-verify", math_verify_verdicts)):
        start = time.perf_counter()
        verdicts[name] = run(rows)
        seconds[name] = time.perf_counter() - start
        print(f"{name}: {seconds[name]:.0f} s", flush=True)
    reward = reward_verdicts(rows)
    start = time.perf_counter()
    decided, wrong = against_sympy(generated_pairs(args.generated, args.seed, args.data))
    against = {"pairs": sum(decided.values()), "decided": decided, "seconds": time.perf_counter() - start,
               "disagreements": [dict(zip(("gold", "answer", "how", "caller", "sympy"), w)) for w in wrong]}
    print(f"generated pairs against the sympy path: {decided}, {len(wrong)} disagreements", flush=True)
    sets = summarise(rows, verdicts)
    for name, s in sets.items():
        print(f"{name:22} {s['rows']:6}  rewardkit {s['rewardkit']:.4f}  math-verify {s['math-verify']:.4f}", flush=True)
    report = {
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "machine": {**machine(), "load_average_at_start": load,
                    "load_average_at_end": os.getloadavg() if hasattr(os, "getloadavg") else None},
        "note": "shared machine: other agents were running; only the verdicts are compared here",
        "timeout_seconds": TIMEOUT,
        "seconds": seconds,
        "sets": sets,
        "rewardkit_at_or_above_math_verify_on_every_set": all(s["rewardkit"] >= s["math-verify"] for s in sets.values()),
        "reward_matches_verify_answer": sum(a == b for a, b in zip(reward, verdicts["rewardkit"])) / len(rows),
        "without_sympy_against_sympy": against,
        "disagreements": disagreements(rows, verdicts["rewardkit"], verdicts["math-verify"]),
        "rewardkit_wrong": [
            {"set": r.set, "kind": r.kind, "truth": r.truth, "verdict": v, "gold": r.gold[-120:], "completion_end": r.completion[-240:]}
            for r, v in zip(rows, verdicts["rewardkit"]) if v != r.truth
        ],
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2, default=str) + "\n")
    table = write_markdown(args.out.with_suffix(".md"), report)
    print(f"wrote {args.out} and {args.out.with_suffix('.md')}")
    if args.docs:
        write_between_markers(Path(args.docs), "math-conformance", table)
        print(f"updated {args.docs}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
