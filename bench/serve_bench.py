"""Benchmark of ``rewardkit serve`` against in-process scoring, and of rewardkit inside verl's reward managers.

One command, one run, one machine:

- workloads: 64-completion batches from ``math_bench``'s corpus (real GSM8K test and MATH-500
  problems, completions of known truth): the ``gsm8k`` preset on GSM8K completions, and
  ``math_correctness`` on MATH-500 completions with its verdict cache off (``cache_size: 0``), so
  every LaTeX pair is sent to the verifier pool on every pass rather than answered from memory;
- in-process: ``Composition.score`` on the same batches, one caller, for --seconds, before and
  after the server runs (the mean is the baseline: the machine's load drifts);
- served: ``rewardkit serve`` (a real subprocess, ``--workers 1`` and ``2``) with 1, 8 and 32
  concurrent clients, each on its own keep-alive connection, each sending pre-encoded batches
  back to back for --seconds: completions per second, and p50/p99 latency of one request. Before
  timing, every batch is sent once and its reply checked against in-process scoring, then 8
  clients send batches for --seconds more, untimed: pool start-up, imports and the workers' parse
  caches are warm in every server process (in-process gets the same: a pass, then --seconds untimed);
- verl: verl's own reward managers (PyPI verl in ``.ci-venvs/verl``, built by ``.ci/verl-venv`` if
  missing) score the same GSM8K and MATH-500 completions with rewardkit
  (``rewardkit.integrations.verl``) and with verl's ``gsm8k``/``math`` scorers, each timed on a
  warm second pass; agreement between the two and with the known truth.

The clients run on the same machine as the server and take CPU from it. Results go to
``bench/results/serve_bench.json`` and ``.md``, and the table into ``docs/scaling.md`` (between
the ``serve-bench`` markers). Run: ``python bench/serve_bench.py`` (about 6 minutes on 2 cores;
``--help`` for sizes, ``--skip-verl``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
for folder in (REPO / "bench", REPO / "tests"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

from math_bench import BATCH, build_corpus, machine, run_line, write_between_markers  # noqa: E402

CLIENTS = (1, 8, 32)
SERVER_WORKERS = (1, 2)
MATH_SPEC = {"rewards": [{"name": "math_correctness", "params": {"cache_size": 0}}]}

# -- workloads ----------------------------------------------------------------------------------


def workloads(corpus: list[dict[str, Any]], folder: Path) -> dict[str, dict[str, Any]]:
    """Per workload: the composition (a preset name or a YAML file, for the server too) and its batches."""
    math_yaml = folder / "math_correctness.yaml"
    math_yaml.write_text(json.dumps(MATH_SPEC))  # JSON is YAML
    out = {}
    for name, dataset, spec in (("gsm8k preset", "gsm8k", "gsm8k"), ("math_correctness", "math500", str(math_yaml))):
        items = [c for c in corpus if c["dataset"] == dataset]
        batches = [
            {"completions": [c["completion"] for c in items[i : i + BATCH]], "answer": [c["answer"] for c in items[i : i + BATCH]]}
            for i in range(0, len(items) - BATCH + 1, BATCH)
        ]
        out[name] = {"dataset": dataset, "spec": spec, "batches": batches}
    return out


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def summary(latencies: list[float], completions: int, seconds: float, errors: int = 0) -> dict[str, Any]:
    return {
        "requests": len(latencies),
        "completions": completions,
        "seconds": round(seconds, 3),
        "completions_per_second": completions / seconds,
        "p50_ms": 1000 * percentile(latencies, 0.50),
        "p99_ms": 1000 * percentile(latencies, 0.99),
        "errors": errors,
    }


# -- in-process ---------------------------------------------------------------------------------


def in_process(spec: str, batches: list[dict[str, Any]], seconds: float) -> tuple[dict[str, Any], list[list]]:
    """One caller scoring the batches back to back; also the totals, to check the server's replies."""
    from rewardkit.composition_loader import load_composition

    composition = load_composition(spec)
    totals = [composition.score(b["completions"], answer=b["answer"]).total for b in batches]
    score_for(composition, batches, seconds)  # warm-up, as the server gets: pool, imports, the workers' parse caches
    latencies, done, elapsed = score_for(composition, batches, seconds)
    return summary(latencies, done, elapsed), totals


def score_for(composition: Any, batches: list[dict[str, Any]], seconds: float) -> tuple[list[float], int, float]:
    """Score the batches back to back for ``seconds``: latencies, completions scored, elapsed seconds."""
    latencies: list[float] = []
    done = 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        batch = batches[len(latencies) % len(batches)]
        t = time.perf_counter()
        composition.score(batch["completions"], answer=batch["answer"])
        latencies.append(time.perf_counter() - t)
        done += len(batch["completions"])
    return latencies, done, time.perf_counter() - start


