"""Scoring a large file: `rewardkit score` locally, on Ray with 1 and 2 actors, and `datasets.map`.

One command, re-runnable on a quiet machine: ``python bench/scale_bench.py`` (``--rows`` to
change the 200,000). Workloads, each the same rows through every path:

- the ``gsm8k`` preset on GSM8K completions (``math_bench``'s corpus: 7 kinds of answer per test
  question, right and wrong), repeated to ``--rows`` rows;
- ``math_correctness`` (verdict cache off, as in ``serve_bench``) on MATH-500-style completions
  (the solutions, "The final answer is", ``\\dfrac`` and wrong variants), repeated the same way.

Paths: ``rewardkit score DATA --out FILE`` (one process, its verifier pool on both cores);
``--ray --actors 1 --actor-cpus 2`` and ``--ray --actors 2 --actor-cpus 1`` (a cluster started
for the run on 127.0.0.1); ``datasets.Dataset.map(batched=True, num_proc=2)`` calling the same
composition (one per process, a verifier per process). Each is timed end to end as a user runs
it (process start, Ray's cluster and actors, reading, scoring, writing); Ray's start-up is
measured on a 64-row input and its per-row overhead is what remains over the local run. Every
path's totals are compared with the local run's. Then a run with 1% of answers hanging (power
towers that run to the verifier's 1-second limit) on Ray with 2 actors, which must finish with
every row. Load averages are recorded before and after each measurement: on a shared machine the
figures are indicative.

Writes ``bench/results/scale_bench.json`` and ``.md`` and the table in ``docs/scaling.md``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
for folder in (REPO / "bench", REPO / "tests"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

from _hostile import power_towers  # noqa: E402
from math_bench import build_corpus, machine, write_between_markers  # noqa: E402

MATH_SPEC = {"rewards": [{"name": "math_correctness", "params": {"cache_size": 0}}]}
RK = [sys.executable, "-m", "rewardkit.cli", "score"]
CORES = os.cpu_count() or 1
PATHS = {
    "local": [],
    "ray, 1 actor": ["--ray", "--actors", "1", "--actor-cpus", str(CORES)],
    "ray, 2 actors": ["--ray", "--actors", "2", "--actor-cpus", str(max(1, CORES // 2))],
}
DATASETS_MAP = """
import json, os, sys
os.environ["REWARDKIT_POOL_SIZE"] = "1"  # each of the 2 processes: one verifier, its share of the cores
import datasets
from rewardkit.composition_loader import shared_composition
spec, data, out = sys.argv[1], sys.argv[2], sys.argv[3]
spec = json.loads(spec) if spec.startswith("{") else spec
def score(batch):
    scores = shared_composition(spec).score(batch["completion"], None, answer=batch["answer"])
    return {"total": scores.total}
datasets.disable_progress_bars()
rows = datasets.Dataset.from_json(data, cache_dir=out + ".cache")
scored = rows.map(score, batched=True, batch_size=64, num_proc=2, cache_file_name=out + ".cache/scored.arrow")
with open(out, "w") as handle:
    for total in scored["total"]:
        handle.write(json.dumps(total) + "\\n")
