"""Reward-model benchmark: train on real HH-RLHF pairs, report held-out pairwise accuracy and speed.

    python bench/rm_bench.py                       # bundled SmolLM2-135M-Instruct, LoRA, CPU-sized
    python bench/rm_bench.py --model DIR --train-pairs 1600 --eval-pairs 400 --max-length 512

Measures, on the held-out pairs of ``../shared/data/hh_rlhf_harmless_base``: pairwise accuracy of the
base model with its fresh (random) head ("before") and after training, training throughput (pairs
per second, as TRL reports it), and scoring throughput of the saved model through the ``rm_score``
reward (pairs per second, rendering and tokenization included). Writes a JSON file to
``bench/results/``.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("REWARDKIT_SHARED_DATA", REPO.parent / "shared" / "data"))


def machine() -> dict:
    import torch

    info = {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "device": "cuda" if torch.cuda.is_available() else "cpu",
        "load_average_1_5_15": [round(x, 2) for x in os.getloadavg()],  # other work sharing the CPUs
    }
    if torch.cuda.is_available():
        info["gpu"] = torch.cuda.get_device_name(0)
    for module in ("transformers", "trl", "peft"):
        info[module] = __import__(module).__version__
    return info


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="smollm2", help="base model: smollm2 (bundled) or a local directory")
    parser.add_argument("--data", default=str(DATA / "hh_rlhf_harmless_base" / "test_first2000.jsonl"))
    parser.add_argument("--train-pairs", type=int, default=192)
    parser.add_argument("--eval-pairs", type=int, default=96)
    parser.add_argument("--max-length", type=int, default=128)
    parser.add_argument("--epochs", type=float, default=1.0)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--learning-rate", type=float, default=3e-4)
    parser.add_argument("--lora-r", type=int, default=16, help="0: full fine-tuning")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=str(REPO / "bench" / "results" / "rm_bench.json"))
    args = parser.parse_args(argv)

    from rewardkit import get_reward
    from rewardkit.trainers.preferences import load_pairs, split_pairs
    from rewardkit.trainers.rm_config import load_config
    from rewardkit.trainers.rm_training import train_reward_model

    total = args.train_pairs + args.eval_pairs
    settings = {
        "model": args.model,
        "data": {
            "path": args.data,
            "format": "hh",
            "limit": total,
            "eval_fraction": args.eval_pairs / total,
        },
        "max_length": args.max_length,
        "truncation_side": "left",
        "lora": {"r": args.lora_r, "alpha": 2 * args.lora_r, "dropout": 0.05} if args.lora_r else None,
        "trainer": {
            "num_train_epochs": args.epochs,
            "learning_rate": args.learning_rate,
            "per_device_train_batch_size": args.batch_size,
            "logging_steps": 5,
            "disable_tqdm": True,
        },
        "seed": args.seed,
        "eval_batch_size": 16,
    }
    config = load_config(settings)
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        metrics = train_reward_model(config, output_dir=tmp, log=lambda *a: print(*a, flush=True))
        wall = time.perf_counter() - started

        pairs, _ = load_pairs(config.path(config.data.path), config.data, config.data.limit)
        _, held = split_pairs(pairs, config.data.eval_fraction, config.seed)
        reward = get_reward("rm_score", path=tmp, max_length=args.max_length, batch_size=16)
        prompts = [p["prompt"] for p in held]
        start = time.perf_counter()
        chosen = reward([p["chosen"] for p in held], prompts)
        rejected = reward([p["rejected"] for p in held], prompts)
        score_seconds = time.perf_counter() - start
        rm_score_accuracy = sum(c > r for c, r in zip(chosen, rejected)) / len(held)

    result = {
        "benchmark": "rm_bench",
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "machine": machine(),
        "settings": {**settings, "data": {**settings["data"], "path": "hh_rlhf_harmless_base/test_first2000.jsonl"}},
        "base_model": metrics["base_model"],
        "train_pairs": metrics["train_pairs"],
        "eval_pairs": metrics["eval_pairs"],
        "truncated_sequences": metrics["truncated_sequences"],
        "accuracy_before": metrics["before"]["accuracy"],
        "accuracy_after": metrics["after"]["accuracy"],
        "accuracy_after_via_rm_score": rm_score_accuracy,
        "mean_margin_after": metrics["after"]["mean_margin"],
        "train_steps": metrics["train_steps"],
        "train_loss": metrics["train_loss"],
        "train_seconds": metrics["train_seconds"],
        "train_pairs_per_second": metrics["train_pairs_per_second"],
        "eval_pairs_per_second_model": metrics["after"]["pairs_per_second"],
        "rm_score_pairs_per_second": len(held) / score_seconds,
        "wall_seconds": wall,
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
