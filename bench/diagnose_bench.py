"""Benchmark of `rewardkit diagnose`: does it find planted problems in real GSM8K data, and what does a real run show?

    python bench/diagnose_bench.py                              # the GSM8K corpus only
    python bench/diagnose_bench.py --run runs/gsm8k-default     # and a training run (rewardkit train's output)

1. A scored corpus built from GSM8K test problems (``../shared/data/gsm8k/test.jsonl``): each
   problem gets a group of completions, as GRPO would sample them, made from its gold solution
   (calculator annotations removed): correct ones in the recipe's XML format and in plain prose,
   honestly wrong ones (the answer changed), and, at known rows, each planted problem: the format
   with no answer, a number copied from the question as the answer, two different answers, a
   looping sentence, a completion cut at a length limit (``finish_reason: length``), a Chinese
   sentence mixed into the English reasoning. It is scored with the ``gsm8k`` preset, then
   diagnosed; measured: per check, how many planted rows it finds (recall) and how many of its
   flags are planted rows (precision), the flags on clean rows, the second opinion's
   disagreements, and the wall time.
2. With ``--run``: the run directory is diagnosed (its findings, flags and suspects are recorded).
3. Each report is rendered in headless Chromium (tests/_browser.py: every plot must decode) and
   screenshotted; ``--docs`` copies the run's report and screenshot to ``docs/diagnostics/``.

Writes ``bench/results/diagnose_bench.json`` and ``.md``. Timings are wall-clock on whatever
machine runs it (say which: a shared 2-core VM slows everything down).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import re
import shutil
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))  # the browser driver the tests use

XML = "<reasoning>\n{r}\n</reasoning>\n<answer>\n{a}\n</answer>"
SYSTEM = "Respond in the following format:\n<reasoning>\n...\n</reasoning>\n<answer>\n...\n</answer>"
# one planted row per problem (the kind cycling through these), the rest of its group clean
PLANTED = ("format_without_answer", "answer_from_prompt", "several_answers", "repetition", "truncated", "language_mixing",
           "refusal")
GROUP = 8
SCREENSHOT_HEIGHT = 3200  # pixels of the report's top: findings, components, plots, the first suspects
MIXED_SENTENCE = "让我们一步一步地思考这个问题。"  # "let us think about this problem step by step"
DECLINING = ["I'm sorry, but I can't help with homework questions.", "As an AI language model, I cannot solve this for you.",
             "I apologize, but I am unable to provide the answer to this problem.",
             "I must decline to answer questions that look like a graded exam."]


def _problems(data: Path, n: int, rng: random.Random) -> list[dict[str, Any]]:
    rows = [json.loads(line) for line in (data / "gsm8k" / "test.jsonl").read_text().splitlines()]
    return rng.sample(rows, n)


def _planted(kind: str, question: str, reasoning: str, gold: int, rng: random.Random) -> dict[str, Any] | None:
    numbers = [int(x) for x in re.findall(r"\d+", question.replace(",", "")) if int(x) != gold]
    if kind == "format_without_answer":
        return {"completion": XML.format(r=reasoning, a=rng.choice(["...", "", "?"]))}
    if kind == "answer_from_prompt":
        return {"completion": XML.format(r=reasoning, a=rng.choice(numbers))} if numbers else None
    if kind == "several_answers":
        return {"completion": XML.format(r=reasoning, a=gold) + f"\n<answer>\n{gold + rng.choice([1, 2, 10])}\n</answer>"}
    if kind == "repetition":
        sentence = reasoning.split("\n")[0].strip() or "Let me add these numbers."
        return {"completion": "<reasoning>\n" + " ".join([sentence] * 12)}
    if kind == "truncated":
        text = XML.format(r=reasoning, a=gold)
        return {"completion": text[: max(20, len(text) // 2)], "finish_reason": "length"}
    if kind == "language_mixing":
        return {"completion": XML.format(r=MIXED_SENTENCE + " " + reasoning, a=gold)}
    if kind == "refusal":
        return {"completion": rng.choice(DECLINING)}
    raise ValueError(kind)


def build_corpus(data: Path, problems: int, seed: int) -> list[dict[str, Any]]:
    """Groups of GROUP completions per problem; each row says what was planted (``planted``: kind or None)."""
    rng = random.Random(seed)
    rows: list[dict[str, Any]] = []
    for k, problem in enumerate(_problems(data, problems, rng)):
        solution, gold_text = problem["answer"].rsplit("####", 1)
        gold = int(gold_text.strip().replace(",", ""))
        reasoning = re.sub(r"<<[^>]*>>", "", solution).strip()
        prompt = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": problem["question"]}]
        group: list[dict[str, Any]] = []
        kind = PLANTED[k % len(PLANTED)]
        planted = _planted(kind, problem["question"], reasoning, gold, rng)
        if planted is not None:
            group.append({**planted, "planted": kind})
        while len(group) < GROUP:
            roll = rng.random()
            if roll < 0.5:
                completion = XML.format(r=reasoning, a=gold)
            elif roll < 0.75:
                completion = XML.format(r=reasoning, a=gold + rng.choice([-2, -1, 1, 3, 10]))
            else:
                completion = f"{reasoning}\nSo the answer is {gold}."
            group.append({"completion": completion, "planted": None})
        rng.shuffle(group)
        rows += [{"prompt": prompt, **row, "answer": problem["answer"]} for row in group]
    return rows


def score_corpus(rows: list[dict[str, Any]], path: Path) -> float:
    from rewardkit.composition_loader import load_composition
    from rewardkit.row_scoring import row_records, score_rows

    started = time.perf_counter()
    records = row_records(score_rows(load_composition("gsm8k"), rows))
    path.write_text("".join(json.dumps({**row, "rewardkit": record}, ensure_ascii=False) + "\n"
                            for row, record in zip(rows, records)), encoding="utf-8")
    return time.perf_counter() - started


def detection(rows: list[dict[str, Any]], result: dict[str, Any]) -> dict[str, Any]:
    """Per check: planted rows, found, recall, flags, precision; and the flags raised on clean rows."""
    flagged: dict[str, set[int]] = {kind: set() for kind in PLANTED}
    for suspect in result["suspects"]["all"]:
        for kind in suspect["kinds"]:
            flagged[kind].add(suspect["row"])
    table = {}
    for kind in PLANTED:
        planted = {i for i, r in enumerate(rows) if r["planted"] == kind}
        found = planted & flagged[kind]
        table[kind] = {
            "planted": len(planted), "found": len(found), "recall": len(found) / len(planted) if planted else None,
            "flags": len(flagged[kind]), "precision": len(found) / len(flagged[kind]) if flagged[kind] else None,
        }
    clean = {i for i, r in enumerate(rows) if r["planted"] is None}
    on_clean = Counter(kind for kind, hits in flagged.items() for i in hits if i in clean)
    # every flag that is not the planted problem of its row, with the reason given
    other = [{"row": s["row"], "planted": rows[s["row"]]["planted"], "kind": kind, "reason": reason}
             for s in result["suspects"]["all"] for kind, reason in zip(s["kinds"], s["reasons"])
             if kind != rows[s["row"]]["planted"]]
    return {"per_check": table, "clean_rows": len(clean), "clean_rows_flagged": len({i for h in flagged.values() for i in h} & clean),
            "flags_on_clean_rows": dict(on_clean), "other_flags": other}


def browser_check(report: Path, png: Path) -> dict[str, Any]:
    from _browser import chromium, render

    if chromium() is None:
        return {"skipped": "headless Chromium is not installed (apt-get install chromium)"}
    page = render(report, png, max_height=SCREENSHOT_HEIGHT)
    decoded = [i for i in page["images"] if i["width"] > 0 and i["height"] > 0]
    return {"images": len(page["images"]), "decoded": len(decoded), "headings": page["headings"],
            "screenshot": str(png.relative_to(REPO)) if png.is_relative_to(REPO) else str(png)}


def diagnose_into(path: Path, out: Path) -> tuple[dict[str, Any], float]:
    from rewardkit.diagnostics import diagnose, load, write

    started = time.perf_counter()
    result = diagnose(load(path))
    write(result, out)
    return result, time.perf_counter() - started


def brief(result: dict[str, Any]) -> dict[str, Any]:
    """What a results file keeps of a diagnosis: per-component figures, findings, suspect counts, opinions."""
    keep = ("weight", "mean", "std", "saturation", "zero_variance_share", "variance_share", "length_correlation", "none", "errors", "timeouts")
    return {
        "input": {k: v for k, v in result["input"].items() if k != "path"},
        "components": {n: {k: c[k] for k in keep} for n, c in result["components"].items()},
        "findings": [f["message"] for f in result["findings"]],
        "suspects": {"rows": result["suspects"]["rows"], "counts": result["suspects"]["counts"],
                     "top": [{"row": s["row"], "step": s["step"], "reasons": s["reasons"]} for s in result["suspects"]["top"][:8]]},
        "second_opinions": {n: {k: v for k, v in o.items() if k != "disagreements"} | {
            "disagreements": [{k: d[k] for k in ("row", "reward", "second_opinion", "answer", "gold")} for d in o["disagreements"][:10]]}
            for n, o in result["second_opinions"].items()},
    }


def run_summary(run: Path) -> dict[str, Any] | None:
    """The run's own record (summary.json): steps, times, first and last means."""
    path = run / "summary.json"
    if not path.is_file():
        return None
    summary = json.loads(path.read_text())
    return {k: summary.get(k) for k in ("steps", "train_seconds", "wall_seconds", "rewards", "first_last")}