"""


def loads() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def corpora(data: Path, rows: int, seed: int) -> dict[str, list[dict[str, Any]]]:
    corpus, _ = build_corpus(data, 1319, 500, seed)
    out = {}
    for name, dataset in (("gsm8k preset", "gsm8k"), ("math_correctness", "math500")):
        items = [c for c in corpus if c["dataset"] == dataset]
        out[name] = [{"i": i, "completion": items[i % len(items)]["completion"], "answer": items[i % len(items)]["answer"]}
                     for i in range(rows)]  # fmt: skip
    return out


def write_rows(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def timed(command: list[str], env: dict[str, str]) -> dict[str, Any]:
    before = loads()
    start = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"failed: {' '.join(command)}\n{done.stderr[-3000:]}")
    return {"seconds": round(seconds, 2), "load_before": before, "load_after": loads(), "stdout": done.stdout}


def totals_of(path: Path) -> list[Any]:
    with open(path) as handle:
        return [json.loads(line)["rewardkit"]["total"] for line in handle]


def measure(name: str, spec: str, rows: list[dict[str, Any]], folder: Path, env: dict[str, str]) -> dict[str, Any]:
    data = write_rows(folder / f"{name.split()[0]}.jsonl", rows)
    tiny = write_rows(folder / f"{name.split()[0]}-tiny.jsonl", rows[:64])
    report: dict[str, Any] = {"rows": len(rows), "distinct_completions": len({r["completion"] for r in rows}), "paths": {}}
    reference = None
    for path, extra in PATHS.items():
        out = folder / f"{name.split()[0]}-{path.replace(', ', '-').replace(' ', '')}.jsonl"
        print(f"{name}: {path} ...", file=sys.stderr, flush=True)
        run = timed([*RK, spec, str(data), "--out", str(out), "--show", "0", "--progress", "0", *extra], env)
        start = timed([*RK, spec, str(tiny), "--out", str(out) + ".tiny", "--show", "0", *extra], env)
        totals = totals_of(out)
        reference = totals if reference is None else reference
        report["paths"][path] = {
            "seconds": run["seconds"], "per_s": round(len(rows) / run["seconds"], 1),
            "start_seconds": start["seconds"], "identical_to_local": totals == reference,
            "load_before": run["load_before"], "load_after": run["load_after"],
        }  # fmt: skip
        out.unlink()
    out = folder / f"{name.split()[0]}-datasets.txt"
    print(f"{name}: datasets.map(num_proc=2) ...", file=sys.stderr, flush=True)
    run = timed([sys.executable, "-c", DATASETS_MAP, spec, str(data), str(out)], env)
    totals = [json.loads(line) for line in out.read_text().splitlines()]
    report["paths"]["datasets.map(num_proc=2)"] = {
        "seconds": run["seconds"], "per_s": round(len(rows) / run["seconds"], 1),
        "identical_to_local": totals == reference, "load_before": run["load_before"], "load_after": run["load_after"],
    }  # fmt: skip
    local, ray1 = report["paths"]["local"], report["paths"]["ray, 1 actor"]
    overhead = (ray1["seconds"] - ray1["start_seconds"]) - (local["seconds"] - local["start_seconds"])
    report["ray_start_seconds"] = round(ray1["start_seconds"] - local["start_seconds"], 2)
    report["ray_overhead_us_per_row"] = round(1e6 * overhead / len(rows), 1)
    return report


def hung_run(rows: int, folder: Path, env: dict[str, str]) -> dict[str, Any]:
    """math_correctness with 1% of the answers power towers that run to the 1-second limit."""
    towers = iter(power_towers(rows // 100 + 1))
    data = []
    for i in range(rows):
        answer = next(towers) if i % 100 == 99 else str(i % 97)
        data.append({"i": i, "completion": f"So the answer is $\\boxed{{{answer}}}$.", "answer": str(i % 97)})
    path = write_rows(folder / "hung.jsonl", data)
    spec = folder / "math.yaml"
    spec.write_text(json.dumps(MATH_SPEC))
    out = folder / "hung-out.jsonl"
    print("1% hung: ray, 2 actors ...", file=sys.stderr, flush=True)
    run = timed([*RK, str(spec), str(path), "--out", str(out), "--show", "0", "--progress", "0", *PATHS["ray, 2 actors"]], env)
    written = [json.loads(line) for line in out.read_text().splitlines()]
    timeouts = next((line.split()[-1] for line in run["stdout"].splitlines() if "/timeouts" in line), "0")
    return {
        "rows": rows, "hung": rows // 100, "rows_written": len(written), "every_row_once": [r["i"] for r in written] == list(range(rows)),
        "timeouts_counted": int(float(timeouts)), "seconds": run["seconds"], "per_s": round(rows / run["seconds"], 1),
        "load_before": run["load_before"], "load_after": run["load_after"],
    }  # fmt: skip


def per_core(report: dict[str, Any]) -> dict[str, float]:
    """Completions/s per core from the 2-actor Ray run (both cores busy scoring)."""
    return {name: round(w["paths"]["ray, 2 actors"]["per_s"] / CORES, 1) for name, w in report["workloads"].items()}


def table(report: dict[str, Any]) -> str:
    m = report["machine"]
    lines = [
        f"Run {report['date']} on {m.get('cpu', '?')}, {CORES} cores, Python {m.get('python', '?')}, Ray {report['ray']}; "
        f"{report['rows']:,} rows per workload, timed end to end (process start, Ray's cluster and actors, reading, "
        "scoring, writing `--out`). Load average (1 min) before/after each run in the last column: this machine is shared.",
        "",
        "| workload | path | seconds | completions/s | same totals as local | load |",
        "| --- | --- | ---: | ---: | :---: | --- |",
    ]
    for name, w in report["workloads"].items():
        for path, r in w["paths"].items():
            same = "yes" if r["identical_to_local"] else "**no**"
            lines.append(f"| {name} | {path} | {r['seconds']:.1f} | {r['per_s']:,.0f} | {same} | {r['load_before'][0]} / {r['load_after'][0]} |")
    lines.append("")
    for name, w in report["workloads"].items():
        overhead = w["ray_overhead_us_per_row"]
        lines.append(
            f"- {name}: {w['distinct_completions']:,} distinct completions repeated; Ray's start-up (cluster and actors, "
            f"on a 64-row input, over the local command's) {w['ray_start_seconds']:.1f} s; its time per row beyond that, "
            f"1 actor vs local: {overhead:+.0f} µs" + (" (below what this run resolves: the load moved more)." if overhead < 0 else ".")
        )
    h = report["hung"]
    lines.append(
        f"- 1% hung rows: {h['rows']:,} rows of which {h['hung']} answers run to the verifier's 1-second limit, on Ray "
        f"with 2 actors: {h['rows_written']:,} rows written ({'every row once, in order' if h['every_row_once'] else 'ROWS LOST'}), "
        f"{h['timeouts_counted']} timeouts counted, {h['seconds']:.1f} s (load {h['load_before'][0]} / {h['load_after'][0]})."
    )
    rates = report["per_core"]
    lines.append(f"- Per core (Ray, 2 actors on {CORES} cores): " + ", ".join(f"{k} {v:,.0f}/s" for k, v in rates.items()) + ".")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--hung-rows", type=int, default=20_000)
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--results", type=Path, default=REPO / "bench" / "results")
    parser.add_argument("--report-only", action="store_true", help="rewrite the tables from the saved results")
    args = parser.parse_args(argv)
    if args.report_only:
        return publish(json.loads((args.results / "scale_bench.json").read_text()), args.results)
    import ray

    env = {k: v for k, v in os.environ.items() if not k.startswith("RAY_")}
    report: dict[str, Any] = {
        "date": dt.date.today().isoformat(), "machine": machine(), "ray": ray.__version__, "rows": args.rows,
        "load_start": loads(), "workloads": {},
    }  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="scale-bench-") as tmp:
        folder = Path(tmp)
        (folder / "math.yaml").write_text(json.dumps(MATH_SPEC))
        for name, rows in corpora(args.data, args.rows, args.seed).items():
            spec = "gsm8k" if name == "gsm8k preset" else str(folder / "math.yaml")
            report["workloads"][name] = measure(name, spec, rows, folder, env)
        report["hung"] = hung_run(args.hung_rows, folder, env)
    report["per_core"] = per_core(report)
    report["load_end"] = loads()
    args.results.mkdir(parents=True, exist_ok=True)
    (args.results / "scale_bench.json").write_text(json.dumps(report, indent=2) + "\n")
    return publish(report, args.results)


def publish(report: dict[str, Any], results: Path) -> int:
    text = table(report)
    (results / "scale_bench.md").write_text(text + "\n")
    write_between_markers(REPO / "docs" / "scaling.md", "scale-bench", text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
