"""Does a busy machine change a score? The reasoning-gym ``codeio`` answer that passed the 5-s
limit on a quiet machine and failed it at load average 14, scored with the worker getting all of a
CPU, a quarter of one and a tenth of one.

The load is simulated without loading the machine: a thread stops the pool's workers (SIGSTOP) and
lets them run again (SIGCONT) in cycles of 0.1 s, running them for ``share`` of each cycle, as a
busy scheduler would. Each share is scored twice: with the pool's limit on CPU time (what the pool
does), and with the limit on wall-clock time (what it does where CPU time cannot be read, and what
it did before), by making :func:`rewardkit.pool.process_cpu_seconds` answer None.

The answer: the "wrong value" completion (``bench/reasoning_gym_bench.py``'s perturbation) of the
seed-1234 ``codeio`` item whose reference verification takes the most CPU time (3.6 s on the
2-core VM; ``score_answer`` gives it 0.963).

Run::

    python bench/pool_load_bench.py [--shares 1,0.25,0.1]

Writes ``bench/results/pool_load_bench.json`` and ``.md``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import signal
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results"
CYCLE = 0.1  # seconds of one stop-and-run cycle of the simulated load
sys.path.insert(0, str(REPO / "bench"))


def slowest_codeio_answer() -> tuple[dict, str, float, float]:
    """The item, the completion, score_answer's score and its CPU seconds in this process."""
    from reasoning_gym_bench import completions, generate, oracle_answer, reference

    dataset, items = generate("codeio", 100, 1234)
    slowest = None
    for item in items:
        text = completions(oracle_answer(item), "unused")["wrong value"]
        start = time.process_time()
        score = reference(dataset, item, text)
        seconds = time.process_time() - start
        if slowest is None or seconds > slowest[3]:
            slowest = (item, text, score, seconds)
    return slowest


class Throttle:
    """Stop and continue the shared pools' workers so they run ``share`` of the time."""

    def __init__(self, share: float) -> None:
        self.share, self.stop = share, threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def pids(self) -> list[int]:
        from rewardkit.pool import shared_pools

        return [pid for pool in shared_pools() for pid in pool.pids()]

    def signal(self, signum: int) -> None:
        for pid in self.pids():
            try:
                os.kill(pid, signum)
            except ProcessLookupError:
                pass

    def run(self) -> None:
        while not self.stop.is_set():
            self.stop.wait(CYCLE * self.share)
            self.signal(signal.SIGSTOP)
            self.stop.wait(CYCLE * (1 - self.share))
            self.signal(signal.SIGCONT)

    def __enter__(self) -> "Throttle":
        if self.share < 1:
            self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        if self.thread.is_alive():
            self.thread.join()
        self.signal(signal.SIGCONT)


def score(reward, item: dict, text: str, share: float, wall_clock: bool) -> dict:
    from rewardkit import pool as pool_module
    from rewardkit.plugins.reasoning_gym.rows import metadata_text

    read = pool_module.process_cpu_seconds
    if wall_clock:
        pool_module.process_cpu_seconds = lambda stat: None
    try:
        with Throttle(share):
            start = time.perf_counter()
            out = reward.evaluate([text], answer=[item["answer"]], metadata=[metadata_text(item["metadata"])])
            wall = time.perf_counter() - start
    finally:
        pool_module.process_cpu_seconds = read
    return {
        "share": share, "limit": "wall clock" if wall_clock else "CPU time", "score": out.scores[0],
        "timeouts": out.metrics["timeouts"], "wall_s": round(wall, 2),
    }  # fmt: skip


def markdown(report: dict) -> str:
    lines = [
        "# A busy machine and a score: the pool's time limit on CPU time vs on the clock",
        "",
        f"{report['date']}, {report['cpus']} CPUs, load average {report['load_start']} at the start and "
        f"{report['load_end']} at the end (`python bench/pool_load_bench.py`). The slowest seed-1234 `codeio` answer "
        f"(\"wrong value\"): score_answer gives {report['reference_score']:.3f} in {report['reference_cpu_s']:.2f} "
        f"CPU-seconds; the reward's `timeout` is {report['timeout_s']:g} s. The worker's share of a CPU is simulated "
        "by stopping and continuing it.",
        "",
        "| worker's share of a CPU | limit on | score | timeouts | wall s |",
        "|---:|---|---:|---:|---:|",
    ]
    lines += [
        f"| {r['share']:g} | {r['limit']} | {'None' if r['score'] is None else format(r['score'], '.3f')} | "
        f"{r['timeouts']} | {r['wall_s']} |"
        for r in report["rows"]
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shares", default="1,0.25,0.1", help="shares of a CPU the worker gets, comma-separated")
    args = parser.parse_args()
    from rewardkit.registry import get_reward

    load_start = [round(x, 2) for x in os.getloadavg()]
    item, text, expected, reference_s = slowest_codeio_answer()
    reward = get_reward("reasoning_gym", {"cache_size": 0, "deadline": None, "workers": 1})
    reward.evaluate(["<answer>1</answer>"], answer=["1"], metadata=['{"source_dataset": "leg_counting"}'])  # start the pool
    rows = []
    for share in [float(s) for s in args.shares.split(",")]:
        for wall_clock in (False, True):
            rows.append(score(reward, item, text, share, wall_clock))
            print(rows[-1], flush=True)
    report = {
        "date": dt.datetime.now().isoformat(timespec="seconds"),
        "cpus": os.cpu_count(),
        "load_start": load_start,
        "load_end": [round(x, 2) for x in os.getloadavg()],
        "timeout_s": reward.params.timeout,
        "reference_score": expected,
        "reference_cpu_s": round(reference_s, 2),
        "rows": rows,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "pool_load_bench.json").write_text(json.dumps(report, indent=2) + "\n")
    (RESULTS / "pool_load_bench.md").write_text(markdown(report))
    print("wrote bench/results/pool_load_bench.json and .md")


if __name__ == "__main__":
    main()