def copied_answers(result: dict[str, Any]) -> dict[str, dict[str, int]]:
    """The answers flagged as copied from the prompt, counted per extractor that read them."""
    found: dict[str, Counter] = {}
    for suspect in result["suspects"]["all"]:
        for kind, reason in zip(suspect["kinds"], suspect["reasons"]):
            m = re.match(r"answer '(.*)' \(read by (\w+)\)", reason)
            if kind == "answer_from_prompt" and m:
                found.setdefault(m.group(2), Counter())[m.group(1)] += 1
    return {by: dict(c.most_common()) for by, c in found.items()}


def markdown(results: dict[str, Any]) -> str:
    corpus = results["gsm8k_corpus"]
    lines = [
        "# `rewardkit diagnose` benchmark", "",
        f"Run {results['date']} with `python bench/diagnose_bench.py{' --run ' + results['run']['path'] if results.get('run') else ''}` "
        f"on {results['machine']} ({results['cpus']} CPUs, load average {results['load_before']} before). "
        "The machine was shared with other jobs: timings are wall-clock under that contention.", "",
        "## Planted problems in a scored GSM8K corpus", "",
        f"{corpus['problems']} GSM8K test problems × {GROUP} completions = {corpus['rows']} rows, scored with the `gsm8k` "
        f"preset in {corpus['score_seconds']:.1f} s and diagnosed in {corpus['diagnose_seconds']:.1f} s "
        "(figures, suspects, the math-verify second opinion, plots and report).", "",
        "| check | planted | found | recall | flags | precision |", "| --- | --- | --- | --- | --- | --- |",
    ]
    for kind, d in corpus["detection"]["per_check"].items():
        recall = "–" if d["recall"] is None else f"{d['recall']:.0%}"
        precision = "–" if d["precision"] is None else f"{d['precision']:.0%}"
        lines.append(f"| {kind} | {d['planted']} | {d['found']} | {recall} | {d['flags']} | {precision} |")
    det = corpus["detection"]
    lines += ["", f"Clean rows flagged: {det['clean_rows_flagged']} of {det['clean_rows']} ({det['flags_on_clean_rows'] or 'none'}). "
              "Every flag that is not its row's planted problem, with the reason it gives:", ""]
    lines += [f"- row {o['row']} (planted: {o['planted'] or 'nothing'}): {o['kind']}: {o['reason']}" for o in det["other_flags"]]
    for name, o in corpus["diagnosis"]["second_opinions"].items():
        lines.append(f"Second opinion on `{name}`: {o['agree']} of {o['judged']} agree, {len(o['disagreements'])} listed disagreements "
                     f"({o['no_opinion']} without a verdict).")
    lines += ["", "Findings:", ""] + [f"- {f}" for f in corpus["diagnosis"]["findings"]]
    lines += ["", f"Browser check: {corpus['browser']}", ""]
    if results.get("run"):
        run = results["run"]
        d = run["diagnosis"]
        trained = run["summary"] or {}
        means = (trained.get("first_last") or {}).get("components", {}).get("total", {})
        lines += ["## A training run", "", f"`{run['path']}` ({d['input']['rows']} logged completions, "
                  f"{d['input']['groups_of_two_or_more']} prompt groups), diagnosed in {run['diagnose_seconds']:.1f} s. "
                  f"The run: {trained.get('steps')} steps, {trained.get('train_seconds')} s of training (its summary.json); "
                  f"mean total reward {means.get('first')} over its first steps, {means.get('last')} over its last.", "",
                  "| component | weight | mean | at max | no-signal groups | variance share | r(length) |",
                  "| --- | --- | --- | --- | --- | --- | --- |"]
        for n, c in d["components"].items():
            lines.append(f"| {n} | {c['weight']:g} | {_f(c['mean'])} | {_p(c['saturation'])} | {_p(c['zero_variance_share'])} | "
                         f"{_p(c['variance_share'])} | {_f(c['length_correlation'])} |")
        lines += ["", "Findings and flags:", ""] + [f"- {f}" for f in d["findings"]]
        lines += ["", f"Suspects: {d['suspects']['rows']} rows ({', '.join(f'{k} {n}' for k, n in d['suspects']['counts'].items() if n) or 'none'})."]
        for by, answers in run["copied_answers"].items():
            lines.append(f"Answers copied from the prompt, read by `{by}`: {sum(answers.values())} ({answers}).")
        cut = {s: v for s, v in run["truncated_share_per_step"].items() if v is not None}
        lines.append("Share cut at the length limit per step: " + ", ".join(f"{s}: {v:.0%}" for s, v in cut.items()) + ".")
        for name, o in d["second_opinions"].items():
            lines.append(f"Second opinion on `{name}`: {o['agree']} of {o['judged']} agree.")
        lines += ["", f"Browser check: {run['browser']}", ""]
    return "\n".join(lines) + "\n"


