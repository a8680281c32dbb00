"""The reported HH-RLHF reward model: ``rewardkit rm-train examples/rm_train_hh.yaml``, measured.

    python bench/rm_hh.py                                   # trains into runs/rm-hh, writes bench/results/rm_hh.*
    python bench/rm_hh.py --config my.yaml --output-dir runs/other --rescore 0

Trains with the example config exactly as a user would (the data path is taken from
``$REWARDKIT_SHARED_DATA`` when the config's relative path does not exist here), then reports on the
held-out pairs (whole conversations the model never saw): accuracy before and after with its
standard error, the learning curve (held-out and training accuracy after every epoch, a PNG), σ on
the pairs the model orders right and wrong, and two checks that the model learned more than length:
the accuracy of "the shorter response wins" on the same pairs, and how the model's margin correlates
with the length difference. ``--rescore N`` scores the first N held-out pairs again through the
``rm_score`` reward with only the parameters rm-train wrote, and compares. Writes
``bench/results/rm_hh.{json,md,png}`` and copies the run's ``rm_train_metrics.json`` to
``bench/results/rm_hh_metrics.json``.
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import shutil
import sys
import time
from pathlib import Path

from rm_bench import DATA, REPO, machine

RESULTS = REPO / "bench" / "results"


def load(config_path: str, output_dir: str):
    from rewardkit.trainers.reward_model.config import load_config

    config = load_config(config_path)
    if not Path(config.path(config.data.path)).exists():  # a worktree without ../shared: the env's data
        local = DATA / "hh_rlhf_harmless_base" / Path(config.data.path).name
        config = config.model_copy(update={"data": config.data.model_copy(update={"path": str(local)})})
    return config.model_copy(update={"output_dir": str(Path(output_dir).resolve())})


def held_out_pairs(config) -> list[dict]:
    from rewardkit.trainers.preferences import load_pairs, split_pairs

    pairs, _ = load_pairs(config.path(config.data.path), config.data, config.data.limit)
    return split_pairs(pairs, config.data.eval_fraction, config.seed)[1]


def response_text(messages) -> str:
    return " ".join(m["content"] for m in messages) if isinstance(messages, list) else str(messages)


def rm_scores(model_dir: Path, pairs: list[dict]) -> tuple[list[float], list[float], float]:
    from rewardkit import get_reward

    params = json.loads((model_dir / "rewardkit_rm.json").read_text())["rm_score"]
    reward = get_reward("rm_score", **params, batch_size=16)
    prompts = [p["prompt"] for p in pairs]
    start = time.perf_counter()
    chosen = reward([p["chosen"] for p in pairs], prompts)
    rejected = reward([p["rejected"] for p in pairs], prompts)
    return chosen, rejected, time.perf_counter() - start


def pearson(xs: list[float], ys: list[float]) -> float:
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    cov = sum((x - mx) * (y - my) for x, y in zip(xs, ys))
    sx, sy = math.sqrt(sum((x - mx) ** 2 for x in xs)), math.sqrt(sum((y - my) ** 2 for y in ys))
    return cov / (sx * sy) if sx and sy else float("nan")


def plot_curve(metrics: dict, out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    curve = metrics["learning_curve"]
    n = metrics["eval_pairs"]
    epochs = [0] + [p["epoch"] for p in curve]
    held = [metrics["before"]["accuracy"]] + [p["held_out_accuracy"] for p in curve]
    se = [math.sqrt(a * (1 - a) / n) for a in held]
    fig, ax = plt.subplots(figsize=(6, 3.6))
    ax.plot(epochs, held, marker="o", label=f"held-out ({n} pairs, ±1 s.e.)")
    ax.fill_between(epochs, [a - s for a, s in zip(held, se)], [a + s for a, s in zip(held, se)], alpha=0.2)
    ax.plot([p["epoch"] for p in curve], [p["train_accuracy"] for p in curve], marker=".", label="training pairs")
    ax.axhline(0.5, color="grey", lw=0.8, ls="--", label="chance")
    ax.set_xlabel("epoch")
    ax.set_ylabel("pairwise accuracy")
    ax.set_title(f"HH-RLHF harmless-base, {metrics['head']} head ({metrics['train_pairs']} training pairs)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out, dpi=110)


def markdown(result: dict, config, metrics: dict) -> str:
    b, a, n = result["before"], result["after"], result["eval_pairs"]
    m = result["machine"]
    depth = f"the first {config.num_layers} of its layers" if config.num_layers else "all its layers"
    what = {0: "the head alone, on features computed once"}.get(config.trainable_layers, "see the config")
    lines = [
        "# The HH-RLHF reward model of `examples/rm_train_hh.yaml` (`bench/rm_hh.py`)",
        "",
        f"Finished {result['date']} on {m['cpus']} CPUs ({m['device']}), torch {m['torch']}, trl {m['trl']}; load "
        f"average (1, 5, 15 min) at the start {m['load_average_1_5_15']}, at the end {result['load_average_at_end']} "
        "(other jobs share this machine; times are upper bounds).",
        "",
        f"`rewardkit rm-train examples/rm_train_hh.yaml`: SmolLM2-135M-Instruct, {depth}, a "
        f"{metrics['head']} head ({metrics['num_labels']} classes) trained on {what}; {result['train_pairs']} "
        f"training pairs and {n} held-out pairs of the 2,000 shared harmless-base pairs, split by conversation; "
        f"{config.max_length} tokens, left truncation; {config.trainer}. Wall time {result['wall_seconds'] / 60:.1f} "
        f"min, of which training {result['train_seconds'] / 60:.1f} min.",
        "",
        "| held-out | accuracy ± s.e. | mean P(w ≻ l) | mean P(tie) | mean σ | σ on pairs ordered right / wrong |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, r in (("before (fresh head: chance)", b), ("after", a)):
        lines.append(
            f"| {name} | {r['accuracy']:.3f} ± {r['accuracy_se']:.3f} | {r['mean_preference_probability']:.3f} | "
            f"{r.get('mean_tie_probability', float('nan')):.3f} | {r.get('mean_std', float('nan')):.2f} | "
            f"{r.get('mean_std_right', float('nan')):.2f} / {r.get('mean_std_wrong', float('nan')):.2f} |"
        )
    lines += ["", f"Learning curve: `{Path(RESULTS / 'rm_hh.png').name}` (held-out and training accuracy after every epoch)."]
    best = max(result["learning_curve"], key=lambda p: p["held_out_accuracy"])
    lines.append(f"Held-out accuracy after epoch 1: {result['learning_curve'][0]['held_out_accuracy']:.3f}; highest "
                 f"{best['held_out_accuracy']:.3f} (epoch {best['epoch']:g}); the config's last epoch is reported.")  # fmt: skip
    lines += ["", f"Length: \"the shorter response wins\" is right on {result['shorter_response_wins_accuracy']:.3f} of the "
              "same held-out pairs."]  # fmt: skip
    if "rescored" in result:
        r = result["rescored"]
        (acc_s, n_s), (acc_l, n_l) = r["accuracy_where_the_chosen_is_shorter"], r["accuracy_where_the_chosen_is_longer"]
        lines += [
            f"Scored again through `rm_score` with only the parameters rm-train wrote: accuracy {r['accuracy']:.3f} on "
            f"{r['pairs']} pairs ({r['pairs_per_second']:.1f} pairs/s). The model's margin correlates with the "
            f"length difference (chosen − rejected, tokens) at Pearson {r['margin_vs_length_difference_pearson']:+.2f}; "
            f"it is right on {acc_s:.3f} of the {n_s} pairs whose chosen response is the shorter and on {acc_l:.3f} "
            f"of the {n_l} whose chosen response is the longer (a length detector: 1 and 0).",
        ]
    lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", default=str(REPO / "examples" / "rm_train_hh.yaml"))
    parser.add_argument("--output-dir", default=str(REPO / "runs" / "rm-hh"))
    parser.add_argument("--rescore", type=int, help="held-out pairs scored again through rm_score (default: all; 0: none)")
    parser.add_argument("--name", default="rm_hh", help="results file stem under bench/results/")
    args = parser.parse_args(argv)

    from rewardkit.trainers.reward_model.training import train_reward_model

    started = machine()
    config = load(args.config, args.output_dir)
    wall = time.perf_counter()
    metrics = train_reward_model(config, log=lambda *a: print(*a, flush=True))
    wall = time.perf_counter() - wall
    out = Path(config.output_dir)
    held = held_out_pairs(config)

    # "the shorter response wins", on the same held-out pairs
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(out)
    lengths = [(len(tokenizer(response_text(p["chosen"]))["input_ids"]),
                len(tokenizer(response_text(p["rejected"]))["input_ids"])) for p in held]  # fmt: skip
    shorter_wins = sum(c < r for c, r in lengths) / len(lengths)
    result = {
        "benchmark": "rm_hh",
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "machine": started,
        "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
        "config": Path(args.config).name,
        "wall_seconds": wall,
        "before": metrics["before"],
        "after": metrics["after"],
        "train_pairs": metrics["train_pairs"],
        "eval_pairs": metrics["eval_pairs"],
        "train_seconds": metrics["train_seconds"],
        "learning_curve": metrics["learning_curve"],
        "shorter_response_wins_accuracy": shorter_wins,
    }
    if args.rescore != 0:
        subset = held[: args.rescore]
        chosen, rejected, seconds = rm_scores(out, subset)
        margins = [c - r for c, r in zip(chosen, rejected)]
        shorter_chosen = [m > 0 for m, (c, r) in zip(margins, lengths) if c < r]
        longer_chosen = [m > 0 for m, (c, r) in zip(margins, lengths) if c > r]
        result["rescored"] = {
            "pairs": len(subset),
            "accuracy": sum(m > 0 for m in margins) / len(subset),
            "pairs_per_second": len(subset) / seconds,
            "margin_vs_length_difference_pearson": pearson(margins, [c - r for c, r in lengths[: len(subset)]]),
            # a length detector would be right on the first kind and wrong on the second
            "accuracy_where_the_chosen_is_shorter": [sum(shorter_chosen) / len(shorter_chosen), len(shorter_chosen)],
            "accuracy_where_the_chosen_is_longer": [sum(longer_chosen) / len(longer_chosen), len(longer_chosen)],
        }
    RESULTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(out / "rm_train_metrics.json", RESULTS / f"{args.name}_metrics.json")
    if metrics["learning_curve"]:
        plot_curve(metrics, RESULTS / f"{args.name}.png")
    (RESULTS / f"{args.name}.json").write_text(json.dumps(result, indent=2) + "\n")
    (RESULTS / f"{args.name}.md").write_text(markdown(result, config, metrics))
    print(markdown(result, config, metrics))
    return 0


if __name__ == "__main__":
    sys.exit(main())
