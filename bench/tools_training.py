"""The tool-use training example: `rewardkit train tools` (GRPO with TRL's tools= on the bundled sample).

    python bench/tools_training.py                        # the bundled run (rewardkit/data/tool_use_sample.yaml)
    python bench/tools_training.py --max-steps 4          # shorter
    python bench/tools_training.py --run-dir DIR          # report an existing run of the config

Writes bench/results/tools_training.json and .md and the run's reward curve
(bench/results/tools_training_rewards.png): the machine and its load average before and after (a
CPU run on a shared machine is slowed a lot by other processes), the run's wall time, every
step's reward per component and TRL's tools/call_frequency (calls per completion), and the
first and last steps' means.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"


def loadavg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--run-dir", help="an existing output_dir of the config (skip training)")
    parser.add_argument("--output-dir", default=str(ROOT / "runs" / "bench-tools"))
    parser.add_argument("--max-steps", type=int, help="override the config's max_steps")
    args = parser.parse_args(argv)

    import torch

    from rewardkit.trainers.policy.config import bundled_run_path, load_config
    from rewardkit.trainers.policy.plot import read_metrics
    from rewardkit.trainers.policy.training import train

    config = load_config(bundled_run_path("tools"))
    if args.max_steps:
        config = config.with_overrides(max_steps=args.max_steps)
    result: dict = {
        "machine": {"cpus": os.cpu_count(), "torch_threads": torch.get_num_threads(), "platform": platform.platform(),
                    "python": platform.python_version(), "torch": torch.__version__},
        "config": {k: v for k, v in config.model_dump().items() if k != "base_dir"},
        "load_before": loadavg(),
    }  # fmt: skip
    run_dir = Path(args.run_dir or args.output_dir)
    if args.run_dir:
        summary = json.loads((run_dir / "summary.json").read_text())
    else:
        started = time.perf_counter()
        summary = train(config.with_overrides(output_dir=str(run_dir)))
        summary["measured_wall_seconds"] = round(time.perf_counter() - started, 1)
    result["load_after"] = loadavg()
    result["train"] = summary
    names = list(summary["rewards"])
    result["steps"] = [
        {"step": r["step"], "reward": r.get("reward"), "step_time": r.get("step_time"),
         "tools_call_frequency": r.get("tools/call_frequency"), "tools_failure_frequency": r.get("tools/failure_frequency"),
         **{n: r.get(f"rewards/{n}/mean") for n in names}}
        for r in read_metrics(run_dir / "metrics.jsonl") if "reward" in r
    ]  # fmt: skip
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "tools_training.json").write_text(json.dumps(result, indent=1, default=str) + "\n")
    plots = sorted(run_dir.glob("*.png"))
    if plots:
        shutil.copy(plots[0], RESULTS / "tools_training_rewards.png")
    lines = [
        "# `rewardkit train tools`: GRPO with TRL's tools= on the bundled tool-use sample",
        "",
        f"Bundled SmolLM2-135M-Instruct, TRL's Qwen2.5 chat template, {len(result['steps'])} steps on "
        f"{result['machine']['cpus']} CPUs; load average {result['load_before']} before, {result['load_after']} after; "
        f"{summary.get('measured_wall_seconds', '?')} s.",
        "",
        "| step | reward | " + " | ".join(names) + " | TRL tools/call_frequency | s |",
        "| ---: | ---: | " + " | ".join("---:" for _ in names) + " | ---: | ---: |",
    ]
    for s in result["steps"]:
        cells = [f"{s[n]:.3f}" if s.get(n) is not None else "-" for n in names]
        freq = s["tools_call_frequency"]
        lines.append(
            f"| {s['step']} | {s['reward']:.3f} | " + " | ".join(cells)
            + f" | {'-' if freq is None else f'{freq:.2f}'} | {s['step_time'] or 0:.0f} |"
        )
    (RESULTS / "tools_training.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