# -- served -------------------------------------------------------------------------------------


def post(conn: http.client.HTTPConnection, body: bytes) -> tuple[int, bytes]:
    conn.request("POST", "/score", body=body, headers={"Content-Type": "application/json"})
    response = conn.getresponse()
    return response.status, response.read()


def load(url: str, bodies: list[bytes], sizes: list[int], clients: int, seconds: float) -> dict[str, Any]:
    """``clients`` threads, one keep-alive connection each, sending bodies back to back for ``seconds``."""
    host, port = url.removeprefix("http://").split(":")
    lock = threading.Lock()
    latencies: list[float] = []
    state = {"next": 0, "completions": 0, "errors": 0, "last": 0.0}
    start = time.perf_counter()
    deadline = start + seconds

    def client() -> None:
        conn = http.client.HTTPConnection(host, int(port), timeout=300)
        while time.perf_counter() < deadline:
            with lock:
                i = state["next"] % len(bodies)
                state["next"] += 1
            t = time.perf_counter()
            status, _ = post(conn, bodies[i])
            end = time.perf_counter()
            with lock:
                latencies.append(end - t)
                state["last"] = max(state["last"], end)
                if status == 200:
                    state["completions"] += sizes[i]
                else:
                    state["errors"] += 1
        conn.close()

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return summary(latencies, state["completions"], state["last"] - start, state["errors"])


def served(spec: str, batches: list[dict[str, Any]], totals: list[list], workers: int, seconds: float) -> dict[str, Any]:
    from _servers import serve_command

    bodies = [json.dumps(b).encode() for b in batches]
    sizes = [len(b["completions"]) for b in batches]
    with serve_command(spec, "--workers", str(workers), "--no-access-log") as (url, _):
        host, port = url.removeprefix("http://").split(":")
        conn = http.client.HTTPConnection(host, int(port), timeout=300)
        for body, expected in zip(bodies, totals):
            status, raw = post(conn, body)
            if status != 200 or json.loads(raw)["total"] != expected:
                raise SystemExit(f"the server's reply differs from in-process scoring: {status} {raw[:300]!r}")
        conn.close()
        load(url, bodies, sizes, 8, seconds)  # a second pass or more, untimed: every server process warm
        return {str(c): load(url, bodies, sizes, c, seconds) for c in CLIENTS}


# -- verl ---------------------------------------------------------------------------------------


