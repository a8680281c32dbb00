"""``rewardkit train [CONFIG.yaml]``: a GRPO run with a composition of rewards.

Without a config it runs the bundled default: the ``gsm8k`` preset on the bundled GSM8K sample
with the bundled SmolLM2-135M-Instruct, short enough for a laptop CPU.

What a run writes to its ``output_dir``:

- ``metrics.jsonl``: one record per log (every step by default) with TRL's metrics
  (``reward``, ``rewards/<name>/mean`` and ``/std`` per component, ``loss``, ``kl``,
  ``completions/mean_length``, ``step_time``) and rewardkit's (``rewardkit/reward_time``,
  ``rewardkit/reward_share``, ``rewardkit/<name>/errors``, each reward's own counters and the
  live diagnostics ``rewardkit/diag/<name>/...``);
- ``rewards.png``: each component's reward curve and the weighted total;
- ``model/``: the trained model, or the LoRA adapter, with its tokenizer;
- ``summary.json``: steps, wall time, and every component's mean over the first and last steps;
- ``completions/``: the completions TRL logged (``log_completions``, on by default here);
- ``diagnostics/``: ``report.html`` and ``diagnostics.json``, ``rewardkit diagnose`` on the run.
"""

from __future__ import annotations

import argparse

from rewardkit.errors import ConfigError

HELP = "GRPO fine-tuning with a composition of rewards (default: a short CPU run of the gsm8k preset)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("config", nargs="?", help="train YAML (default: the bundled gsm8k default run)")
    p.add_argument("--max-steps", type=int, help="override trainer.max_steps")
    p.add_argument("--output-dir", help="override output_dir")
    p.add_argument("--seed", type=int, help="override seed")
    p.add_argument("--dry-run", action="store_true", help="build everything and score a few samples; train nothing")
    p.add_argument(
        "--resume-from-checkpoint",
        metavar="PATH",
        nargs="?",
        const="last",
        help="resume from a checkpoint directory, or (no value) from the last checkpoint in output_dir",
    )


def run(args: argparse.Namespace) -> int:
    from ..train_config import load_config
    from ..training import dry_run, train

    if args.max_steps is not None and args.max_steps < 1:
        raise ConfigError("--max-steps must be at least 1")
    config = load_config(args.config).with_overrides(
        max_steps=args.max_steps, output_dir=args.output_dir, seed=args.seed
    )
    if args.dry_run:
        dry_run(config)
    else:
        train(config, resume_from_checkpoint=args.resume_from_checkpoint)
    return 0
