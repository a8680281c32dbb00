"""Timings of the second hardening round: alias bombs refused, and a time budget per batch.

- alias bombs: ``rewardkit check`` (a real subprocess: wall time and peak memory) on a composition
  whose ``weights`` value is a bomb of 7, 9, 12 and 40 levels of 9 aliases; with ``--baseline
  REV`` (an earlier commit, e.g. the one before this round) the same for 6 and 7 levels with that
  commit's code, which expands them. In-process: refusing a Python mapping
  that shares one list 9 ways per level, and what the size check costs an ordinary composition
  of 10,000 entries;
- a budget per batch: n distinct answers that each run to the time limit (power towers) scored by
  ``math_correctness`` with 2 workers and ``timeout`` 1 s, without a budget and with one: the
  batch's wall time, the verifications run to their limit and cut by the budget, and how long an
  ordinary batch sent right after it waits (is the pool free?). In-process with 64 answers (no
  budget, 5 s) and 4,096 (the default 60 s); through ``rewardkit serve`` with 80 (no budget, 5 s).

Writes ``bench/results/hardening_bench.json`` and ``.md``. Run: ``python bench/hardening_bench.py``
(about 6 minutes on 2 cores; ``--quick`` leaves out the 4,096-answer batch).
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import json
import os
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

from _hostile import alias_bomb_composition, power_towers, shared_bomb  # noqa: E402
from _servers import request, serve_command  # noqa: E402
from math_bench import machine, run_line  # noqa: E402

BOMB_LEVELS = (7, 9, 12, 40)
BASELINE_LEVELS = (6, 7)
WORKERS = 2
TIMEOUT = 1.0
ORDINARY = [(f"\\boxed{{(x+{i})^2}}", f"x^2 + {2 * i}x + {i * i}") for i in range(1, 9)]  # need sympy: the pool


# -- alias bombs ---------------------------------------------------------------------------------


def check_command(path: Path, pythonpath: str | None = None) -> dict[str, Any]:
    """``rewardkit check PATH`` in a fresh process: exit status, wall seconds, peak memory, stderr size."""
    env = {**os.environ, **({"PYTHONPATH": pythonpath} if pythonpath else {})}
    start = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "rewardkit.cli", "check", str(path)], env=env, stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE, cwd=path.parent,  # not the checkout: it would come before PYTHONPATH
    )  # fmt: skip
    err = process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    return {
        "exit": process.returncode,
        "seconds": round(time.perf_counter() - start, 3),
        "peak_mb": round(usage.ru_maxrss / 1024, 1),
        "stderr_chars": len(err),
        "stderr_start": err[:160].decode("utf-8", "replace"),
    }


def baseline_tree(rev: str, folder: Path) -> Path:
    """The source of commit ``rev`` laid out as the installed package is (its plugins and trainers
    inside ``rewardkit``), to put first on ``PYTHONPATH``."""
    tree = folder / "baseline"
    tree.mkdir()
    archive = subprocess.run(["git", "-C", str(REPO), "archive", rev], capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
    (tree / "rewardkit" / "plugins").symlink_to(tree / "plugins" / "builtin")
    (tree / "rewardkit" / "trainers").symlink_to(tree / "trainers")
    return tree


def bombs(folder: Path, baseline: Path | None) -> dict[str, Any]:
    from rewardkit import ConfigError, load_composition
    from rewardkit.config_size import check_config_size

    out: dict[str, Any] = {"check": {}, "baseline": {}}
    preset = folder / "preset.yaml"
    preset.write_text("extends: gsm8k\n")
    out["check"][0] = check_command(preset)  # no bomb: what starting the command costs
    for levels in BOMB_LEVELS:
        path = folder / f"bomb{levels}.yaml"
        path.write_text(alias_bomb_composition(levels, "weights"))
        out["check"][levels] = check_command(path)
    if baseline is not None:
        for levels in BASELINE_LEVELS:
            path = folder / f"bomb{levels}.yaml"
            path.write_text(alias_bomb_composition(levels, "weights"))
            out["baseline"][levels] = check_command(path, str(baseline))
    load_composition("gsm8k")  # the registry is loaded
    spec = {"extends": "gsm8k", "weights": {"xml_count": shared_bomb(40)}}
    start = time.perf_counter()
    try:
        load_composition(spec)
    except ConfigError:
        pass
    out["mapping_refused_seconds"] = round(time.perf_counter() - start, 6)
    entries = [{"name": "length_target", "alias": f"l{i}", "params": {"ideal": i + 1}} for i in range(10_000)]
    start = time.perf_counter()
    values = check_config_size(entries, "bench")
    out["ordinary"] = {"entries": len(entries), "values": values, "check_seconds": round(time.perf_counter() - start, 4)}
    start = time.perf_counter()
    load_composition(entries)
    out["ordinary"]["load_seconds"] = round(time.perf_counter() - start, 3)
    return out


# -- a budget per batch ----------------------------------------------------------------------------


def in_process(n: int, deadline: float | None) -> dict[str, Any]:
    """n slow answers scored in a thread; an ordinary batch sent once they are queued in the pool."""
    from rewardkit.plugins.math import MathCorrectness
    from rewardkit.pool import shared_pools

    slow = MathCorrectness(workers=WORKERS, timeout=TIMEOUT, deadline=deadline, cache_size=0)
    ordinary = MathCorrectness(workers=WORKERS, timeout=TIMEOUT, cache_size=0)
    ordinary([ORDINARY[0][0]], answer=[ORDINARY[0][1]])  # the pool is started and warm
    before = sum((p.stats for p in shared_pools()), start=collections.Counter())
    result: dict[str, Any] = {}

    def run_slow() -> None:
        start = time.perf_counter()
        out = slow.evaluate(power_towers(n), answer=golds(n))
        result["batch_seconds"] = round(time.perf_counter() - start, 2)
        result["timeouts"], result["deadline_missed"] = out.metrics["timeouts"], out.metrics["deadline_missed"]

    thread = threading.Thread(target=run_slow)
    thread.start()
    while sum(p.stats["tasks"] for p in shared_pools()) < before["tasks"] + n:
        time.sleep(0.01)
    start = time.perf_counter()
    scores = ordinary([c for c, _ in ORDINARY], answer=[g for _, g in ORDINARY])
    result["ordinary_wait_seconds"] = round(time.perf_counter() - start, 2)
    result["ordinary_right"] = sum(s == 1.0 for s in scores)
    thread.join()
    after = sum((p.stats for p in shared_pools()), start=collections.Counter())
    result["pool_restarts"] = after["restarts"] - before["restarts"]
    return {"answers": n, "deadline": deadline, **result}


def golds(n: int) -> list[str]:
    """A different gold for each slow answer (a batch of many prompts): each is its own affinity group."""
    return [str(k) for k in range(n)]


def served(folder: Path, n: int, deadline: float | None) -> dict[str, Any]:
    """The same through ``rewardkit serve``: one request of n slow answers, one ordinary request 1 s later."""
    spec = folder / f"math_{deadline}.yaml"
    params = {"workers": WORKERS, "timeout": TIMEOUT, "deadline": deadline, "cache_size": 0}
    spec.write_text(json.dumps({"rewards": [{"name": "math_correctness", "params": params}]}))  # JSON is YAML
    result: dict[str, Any] = {"answers": n, "deadline": deadline}
    with serve_command(str(spec), "--no-access-log") as (url, _):
        request(url + "/score", {"completions": [ORDINARY[0][0]], "answer": [ORDINARY[0][1]]}, timeout=120)  # warm
        slow_body = {"completions": power_towers(n), "answer": golds(n)}

        def run_slow() -> None:
            start = time.perf_counter()
            status, reply = request(url + "/score", slow_body, timeout=600)
            result["batch_seconds"] = round(time.perf_counter() - start, 2)
            result["status"] = status
            result["timeouts"] = reply["metrics"]["math_correctness"]["timeouts"]
            result["deadline_missed"] = reply["metrics"]["math_correctness"]["deadline_missed"]

        thread = threading.Thread(target=run_slow)
        thread.start()
        time.sleep(1.0)  # the slow request is read and queued
        start = time.perf_counter()
        _, reply = request(url + "/score", {"completions": [c for c, _ in ORDINARY], "answer": [g for _, g in ORDINARY]}, timeout=600)
        result["ordinary_wait_seconds"] = round(time.perf_counter() - start, 2)
        result["ordinary_right"] = sum(s == 1.0 for s in reply["total"])
        thread.join()
    return result


# -- the report ------------------------------------------------------------------------------------


def markdown(report: dict[str, Any]) -> str:
    m = report["machine"]
    b = report["bombs"]
    lines = [
        "# Hardening, round two: alias bombs and a time budget per batch",
        "",
        f"{run_line(report, ('sympy', 'math_verify'))}; commit {report['commit']}. Shared machine (other jobs "
        f"running, load average {m['load_average_at_start'][0]:.1f} at start, {report['load_average_at_end'][0]:.1f} "
        "at end): times are indicative.",
        "",
        "## Alias bombs",
        "",
        "`rewardkit check` on a composition whose `weights` value is a bomb of L levels of 9 aliases "
        "(9^L values once expanded), each in a fresh process:",
        "",
        "| code | levels | values expanded | exit | wall s | peak MB | stderr characters |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for code, runs in (("this commit", b["check"]), (f"baseline {report['baseline']}", b["baseline"])):
        for levels, r in sorted(runs.items(), key=lambda kv: int(kv[0])):
            expanded = "no bomb" if int(levels) == 0 else f"{9 ** int(levels):.2e}" if int(levels) > 9 else f"{9 ** int(levels):,}"
            lines.append(
                f"| {code} | {levels} | {expanded} | {r['exit']} | {r['seconds']:.2f} | {r['peak_mb']:.0f} | "
                f"{r['stderr_chars']:,} |"
            )
    o = b["ordinary"]
    lines += [
        "",
        f"In-process: a Python mapping sharing one list 9 ways on each of 40 levels is refused in "
        f"{b['mapping_refused_seconds'] * 1000:.2f} ms. Level 0 is `extends: gsm8k` without a bomb: starting the command. The size check of an ordinary composition of "
        f"{o['entries']:,} entries ({o['values']:,} values) takes {o['check_seconds'] * 1000:.0f} ms, of "
        f"{o['load_seconds']:.2f} s to load it.",
        "",
        "## A time budget per batch",
        "",
        f"n distinct answers that each run to the limit (power towers), `math_correctness` with {WORKERS} workers "
        f"and `timeout` {TIMEOUT:g} s, each with its own gold; an ordinary batch of {len(ORDINARY)} answers that "
        "need sympy is sent once the slow one is queued (through `serve`: 1 s after it).",
        "",
        "| where | answers | deadline | slow batch s | ran to the limit | cut by the budget | ordinary batch waited s | ordinary right |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for where, runs in (("in-process", report["in_process"]), ("rewardkit serve", report["served"])):
        for r in runs:
            budget = "none" if r["deadline"] is None else f"{r['deadline']:g} s"
            lines.append(
                f"| {where} | {r['answers']:,} | {budget} | {r['batch_seconds']:.1f} | {r['timeouts']:.0f} | "
                f"{r['deadline_missed']:.0f} | {r['ordinary_wait_seconds']:.1f} | {r['ordinary_right']}/{len(ORDINARY)} |"
            )
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--baseline", help="an earlier commit, to time how its code handles the smaller bombs")
    parser.add_argument("--quick", action="store_true", help="leave out the 4,096-answer batch")
    args = parser.parse_args()
    os.environ["REWARDKIT_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    commit = subprocess.run(["git", "-C", str(REPO), "describe", "--always", "--dirty"], capture_output=True, text=True)
    report: dict[str, Any] = {
        "date": dt.datetime.now().isoformat(timespec="seconds"),
        "commit": commit.stdout.strip(),
        "machine": machine(),
    }
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        report["baseline"] = args.baseline
        report["bombs"] = bombs(folder, baseline_tree(args.baseline, folder) if args.baseline else None)
        print(json.dumps(report["bombs"], indent=1), flush=True)
        cases = [(64, None), (64, 5.0)] + ([] if args.quick else [(4096, 60.0)])
        report["in_process"] = []
        for n, budget in cases:
            report["in_process"].append(in_process(n, budget))
            print(report["in_process"][-1], flush=True)
        report["served"] = []
        for n, budget in ((80, None), (80, 5.0)):
            report["served"].append(served(folder, n, budget))
            print(report["served"][-1], flush=True)
    report["load_average_at_end"] = os.getloadavg()
    out = REPO / "bench" / "results"
    (out / "hardening_bench.json").write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    (out / "hardening_bench.md").write_text(markdown(report), encoding="utf-8")
    print(f"wrote {out / 'hardening_bench.json'} and .md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
