"""``rewardkit rm-train CONFIG``: train a reward model on preference pairs, for ``rm_score`` (docs/reward_models.md)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from ..reward_model.config import TOP_KEYS as CONFIG_KEYS

DESCRIPTION = """\
Train a reward model on preference pairs (JSONL), for the rm_score reward: a scalar head (TRL's
RewardTrainer) or a head that predicts a 1..K rating distribution (head: distribution), with
full fine-tuning or LoRA. Saves a directory rm_score loads as it is, and prints the held-out
accuracy before and after. The config's keys are in docs/reward_models.md.

example:
  rewardkit rm-train examples/rm_train_hh.yaml --max-steps 50
"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("config", help="rm-train YAML file")
    p.add_argument("--output-dir", help="where the model is saved (overrides output_dir)")
    p.add_argument("--max-steps", type=int, help="stop after this many optimizer steps")
    p.add_argument("--limit", type=int, help="use only the first N pairs (overrides data.limit)")
    p.add_argument("--seed", type=int, help="overrides seed")
    p.add_argument("--dry-run", action="store_true", help="load data and model, measure accuracy, train nothing")


def run(args: argparse.Namespace) -> int:
    from ..reward_model.config import load_config
    from ..reward_model.training import train_reward_model

    config = load_config(args.config)
    update: dict[str, Any] = {}
    if args.seed is not None:
        update["seed"] = args.seed
    if args.limit is not None:
        update["data"] = config.data.model_copy(update={"limit": args.limit})
    config = config.model_copy(update=update)
    output_dir = str(Path(args.output_dir).resolve()) if args.output_dir else None
    metrics = train_reward_model(config, output_dir=output_dir, max_steps=args.max_steps, dry_run=args.dry_run)
    print(json.dumps({k: metrics[k] for k in ("before", "after") if k in metrics}, indent=2))
    return 0


def check_config(path: str) -> list[str]:
    """``rewardkit check`` of an rm-train config: keys, RewardConfig options, the preference data
    and where the model is. No model is loaded."""
    from ..default_model import model_location
    from ..preferences import load_pairs
    from ..reward_model.config import load_config
    from ..reward_model.training import reward_config

    config = load_config(path)
    spec = config.data
    pairs, skipped = load_pairs(config.path(spec.path), spec, spec.limit)
    held_out = f"{spec.eval_path} held out" if spec.eval_path else f"{spec.eval_fraction:g} of them held out"
    args = reward_config(config, config.path(config.output_dir))
    lora = f"LoRA r={config.lora.r} alpha={config.lora.alpha}" if config.lora else "full fine-tuning"
    return [
        f"model:    {model_location(config.model_spec())}  ({lora})",
        f"data:     {config.path(spec.path)}: {len(pairs)} usable pairs ({skipped} rows skipped), {held_out}",
        f"sequences: max_length={config.max_length} truncation_side={config.truncation_side} template={config.template}",
        f"trainer:  epochs={args.num_train_epochs:g} learning_rate={args.learning_rate:g} "
        f"batch_size={args.per_device_train_batch_size} seed={config.seed}",
        f"output:   {config.path(config.output_dir)}",
    ]
