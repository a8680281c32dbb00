"""The long profile of the property-based fuzz test (tests/test_fuzz.py), with what each call cost.

Runs the fuzz tests with Hypothesis' ``fuzz-long`` profile (``--examples`` random batches per
test, seeded with ``--seed``) and reports whether the contract held (one score per completion, no
exception escaping, finite scores or None, work growing linearly) and, per built-in reward, the
calls made, the text scored, the CPU time per kilobyte (mean, and worst single call of at least
1 kB) and the slowest call. Run: ``python bench/fuzz_bench.py`` (about 20 minutes with the
default 1,000 examples on 2 busy cores); writes ``bench/results/fuzz_bench.json`` and ``.md``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--examples", type=int, default=1000, help="random batches per fuzz test")
    parser.add_argument("--seed", type=int, default=14, help="Hypothesis seed")
    args = parser.parse_args()

    os.environ["REWARDKIT_FUZZ_PROFILE"] = "fuzz-long"
    os.environ["REWARDKIT_FUZZ_EXAMPLES"] = str(args.examples)
    os.environ["REWARDKIT_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    start = time.perf_counter()
    code = pytest.main(
        [str(REPO / "tests" / "test_fuzz.py"), "-q", "-p", "no:cacheprovider", f"--hypothesis-seed={args.seed}",
         "-W", "ignore::DeprecationWarning", "--rootdir", str(REPO)]
    )  # fmt: skip
    wall = time.perf_counter() - start
    stats = sys.modules["test_fuzz"].STATS

    commit = subprocess.run(["git", "-C", str(REPO), "describe", "--always", "--dirty"], capture_output=True, text=True)
    record = {
        "date": dt.datetime.now().isoformat(timespec="seconds"),
        "commit": commit.stdout.strip(),
        "machine": f"{platform.processor() or platform.machine()}, {platform.python_version()}, {os.cpu_count()} CPUs",
        "examples_per_test": args.examples,
        "seed": args.seed,
        "passed": code == 0,
        "wall_seconds": round(wall, 1),
        "rewards": {key: dict(value) for key, value in sorted(stats.items())},
    }
    out = REPO / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "fuzz_bench.json").write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    (out / "fuzz_bench.md").write_text(markdown(record), encoding="utf-8")
    print(f"wrote {out / 'fuzz_bench.json'} and .md")
    return int(code)


def markdown(record: dict) -> str:
    lines = [
        "# Fuzzing the built-in rewards: the long profile",
        "",
        f"{record['date']}, commit {record['commit']}, {record['machine']}; {record['examples_per_test']} random "
        f"batches per fuzz test (seed {record['seed']}), {record['wall_seconds']:.0f} s in all. Contract "
        f"{'held' if record['passed'] else 'BROKEN: see the pytest output'}. CPU time of this process; the machine "
        "was shared with other jobs, so times are indicative (math verification in the worker pool is not counted; "
        "it has a hard limit per answer).",
        "",
        "| reward | calls | MB scored | mean ms per kB | worst ms per kB (calls of 1 kB or more) | slowest call (s) | errors counted |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for key, s in record["rewards"].items():
        kb = s["chars"] / 1000
        mean = 1000 * s["seconds"] / kb if kb else 0.0
        lines.append(
            f"| {key} | {s['calls']} | {s['chars'] / 1e6:.1f} | {mean:.3f} | {s['max_ms_per_kb']:.3f} | "
            f"{s['max_seconds']:.3f} | {s['errors']:.0f} |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