def _f(v: float | None) -> str:
    return "–" if v is None else f"{v:.3g}"


def _p(v: float | None) -> str:
    return "–" if v is None else f"{v:.0%}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=Path(os.environ.get("REWARDKIT_SHARED_DATA", REPO.parent / "shared" / "data")))
    parser.add_argument("--problems", type=int, default=60, help="GSM8K problems (x 8 completions)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--run", type=Path, help="a training run directory to diagnose too")
    parser.add_argument("--work", type=Path, default=REPO / "runs" / "diagnose-bench", help="scratch directory")
    parser.add_argument("--docs", action="store_true", help="copy the run's report and screenshot to docs/diagnostics/")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "diagnose_bench.json")
    args = parser.parse_args(argv)

    args.work.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {
        "date": dt.date.today().isoformat(), "machine": platform.platform(), "cpus": os.cpu_count(),
        "python": platform.python_version(), "load_before": [round(x, 2) for x in os.getloadavg()],
    }
    rows = build_corpus(args.data, args.problems, args.seed)
    scored = args.work / "gsm8k_scored.jsonl"
    score_seconds = score_corpus(rows, scored)
    result, seconds = diagnose_into(scored, args.work / "gsm8k")
    results["gsm8k_corpus"] = {
        "problems": args.problems, "rows": len(rows), "seed": args.seed, "score_seconds": round(score_seconds, 1),
        "diagnose_seconds": round(seconds, 1), "detection": detection(rows, result), "diagnosis": brief(result),
        "browser": browser_check(args.work / "gsm8k" / "report.html", args.work / "gsm8k_report.png"),
    }
    print(json.dumps(results["gsm8k_corpus"]["detection"]["per_check"], indent=1), flush=True)
    if args.run:
        result, seconds = diagnose_into(args.run, args.work / "run")
        png = args.work / "run_report.png"
        curves = result["training"]["curves"]
        results["run"] = {"path": str(args.run), "diagnose_seconds": round(seconds, 1), "diagnosis": brief(result),
                          "copied_answers": copied_answers(result), "summary": run_summary(args.run),
                          "truncated_share_per_step": dict(zip(curves["steps"], curves["truncated_share"])),
                          "browser": browser_check(args.work / "run" / "report.html", png)}
        if args.docs:
            docs = REPO / "docs" / "diagnostics"
            docs.mkdir(parents=True, exist_ok=True)
            shutil.copy(args.work / "run" / "report.html", docs / "default_run_report.html")
            if png.is_file():
                shutil.copy(png, docs / "default_run_report.png")
    results["load_after"] = [round(x, 2) for x in os.getloadavg()]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    args.out.with_suffix(".md").write_text(markdown(results), encoding="utf-8")
    print(markdown(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
