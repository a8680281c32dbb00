"""``rewardkit eval CONFIG --model PATH``: generate completions for a split and score them."""

from __future__ import annotations

import argparse
from typing import Any

from rewardkit.errors import ConfigError

DESCRIPTION = """\
Generate completions for rows of a dataset split with a model and score them with the run's
rewards: a few completions, then each component's mean, std, min, max and None count. Run it on
the starting model and on a trained one to compare "before" and "after" with the same prompts,
rewards and decoding (greedy by default, so two runs see the same completions). --model takes a
model directory, a LoRA adapter directory (its base model is loaded and the adapter applied),
smollm2 (the bundled model) or a .gguf file.

examples:
  rewardkit eval gsm8k --n 50                                   # the bundled gsm8k run's model
  rewardkit eval gsm8k --model runs/gsm8k-default/model --n 50  # after rewardkit train
"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("config", nargs="?", metavar="CONFIG|PRESET",
                   help="train YAML, or a preset name for its bundled run (default: the gsm8k default run)")
    p.add_argument("--model", help="model or adapter directory, 'smollm2' or a .gguf file (default: the config's model)")
    p.add_argument("--n", type=int, default=20, help="number of dataset rows to evaluate (default 20)")
    p.add_argument("--split", help="dataset split (default: dataset.eval_split, else test if present)")
    p.add_argument("--max-new-tokens", type=int, help="default: trainer.max_completion_length, else 256")
    p.add_argument("--temperature", type=float, default=0.0, help="0 = greedy (default)")
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--seed", type=int, help="sampling seed (default: the config's seed)")
    p.add_argument("--out", help="write each row's prompt, completion and scores as JSONL")
    p.add_argument("--show", type=int, default=2, help="completions to print (default 2)")


def run(args: argparse.Namespace) -> int:
    from ..policy.config import load_run_config
    from ..policy.evaluation import evaluate

    if args.n < 1:
        raise ConfigError("--n must be at least 1")
    config = load_run_config(args.config)
    result = evaluate(
        config,
        model=args.model,
        n=args.n,
        split=args.split,
        max_new_tokens=args.max_new_tokens,
        temperature=args.temperature,
        batch_size=args.batch_size,
        seed=args.seed,
        out=args.out,
    )
    print_result(result, show=args.show, out=args.out)
    return 0


def print_result(result: dict[str, Any], *, show: int = 2, out: str | None = None) -> None:
    """A few completions, then the per-component table of an evaluation."""
    for row in result["rows"][: max(show, 0)]:
        print(f"--- row {row['index']}  total {_fmt(row['scores']['total'])}")
        print(row["completion"])
    print()
    print(f"model: {result['model']}  split: {result['split']}  rows: {result['n']}  "
          f"({result['seconds']:.1f} s)")
    print(result["table"])
    if out:
        print(f"\nwrote {result['n']} rows to {out}")


def _fmt(value: float | None) -> str:
    return "None" if value is None else f"{value:.3f}"
