"""``tool_call_match`` against BFCL's own checker; ``toolrl`` against verl's ``rlla.py``; throughput.

Parity: every single-turn Python AST category of BFCL v4 and both irrelevance categories (the
bfcl-eval wheel's questions, function docs and possible answers), each row's ground truth written
out and its systematic mutations (tests/_bfcl_cases.py), scored by rewardkit's
``tool_call_match`` (strict) and by BFCL's ``ast_checker`` in its own environment; agreement per
category and mutation, every disagreement listed. ToolRL: generated cases scored by ``toolrl``
and by verl's ``rlla.compute_score`` in verl's environment.

Throughput: the AST categories' cases, checked by each side in its own process, CPU seconds of
that process (best of ``--repeat`` passes on both sides): BFCL's checker on calls already decoded
(``[{name: {param: value}}]``), rewardkit on the same calls as TRL hands them (mappings, the
closest shape) and in the five shapes it reads in turn (JSON strings to parse, text to scan), in
calls of ``BATCH`` completions as a trainer makes them, and the TRL mappings also in one call.

Run (builds nothing; the environments come from ``bash .ci/bfcl-venv`` and ``bash .ci/verl-venv``)::

    python bench/tools_bench.py [--repeat 10]

Writes ``bench/results/tools_bench.json`` and ``.md``; the load average at start and end is in
both (throughput on a shared machine is only comparable between the two sides of one run).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

import _bfcl_cases as bfcl  # noqa: E402
import _toolrl_cases as toolrl_cases  # noqa: E402

from rewardkit.registry import Registry  # noqa: E402

RESULTS = REPO / "bench" / "results"


def parity(reward) -> dict:
    cases = bfcl.cases()
    bfcl.oracle(cases)
    scores = bfcl.rewardkit_scores(cases, reward)
    table: dict = defaultdict(lambda: {"cases": 0, "agree": 0, "bfcl_valid": 0})
    for case, score in zip(cases, scores):
        for key in (f"{case.category} | {case.mutation}", f"{case.category} | all"):
            row = table[key]
            row["cases"] += 1
            row["agree"] += case.oracle["valid"] is (score == 1.0)
            row["bfcl_valid"] += bool(case.oracle["valid"])
    differ = bfcl.disagreements(cases, scores)
    return {
        "cases": len(cases),
        "agree": len(cases) - len(differ),
        "by_category_and_mutation": dict(sorted(table.items())),
        "disagreements": [
            {"id": c.id, "category": c.category, "mutation": c.mutation, "bfcl": c.oracle, "rewardkit": s,
             "possible_answer": c.possible_answer, "calls": c.calls}
            for c, s in differ
        ],
    }  # fmt: skip


BATCH = 256  # completions per reward call in a training run: e.g. GRPO's 32 prompts x 8 completions


def throughput(reward, repeat: int) -> dict:
    cases = bfcl.cases(bfcl.AST_CATEGORIES)
    theirs = bfcl.oracle_cpu_seconds(cases, repeat)
    out = {"checks": len(cases), "batch": BATCH, "bfcl_cpu_seconds_per_pass": min(theirs["passes"])}
    for label, shape, batch in (
        ("rewardkit_trl_mappings", 0, BATCH), ("rewardkit_trl_mappings_one_call", 0, len(cases)),
        ("rewardkit_all_shapes", None, BATCH),
    ):  # fmt: skip
        for i, case in enumerate(cases):
            case.shape = 0 if shape == 0 else i % len(bfcl.SHAPES)
        completions = [bfcl.completion(c) for c in cases]
        columns = {"ground_truth": [c.possible_answer for c in cases], "tools": [bfcl.tools_of(c) for c in cases]}
        best = float("inf")
        for _ in range(repeat):
            start = time.process_time()
            for at in range(0, len(cases), batch):
                reward(completions[at : at + batch], **{k: v[at : at + batch] for k, v in columns.items()})
            best = min(best, time.process_time() - start)
        out[f"{label}_cpu_seconds_per_pass"] = best
    bfcl_rate = len(cases) / out["bfcl_cpu_seconds_per_pass"]
    out["bfcl_checks_per_cpu_second"] = bfcl_rate
    for label in ("rewardkit_trl_mappings", "rewardkit_trl_mappings_one_call", "rewardkit_all_shapes"):
        rate = len(cases) / out[f"{label}_cpu_seconds_per_pass"]
        out[f"{label}_checks_per_cpu_second"] = rate
        out[f"{label}_vs_bfcl"] = rate / bfcl_rate
    return out


def toolrl_parity(n: int) -> dict | None:
    if toolrl_cases.python() is None:
        return None
    batch = toolrl_cases.cases(n)
    verl = toolrl_cases.oracle(batch)
    ours = Registry(autoload=False).reward("toolrl", {}).evaluate(
        [c["completion"] for c in batch], answer=[c["ground_truth"] for c in batch]
    )
    agree = sum(
        "error" not in v and abs(s - v["score"]) <= 1e-9 for s, v in zip(ours.scores, verl)
    )  # fmt: skip
    return {"cases": n, "equal_to_1e-9": agree, "score_values": len(set(ours.scores))}


def markdown(result: dict) -> str:
    p, t, r = result["parity"], result["throughput"], result["toolrl"]
    lines = [
        "# tool_call_match vs BFCL's checker; toolrl vs verl's rlla.py",
        "",
        f"Run {result['date']} on {result['machine']}; load average {result['load_start']} at start, "
        f"{result['load_end']} at end. bfcl-eval {result['bfcl_version']}.",
        "",
        f"## Parity (strict): {p['agree']:,} of {p['cases']:,} verdicts agree ({100 * p['agree'] / p['cases']:.3f}%)",
        "",
        "| category | cases | agree | BFCL valid |",
        "| --- | ---: | ---: | ---: |",
    ]
    rows = p["by_category_and_mutation"]
    for key, row in rows.items():
        if key.endswith("| all"):
            lines.append(f"| {key.split(' |')[0]} | {row['cases']:,} | {row['agree']:,} | {row['bfcl_valid']:,} |")
    lines += ["", "By mutation (all categories):", "", "| mutation | cases | agree | BFCL valid |", "| --- | ---: | ---: | ---: |"]
    by_mutation: dict = defaultdict(Counter)
    for key, row in rows.items():
        mutation = key.split("| ")[1]
        if mutation != "all":
            by_mutation[mutation].update(row)
    for mutation in bfcl.MUTATIONS:
        if mutation in by_mutation:
            row = by_mutation[mutation]
            lines.append(f"| {mutation} | {row['cases']:,} | {row['agree']:,} | {row['bfcl_valid']:,} |")
    lines += ["", f"Disagreements ({len(p['disagreements'])}):", ""]
    for d in p["disagreements"]:
        lines.append(f"- `{d['id']}` ({d['mutation']}): BFCL {d['bfcl']['error_type']}, rewardkit {d['rewardkit']}")
    lines += [
        "",
        f"## Throughput ({t['checks']:,} AST checks, CPU seconds of each side's own process, best of {result['repeat']})",
        "",
        "| checker | CPU s per pass | checks per CPU second | vs BFCL |",
        "| --- | ---: | ---: | ---: |",
        f"| BFCL `ast_checker` (calls decoded) | {t['bfcl_cpu_seconds_per_pass']:.3f} | {t['bfcl_checks_per_cpu_second']:,.0f} | 1.00x |",
        f"| rewardkit, TRL mappings, batches of {t['batch']} | {t['rewardkit_trl_mappings_cpu_seconds_per_pass']:.3f} | {t['rewardkit_trl_mappings_checks_per_cpu_second']:,.0f} | {t['rewardkit_trl_mappings_vs_bfcl']:.2f}x |",
        f"| rewardkit, TRL mappings, all {t['checks']:,} in one call | {t['rewardkit_trl_mappings_one_call_cpu_seconds_per_pass']:.3f} | {t['rewardkit_trl_mappings_one_call_checks_per_cpu_second']:,.0f} | {t['rewardkit_trl_mappings_one_call_vs_bfcl']:.2f}x |",
        f"| rewardkit, five shapes in turn, batches of {t['batch']} | {t['rewardkit_all_shapes_cpu_seconds_per_pass']:.3f} | {t['rewardkit_all_shapes_checks_per_cpu_second']:,.0f} | {t['rewardkit_all_shapes_vs_bfcl']:.2f}x |",
        "",
        "rewardkit's figure includes building the batch's samples, reading the calls from the completion",
        "(and, for the shapes other than TRL's mappings, parsing their JSON) and the reward's batch",
        "bookkeeping; BFCL's does not. A training run calls the reward once per batch (the rows of a batch",
        "are read once however many completions share them); all cases in one call hold 23,866 samples' objects",
        "at once, so the garbage collector's full passes over the process (its 24k cases included) land in",
        "the timing more often.",
        "",
    ]  # fmt: skip
    if r is None:
        lines.append("## ToolRL: not run (build verl's environment: `bash .ci/verl-venv`)")
    else:
        lines.append(f"## ToolRL: {r['equal_to_1e-9']:,} of {r['cases']:,} generated cases equal verl's score to 1e-9 ({r['score_values']} distinct scores)")
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--toolrl-cases", type=int, default=3000)
    args = parser.parse_args()
    if bfcl.python() is None:
        print(f"BFCL's environment is not built: {bfcl.BUILD}", file=sys.stderr)
        return 1
    load_start = [round(x, 2) for x in os.getloadavg()]
    reward = Registry(autoload=False).reward("tool_call_match", {})
    import subprocess

    version = subprocess.run(
        [str(bfcl.python()), "-c", "import importlib.metadata as m; print(m.version('bfcl-eval'))"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    result = {
        "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
        "bfcl_version": version,
        "repeat": args.repeat,
        "load_start": load_start,
        "parity": parity(reward),
        "throughput": throughput(reward, args.repeat),
        "toolrl": toolrl_parity(args.toolrl_cases),
    }
    result["load_end"] = [round(x, 2) for x in os.getloadavg()]
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "tools_bench.json").write_text(json.dumps(result, indent=1) + "\n")
    (RESULTS / "tools_bench.md").write_text(markdown(result))
    print(markdown(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
