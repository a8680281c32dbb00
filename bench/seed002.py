"""Seed 002 at CPU scale: a 1..10 distribution RM from HH-RLHF pairs, then RLOO vs GRPO, with and without 1/(1+σ).

    python bench/seed002.py --rm runs/rm-dist        # a distribution RM from `bench/rm_bench.py --keep-distribution`
    python bench/seed002.py --rm runs/rm-dist --prompts-per-step 1 --generations 8 --out bench/results/seed002_1x8.json
    python bench/seed002.py                          # trains that RM first (rm-train, head: distribution)
    python bench/seed002.py --steps 200 --eval-prompts 500 --prompts-per-step 8   # GPU scale (see docs/training.md)

1. The reward model: ``rewardkit rm-train`` with ``head: distribution`` on the first HH-RLHF
   harmless-base pairs of ``../shared/data``, as ``bench/rm_bench.py`` trains it (or ``--rm DIR``).
2. Prompts: single-turn HH prompts from rows the RM never saw (from row ``--prompt-offset`` on):
   ``--train-prompts`` to train on, then ``--eval-prompts`` held out.
3. Four runs of the bundled SmolLM2-135M-Instruct with one reward, ``rm_score`` (``E[r]`` of the
   RM): ``grpo`` and ``rloo`` (TRL's trainers, through rewardkit's adapter), each without and with
   ``advantage: {sigma_from: rm_score}`` (advantages × 1/(1+σ)). Same seed, prompts, steps,
   learning rate and sampling for all four; ``beta: 0`` (no KL term) for both algorithms.
4. Before and after: greedy completions for the held-out prompts, scored by the same RM; the
   mean ``E[r]``, the mean σ, and the per-prompt paired difference after − before (mean and
   standard error).

Writes ``bench/results/seed002.json`` and ``.md``. Trained policies are deleted after their
evaluation (540 MB each); metrics stay under ``--work-dir``.
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

import rm_bench
from rm_bench import DATA, REPO, machine

RUNS = (("grpo", False), ("grpo", True), ("rloo", False), ("rloo", True))


def hh_prompts(path: Path, offset: int, count: int, max_chars: int) -> list[str]:
    """Distinct single-turn user prompts of HH-RLHF rows from ``offset`` on, at most ``max_chars`` long."""
    from rewardkit.jsonl import iter_jsonl
    from rewardkit.trainers.preferences import parse_hh

    found: list[str] = []
    for lineno, row in iter_jsonl(str(path)):
        if lineno <= offset:
            continue
        turns = parse_hh(row["chosen"])
        if len(turns) == 2 and turns[0]["role"] == "user" and len(turns[0]["content"]) <= max_chars:
            text = turns[0]["content"]
            if text not in found:
                found.append(text)
        if len(found) >= count:
            break
    return found


def train_rm(args: argparse.Namespace, out: Path) -> Path:
    """A distribution RM trained as ``bench/rm_bench.py`` trains it, kept at ``out``."""
    rm_bench.main([
        "--heads", "distribution", "--keep-distribution", str(out), "--out", str(out.parent / "rm_bench.json"),
        "--data", str(args.data), "--train-pairs", str(args.rm_pairs), "--eval-pairs", str(args.rm_eval_pairs),
        "--seed", str(args.seed),
    ])  # fmt: skip
    return out


def run_config(args: argparse.Namespace, rm_params: dict, algorithm: str, sigma: bool, work: Path) -> dict:
    name = f"{algorithm}{'-sigma' if sigma else ''}"
    return {
        "model": args.policy,
        "dataset": {"path": str(work / "train_prompts.jsonl"), "eval_path": str(work / "eval_prompts.jsonl")},
        "prompt": {"question_column": "question", "template": "chat"},
        "rewards": [{"name": "rm_score", "params": {**rm_params, "batch_size": 8}}],
        "algorithm": algorithm,
        "advantage": {"sigma_from": "rm_score" if sigma else None},
        "trainer": {
            "max_steps": args.steps,
            "learning_rate": args.learning_rate,
            "lr_scheduler_type": "constant",
            "num_generations": args.generations,
            "per_device_train_batch_size": args.generations * args.prompts_per_step,
            "max_completion_length": args.completion_tokens,
            "temperature": 1.0,
            "beta": 0.0,
            "save_strategy": "no",
        },
        "output_dir": str(work / name),
        "seed": args.seed,
    }


def held_out(config, model: str | None, n: int) -> dict:
    """Greedy completions of the held-out prompts scored by the RM: E[r] and σ per prompt."""
    from rewardkit.trainers.policy.evaluation import evaluate

    started = time.perf_counter()
    result = evaluate(config, model=model, n=n, temperature=0.0, batch_size=8)
    scores = result["scores"].components["rm_score"]
    stds = result["scores"].extra["rm_score"]["std"]
    return {
        "scores": scores,
        "std": stds,
        "mean": sum(scores) / len(scores),
        "mean_std": sum(stds) / len(stds),
        "mean_completion_chars": sum(len(r["completion"]) for r in result["rows"]) / len(result["rows"]),
        "example": result["rows"][0]["completion"],
        "seconds": round(time.perf_counter() - started, 1),
    }


def paired(after: list[float], before: list[float]) -> dict:
    diffs = [a - b for a, b in zip(after, before)]
    n = len(diffs)
    mean = sum(diffs) / n
    sd = math.sqrt(sum((d - mean) ** 2 for d in diffs) / (n - 1)) if n > 1 else float("nan")
    return {"mean": mean, "se": sd / math.sqrt(n), "improved": sum(d > 0 for d in diffs), "n": n}


def markdown(result: dict) -> str:
    s = result["settings"]
    base = result["before"]
    lines = [
        "# Seed 002 at CPU scale (`bench/seed002.py`)",
        "",
        f"Command: `{result['command']}`.",
        "",
        f"Finished {result['date']} on {result['machine']['cpus']} CPUs ({result['machine']['device']}), torch "
        f"{result['machine']['torch']}, trl {result['machine']['trl']}; load average (1, 5, 15 min) at the start "
        f"{result['machine']['load_average_1_5_15']}, at the end {result['load_average_at_end']}: other jobs "
        "shared the machine, so the times are upper bounds.",
        "",
        f"Reward model: {result['reward_model']['description']}. Policy: {s['policy']}, full "
        f"fine-tuning, {s['steps']} steps × {s['prompts_per_step']} prompt(s) × {s['generations']} completions "
        f"of up to {s['completion_tokens']} tokens, learning rate {s['learning_rate']} (constant), temperature 1, "
        f"beta 0, seed {s['seed']}; {s['train_prompts']} training prompts, {s['eval_prompts']} held-out prompts "
        "(single-turn HH-RLHF prompts the RM never saw). Reward: `rm_score` = E[r] on 1..10.",
        "",
        f"Held-out mean E[r] before training (greedy): **{base['mean']:.3f}** (E[r] from {min(base['scores']):.3f} "
        f"to {max(base['scores']):.3f} over the prompts; σ from {min(base['std']):.2f} to {max(base['std']):.2f}, "
        f"so 1/(1+σ) from {1 / (1 + max(base['std'])):.3f} to {1 / (1 + min(base['std'])):.3f}).",
        "",
        "| run | algorithm | × 1/(1+σ) | held-out E[r] after | after − before (paired, ± s.e.) | prompts improved | "
        "mean σ after | mean 1/(1+σ) in training | train reward, first → last 3 steps | train min |",
        "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in result["runs"]:
        d = r["paired"]
        fl = r["train_reward_first_last"]
        scale = f"{sum(r['advantage_scale']) / len(r['advantage_scale']):.3f}" if r["advantage_scale"] else "–"
        lines.append(
            f"| {r['name']} | {r['algorithm']} | {'yes' if r['sigma'] else 'no'} | {r['after']['mean']:.3f} | "
            f"{d['mean']:+.3f} ± {d['se']:.3f} | {d['improved']}/{d['n']} | {r['after']['mean_std']:.2f} | {scale} | "
            f"{fl[0]:.3f} → {fl[1]:.3f} | {r['train_seconds'] / 60:.1f} |"
        )
    lines += ["", f"Raw record: `{Path(s['out']).name}` (per-prompt scores of every model).", ""]
    return "\n".join(lines)


def logged(metrics_path: Path, key: str) -> list[float]:
    """Every logged value of ``key`` in a run's metrics.jsonl, in order."""
    records = [json.loads(line) for line in metrics_path.read_text().splitlines() if line.strip()]
    return [r[key] for r in records if r.get(key) is not None]


