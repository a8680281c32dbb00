"""``rewardkit train [CONFIG.yaml | PRESET] [options]``: a GRPO (or RLOO) run with a composition of rewards."""

from __future__ import annotations

import argparse
from typing import Any

from rewardkit.errors import ConfigError

from ..policy.algorithms import ALGORITHMS
from ..policy.config import TOP_KEYS as CONFIG_KEYS

DESCRIPTION = """\
Fine-tune a model with GRPO (or RLOO) through TRL, rewarded by a composition. Without a config it
runs the bundled default: the gsm8k preset on the bundled GSM8K sample with the bundled
SmolLM2-135M-Instruct, short enough for a laptop CPU. A preset name runs that preset's bundled
run (gsm8k, length, r1, ifeval, reasoning_gym). The options below override the config, as in TRL's GRPO scripts.

examples:
  rewardkit train --quick                                  # a 2-step smoke run of the setup
  rewardkit train --model ./my-model --dataset data.jsonl --rewards accuracy think_format:0.5
  rewardkit train r1 --max-steps 50 --learning-rate 1e-6 --report-to tensorboard
  rewardkit train run.yaml --eval-only --max-samples 50    # score the model; train nothing

What a run writes to its output_dir:
  metrics.jsonl   one record per log with TRL's metrics (reward, rewards/NAME/mean and /std per
                  component, loss, kl, completions/mean_length, step_time) and rewardkit's
                  (rewardkit/reward_time, rewardkit/reward_share, rewardkit/NAME/errors, each
                  reward's own counters, the live diagnostics rewardkit/diag/NAME/...)
  rewards.png     each component's reward curve and the weighted total
  model/          the trained model, or the LoRA adapter, with its tokenizer and a model card
  summary.json    steps, wall time, every component's mean over the first and last steps
  completions/    the completions TRL logged
  diagnostics/    report.html and diagnostics.json: rewardkit diagnose on the run
"""

EVAL_ROWS = 20  # rows --eval-only scores without --max-samples, as `rewardkit eval`


def positive(kind: type):
    """An argparse type: a number of ``kind`` above zero."""

    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a {kind.__name__}, got {text!r}") from None
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be above 0, got {text}")
        return value

    parse.__name__ = kind.__name__
    return parse


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("config", nargs="?", metavar="CONFIG|PRESET",
                   help="train YAML, or a preset name for its bundled run (default: the gsm8k default run)")
    run = p.add_argument_group("what to train (each overrides the config)")
    run.add_argument("--model", metavar="PATH", help="model directory, .gguf file or 'smollm2' (the bundled default)")
    run.add_argument("--dataset", metavar="PATH", help="a .jsonl/.json/.csv/.parquet file, a datasets directory or a bundled "
                                       "sample (gsm8k, scitldr)")
    run.add_argument("--rewards", nargs="+", action="extend", metavar="NAME[:WEIGHT]",
                     help="rewards, aliases, a preset or a composition YAML, each with an optional :WEIGHT")
    run.add_argument("--max-samples", type=positive(int), metavar="N", help="use only the first N dataset rows")
    hyper = p.add_argument_group("training settings (each overrides the config's trainer: section)")
    hyper.add_argument("--epochs", type=positive(float), metavar="N", help="num_train_epochs (drops max_steps)")
    hyper.add_argument("--max-steps", type=positive(int), metavar="N", help="stop after N optimizer steps")
    hyper.add_argument("--learning-rate", type=positive(float), metavar="LR",
                       help="default: 1e-6 for full fine-tuning, 1e-5 for LoRA")
    hyper.add_argument("--batch-size", type=positive(int), metavar="N",
                       help="completions per device and step (per_device_train_batch_size)")
    hyper.add_argument("--num-generations", type=positive(int), metavar="N", help="completions per prompt")
    hyper.add_argument("--max-completion-length", type=positive(int), metavar="N", help="new tokens per completion")
    hyper.add_argument("--report-to", nargs="+", action="extend", choices=["tensorboard", "wandb", "trackio", "none"],
                       metavar="TRACKER", help="tensorboard, wandb or trackio (pip install 'rewardkit[tracking]')")
    p.add_argument("--output-dir", help="override output_dir")
    p.add_argument("--seed", type=int, help="override seed")
    p.add_argument("--algorithm", choices=ALGORITHMS, help="override algorithm: GRPOTrainer or RLOOTrainer")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--quick", action="store_true",
                      help="a smoke run: 2 tiny steps on 4 rows, to check a setup end to end (output_dir-quick)")
    mode.add_argument("--dry-run", action="store_true", help="build everything and score a few samples; train nothing")
    mode.add_argument("--eval-only", action="store_true",
                      help=f"score the model on the evaluation split (first --max-samples rows, default {EVAL_ROWS}); "
                           "train nothing")
    p.add_argument(
        "--resume-from-checkpoint",
        metavar="PATH",
        nargs="?",
        const="last",
        help="resume from a checkpoint directory, or (no value) from the last checkpoint in output_dir",
    )


def config_from_args(args: argparse.Namespace) -> Any:
    """The run's config: the file, preset or default, then --quick, then the explicit options."""
    from ..policy.config import OVERRIDES, load_run_config
    from ..policy.reward_options import rewards_spec

    config = load_run_config(args.config)
    if getattr(args, "quick", False):
        config = config.quick()
    options = {key: getattr(args, key) for key in OVERRIDES}
    options["rewards"] = rewards_spec(args.rewards) if args.rewards else None
    options["report_to"] = _report_to(args.report_to)
    return config.with_overrides(**options)


def _report_to(values: list[str] | None) -> Any:
    if not values:
        return None
    named = [v for v in values if v != "none"]
    return named or "none"


def run(args: argparse.Namespace) -> int:
    from ..policy.training import dry_run, train

    config = config_from_args(args)
    if args.eval_only:
        return evaluate_only(config, args)
    if args.dry_run:
        dry_run(config)
    else:
        summary = train(config, resume_from_checkpoint=args.resume_from_checkpoint)
        if args.quick:
            print(f"\nquick run OK: data, rewards, generation, {summary['steps']} optimizer steps and saving all "
                  "work; this checks the setup, not learning (drop --quick for the real run)")
    return 0


def evaluate_only(config: Any, args: argparse.Namespace) -> int:
    """``--eval-only``: the model (``--model`` or the config's) scored on the evaluation split."""
    from ..policy.evaluation import evaluate
    from .evaluate import print_result

    if args.resume_from_checkpoint:
        raise ConfigError("--eval-only trains nothing, so there is no checkpoint to resume from")
    result = evaluate(config, n=args.max_samples or EVAL_ROWS)
    print_result(result)
    return 0


def check_config(path: str) -> list[str]:
    """``rewardkit check`` of a train config: keys, rewards, GRPOConfig, dataset and prompts, and
    where the model is; the run header's lines. No model is loaded."""
    from ..default_model import model_location
    from ..policy.config import load_config
    from ..policy.training import describe_plan, plan_run

    config = load_config(path)
    return describe_plan(plan_run(config), model_location(config.model_spec())).splitlines()
