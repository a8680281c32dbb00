"""How long worker processes outlive their owner when it is killed (issue 35 item 7).

An owner process scores two power towers with ``math_correctness`` (``timeout: 600``): its two
workers spin in sympy's big-integer C code, which never releases the GIL. The owner is killed
(SIGKILL, then SIGTERM) and the seconds until each worker, the fork server and the resource
tracker are gone are recorded (polled every 20 ms). The same (SIGKILL) for a code session with
bubblewrap (``local``) and without (``unsafe_local``): an owner scores a program that spins and
forks a spinner in a session of its own, and the seconds until the last process below the owner
(bubblewrap, the runner, its zygote, the program, the spinner) is gone are recorded. The load average is recorded at the start and
the end: on a busy machine the fork server's teardown (what the workers used to wait for) is
slower. Results: ``bench/results/pool_lifetime_bench.json`` and ``.md``. Run:
``python bench/pool_lifetime_bench.py [--rounds 5]`` (about three minutes).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from test_pool_lifetime import CODE_OWNER, OWNER, _living  # noqa: E402 - the owners the lifetime tests kill

RESULTS = ROOT / "bench" / "results"


def one_round(signum: int) -> dict[str, float]:
    """Seconds from the signal until each process the owner started is gone."""
    owner = subprocess.Popen([sys.executable, "-c", OWNER], stdout=subprocess.PIPE, text=True)
    started = json.loads(owner.stdout.readline())
    pids = {**{f"worker {i}": p for i, p in enumerate(started["workers"])},
            "fork server": started["helpers"][0], "resource tracker": started["helpers"][1]}  # fmt: skip
    time.sleep(1.0)  # the workers are deep in their towers
    return _gone_after(owner, signum, pids)


def code_round(sandbox: str) -> dict[str, float]:
    """Seconds from SIGKILL until the last process of a code session is gone (60: not within a minute)."""
    owner = subprocess.Popen([sys.executable, "-c", CODE_OWNER, sandbox], stdout=subprocess.PIPE, text=True)
    pids = {str(pid): pid for pid in json.loads(owner.stdout.readline())}
    gone = _gone_after(owner, signal.SIGKILL, pids)
    return {f"code session ({sandbox}): the last of its processes": max(gone.values()) if len(gone) == len(pids) else 60.0}


def _gone_after(owner: subprocess.Popen, signum: int, pids: dict[str, int]) -> dict[str, float]:
    sent = time.monotonic()
    owner.send_signal(signum)
    owner.wait()
    gone: dict[str, float] = {}
    while len(gone) < len(pids) and time.monotonic() - sent < 60:
        living = set(_living(list(pids.values())))
        for name, pid in pids.items():
            if pid not in living and name not in gone:
                gone[name] = round(time.monotonic() - sent, 3)
        time.sleep(0.02)
    for pid in _living(list(pids.values())):
        psutil.Process(pid).kill()
    return gone


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    load_start = os.getloadavg()
    rounds = {name: [one_round(sig) for _ in range(args.rounds)] for name, sig in (("SIGKILL", signal.SIGKILL), ("SIGTERM", signal.SIGTERM))}
    for sandbox in ("local", "unsafe_local"):
        rounds["SIGKILL"] += [code_round(sandbox) for _ in range(args.rounds)]
    result = {
        "date": dt.datetime.now().isoformat(timespec="seconds"),
        "load_average_start": load_start,
        "load_average_end": os.getloadavg(),
        "cpus": os.cpu_count(),
        "rounds": rounds,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "pool_lifetime_bench.json").write_text(json.dumps(result, indent=2) + "\n")
    lines = [
        "# Worker lifetime after the owner is killed",
        "",
        f"{result['date']}, {result['cpus']} CPUs, load average {load_start[0]:.1f} at the start and "
        f"{result['load_average_end'][0]:.1f} at the end. Seconds from the signal until each process is gone "
        f"({args.rounds} rounds each; `python bench/pool_lifetime_bench.py`).",
        "",
        "| signal | process | median s | max s |",
        "| --- | --- | --- | --- |",
    ]
    for name, runs in rounds.items():
        for process in dict.fromkeys(p for r in runs for p in r):
            values = [r[process] for r in runs if process in r]
            lines.append(f"| {name} | {process} | {statistics.median(values):.2f} | {max(values):.2f} |")
    (RESULTS / "pool_lifetime_bench.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
