"""How the time of every model-free built-in grows with a hostile completion's length.

Each reward scores one completion made of a fragment repeated to 4 kB, 16 kB, 64 kB, 256 kB and
1 MB (the catalogue is ``tests/_hostile.py``: repeated or unclosed tags, code fences, ``\\(``,
dotted words, ...). Every scoring runs in a worker of rewardkit's own time-limited pool, so a
quadratic case is cut off at ``--timeout`` seconds instead of running for hours; larger sizes of
a case that timed out are not tried. Reported per reward: CPU seconds per size for its slowest
fragment, milliseconds per kilobyte at the largest size, and the growth exponent between the two
largest sizes measured (1: linear, 2: quadratic).

Run: ``python bench/linear_bench.py`` (about a minute after the fix; ``--sizes``,
``--timeout``, ``--name`` to keep a run beside another, e.g. ``--name linear_bench_before`` on
the code before the fix). Writes ``bench/results/<name>.json`` and ``.md``. Timings are CPU time of
the worker, on whatever machine runs it; say how busy it was.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import platform
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))  # the fragment catalogue; the pool's workers inherit sys.path

import _hostile  # noqa: E402

from rewardkit.pool import TimeLimitedPool  # noqa: E402

SIZES = (4_000, 16_000, 64_000, 256_000, 1_000_000)


def measure(pool: TimeLimitedPool, key: str, fragment: str, sizes, timeout: float) -> dict[str, float | None]:
    """CPU seconds per size (None: ran past the timeout, so larger sizes are skipped)."""
    seconds: dict[str, float | None] = {}
    for size in sizes:
        outcome = pool.map(_hostile.timed_score, [(key, fragment, size)], timeout=timeout)[0]
        if outcome.timed_out:
            seconds[str(size)] = None
            break
        if outcome.error:
            raise RuntimeError(f"{key} on {fragment!r} x {size}: {outcome.error}")
        seconds[str(size)] = outcome.value
    return seconds


def exponent(seconds: dict[str, float | None]) -> float | None:
    """log(t2/t1) / log(n2/n1) over the two largest sizes measured (None: fewer than two, or too fast)."""
    done = [(int(n), t) for n, t in seconds.items() if t is not None]
    if len(done) < 2 or done[-2][1] < 0.005:
        return None
    (n1, t1), (n2, t2) = done[-2], done[-1]
    return math.log(t2 / t1) / math.log(n2 / n1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES), help="completion lengths in characters")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds one scoring may take")
    parser.add_argument("--rewards", nargs="+", default=list(_hostile.REWARDS), help="keys of tests/_hostile.py REWARDS")
    parser.add_argument("--name", default="linear_bench", help="results file name (bench/results/<name>.json/.md)")
    args = parser.parse_args()

    results: dict[str, dict] = {}
    with TimeLimitedPool(1) as pool:
        for key in args.rewards:
            cases = {}
            for label, fragment in _hostile.FRAGMENTS.items():
                cases[label] = measure(pool, key, fragment, args.sizes, args.timeout)
            worst = max(cases, key=lambda c: _cost(cases[c], args.sizes))
            results[key] = {"worst": worst, "worst_seconds": cases[worst], "exponent": exponent(cases[worst]), "cases": cases}
            print(f"{key:34} worst: {worst:40} {_row(cases[worst], args.sizes)}", flush=True)

    commit = subprocess.run(["git", "-C", str(REPO), "describe", "--always", "--dirty"], capture_output=True, text=True).stdout.strip()
    record = {
        "date": dt.datetime.now().isoformat(timespec="seconds"),
        "commit": commit,
        "machine": f"{platform.processor() or platform.machine()}, {platform.python_version()}",
        "sizes": args.sizes,
        "timeout": args.timeout,
        "rewards": results,
    }
    out = REPO / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{args.name}.json").write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    (out / f"{args.name}.md").write_text(markdown(record), encoding="utf-8")
    print(f"wrote {out / args.name}.json and .md")


def _cost(seconds: dict[str, float | None], sizes) -> tuple[int, float]:
    """Orders cases by how bad they are: cut off earliest first, then slowest at the largest size."""
    done = [t for t in seconds.values() if t is not None]
    cut = len(sizes) - len(done) if None in seconds.values() else 0
    return cut, done[-1] if done else 0.0


def _row(seconds: dict[str, float | None], sizes) -> str:
    cells = []
    for size in sizes:
        t = seconds.get(str(size), "skipped")
        cells.append("-" if t == "skipped" else "timeout" if t is None else f"{t:.3f}")
    return " | ".join(cells)


def markdown(record: dict) -> str:
    sizes = record["sizes"]
    head = " | ".join(f"{s // 1000} kB" for s in sizes)
    lines = [
        "# Time against completion length: hostile completions",
        "",
        f"{record['date']}, commit {record['commit']}, {record['machine']}; CPU seconds of one scoring in a pool "
        f"worker, cut off at {record['timeout']:.0f} s (timeout; larger sizes then skipped). The machine was shared "
        "with other jobs: figures are indicative, the exponent is what matters (1 linear, 2 quadratic).",
        "",
        f"| reward | slowest fragment | {head} | ms per kB at the largest | exponent |",
        "| --- | --- | " + " | ".join("---:" for _ in sizes) + " | ---: | ---: |",
    ]
    for key, r in record["rewards"].items():
        done = [(int(n), t) for n, t in r["worst_seconds"].items() if t is not None]
        per_kb = f"{1000 * done[-1][1] / (done[-1][0] / 1000):.3f}" if done else "-"
        exp = "-" if r["exponent"] is None else f"{r['exponent']:.2f}"
        lines.append(f"| {key} | {r['worst']} | {_row(r['worst_seconds'], sizes)} | {per_kb} | {exp} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
