"""Measure the embedded default run: `rewardkit train` with no config, then eval before/after.

    python bench/default_run.py                       # train + evaluate, ~10 min on 2 cores
    python bench/default_run.py --run-dir DIR         # evaluate an existing run of the default config
    python bench/default_run.py --steps 2 [--keep-activations]   # memory and CPU of the first steps only

Writes bench/results/default_run.json (and prints it): the machine (cores, torch threads, load
average before/after: other processes on a shared machine slow a CPU run down a lot), the run's
steps, wall time, time to the first step, peak memory and per-component first/last means from
summary.json, every step's component means, and the per-component table of `rewardkit eval` on
the bundled GSM8K test rows for the starting model and the trained one (greedy, same prompts).
Memory: the training process's peak resident set (what the run prints), and, sampled every
0.2 s with psutil, the peak of the process and its children together (the math verifier's
worker processes) and the peak during each phase of a step; with it the CPU seconds of each
phase (the process's, all threads: a figure other jobs on a shared machine change far less than
wall time). ``--steps N`` trains only the first N steps (no eval; written to
default_run_steps.json): the memory peak is reached in step 1, and the steps' rewards show
whether a setting changed the run. ``--keep-activations`` turns the config's activation
checkpointing off, for the comparison.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import platform
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def loadavg() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


class MemorySampler:
    """The resident set of this process and of its children, sampled every ``interval`` seconds,
    with the peak of each named phase (``with sampler.phase("generation"): ...``)."""

    def __init__(self, interval: float = 0.2) -> None:
        import psutil

        self.process = psutil.Process()
        self.interval = interval
        self.peak_total = self.peak_self = 0
        self.phases: dict[str, int] = {}
        self.cpu: dict[str, float] = {}
        self.current: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def sample(self) -> None:
        own = self.process.memory_info().rss
        children = 0
        for child in self.process.children(recursive=True):
            try:
                children += child.memory_info().rss
            except Exception:  # a worker that ended between listing and reading
                pass
        self.peak_self, self.peak_total = max(self.peak_self, own), max(self.peak_total, own + children)
        for name in self.current:
            self.phases[name] = max(self.phases.get(name, 0), own)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def phase(self, name: str):
        sampler = self

        class Phase:
            def __enter__(self):
                sampler.current.append(name)
                sampler.sample()
                self.cpu = time.process_time()

            def __exit__(self, *exc):
                sampler.cpu[name] = sampler.cpu.get(name, 0.0) + time.process_time() - self.cpu
                sampler.sample()
                sampler.current.remove(name)

        return Phase()

    def watch(self, cls: type, method: str, name: str) -> None:
        """Count the time inside ``cls.method`` as the phase ``name``."""
        original = getattr(cls, method)

        @functools.wraps(original)
        def watched(*args, **kwargs):
            with self.phase(name):
                return original(*args, **kwargs)

        setattr(cls, method, watched)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.sample()

    def record(self) -> dict:
        gb = lambda size: round(size / 1e9, 2)  # noqa: E731
        return {"peak_process_gb": gb(self.peak_self), "peak_with_children_gb": gb(self.peak_total),
                "peak_by_phase_gb": {name: gb(size) for name, size in self.phases.items()},
                "cpu_seconds_by_phase": {name: round(t, 1) for name, t in self.cpu.items()},
                "cpu_seconds_total": round(time.process_time(), 1)}


def watch_phases(sampler: MemorySampler) -> None:
    """Generation, the loss's forward pass, its backward pass and the optimizer step of TRL's trainers."""
    import torch
    from accelerate import Accelerator
    from trl import GRPOTrainer

    sampler.watch(GRPOTrainer, "_generate_single_turn", "generation")
    sampler.watch(GRPOTrainer, "_compute_loss", "loss forward")
    sampler.watch(Accelerator, "backward", "backward")
    sampler.watch(torch.optim.AdamW, "step", "optimizer step")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--run-dir", help="an existing output_dir of the default config (skip training)")
    parser.add_argument("--output-dir", default=str(ROOT / "runs" / "bench-default"))
    parser.add_argument("--n-eval", type=int, default=20, help="GSM8K test rows for eval before/after")
    parser.add_argument("--out", help="default: bench/results/default_run.json (default_run_steps.json with --steps)")
    parser.add_argument("--steps", type=int, help="train only the first N steps (memory and CPU; no eval)")
    parser.add_argument("--keep-activations", action="store_true", help="activation checkpointing off")
    args = parser.parse_args(argv)
    name = "default_run_steps.json" if args.steps else "default_run.json"
    args.out = args.out or str(ROOT / "bench" / "results" / name)

    import torch

    from rewardkit.trainers.policy.config import load_config
    from rewardkit.trainers.policy.evaluation import evaluate
    from rewardkit.trainers.policy.plot import read_metrics
    from rewardkit.trainers.policy.training import train

    config = load_config(None)
    trainer = dict(config.trainer)
    if args.steps:
        trainer["max_steps"] = args.steps
    if args.keep_activations:
        trainer["activation_checkpointing"] = False
    config = config.model_copy(update={"trainer": trainer})
    result: dict = {
        "machine": {"cpus": os.cpu_count(), "torch_threads": torch.get_num_threads(),
                    "platform": platform.platform(), "python": platform.python_version(),
                    "torch": torch.__version__},
        "config": {k: v for k, v in config.model_dump().items() if k != "base_dir"},
        "load_before": loadavg(),
    }
    if args.run_dir:
        run_dir = Path(args.run_dir)
        summary = json.loads((run_dir / "summary.json").read_text())
    else:
        run_dir = Path(args.output_dir)
        started = time.perf_counter()
        with MemorySampler() as sampler:
            watch_phases(sampler)
            summary = train(config.with_overrides(output_dir=str(run_dir)))
        summary["measured_wall_seconds"] = round(time.perf_counter() - started, 1)
        result["memory"] = sampler.record()
    result["load_after_train"] = loadavg()
    result["train"] = summary
    result["peak_memory_gb"] = round(summary["peak_memory_bytes"] / 1e9, 2) if summary.get("peak_memory_bytes") else None
    names = list(summary["rewards"])
    result["steps"] = [
        {"step": r["step"], "reward": r.get("reward"), "mean_length": r.get("completions/mean_length"),
         "step_time": r.get("step_time"), **{n: r.get(f"rewards/{n}/mean") for n in names}}
        for r in read_metrics(run_dir / "metrics.jsonl")
    ]
    for label, model in () if args.steps else (("before", None), ("after", str(run_dir / "model"))):
        started = time.perf_counter()
        ev = evaluate(config, model=model, n=args.n_eval)
        result[f"eval_{label}"] = {"model": ev["model"], "split": ev["split"], "n": ev["n"],
                                   "seconds": round(time.perf_counter() - started, 1), "summary": ev["summary"]}
        print(f"eval {label} ({ev['model']}, {ev['split']}, n={ev['n']}):\n{ev['table']}\n")
    result["load_after"] = loadavg()
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2, default=str) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
