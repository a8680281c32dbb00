"""What trains best on HH-RLHF on a CPU: the head alone, the last layers, LoRA or every weight, through rm-train.

    python bench/rm_sweep.py                       # every config below, one after another
    python bench/rm_sweep.py --only head-15 lora-15

Each config is a real ``rm-train`` run on the same pairs: the training side of rm-train's
conversation split of the 2,000 shared harmless-base pairs (the held-out side, on which the reported
model is measured, is never used here), split once more by conversation into ``fit`` pairs (written
to ``runs/rm_sweep/fit.jsonl``) and ``validation`` pairs (``eval_path``). All read 64 tokens (left
truncation) with SmolLM2-135M-Instruct's chat template, in bfloat16, with the 1..10 distribution head
unless the name says ``scalar``; configs that train
more than the head keep their weights in float32. Writes ``bench/results/rm_sweep.{json,md}``; the wall time of a
config depends on how busy the shared machine was, so the load average is recorded with each.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import sys
import time
from pathlib import Path

from rm_bench import DATA, REPO, machine

WORK = REPO / "runs" / "rm_sweep"
HEAD = {"num_train_epochs": 15, "learning_rate": 1e-3, "per_device_train_batch_size": 32}
ONE_EPOCH = {"num_train_epochs": 1, "per_device_train_batch_size": 8}
# weights that train stay float32: an AdamW step of 1e-5 is lost in bfloat16's 8 bits of mantissa
TRAINED = {"dtype": "float32"}
CONFIGS = {
    "head-15": {"num_layers": 15, "trainable_layers": 0, "trainer": HEAD},
    "head-15-scalar": {"head": "scalar", "num_layers": 15, "trainable_layers": 0, "trainer": HEAD},
    "head-30": {"trainable_layers": 0, "trainer": HEAD},
    "head-4": {"num_layers": 4, "trainable_layers": 0, "trainer": HEAD},
    "last2-15": {"num_layers": 15, "trainable_layers": 2, **TRAINED, "trainer": {**ONE_EPOCH, "learning_rate": 1e-4}},
    "lora-15": {"num_layers": 15, "lora": {"r": 16, "alpha": 32, "dropout": 0.05}, **TRAINED,
                "trainer": {**ONE_EPOCH, "learning_rate": 2e-4}},
    "full-15": {"num_layers": 15, **TRAINED, "trainer": {**ONE_EPOCH, "learning_rate": 1e-5}},
}  # fmt: skip


def write_split(data: str) -> tuple[Path, Path]:
    """rm-train's training side, split by conversation into fit and validation files (pairs format)."""
    from rewardkit.trainers.preferences import load_pairs, split_pairs
    from rewardkit.trainers.reward_model.config import DataSpec

    pairs, _ = load_pairs(data, DataSpec(path=data, format="hh"))
    train, _ = split_pairs(pairs, 0.2, 0)  # what rm-train holds out with eval_fraction 0.2, seed 0
    fit, validation = split_pairs(train, 0.25, 1)
    WORK.mkdir(parents=True, exist_ok=True)
    paths = WORK / "fit.jsonl", WORK / "validation.jsonl"
    for path, part in zip(paths, (fit, validation)):
        path.write_text("".join(json.dumps(p) + "\n" for p in part))
    return paths


def run(name: str, fit: Path, validation: Path) -> dict:
    from rewardkit.trainers.reward_model.config import load_config
    from rewardkit.trainers.reward_model.training import train_reward_model

    settings = {
        "model": "smollm2",
        "head": "distribution",
        "data": {"path": str(fit), "format": "pairs", "eval_path": str(validation)},
        "max_length": 64,
        "dtype": "bfloat16",
        "output_dir": str(WORK / name),
        "seed": 0,
        **CONFIGS[name],
    }
    settings["trainer"] = {**settings["trainer"], "logging_steps": 50, "disable_tqdm": True}
    load = [round(x, 2) for x in os.getloadavg()]
    started = time.perf_counter()
    metrics = train_reward_model(load_config(settings), log=lambda *a: print(f"[{name}]", *a, flush=True))
    return {
        "name": name,
        "settings": CONFIGS[name],
        "before": metrics["before"],
        "after": metrics["after"],
        "train_pairs": metrics["train_pairs"],
        "validation_pairs": metrics["eval_pairs"],
        "learning_curve": metrics["learning_curve"],
        "train_seconds": metrics["train_seconds"],
        "wall_seconds": time.perf_counter() - started,
        "load_average_at_start": load,
    }


def markdown(result: dict) -> str:
    lines = [
        "# What trains on HH-RLHF on a CPU (`bench/rm_sweep.py`)",
        "",
        f"Finished {result['date']}; {result['machine']['cpus']} CPUs shared with other jobs (load average at "
        "the start of each config in the table). Fit and validation pairs: rm-train's training side of the "
        "2,000 shared harmless-base pairs, split by conversation; the held-out pairs of the reported model "
        "are not used. 64 tokens (left truncation), bfloat16, seed 0.",
        "",
        "| config | what trains | fit / validation pairs | validation accuracy before → after (± s.e.) | "
        "mean σ after (right / wrong) | train s | load |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in result["runs"]:
        s, a, b = r["settings"], r["after"], r["before"]
        depth = f"first {s['num_layers']} layers" if s.get("num_layers") else "all 30 layers"
        if s.get("trainable_layers") == 0:
            what = f"head only, {depth}, {s['trainer']['num_train_epochs']} epochs, lr {s['trainer']['learning_rate']:g}"
        elif s.get("trainable_layers"):
            what = f"last {s['trainable_layers']} layers + head, {depth}, 1 epoch, lr {s['trainer']['learning_rate']:g}"
        elif s.get("lora"):
            what = f"LoRA r={s['lora']['r']} + head, {depth}, 1 epoch, lr {s['trainer']['learning_rate']:g}"
        else:
            what = f"every weight, {depth}, 1 epoch, lr {s['trainer']['learning_rate']:g}"
        head = "scalar" if s.get("head") == "scalar" else "1..10"
        sigma = f"{a['mean_std']:.2f} ({a['mean_std_right']:.2f} / {a['mean_std_wrong']:.2f})" if "mean_std" in a else "–"
        lines.append(
            f"| {r['name']} | {what}; {head} head | {r['train_pairs']} / {r['validation_pairs']} | "
            f"{b['accuracy']:.3f} → **{a['accuracy']:.3f}** ± {a['accuracy_se']:.3f} | {sigma} | "
            f"{r['train_seconds']:.0f} | {r['load_average_at_start'][0]} |"
        )
    lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default=str(DATA / "hh_rlhf_harmless_base" / "test_first2000.jsonl"))
    parser.add_argument("--only", nargs="+", choices=list(CONFIGS), default=list(CONFIGS))
    args = parser.parse_args(argv)

    out = REPO / "bench" / "results" / "rm_sweep.json"
    previous = json.loads(out.read_text())["runs"] if out.exists() else []
    fit, validation = write_split(args.data)
    result = {"benchmark": "rm_sweep", "machine": machine(), "runs": [r for r in previous if r["name"] not in args.only]}
    for name in args.only:
        result["runs"].append(run(name, fit, validation))
        result["runs"].sort(key=lambda r: list(CONFIGS).index(r["name"]))
        result["date"] = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
        out.write_text(json.dumps(result, indent=2) + "\n")  # after every config: a long sweep keeps what it did
        out.with_suffix(".md").write_text(markdown(result))
    print(markdown(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
