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
- each with the library's default ``concurrency`` (8 samples of a component in flight) and with
  ``concurrency`` equal to the batch; and, for contrast, ``concurrency: 1`` (one sample at a time).

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
from rewardkit.reward import SlowRewardParams  # noqa: E402
from rewardkit.testing import registered  # noqa: E402
from rewardkit.trainers.policy.trl_rewards import trl_rewards  # noqa: E402


def composition(seconds: float, concurrency: int | None) -> Composition:
    """Two waiting components; ``concurrency=None`` keeps the library's default."""
    limit = {} if concurrency is None else {"concurrency": concurrency}
    return Composition([Waits(seconds=seconds, alias=name, **limit) for name in ("judge_a", "judge_b")])


def timed(run) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def every_path(wait: float, n: int, concurrency: int | None) -> dict[str, float]:
    """Wall seconds of one batch of ``n`` through each place a composition runs."""
    completions = ["an answer"] * n
    results = {"Composition.score": timed(lambda: composition(wait, concurrency).score(completions))}

    registry = Registry(autoload=False)
    previous = set_default_registry(registry)
    limit = "" if concurrency is None else f", concurrency: {concurrency}"
    with registered(registry, Waits), tempfile.TemporaryDirectory() as tmp:
        spec = Path(tmp, "c.yaml")
        spec.write_text(
            "rewards:\n"
            + "".join(f"  - {{name: waits, alias: {a}, params: {{seconds: {wait}{limit}}}}}\n" for a in ("judge_a", "judge_b"))
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

    with running(create_app(composition(wait, concurrency))) as url:
        request(f"{url}/health")
        results["rewardkit serve (POST /score)"] = timed(lambda: request(f"{url}/score", {"completions": completions}))

    funcs = trl_rewards(composition(wait, concurrency)).funcs

    async def as_trl_does():
        return await asyncio.gather(*(f(completions=completions, prompts=["p"] * n) for f in funcs))

    results["TRL adapter (gathered as GRPOTrainer does)"] = timed(lambda: asyncio.run(as_trl_does()))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1.0, help="wait per sample of each reward")
    parser.add_argument("--batch", type=int, default=16)
    args = parser.parse_args()
    n, wait = args.batch, args.seconds
    default = SlowRewardParams().concurrency
    load_before = os.getloadavg()
    columns = {f"default concurrency ({default})": every_path(wait, n, None), f"concurrency {n}": every_path(wait, n, n)}
    one_at_a_time = timed(lambda: composition(wait, 1).score(["an answer"] * n))

    record = {
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "command": "python bench/async_bench.py " + " ".join(sys.argv[1:]),
        "batch": n,
        "components": 2,
        "wait_per_sample_s": wait,
        "default_concurrency": default,
        "one_after_another_s": 2 * n * wait,
        "load_average_before": load_before,
        "load_average_after": os.getloadavg(),
        "wall_s": {column: {k: round(v, 3) for k, v in results.items()} for column, results in columns.items()},
        "wall_s_concurrency_1": round(one_at_a_time, 3),
    }
    out_dir = ROOT / "bench" / "results"
    (out_dir / "async_bench.json").write_text(json.dumps(record, indent=2) + "\n")
    loads = ", ".join(f"{x:.2f}" for x in load_before), ", ".join(f"{x:.2f}" for x in record["load_average_after"])
    lines = [
        "# async_bench: two async rewards, a batch of 16, every place a composition runs",
        "",
        f"Each reward waits {wait:g} s per sample; one sample after another the batch takes {2 * n * wait:g} s. "
        f"At most `concurrency` samples of each component are in flight (default {default}), so the batch "
        f"takes about {n}/concurrency waits. Run {record['date']}, load average {loads[0]} before, {loads[1]} after.",
        f"Command: `{record['command'].strip()}`.",
        "",
        "| path | " + " | ".join(f"{c}, wall time (s)" for c in columns) + " |",
        "| --- | " + " | ".join("---" for _ in columns) + " |",
        *(f"| {path} | " + " | ".join(f"{columns[c][path]:.2f}" for c in columns) + " |" for path in columns[next(iter(columns))]),
        "",
        f"For contrast, `Composition.score` with `concurrency: 1` (one sample at a time per component): {one_at_a_time:.2f} s.",
        "",
    ]
    (out_dir / "async_bench.md").write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
