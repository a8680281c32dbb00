"""Seed 002 at CPU scale: the HH-RLHF distribution RM, then RLOO/GRPO on its E[r], with and without 1/(1+σ).

    python bench/seed002.py --rm runs/rm-hh --runs rloo rloo-sigma --seeds 0 1 2   # the RM of bench/rm_hh.py
    python bench/seed002.py                          # trains that RM first (rm-train examples/rm_train_hh.yaml)
    python bench/seed002.py --rm RM --steps 200 --eval-prompts 500 --prompts-per-step 8   # GPU scale (docs/training.md)

1. The reward model: ``rewardkit rm-train examples/rm_train_hh.yaml`` (a 1..10 head on HH-RLHF
   harmless-base pairs), or ``--rm DIR``.
2. Prompts: distinct single-turn prompts of the conversations that RM held out (``--rm-config``
   gives the split), so it never saw them: ``--train-prompts`` to train on, then ``--eval-prompts``.
3. Runs of the bundled SmolLM2-135M-Instruct with one reward, ``rm_score`` (``E[r]`` of the RM):
   ``grpo`` and ``rloo`` (TRL's trainers, through rewardkit's adapter), each without and with
   ``advantage: {sigma_from: rm_score}`` (advantages × 1/(1+σ)), for each of ``--seeds``. Same
   prompts, steps, learning rate and sampling for all; ``beta: 0`` (no KL term).
4. Before and after: greedy completions for the held-out prompts, scored by the same RM; the mean
   ``E[r]``, the mean σ, the per-prompt paired difference after − before (mean and standard error),
   the mean completion length and the share of completions that decline (``rewardkit diagnose``'s refusal rule), the two
   things a harmlessness RM is easiest to game with; and ``rewardkit diagnose`` on each run.

Writes ``bench/results/seed002.json`` and ``.md``, after every run. ``--report-only`` rebuilds both
from the saved record (refusal shares and ``rewardkit diagnose`` recomputed, the runs' directories
kept under ``--work-dir``), e.g. after diagnose learned something new. Trained policies are deleted after their
evaluation (540 MB each); metrics stay under ``--work-dir``.
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import re
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from rm_bench import REPO, machine

RUNS = (("grpo", False), ("grpo", True), ("rloo", False), ("rloo", True))


def hh_prompts(rm_config: str, count: int, max_chars: int) -> list[str]:
    """Distinct single-turn user prompts, at most ``max_chars`` long, of the RM's held-out conversations.

    The conversations rm-train held out with ``rm_config`` (the same split, so the RM never saw them).
    """
    from rm_hh import held_out_pairs, load

    found: list[str] = []
    for pair in held_out_pairs(load(rm_config, "unused")):
        prompt = pair["prompt"] or []
        if len(prompt) == 1 and prompt[0]["role"] == "user" and len(prompt[0]["content"]) <= max_chars:
            if prompt[0]["content"] not in found:
                found.append(prompt[0]["content"])
    if len(found) < count:
        raise SystemExit(f"only {len(found)} single-turn held-out prompts: ask for fewer")
    return found[:count]


def train_rm(args: argparse.Namespace, out: Path) -> Path:
    """The RM of ``--rm-config`` (rm-train), kept at ``out``."""
    import rm_hh

    rm_hh.main(["--config", args.rm_config, "--output-dir", str(out), "--rescore", "0", "--name", "seed002_rm"])
    return out


def run_config(args: argparse.Namespace, rm_params: dict, algorithm: str, sigma: bool, work: Path, seed: int) -> dict:
    name = f"{algorithm}{'-sigma' if sigma else ''}-seed{seed}"
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
            "log_completions": True,  # diagnose's per-row figures (length, repetition, suspects) read them
        },
        "output_dir": str(work / name),
        "seed": seed,
    }


def held_out(config, model: str | None, n: int) -> dict:
    """Greedy completions of the held-out prompts scored by the RM: E[r] and σ per prompt."""
    from rewardkit.trainers.policy.evaluation import evaluate

    started = time.perf_counter()
    result = evaluate(config, model=model, n=n, temperature=0.0, batch_size=8)
    scores = result["scores"].components["rm_score"]
    stds = result["scores"].extra["rm_score"]["std"]
    texts = [r["completion"] for r in result["rows"]]
    return {
        "scores": scores,
        "std": stds,
        "mean": sum(scores) / len(scores),
        "mean_std": sum(stds) / len(stds),
        "mean_completion_chars": sum(map(len, texts)) / len(texts),
        "refusals": declining_share(texts),
        "completions": texts,
        "example": texts[0],
        "seconds": round(time.perf_counter() - started, 1),
    }


def declining_share(texts: list[str]) -> float:
    """The share of completions that decline (``rewardkit diagnose``'s rule): what a harmlessness RM
    can learn to pay for, whatever the prompt asked."""
    from rewardkit.diagnostics.refusals import refusal_phrase

    return sum(refusal_phrase(t) is not None for t in texts) / len(texts)


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
        f"beta 0; {s['train_prompts']} training prompts, {s['eval_prompts']} held-out prompts (single-turn prompts "
        "of the conversations the RM held out). Reward: `rm_score` = E[r] on 1..10.",
        "",
        f"Held-out mean E[r] before training (greedy): **{base['mean']:.3f}** (E[r] from {min(base['scores']):.3f} "
        f"to {max(base['scores']):.3f} over the prompts; σ from {min(base['std']):.2f} to {max(base['std']):.2f}); "
        f"completions {base['mean_completion_chars']:.0f} characters on average, {base['refusals']:.2f} of them "
        "declining.",
        "",
        "| run | seed | × 1/(1+σ) | held-out E[r] after | after − before (paired, ± s.e.) | prompts improved | "
        "mean σ after | declining after | characters after | training reward, first → last 3 steps | "
        "mean 1/(1+σ) in training | train min |",
        "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in result["runs"]:
        d, a = r["paired"], r["after"]
        scale = f"{sum(r['advantage_scale']) / len(r['advantage_scale']):.3f}" if r["advantage_scale"] else "–"
        lines.append(
            f"| {r['algorithm']} | {r['seed']} | {'yes' if r['sigma'] else 'no'} | {a['mean']:.3f} | "
            f"{d['mean']:+.3f} ± {d['se']:.3f} | {d['improved']}/{d['n']} | {a['mean_std']:.2f} | "
            f"{a['refusals']:.2f} | {a['mean_completion_chars']:.0f} | "
            f"{r['train_reward_first_last'][0]:.3f} → {r['train_reward_first_last'][1]:.3f} | {scale} | {r['train_seconds'] / 60:.1f} |"
        )
    pairs = sigma_vs_plain(result["runs"])
    if pairs:
        diffs = [p["difference"] for p in pairs]
        mean = sum(diffs) / len(diffs)
        sd = math.sqrt(sum((x - mean) ** 2 for x in diffs) / (len(diffs) - 1)) if len(diffs) > 1 else float("nan")
        lines += [
            "",
            "σ-shaped minus plain, same algorithm and seed, held-out E[r] after: "
            + ", ".join(f"{p['algorithm']} seed {p['seed']}: {p['difference']:+.3f}" for p in pairs)
            + f"; mean {mean:+.3f} (s.d. over seeds {sd:.3f}, n = {len(diffs)}).",
        ]
    if "second_rm" in result:
        m = result["second_rm"]["metrics"]
        lines += ["", f"A second reward model the policies were not trained on (`{Path(result['second_rm']['path']).name}`: "
                  f"{trained_what(m)}, {m['num_labels']}-class head, first {m.get('num_layers') or 'all'} layers, {m['train_pairs']} pairs, held-out accuracy {m['after']['accuracy']:.3f} ± "
                  f"{m['after']['accuracy_se']:.3f} on its {m['eval_pairs']} pairs) on the same held-out completions: "
                  f"before {sum(base['second_rm']) / len(base['second_rm']):.3f}; after, paired difference ± s.e.: "
                  + ", ".join(f"{r['name']} {r['second_rm_paired']['mean']:+.3f} ± {r['second_rm_paired']['se']:.3f} "
                              f"({r['second_rm_paired']['improved']}/{r['second_rm_paired']['n']} improved)"
                              for r in result["runs"]) + "."]
        second = {(r["algorithm"], r["seed"], r["sigma"]): r["second_rm_paired"]["mean"] for r in result["runs"]}
        gaps = [(a, seed, second[(a, seed, True)] - second[(a, seed, False)])
                for (a, seed, sigma) in second if sigma and (a, seed, False) in second]
        if gaps:
            lines += ["", "By the second reward model, σ-shaped minus plain, same algorithm and seed: "
                      + ", ".join(f"{a} seed {seed}: {g:+.3f}" for a, seed, g in gaps)
                      + f"; mean {sum(g for *_, g in gaps) / len(gaps):+.3f}."]
    lines += ["", "What `rewardkit diagnose` found in each run (its findings; the whole summary is in `runs[].diagnosis`):", ""]
    for r in result["runs"]:
        findings = [line.strip()[2:] for line in r["diagnosis"]["summary"].splitlines() if line.strip().startswith("- ")]
        lines.append(f"- {r['name']}: " + ("; ".join(findings) if findings else "no findings"))
    lines += ["", "Words in more (and fewer) of the held-out greedy completions after training than before "
              "(completions containing the word, of " + str(len(base["completions"])) + "): what the policy learned to say.", ""]
    for r in result["runs"]:
        rose, fell = word_shift(base["completions"], r["after"]["completions"])
        lines.append(f"- {r['name']}: more " + ", ".join(f"'{w}' {b} → {a}" for w, b, a in rose)
                     + "; fewer " + ", ".join(f"'{w}' {b} → {a}" for w, b, a in fell))
    lines += ["", f"Raw record: `{Path(s['out']).name}` (per-prompt scores and completions of every model).", ""]  # fmt: skip
    return "\n".join(lines)


WORD = re.compile(r"[a-z][a-z'-]*[a-z]")


def word_shift(before: list[str], after: list[str], top: int = 8) -> tuple[list[tuple[str, int, int]], ...]:
    """The words whose number of completions containing them rose (fell) the most: (word, before, after)."""
    def containing(texts: list[str]) -> Counter:
        return Counter(w for t in texts for w in set(WORD.findall(t.lower())))

    b, a = containing(before), containing(after)
    rose = sorted((w for w in a if a[w] > b[w]), key=lambda w: (b[w] - a[w], w))[:top]
    fell = sorted((w for w in b if b[w] > a[w]), key=lambda w: (a[w] - b[w], w))[:top]
    return [(w, b[w], a[w]) for w in rose], [(w, b[w], a[w]) for w in fell]


def trained_what(metrics: dict) -> str:
    """What rm-train trained, from its rm_train_metrics.json."""
    layers = metrics.get("trainable_layers")
    if metrics.get("lora"):
        return "LoRA"
    return "the head alone" if layers == 0 else f"the last {layers} layers and the head" if layers else "every weight"


def sigma_vs_plain(runs: list[dict]) -> list[dict]:
    """Per algorithm and seed with both runs: held-out E[r] after, σ-shaped minus plain."""
    after = {(r["algorithm"], r["seed"], r["sigma"]): r["after"]["mean"] for r in runs}
    return [
        {"algorithm": alg, "seed": seed, "difference": after[(alg, seed, True)] - after[(alg, seed, False)]}
        for (alg, seed, sigma) in after
        if sigma and (alg, seed, False) in after
    ]


def diagnose(run_dir: Path) -> dict:
    """``rewardkit diagnose`` on a training run: its printed summary, and its report's directory."""
    out = run_dir / "diagnosis"
    done = subprocess.run([sys.executable, "-m", "rewardkit.cli", "diagnose", str(run_dir), "--out", str(out), "--no-plots"],
                          capture_output=True, text=True)  # fmt: skip
    return {"returncode": done.returncode, "summary": done.stdout.strip() or done.stderr.strip()[-2000:], "out": str(out)}


def logged(metrics_path: Path, key: str) -> list[float]:
    """Every logged value of ``key`` in a run's metrics.jsonl, in order."""
    records = [json.loads(line) for line in metrics_path.read_text().splitlines() if line.strip()]
    return [r[key] for r in records if r.get(key) is not None]


def first_last(values: list[float], k: int = 3) -> tuple[float, float]:
    return sum(values[:k]) / len(values[:k]), sum(values[-k:]) / len(values[-k:])


def second_opinion(rm_dir: Path):
    """``rm_score`` of another reward model, one the policy was not trained on: a function of the
    held-out questions and their completions (each prompt a one-turn conversation)."""
    from rewardkit.registry import default_registry

    params = json.loads((rm_dir / "rewardkit_rm.json").read_text())["rm_score"]
    reward = default_registry().reward("rm_score", {**params, "path": str(rm_dir.resolve()), "batch_size": 8})

    def score(questions: list[str], texts: list[str]) -> list[float]:
        prompts = [[{"role": "user", "content": q}] for q in questions]
        return reward([[{"role": "assistant", "content": t}] for t in texts], prompts)

    return score


def report_again(out: Path, second_rm: Path | None) -> int:
    """The saved record with its refusal shares and diagnoses recomputed (and the second RM's
    scores added), written back with its report."""
    result = json.loads(out.read_text())
    measured_sets = [result["before"], *(r["after"] for r in result["runs"])]
    for measured in measured_sets:
        measured["refusals"] = declining_share(measured["completions"])
    for r in result["runs"]:
        r["diagnosis"] = diagnose(Path(r["diagnosis"]["out"]).parent)
    if second_rm is not None:
        metrics = json.loads((second_rm / "rm_train_metrics.json").read_text())
        result["second_rm"] = {"path": str(second_rm), "metrics": metrics}
        score = second_opinion(second_rm)
        for measured in measured_sets:
            measured["second_rm"] = score(result["prompts"]["eval"], measured["completions"])
        for r in result["runs"]:
            r["second_rm_paired"] = paired(r["after"]["second_rm"], result["before"]["second_rm"])
    out.write_text(json.dumps(result, indent=2, default=str) + "\n")
    out.with_suffix(".md").write_text(markdown(result))
    print(markdown(result))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--policy", default="smollm2", help="the policy: smollm2 (bundled) or a model directory")
    parser.add_argument("--rm", help="a distribution reward model directory (default: train one)")
    parser.add_argument("--rm-config", default=str(REPO / "examples" / "rm_train_hh.yaml"),
                        help="the RM's rm-train config: trains it without --rm, and its held-out conversations give the prompts")
    parser.add_argument("--train-prompts", type=int, default=24)
    parser.add_argument("--eval-prompts", type=int, default=32)
    parser.add_argument("--max-prompt-chars", type=int, default=200)
    parser.add_argument("--steps", type=int, default=12)
    parser.add_argument("--prompts-per-step", type=int, default=2, help="prompt groups per optimizer step")
    parser.add_argument("--generations", type=int, default=4, help="completions per prompt")
    parser.add_argument("--completion-tokens", type=int, default=64)
    parser.add_argument("--learning-rate", type=float, default=2e-5)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--runs", nargs="+", default=[f"{a}{'-sigma' if s else ''}" for a, s in RUNS])
    parser.add_argument("--work-dir", type=Path, default=REPO / "runs" / "seed002")
    parser.add_argument("--out", default=str(REPO / "bench" / "results" / "seed002.json"))
    parser.add_argument("--report-only", action="store_true", help="rebuild the report from --out's record")
    parser.add_argument("--second-rm", type=Path, help="with --report-only: also score every held-out completion "
                        "with this reward model, one the policies were not trained on")
    args = parser.parse_args(argv)
    if args.report_only:
        return report_again(Path(args.out), args.second_rm)

    from rewardkit.trainers.policy.config import load_config
    from rewardkit.trainers.policy.training import train

    started_machine = machine()
    work = args.work_dir
    work.mkdir(parents=True, exist_ok=True)
    rm_dir = Path(args.rm) if args.rm else train_rm(args, work / "rm")
    rm_params = json.loads((rm_dir / "rewardkit_rm.json").read_text())["rm_score"]
    rm_params["path"] = str(rm_dir.resolve())
    rm_metrics = json.loads((rm_dir / "rm_train_metrics.json").read_text())

    prompts = hh_prompts(args.rm_config, args.train_prompts + args.eval_prompts, args.max_prompt_chars)
    for name, part in (("train", prompts[: args.train_prompts]), ("eval", prompts[args.train_prompts :])):
        (work / f"{name}_prompts.jsonl").write_text("".join(json.dumps({"question": q}) + "\n" for q in part))

    first = load_config(run_config(args, rm_params, "grpo", False, work, args.seeds[0]))
    before = held_out(first, None, args.eval_prompts)
    print(f"before: held-out E[r] {before['mean']:.3f}", flush=True)

    def record() -> dict:
        """The results so far, written after every run so a long sweep stopped midway keeps them."""
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
                    f"{rm_metrics['num_labels']}-class distribution head on {Path(rm_metrics['base_model']).name} "
                    f"(first {rm_metrics.get('num_layers') or 'all'} layers), {rm_metrics['train_pairs']} HH-RLHF "
                    f"pairs; held-out ({rm_metrics['eval_pairs']} pairs) pairwise accuracy "
                    f"{rm_metrics['before']['accuracy']:.3f} → {after_rm['accuracy']:.3f} ± {after_rm['accuracy_se']:.3f}, mean P(w ≻ l) "
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
        return result

    runs = []
    for seed in args.seeds:
        for algorithm, sigma in RUNS:
            if f"{algorithm}{'-sigma' if sigma else ''}" not in args.runs:
                continue
            config = load_config(run_config(args, rm_params, algorithm, sigma, work, seed))
            name = Path(config.output_dir).name
            started = time.perf_counter()
            summary = train(config)
            train_seconds = time.perf_counter() - started
            model_dir = Path(summary["model_dir"])
            after = held_out(config, str(model_dir), args.eval_prompts)
            shutil.rmtree(model_dir)
            runs.append({
                "name": name, "algorithm": algorithm, "sigma": sigma, "seed": seed, "after": after,
                "paired": paired(after["scores"], before["scores"]), "train_seconds": train_seconds,
                "train_reward_first_last": first_last(logged(Path(summary["metrics"]), "reward")),
                "advantage_scale": logged(Path(summary["metrics"]), "rewardkit/advantage_scale"),
                "steps": summary["steps"], "diagnosis": diagnose(model_dir.parent),
            })  # fmt: skip
            print(f"{name}: held-out E[r] {after['mean']:.3f} (before {before['mean']:.3f})", flush=True)
            record()

    print(markdown(record()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