def verl_specs(corpus: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per dataset, the driver's batch: prompts, responses, verl-style ground truths, truth, kinds.

    verl's gsm8k scorer reads only ``#### <number>`` answers, so GSM8K gets those too: every
    completion of the corpus in the XML format is also written as ``<reasoning>\\n#### <answer>``
    (kind ``<kind> as ####``).
    """
    specs: dict[str, dict[str, Any]] = {}
    for dataset, source in (("gsm8k", "openai/gsm8k"), ("math500", "HuggingFaceH4/MATH-500")):
        rows = []
        for c in corpus:
            if c["dataset"] != dataset:
                continue
            if dataset == "gsm8k":
                gold = c["answer"].rsplit("####", 1)[1].strip().replace(",", "")  # what verl's preprocessing keeps
                rows.append((c["kind"], c["completion"], gold, c["truth"]))
                found = re.fullmatch(r"<reasoning>\n(.*)\n</reasoning>\n<answer>\n(.*)\n</answer>\n", c["completion"], re.S)
                if found:
                    rows.append((f"{c['kind']} as ####", f"{found[1]}\n#### {found[2]}", gold, c["truth"]))
            else:
                rows.append((c["kind"], c["completion"], c["answer"], c["truth"]))
        specs[dataset] = {
            "prompts": ["Solve the problem."] * len(rows),
            "responses": [r[1] for r in rows],
            "ground_truths": [r[2] for r in rows],
            "data_sources": [source] * len(rows),
            "kinds": [r[0] for r in rows],
            "truth": [r[3] for r in rows],
        }
    return specs


VERL_RUNS = {
    "rewardkit math_correctness, reward-loop manager (per sample)": {
        "manager": "reward_loop", "function": "compute_score", "reward_kwargs": {"composition": MATH_SPEC}},
    "rewardkit math_correctness, batch manager": {
        "manager": "batch", "function": "compute_score_batch", "reward_kwargs": {"composition": MATH_SPEC}},
    "rewardkit gsm8k preset, reward-loop manager (per sample)": {
        "manager": "reward_loop", "function": "compute_score", "reward_kwargs": {"composition": "gsm8k"}},
    "verl's own scorer, reward-loop manager (per sample)": {"manager": "reward_loop", "function": None},
    "verl's own scorer, legacy naive manager": {"manager": "naive", "function": None},
}  # fmt: skip
REWARDKIT_RUN = "rewardkit math_correctness, reward-loop manager (per sample)"
VERL_RUN = "verl's own scorer, reward-loop manager (per sample)"


def verl_bench(corpus: list[dict[str, Any]], venv: Path, folder: Path) -> dict[str, Any]:
    python = venv / "bin" / "python"
    if not python.exists():
        print(f"building verl's environment in {venv} ...", flush=True)
        subprocess.run(["bash", str(REPO / ".ci" / "verl-venv"), str(venv)], check=True)
    report: dict[str, Any] = {}
    for dataset, spec in verl_specs(corpus).items():
        runs = [{**run, "repeat": 2} for run in VERL_RUNS.values()]
        (folder / "verl_spec.json").write_text(json.dumps({**spec, "runs": runs}))
        done = subprocess.run(
            [str(python), str(REPO / "tests" / "_verl_driver.py"), str(folder / "verl_spec.json"), str(folder / "verl_out.json")],
            capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(REPO / "tests")},
        )  # fmt: skip
        if done.returncode != 0:
            raise SystemExit(f"the verl driver failed:\n{done.stderr[-3000:]}")
        out = json.loads((folder / "verl_out.json").read_text())
        n = len(spec["responses"])
        results = dict(zip(VERL_RUNS, out["runs"]))
        ours = [v > 0 for v in results[REWARDKIT_RUN]["extra"]["math_correctness"]]
        theirs = [v > 0 for v in results[VERL_RUN]["at_last_token"]]
        truth = spec["truth"]
        by_kind: dict[str, dict[str, int]] = {}
        for kind, a, b, t in zip(spec["kinds"], ours, theirs, truth):
            entry = by_kind.setdefault(kind, {"n": 0, "agree": 0, "rewardkit_right": 0, "verl_right": 0})
            entry["n"] += 1
            entry["agree"] += a == b
            entry["rewardkit_right"] += a == t
            entry["verl_right"] += b == t
        report[dataset] = {
            "verl": out["verl"],
            "completions": n,
            "per_second": {name: n / r["seconds"] for name, r in results.items()},
            "agreement": sum(a == b for a, b in zip(ours, theirs)) / n,
            "rewardkit_matches_truth": sum(a == t for a, t in zip(ours, truth)) / n,
            "verl_matches_truth": sum(b == t for b, t in zip(theirs, truth)) / n,
            "by_kind": by_kind,
        }
        print(f"verl {dataset}: " + ", ".join(f"{k}: {v:,.0f}/s" for k, v in report[dataset]["per_second"].items()), flush=True)
    return report


# -- report -------------------------------------------------------------------------------------


def table(report: dict[str, Any]) -> str:
    """The results in markdown: the served and in-process table, the target, the verl comparison."""
    m = report["machine"]
    lines = [
        f"{run_line(report, ('sympy', 'math_verify'))}; batches of "
        f"{report['batch_size']} completions, {report['seconds']:g} s per measurement. Shared machine (other jobs "
        f"running, load average {m['load_average_at_start'][0]:.1f} at start, {m['load_average_at_end'][0]:.1f} at "
        "end), and the load-generating clients run on the same 2 cores as the server: figures are indicative.",
        "",
        "| workload | where | clients | completions/s | p50 ms | p99 ms | share of in-process |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, w in report["workloads"].items():
        base = w["in_process"]["completions_per_second"]
        lines.append(
            f"| {name} | in-process (mean of before and after: {w['in_process']['before']['completions_per_second']:,.0f}, "
            f"{w['in_process']['after']['completions_per_second']:,.0f}) | 1 | {base:,.0f} | {w['in_process']['p50_ms']:.1f} | "
            f"{w['in_process']['p99_ms']:.1f} | 100% |"
        )
        for workers, cells in w["served"].items():
            for clients, r in cells.items():
                lines.append(
                    f"| {name} | serve --workers {workers} | {clients} | {r['completions_per_second']:,.0f} | "
                    f"{r['p50_ms']:.1f} | {r['p99_ms']:.1f} | {r['completions_per_second'] / base:.0%} |"
                )
    t = report["target"]
    lines += [
        "",
        f"Target: with 8 clients the server keeps at least a quarter of in-process throughput on the gsm8k "
        f"preset: {t['share']:.0%} ({t['served_8_clients']:,.0f} vs {t['in_process']:,.0f} completions/s, "
        f"--workers {t['workers']}) — {'met' if t['met'] else 'not met'}.",
    ]
    if report.get("verl"):
        lines += ["", "verl's reward managers (verl " + next(iter(report["verl"].values()))["verl"] + "), same completions, warm second pass:", ""]
        lines += ["| scorer, manager | GSM8K /s | MATH-500 /s |", "| --- | ---: | ---: |"]
        g, mth = report["verl"]["gsm8k"], report["verl"]["math500"]
        for name in VERL_RUNS:
            lines.append(f"| {name} | {g['per_second'][name]:,.0f} | {mth['per_second'][name]:,.0f} |")
        lines.append(
            "\nThe math_correctness runs have the verdict cache off, like the workloads above; the gsm8k preset "
            "keeps its (on by default), so on the warm pass its LaTeX verdicts come from memory."
        )
        for label, d in (("GSM8K", g), ("MATH-500", mth)):
            split = "; ".join(
                f"{kind}: rewardkit right on {k['rewardkit_right']}/{k['n']}, verl on {k['verl_right']}/{k['n']}"
                for kind, k in d["by_kind"].items()
                if k["agree"] < k["n"]
            )
            lines.append(
                f"\n{label} ({d['completions']} completions): rewardkit and verl agree on {d['agreement']:.1%}; "
                f"against the known truth rewardkit is right on {d['rewardkit_matches_truth']:.1%}, verl on "
                f"{d['verl_matches_truth']:.1%}. Where they disagree ({split or 'nowhere'})."
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=Path(os.environ.get("REWARDKIT_SHARED_DATA", REPO.parent / "shared" / "data")))
    parser.add_argument("--gsm8k", type=int, default=150, help="GSM8K questions (7 completions each)")
    parser.add_argument("--math", type=int, default=485, help="MATH-500 problems (3-4 completions each)")
    parser.add_argument("--seconds", type=float, default=8.0, help="length of each measurement")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--skip-verl", action="store_true")
    parser.add_argument("--verl-venv", type=Path, default=REPO / ".ci-venvs" / "verl")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "serve_bench.json")
    parser.add_argument("--docs", default=str(REPO / "docs" / "scaling.md"), help="markdown file to update ('' to skip)")
    args = parser.parse_args(argv)
    if not (args.data / "gsm8k" / "test.jsonl").exists():
        parser.error(f"no GSM8K data under {args.data} (give the shared data folder with --data)")

    report: dict[str, Any] = {
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "machine": machine(),
        "note": "shared machine: other agents were running, and the clients share the 2 cores with the server; "
        "per-second figures are indicative",
        "batch_size": BATCH,
        "seconds": args.seconds,
        "workloads": {},
    }
    corpus, _ = build_corpus(args.data, args.gsm8k, args.math, args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for name, w in workloads(corpus, folder).items():
            before, totals = in_process(w["spec"], w["batches"], args.seconds)
            print(f"{name}: in-process {before['completions_per_second']:,.0f}/s", flush=True)
            cells = {}
            for workers in SERVER_WORKERS:
                cells[str(workers)] = served(w["spec"], w["batches"], totals, workers, args.seconds)
                for clients, r in cells[str(workers)].items():
                    print(f"{name}: --workers {workers}, {clients:>2} clients: {r['completions_per_second']:,.0f}/s "
                          f"p50 {r['p50_ms']:.1f} ms p99 {r['p99_ms']:.1f} ms", flush=True)
            # Measured again after the server runs: the machine's load drifts, the mean is the baseline.
            after, _ = in_process(w["spec"], w["batches"], args.seconds)
            print(f"{name}: in-process again {after['completions_per_second']:,.0f}/s", flush=True)
            base = {
                key: (before[key] + after[key]) / 2 for key in ("completions_per_second", "p50_ms", "p99_ms")
            }
            report["workloads"][name] = {
                "dataset": w["dataset"],
                "composition": w["spec"] if name == "gsm8k preset" else MATH_SPEC,
                "batches": len(w["batches"]),
                "in_process": {**base, "before": before, "after": after},
                "served": cells,
            }
        if not args.skip_verl:
            report["verl"] = verl_bench(corpus, args.verl_venv, folder)
    gsm = report["workloads"]["gsm8k preset"]
    best = max(SERVER_WORKERS, key=lambda w: gsm["served"][str(w)]["8"]["completions_per_second"])
    served_8 = gsm["served"][str(best)]["8"]["completions_per_second"]
    share = served_8 / gsm["in_process"]["completions_per_second"]
    report["target"] = {"workers": best, "served_8_clients": served_8, "in_process": gsm["in_process"]["completions_per_second"],
                        "share": share, "met": share >= 0.25}  # fmt: skip
    report["machine"]["load_average_at_end"] = os.getloadavg()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    text = table(report)
    args.out.with_suffix(".md").write_text("# rewardkit serve benchmark\n\n" + text + "\n")
    print(f"wrote {args.out} and {args.out.with_suffix('.md')}")
    if str(args.docs):
        write_between_markers(Path(args.docs), "serve-bench", text)
        print(f"updated {args.docs}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
