"""Reward-model benchmark: a scalar and a 1..10 distribution head trained on the same HH-RLHF pairs and budget.

    python bench/rm_bench.py                       # bundled SmolLM2-135M-Instruct, LoRA, CPU-sized
    python bench/rm_bench.py --model DIR --train-pairs 1600 --eval-pairs 400 --max-length 512 --epochs 2
    python bench/rm_bench.py --keep-distribution runs/rm-dist   # keep the distribution model (bench/seed002.py)

For each head (``scalar``: TRL's RewardTrainer; ``distribution``: 10 classes, the loss
``−log Σ_{i>j} p_w(i) p_l(j)``), on the same held-out pairs of
``../shared/data/hh_rlhf_harmless_base``: pairwise accuracy (chosen scored higher: the logit, or
``E``) before (fresh random head: the chance baseline) and after training, the model's mean
preference probability (``σ(r_w − r_l)``, or ``Σ_{i>j} p_w(i) p_l(j)``), the distribution's mean σ
and tie probability, training throughput, and the accuracy re-measured by scoring the saved
directory through the ``rm_score`` reward with only the parameters rm-train wrote. Writes
``bench/results/rm_bench.json`` and ``.md``.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("REWARDKIT_SHARED_DATA", REPO.parent / "shared" / "data"))
HEADS = ("scalar", "distribution")


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


def settings_for(args: argparse.Namespace, head: str) -> dict:
    total = args.train_pairs + args.eval_pairs
    return {
        "model": args.model,
        "head": head,
        "data": {"path": args.data, "format": "hh", "limit": total, "eval_fraction": args.eval_pairs / total},
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


def rm_score_accuracy(model_dir: str, held: list[dict]) -> tuple[float, float]:
    """Held-out accuracy through rm_score with the saved parameters only, and its pairs per second."""
    from rewardkit import get_reward

    params = json.loads((Path(model_dir) / "rewardkit_rm.json").read_text())["rm_score"]
    reward = get_reward("rm_score", **params, batch_size=16)
    prompts = [p["prompt"] for p in held]
    start = time.perf_counter()
    chosen = reward([p["chosen"] for p in held], prompts)
    rejected = reward([p["rejected"] for p in held], prompts)
    seconds = time.perf_counter() - start
    return sum(c > r for c, r in zip(chosen, rejected)) / len(held), len(held) / seconds


def run_head(args: argparse.Namespace, head: str, keep: str | None) -> dict:
    from rewardkit.trainers.preferences import load_pairs, split_pairs
    from rewardkit.trainers.reward_model.config import load_config
    from rewardkit.trainers.reward_model.training import train_reward_model

    config = load_config(settings_for(args, head))
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        metrics = train_reward_model(config, output_dir=tmp, log=lambda *a: print(f"[{head}]", *a, flush=True))
        wall = time.perf_counter() - started
        pairs, _ = load_pairs(config.path(config.data.path), config.data, config.data.limit)
        _, held = split_pairs(pairs, config.data.eval_fraction, config.seed)
        via_rm_score, score_rate = rm_score_accuracy(tmp, held)
        if keep:
            shutil.rmtree(keep, ignore_errors=True)
            shutil.copytree(tmp, keep)
            # rewardkit_rm.json names the temporary directory: point it at the kept copy
            params = json.loads((Path(keep) / "rewardkit_rm.json").read_text())
            params["rm_score"]["path"] = str(Path(keep).resolve())
            (Path(keep) / "rewardkit_rm.json").write_text(json.dumps(params, indent=2) + "\n")
    return {
        "head": head,
        "num_labels": metrics["num_labels"],
        "train_pairs": metrics["train_pairs"],
        "eval_pairs": metrics["eval_pairs"],
        "truncated_sequences": metrics["truncated_sequences"],
        "before": metrics["before"],
        "after": metrics["after"],
        "accuracy_after_via_rm_score": via_rm_score,
        "train_steps": metrics["train_steps"],
        "train_loss": metrics["train_loss"],
        "train_seconds": metrics["train_seconds"],
        "train_pairs_per_second": metrics["train_pairs_per_second"],
        "rm_score_pairs_per_second": score_rate,
        "wall_seconds": wall,
        "kept_at": keep,
    }


def markdown(result: dict) -> str:
    s = result["settings"]
    lines = [
        "# Reward-model heads on HH-RLHF pairs (`bench/rm_bench.py`)",
        "",
        f"Finished {result['date']} on {result['machine']['cpus']} CPUs ({result['machine']['device']}), "
        f"torch {result['machine']['torch']}, trl {result['machine']['trl']}; load average (1, 5, 15 min) at the "
        f"start {result['machine']['load_average_1_5_15']}, at the end {result['load_average_at_end']}: other jobs "
        "shared the machine, so the times are upper bounds.",
        f"Base model {result['base_model']}, LoRA {s['lora']}, max_length {s['max_length']} (left truncation), "
        f"{s['trainer']['num_train_epochs']} epoch(s), batch {s['trainer']['per_device_train_batch_size']}, "
        f"learning rate {s['trainer']['learning_rate']}, seed {s['seed']}; the same pairs and budget for both heads.",
        "",
        "| head | train / held-out pairs | accuracy before | accuracy after | via `rm_score` | "
        "mean P(w ≻ l) before | after | mean σ after | mean P(tie) after | train s | train pairs/s |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for h in result["heads"]:
        b, a = h["before"], h["after"]
        sigma = f"{a['mean_std']:.2f}" if "mean_std" in a else "–"
        tie = f"{a['mean_tie_probability']:.3f}" if "mean_tie_probability" in a else "–"
        lines.append(
            f"| {h['head']} | {h['train_pairs']} / {h['eval_pairs']} | {b['accuracy']:.3f} | {a['accuracy']:.3f} | "
            f"{h['accuracy_after_via_rm_score']:.3f} | {b['mean_preference_probability']:.3f} | "
            f"{a['mean_preference_probability']:.3f} | {sigma} | {tie} | {h['train_seconds']:.0f} | "
            f"{h['train_pairs_per_second']:.2f} |"
        )
    n = result["heads"][0]["eval_pairs"]
    lines += [
        "",
        f"With {n} held-out pairs, one pair is {1 / n:.3f} of accuracy and the standard error of an accuracy "
        f"near 0.5 is about {0.5 / n ** 0.5:.3f}. The scalar head's preference probability is the "
        "Bradley–Terry σ(r_w − r_l); the distribution head's is P(s_w > s_l), which leaves the tie mass out, "
        "so the two are not on the same footing near 0.5. A 10-class softmax that is uniform has σ 2.87 and "
        "P(tie) 0.1.",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="smollm2", help="base model: smollm2 (bundled) or a local directory")
    parser.add_argument("--data", default=str(DATA / "hh_rlhf_harmless_base" / "test_first2000.jsonl"))
    parser.add_argument("--train-pairs", type=int, default=128)
    parser.add_argument("--eval-pairs", type=int, default=64)
    parser.add_argument("--max-length", type=int, default=128)
    parser.add_argument("--epochs", type=float, default=1.0)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--learning-rate", type=float, default=5e-4)
    parser.add_argument("--lora-r", type=int, default=16, help="0: full fine-tuning")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--heads", nargs="+", choices=HEADS, default=list(HEADS))
    parser.add_argument("--keep-distribution", help="copy the trained distribution model to this directory")
    parser.add_argument("--out", default=str(REPO / "bench" / "results" / "rm_bench.json"))
    args = parser.parse_args(argv)

    started = machine()
    heads = [run_head(args, head, args.keep_distribution if head == "distribution" else None) for head in args.heads]
    settings = settings_for(args, "both")
    settings.pop("head")
    settings["data"]["path"] = "hh_rlhf_harmless_base/" + Path(args.data).name
    from rewardkit.trainers.default_model import resolve_model_path

    result = {
        "benchmark": "rm_bench",
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "machine": started,
        "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
        "settings": settings,
        "base_model": Path(str(resolve_model_path(args.model))).name,
        "heads": heads,
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    out.with_suffix(".md").write_text(markdown(result))
    print(markdown(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
