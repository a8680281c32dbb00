"""How much of rewardkit a command walks through: files entered, plugin hook calls, import time.

Measured, each in a fresh interpreter:

- ``rewardkit score gsm8k FILE`` (8 rows of GSM8K-style completions): the project's files it
  imports (modules under rewardkit/, plugins/builtin/, trainers/), every module it imports, and
  the calls into plugins' ``register_*`` hook implementations (counted with a profile hook, so
  any plugin counts, however the registry calls it);
- ``rewardkit --help``: the same counts, and its wall time;
- ``import rewardkit``: modules, and the cumulative import time ``python -X importtime`` reports
  for ``rewardkit``;
- ``duplicates`` on rewardkit/, plugins/ and trainers/ (the first line of each), when the tool
  is on PATH.

Wall times are the median of ``--repeat`` runs and depend on the machine's load (the load
average is recorded at start and end); the counts do not. Run: ``python bench/walk_bench.py``
(about a minute; ``--name`` keeps a run beside another, e.g. ``--name walk_bench_before``).
Writes ``bench/results/<name>.json`` and ``.md``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PROJECT_DIRS = [REPO / "rewardkit", REPO / "plugins", REPO / "trainers"]

# Runs a command of the CLI in-process and prints what it walked through as one JSON line on stderr.
PROBE = r"""
import json, sys, contextlib, io
HOOKS = ("register_rewards", "register_extractors", "register_language_detectors",
         "register_sandboxes", "register_second_opinions")
calls = [0]
entered = set()
def profile(frame, event, arg):
    if event == "call":
        code = frame.f_code
        if code.co_name != "<module>":
            entered.add(code.co_filename)
        if code.co_name in HOOKS and "register" in code.co_varnames[:1]:
            calls[0] += 1
sys.setprofile(profile)
before = set(sys.modules)
ROOTS, ARGS = sys.argv[1], sys.argv[2:]
from rewardkit.cli import main
code = 0
with contextlib.redirect_stdout(io.StringIO()):
    try:
        code = main(ARGS)
    except SystemExit as exc:
        code = exc.code
sys.setprofile(None)
roots = json.loads(ROOTS)
files = sorted({m.__file__ for m in list(sys.modules.values())
                if getattr(m, "__file__", None) and any(m.__file__.startswith(r) for r in roots)})
entered = sorted(f for f in entered if any(f.startswith(r) for r in roots))
print(json.dumps({"code": code, "files": files, "entered": entered, "modules": len(set(sys.modules) - before), "hook_calls": calls[0]}),
      file=sys.stderr)
