"""Benchmark of the async reward contract: two slow rewards, a batch of 16, every place a composition runs.

Each reward waits ``--seconds`` (default 1 s) per sample, as an LLM judge call would. Scored one
sample after another, a batch of 16 with two such components takes 32 s; with the async contract
every sample of both components is in flight at once, so the batch takes about one wait. Timed
paths, each on the same composition, in one run:

- ``Composition.score`` (the synchronous API: it drives the async path);
- ``rewardkit score`` (the CLI, in-process, on a 16-row JSONL file);
- ``rewardkit serve`` (a real uvicorn server on a local port, one ``POST /score``);
- the TRL adapter (the component functions awaited together on an event loop, as ``GRPOTrainer``
  gathers its async reward functions);
- and, for contrast, the same composition with ``concurrency: 1`` (one sample at a time per reward).

Results: ``bench/results/async_bench.json`` and ``.md``. Run: ``python bench/async_bench.py``
(about a minute).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the test suite's async reward and real-server helpers

from _async_rewards import Waits  # noqa: E402
from _servers import request, running  # noqa: E402

from rewardkit.cli import main as cli  # noqa: E402
from rewardkit.composition import Composition  # noqa: E402
from rewardkit.integrations.server import create_app  # noqa: E402
from rewardkit.registry import Registry, set_default_registry  # noqa: E402
from rewardkit.testing import registered  # noqa: E402
from rewardkit.trainers.policy.trl_rewards import trl_rewards  # noqa: E402


def composition(seconds: float, concurrency: int) -> Composition:
    return Composition(
        [Waits(seconds=seconds, concurrency=concurrency, alias=name) for name in ("judge_a", "judge_b")]
    )


def timed(run) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1.0, help="wait per sample of each reward")
    parser.add_argument("--batch", type=int, default=16)
    args = parser.parse_args()
    n, wait = args.batch, args.seconds
    completions = ["an answer"] * n
    results: dict[str, float] = {}

    results["Composition.score"] = timed(lambda: composition(wait, n).score(completions))
    results["Composition.score, concurrency 1"] = timed(lambda: composition(wait, 1).score(completions))

    registry = Registry(autoload=False)
    previous = set_default_registry(registry)
    with registered(registry, Waits), tempfile.TemporaryDirectory() as tmp:
        spec = Path(tmp, "c.yaml")
        spec.write_text(
            "rewards:\n"
            + "".join(f"  - {{name: waits, alias: {a}, params: {{seconds: {wait}, concurrency: {n}}}}}\n" for a in ("judge_a", "judge_b"))
        )
        rows = Path(tmp, "rows.jsonl")
        rows.write_text("".join(json.dumps({"completion": c}) + "\n" for c in completions))
        out = Path(tmp, "out.jsonl")
        with open(os.devnull, "w") as devnull:
            stdout, sys.stdout = sys.stdout, devnull
            try:
                results["rewardkit score"] = timed(lambda: cli(["score", str(spec), str(rows), "--out", str(out)]))
            finally:
                sys.stdout = stdout
    set_default_registry(previous)

    with running(create_app(composition(wait, n))) as url:
        request(f"{url}/health")
        results["rewardkit serve (POST /score)"] = timed(lambda: request(f"{url}/score", {"completions": completions}))

    funcs = trl_rewards(composition(wait, n)).funcs

    async def as_trl_does():
        return await asyncio.gather(*(f(completions=completions, prompts=["p"] * n) for f in funcs))

    results["TRL adapter (gathered as GRPOTrainer does)"] = timed(lambda: asyncio.run(as_trl_does()))

    record = {
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "command": "python bench/async_bench.py " + " ".join(sys.argv[1:]),
        "batch": n,
        "components": 2,
        "wait_per_sample_s": wait,
        "one_after_another_s": 2 * n * wait,
        "load_average": os.getloadavg(),
        "wall_s": {k: round(v, 3) for k, v in results.items()},
    }
    out_dir = ROOT / "bench" / "results"
    (out_dir / "async_bench.json").write_text(json.dumps(record, indent=2) + "\n")
    lines = [
        "# async_bench: two async rewards, a batch of 16, every place a composition runs",
        "",
        f"Each reward waits {wait:g} s per sample; one sample after another the batch takes "
        f"{2 * n * wait:g} s. Run {record['date']}, load average {', '.join(f'{x:.2f}' for x in record['load_average'])}.",
        f"Command: `{record['command'].strip()}`.",
        "",
        "| path | wall time (s) |",
        "| --- | --- |",
        *(f"| {k} | {v:.2f} |" for k, v in results.items()),
        "",
    ]
    (out_dir / "async_bench.md").write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
