"""How the time of every model-free built-in grows with a hostile completion's length.

Each reward scores one completion made of a fragment repeated to 4 kB, 16 kB, 64 kB, 256 kB and
1 MB (the catalogue is ``tests/_hostile.py``: repeated or unclosed tags, code fences, ``\\(``,
dotted words, ...). Sizes go up while the next one would take less than ``--budget`` seconds
even if the time grew quadratically, so a quadratic case stops early instead of running for
hours ("skipped" in the table). Reported per reward: CPU seconds of this process per size for its
slowest fragment, milliseconds per kilobyte at the largest size, and the growth exponent between
the two largest sizes measured (1: linear, 2: quadratic). Math verification in the worker pool is
not counted (it has its own hard time limit per answer).

Run: ``python bench/linear_bench.py`` (a few minutes; ``--sizes``, ``--budget``, ``--name`` to
keep a run beside another, e.g. ``--name linear_bench_before`` on the code before the fix).
Writes ``bench/results/<name>.json`` and ``.md``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))  # the fragment catalogue

import _hostile  # noqa: E402

SIZES = (4_000, 16_000, 64_000, 256_000, 1_000_000)


def measure(key: str, fragment: str, sizes, budget: float) -> dict[str, float]:
    """CPU seconds per size, up to the last size that quadratic growth would keep within ``budget``."""
    _hostile.score(key, fragment)  # warm: imports, detector profiles
    seconds: dict[str, float] = {}
    for size in sizes:
        if seconds:
            last_size, last = int(next(reversed(seconds))), seconds[next(reversed(seconds))]
            if last * (size / last_size) ** 2 > budget:
                break
        seconds[str(size)] = _hostile.cpu_seconds(lambda: _hostile.score(key, _hostile.hostile(fragment, size)), repeat=1)
    return seconds


def exponent(seconds: dict[str, float]) -> float | None:
    """log(t2/t1) / log(n2/n1) over the two largest sizes measured (None: fewer than two, or too fast)."""
    done = [(int(n), t) for n, t in seconds.items()]
    if len(done) < 2 or done[-2][1] < 0.005:
        return None
    (n1, t1), (n2, t2) = done[-2], done[-1]
    return math.log(t2 / t1) / math.log(n2 / n1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES), help="completion lengths in characters")
    parser.add_argument("--budget", type=float, default=20.0, help="seconds a quadratic case may take at the next size")
    parser.add_argument("--rewards", nargs="+", default=list(_hostile.builtin_rewards()), help="reward names (default: every model-free built-in)")
    parser.add_argument("--name", default="linear_bench", help="results file name (bench/results/<name>.json/.md)")
    parser.add_argument("--note", default="", help="a line saying what code ran (e.g. which files were reverted)")
    args = parser.parse_args()

    load_start = os.getloadavg()  # the machine is shared: the figures need the load beside them
    results: dict[str, dict] = {}
    for key in args.rewards:
        cases = {label: measure(key, fragment, args.sizes, args.budget) for label, fragment in _hostile.FRAGMENTS.items()}
        worst = max(cases, key=lambda c: (-len(cases[c]), *reversed(list(cases[c].values()))))
        results[key] = {"worst": worst, "worst_seconds": cases[worst], "exponent": exponent(cases[worst]), "cases": cases}
        print(f"{key:34} worst: {worst:40} {_row(cases[worst], args.sizes)}", flush=True)

    commit = subprocess.run(["git", "-C", str(REPO), "describe", "--always", "--dirty"], capture_output=True, text=True).stdout.strip()
    record = {
        "date": dt.datetime.now().isoformat(timespec="seconds"),
        "load_average": {"start": [round(x, 2) for x in load_start], "end": [round(x, 2) for x in os.getloadavg()]},
        "commit": commit,
        "machine": f"{platform.processor() or platform.machine()}, {platform.python_version()}",
        "sizes": args.sizes,
        "budget": args.budget,
        "note": args.note,
        "rewards": results,
    }
    out = REPO / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{args.name}.json").write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    (out / f"{args.name}.md").write_text(markdown(record), encoding="utf-8")
    print(f"wrote {out / args.name}.json and .md")


def _row(seconds: dict[str, float], sizes) -> str:
    return " | ".join(f"{seconds[str(size)]:.3f}" if str(size) in seconds else "skipped" for size in sizes)


def _load(values: list[float]) -> str:
    return "/".join(f"{v:.1f}" for v in values)


def markdown(record: dict) -> str:
    sizes = record["sizes"]
    head = " | ".join(f"{s // 1000} kB" for s in sizes)
    lines = [
        "# Time against completion length: hostile completions",
        "",
        f"{record['date']}, commit {record['commit']}, {record['machine']}; load average (1, 5, 15 min) "
        f"{_load(record['load_average']['start'])} at the start, {_load(record['load_average']['end'])} at the end; "
        "CPU seconds of one scoring; a size is "
        f"skipped when quadratic growth would take it past {record['budget']:.0f} s. The machine was shared "
        "with other jobs: figures are indicative, the exponent is what matters (1 linear, 2 quadratic).",
        *(["", record["note"]] if record.get("note") else []),
        "",
        f"| reward | slowest fragment | {head} | ms per kB at the largest | exponent |",
        "| --- | --- | " + " | ".join("---:" for _ in sizes) + " | ---: | ---: |",
    ]
    for key, r in record["rewards"].items():
        done = [(int(n), t) for n, t in r["worst_seconds"].items()]
        per_kb = f"{1000 * done[-1][1] / (done[-1][0] / 1000):.3f}" if done else "-"
        exp = "-" if r["exponent"] is None else f"{r['exponent']:.2f}"
        lines.append(f"| {key} | {r['worst']} | {_row(r['worst_seconds'], sizes)} | {per_kb} | {exp} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