"""

# What the ``rewardkit`` console script runs.
CONSOLE_SCRIPT = "import sys; from rewardkit.cli import main; sys.exit(main())"

ROWS = [
    {"prompt": "Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May. "
     "How many clips did Natalia sell altogether in April and May?",
     "completion": "<reasoning>48 + 24 = 72</reasoning>\n<answer>72</answer>", "answer": "#### 72"},
    {"prompt": "Weng earns $12 an hour for babysitting. Yesterday, she just did 50 minutes of babysitting. "
     "How much did she earn?", "completion": "She earned 10 dollars.", "answer": "#### 10"},
]


def probe(args: list[str], data_dir: Path) -> dict:
    roots = json.dumps([str(d) for d in PROJECT_DIRS])
    done = subprocess.run([sys.executable, "-c", PROBE, roots, *args], capture_output=True, text=True, cwd=data_dir)
    last = done.stderr.strip().splitlines()[-1]
    record = json.loads(last)
    for key in ("files", "entered"):
        record[key] = [str(Path(f).relative_to(REPO)) for f in record[key]]
    return record


def wall(command: list[str], repeat: int, cwd: Path) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(command, capture_output=True, cwd=cwd, check=False)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def import_time_us(module: str, repeat: int) -> int:
    """The median cumulative microseconds ``-X importtime`` reports for ``module``."""
    found = []
    for _ in range(repeat):
        err = subprocess.run([sys.executable, "-X", "importtime", "-c", f"import {module}"],
                             capture_output=True, text=True).stderr
        for line in err.splitlines():
            parts = [p.strip() for p in line.split("|")]
            if len(parts) == 3 and parts[2] == module:
                found.append(int(parts[1]))
    return int(statistics.median(found))


def duplicates() -> dict[str, str]:
    if shutil.which("duplicates") is None:
        return {}
    return {d: subprocess.run(["duplicates", "--repo", d], capture_output=True, text=True, cwd=REPO).stdout
            .splitlines()[0] for d in ("rewardkit", "plugins", "trainers")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--repeat", type=int, default=7, help="runs per wall-time figure (the median is kept)")
    parser.add_argument("--name", default="walk_bench", help="results file name (bench/results/<name>.json/.md)")
    args = parser.parse_args()
    load_start = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        (data_dir / "file.jsonl").write_text("".join(json.dumps(r) + "\n" for r in ROWS * 4), encoding="utf-8")
        score = probe(["score", "gsm8k", "file.jsonl"], data_dir)
        help_ = probe(["--help"], data_dir)
        record = {
            "date": dt.datetime.now().isoformat(timespec="seconds"),
            "commit": subprocess.run(["git", "-C", str(REPO), "describe", "--always", "--dirty"],
                                     capture_output=True, text=True).stdout.strip(),
            "machine": f"{platform.processor() or platform.machine()}, {platform.python_version()}, {os.cpu_count()} CPUs",
            "load_start": load_start,
            "score": score,
            "help": help_,
            "help_seconds": wall([sys.executable, "-c", CONSOLE_SCRIPT, "--help"], args.repeat, data_dir),
            "import_seconds": wall([sys.executable, "-c", "import rewardkit"], args.repeat, data_dir),
            "python_seconds": wall([sys.executable, "-c", "pass"], args.repeat, data_dir),
            "import_rewardkit_us": import_time_us("rewardkit", args.repeat),
            "import_cli_us": import_time_us("rewardkit.cli", args.repeat),
            "duplicates": duplicates(),
            "load_end": os.getloadavg(),
        }
    out = REPO / "bench" / "results"
    (out / f"{args.name}.json").write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    (out / f"{args.name}.md").write_text(markdown(record), encoding="utf-8")
    print(markdown(record))


def markdown(r: dict) -> str:
    load = f"load average {r['load_start'][0]:.1f} at start, {r['load_end'][0]:.1f} at end"
    lines = [
        "# The walk: what a command imports and calls",
        "",
        f"{r['date']}, commit {r['commit']}, {r['machine']}; {load}. Counts do not depend on the load; times do.",
        "",
        "| what | project files imported | of them, with a function run | modules imported | plugin hook calls | "
        "wall time (median) |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
        f"| `rewardkit score gsm8k file.jsonl` | {len(r['score']['files'])} | {len(r['score']['entered'])} | "
        f"{r['score']['modules']} | {r['score']['hook_calls']} | |",
        f"| `rewardkit --help` | {len(r['help']['files'])} | {len(r['help']['entered'])} | {r['help']['modules']} | "
        f"{r['help']['hook_calls']} | {r['help_seconds']:.2f} s |",
        f"| `python -c 'import rewardkit'` | | | | | {r['import_seconds']:.2f} s |",
        f"| `python -c pass` | | | | | {r['python_seconds']:.2f} s |",
        "",
        f"`-X importtime` cumulative: `rewardkit` {r['import_rewardkit_us'] / 1000:.0f} ms, "
        f"`rewardkit.cli` {r['import_cli_us'] / 1000:.0f} ms.",
        "",
    ]
    if r["duplicates"]:
        lines += ["`duplicates`:", ""] + [f"- {d}/: {line}" for d, line in r["duplicates"].items()] + [""]
    lines += ["Project files of `rewardkit score` with a function run:", "", ", ".join(r["score"]["entered"]), ""]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