def first_last(values: list[float], k: int = 3) -> tuple[float, float]:
    return sum(values[:k]) / len(values[:k]), sum(values[-k:]) / len(values[-k:])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--policy", default="smollm2", help="the policy: smollm2 (bundled) or a model directory")
    parser.add_argument("--rm", help="a distribution reward model directory (default: train one)")
    parser.add_argument("--data", type=Path, default=DATA / "hh_rlhf_harmless_base" / "test_first2000.jsonl")
    parser.add_argument("--rm-pairs", type=int, default=128, help="RM training pairs (without --rm)")
    parser.add_argument("--rm-eval-pairs", type=int, default=64, help="RM held-out pairs (without --rm)")
    parser.add_argument("--prompt-offset", type=int, default=1000, help="prompts come from rows after this one")
    parser.add_argument("--train-prompts", type=int, default=24)
    parser.add_argument("--eval-prompts", type=int, default=32)
    parser.add_argument("--max-prompt-chars", type=int, default=200)
    parser.add_argument("--steps", type=int, default=12)
    parser.add_argument("--prompts-per-step", type=int, default=2, help="prompt groups per optimizer step")
    parser.add_argument("--generations", type=int, default=4, help="completions per prompt")
    parser.add_argument("--completion-tokens", type=int, default=64)
    parser.add_argument("--learning-rate", type=float, default=2e-5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--runs", nargs="+", default=[f"{a}{'-sigma' if s else ''}" for a, s in RUNS])
    parser.add_argument("--work-dir", type=Path, default=REPO / "runs" / "seed002")
    parser.add_argument("--out", default=str(REPO / "bench" / "results" / "seed002.json"))
    args = parser.parse_args(argv)

    from rewardkit.trainers.policy.config import load_config
    from rewardkit.trainers.policy.training import train

    started_machine = machine()
    work = args.work_dir
    work.mkdir(parents=True, exist_ok=True)
    rm_dir = Path(args.rm) if args.rm else train_rm(args, work / "rm")
    rm_params = json.loads((rm_dir / "rewardkit_rm.json").read_text())["rm_score"]
    rm_params["path"] = str(rm_dir.resolve())
    rm_metrics = json.loads((rm_dir / "rm_train_metrics.json").read_text())

    prompts = hh_prompts(args.data, args.prompt_offset, args.train_prompts + args.eval_prompts, args.max_prompt_chars)
    for name, part in (("train", prompts[: args.train_prompts]), ("eval", prompts[args.train_prompts :])):
        (work / f"{name}_prompts.jsonl").write_text("".join(json.dumps({"question": q}) + "\n" for q in part))

    first = load_config(run_config(args, rm_params, "grpo", False, work))
    before = held_out(first, None, args.eval_prompts)
    print(f"before: held-out E[r] {before['mean']:.3f}", flush=True)
    runs = []
    for algorithm, sigma in RUNS:
        name = f"{algorithm}{'-sigma' if sigma else ''}"
        if name not in args.runs:
            continue
        config = load_config(run_config(args, rm_params, algorithm, sigma, work))
        started = time.perf_counter()
        summary = train(config)
        train_seconds = time.perf_counter() - started
        model_dir = Path(summary["model_dir"])
        after = held_out(config, str(model_dir), args.eval_prompts)
        shutil.rmtree(model_dir)
        runs.append({
            "name": name, "algorithm": algorithm, "sigma": sigma, "after": after,
            "paired": paired(after["scores"], before["scores"]), "train_seconds": train_seconds,
            "train_reward_first_last": first_last(logged(Path(summary["metrics"]), "reward")),
            "advantage_scale": logged(Path(summary["metrics"]), "rewardkit/advantage_scale"),
            "steps": summary["steps"],
        })  # fmt: skip
        print(f"{name}: held-out E[r] {after['mean']:.3f} (before {before['mean']:.3f})", flush=True)

    after_rm = rm_metrics["after"]
    result = {
        "benchmark": "seed002",
        "command": " ".join(["python bench/seed002.py", *(sys.argv[1:] if argv is None else argv)]),
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "machine": started_machine,
        "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
        "settings": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "reward_model": {
            "metrics": rm_metrics,
            "description": (
                f"10-class distribution head on {Path(rm_metrics['base_model']).name} (LoRA), {rm_metrics['train_pairs']} HH-RLHF "
                f"pairs; held-out ({rm_metrics['eval_pairs']} pairs) pairwise accuracy "
                f"{rm_metrics['before']['accuracy']:.3f} → {after_rm['accuracy']:.3f}, mean P(w ≻ l) "
                f"{after_rm['mean_preference_probability']:.3f}, mean σ {after_rm['mean_std']:.2f}"
            ),
        },
        "prompts": {"train": prompts[: args.train_prompts], "eval": prompts[args.train_prompts :]},
        "before": before,
        "runs": runs,
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2, default=str) + "\n")
    out.with_suffix(".md").write_text(markdown(result))
    print(markdown(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
