"""CPU training runs on reasoning-gym tasks: the bundled run's reward curve, and a curriculum against a fixed difficulty.

``bundled``: ``rewardkit train reasoning_gym`` (``rewardkit/data/reasoning_gym_easy.yaml``: three
easy families at level 0, prompts generated, the bundled SmolLM2-135M-Instruct, full fine-tuning).
Writes ``bench/results/reasoning_gym_run.json``, ``.md`` and ``_rewards.png`` (the run's reward curve).

``curriculum``: two runs that differ only in ``dataset.reasoning_gym.curriculum``: the same tasks,
seed, prompts and trainer settings, every task starting at ``--level``; one keeps that level, the
other moves each task's level with its reward. From the completions each run logged (every
generation batch, grouped by prompt): the share of prompt groups in which every completion got the
same ``reasoning_gym`` score (zero variance: no signal for GRPO), over the run, per task and per
step, and the mean reward. Writes ``bench/results/reasoning_gym_curriculum*.json``, ``.md`` and ``.png``.

``warmup``: the bundled model answers no item at any level (``probe`` below), so neither run would
see a signal; ``warmup`` fine-tunes it on the answer format first (``--warmup`` then starts the
compared runs and the probe from that model, training it if it is not in ``--work`` yet).

``probe``: no training; the policy's completions for the curriculum comparison's prompts at each
fixed level from 0 to ``--level`` (generation only, minutes): per task, accuracy and the
zero-variance share, i.e. which levels give the policy groups a curriculum could find. Writes
``bench/results/reasoning_gym_probe.json`` and ``.md`` (``_probe_warmup`` with ``--warmup``).

Run (each run is minutes on an idle 2-core machine, far longer on a busy one; the load average is
recorded at the start and end of every run). The recorded comparison::

    python bench/reasoning_gym_training.py probe --level 4
    python bench/reasoning_gym_training.py warmup
    python bench/reasoning_gym_training.py probe --warmup --level 4
    python bench/reasoning_gym_training.py curriculum --warmup --level 3 --steps 40 --groups 4 --generations 8 --tasks basic_arithmetic spell_backward
    python bench/reasoning_gym_training.py curriculum --warmup --level 3 --steps 40 --groups 4 --tasks basic_arithmetic spell_backward
    python bench/reasoning_gym_training.py curriculum --warmup --level 3 --steps 40 --groups 4
    python bench/reasoning_gym_training.py bundled

Each comparison's results are named by what differs from the defaults (tasks, completions, window).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import subprocess
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results"
COMPARED_TASKS = ("basic_arithmetic", "spell_backward", "letter_counting")
PROMPT = {"system": "Give only the final answer inside <answer> </answer> tags."}
WARMUP_SEED = 7  # the warm-up's items: seeded apart from the compared runs' (seed 42)
WARMUP_LEVELS = range(5)  # every task at each of these levels, in equal shares
POLICY = {False: "SmolLM2-135M-Instruct (bundled)", True: "SmolLM2-135M-Instruct (bundled) after `warmup`"}


def loadavg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def commit() -> str:
    return subprocess.run(["git", "describe", "--always", "--dirty"], capture_output=True, text=True, cwd=REPO).stdout.strip()


def train_run(config, reuse: bool = False) -> dict:
    """Train (or, with ``reuse``, read back a finished run of the same output_dir)."""
    from rewardkit.trainers.policy.training import train

    record = Path(config.output_dir) / "bench_run.json"
    if reuse and record.is_file():
        return json.loads(record.read_text())
    start, started = loadavg(), time.perf_counter()
    summary = train(config)
    result = {"summary": summary, "wall_s": round(time.perf_counter() - started, 1), "load_start": start, "load_end": loadavg(),
              "commit": commit()}  # fmt: skip
    record.write_text(json.dumps(result, default=str))
    return result


def bundled(args) -> None:
    from rewardkit.trainers.policy.config import load_run_config
    from rewardkit.trainers.policy.plot import read_metrics

    config = load_run_config("reasoning_gym").with_overrides(output_dir=str(Path(args.work) / "bundled"))
    result = train_run(config, args.reuse)
    records = read_metrics(Path(config.output_dir) / "metrics.jsonl")
    names = ["reasoning_gym", "tag_count"]
    curve = [{"step": r["step"], "reward": r.get("reward"), **{n: r.get(f"rewards/{n}/mean") for n in names}} for r in records]
    report = {"date": dt.datetime.now().isoformat(timespec="seconds"), "commit": commit(), "config": "rewardkit/data/reasoning_gym_easy.yaml",
              **result, "curve": curve}  # fmt: skip
    (RESULTS / "reasoning_gym_run.json").write_text(json.dumps(report, indent=1, default=str) + "\n")
    shutil.copy(Path(config.output_dir) / "rewards.png", RESULTS / "reasoning_gym_run_rewards.png")
    lines = [
        "# `rewardkit train reasoning_gym` (the bundled run)",
        "",
        f"{report['date']}, commit {report['commit']}; {result['summary']['steps']} steps in {result['wall_s']:.0f} s "
        f"(load average {result['load_start']} at the start, {result['load_end']} at the end, on 2 CPUs).",
        "",
        "| step | reward | reasoning_gym | tag_count |",
        "|---:|---:|---:|---:|",
        *[f"| {c['step']} | {c['reward']:.3f} | {c['reasoning_gym']:.3f} | {c['tag_count']:.3f} |" for c in curve],
        "",
        "Curve: `reasoning_gym_run_rewards.png`.",
    ]
    (RESULTS / "reasoning_gym_run.md").write_text("\n".join(lines) + "\n")


def compared_config(args, curriculum: bool, level: int | None = None):
    from rewardkit.trainers.policy.config import load_config

    level = args.level if level is None else level
    tasks = {"tasks": [{"name": t, "level": level} for t in args.tasks], "size": 512}
    if curriculum:
        tasks["curriculum"] = {"window": args.window}
    return load_config({
        "model": policy(args),
        "dataset": {"reasoning_gym": tasks},
        "prompt": PROMPT,
        "rewards": "reasoning_gym",
        "trainer": {"max_steps": args.steps, "learning_rate": 2e-5, "lr_scheduler_type": "constant", "num_generations": args.generations,
                    "per_device_train_batch_size": args.generations * args.groups, "max_completion_length": 32, "temperature": 1.0, "save_strategy": "no"},
        "output_dir": str(Path(args.work) / comparison_name(args) / ("curriculum" if curriculum else "fixed")),
        "seed": 42,
    })  # fmt: skip


def comparison_name(args) -> str:
    """The comparison's results name: the tasks named unless they are all of ``COMPARED_TASKS``, the
    completions per prompt unless 4, the curriculum's window unless 4."""
    tasks = "" if tuple(args.tasks) == COMPARED_TASKS else "_" + "_".join(args.tasks)
    generations = "" if args.generations == 4 else f"_{args.generations}_completions"
    return "reasoning_gym_curriculum" + tasks + generations + ("" if args.window == 4 else f"_window_{args.window}")


def policy(args) -> str:
    """The compared runs' starting model: the bundled one, or with ``--warmup`` the warm-up's (trained once)."""
    if not args.warmup:
        return "smollm2"
    model_dir = Path(args.work) / "warmup"
    if not (model_dir / "config.json").is_file():
        warmup(args)
    return str(model_dir)


def warmup(args) -> None:
    """Supervised warm-up on the answer format: the bundled model fine-tuned on reasoning-gym's own answers.

    The untrained 135M policy passes no item at any level (``reasoning_gym_probe.md``), so no level
    gives GRPO, or a curriculum, a group with signal. The warm-up shows it ``--warmup-rows`` items
    of the compared tasks, at every level of ``WARMUP_LEVELS`` in equal shares (items seeded apart
    from the compared runs', though at level 0 a task has few items: 3-letter words, 1-digit sums), each answered ``<answer>{oracle}</answer>`` in the compared runs'
    prompt; TRL's ``SFTTrainer``, loss on the answer only, one epoch. What it teaches is the format
    and as much of each task as 135M parameters take from that; the levels it leaves the policy
    passing are measured by ``probe --warmup``, not assumed. Writes the model to ``<work>/warmup``
    and ``bench/results/reasoning_gym_warmup.json``."""
    import datasets
    from transformers import set_seed
    from trl import SFTConfig, SFTTrainer

    from rewardkit.trainers.policy.config import load_config
    from rewardkit.trainers.policy.data import build_prompt
    from rewardkit.trainers.policy.generation import load_causal_lm
    from rewardkit.trainers.policy.tasks import TasksSpec, task_rows

    model_dir = Path(args.work) / "warmup"
    per_level = -(-args.warmup_rows // len(WARMUP_LEVELS))
    prompt = load_config({"prompt": PROMPT}).prompt
    rows = []
    for level in WARMUP_LEVELS:
        spec = TasksSpec(tasks=[{"name": t, "level": level} for t in COMPARED_TASKS], size=per_level, seed=WARMUP_SEED + level)
        for row in task_rows(spec, WARMUP_SEED):
            rows.append({"prompt": build_prompt(row, prompt, "question"),
                         "completion": [{"role": "assistant", "content": f"<answer>{row['answer']}</answer>"}]})  # fmt: skip
    set_seed(WARMUP_SEED)
    lm, tokenizer = load_causal_lm("smollm2")
    sft = SFTConfig(output_dir=str(model_dir) + ".trainer", num_train_epochs=1, per_device_train_batch_size=16,
                    learning_rate=1e-4, lr_scheduler_type="linear", warmup_steps=0, logging_steps=8, save_strategy="no",
                    report_to="none", seed=WARMUP_SEED, max_length=256, use_cpu=True)  # fmt: skip
    trainer = SFTTrainer(model=lm, args=sft, train_dataset=datasets.Dataset.from_list(rows), processing_class=tokenizer)
    start, started = loadavg(), time.perf_counter()
    trainer.train()
    wall = round(time.perf_counter() - started, 1)
    trainer.save_model(str(model_dir))  # with the tokenizer (the trainer's processing_class)
    shutil.rmtree(str(model_dir) + ".trainer", ignore_errors=True)
    losses = [{"step": r["step"], "loss": r["loss"]} for r in trainer.state.log_history if "loss" in r]
    report = {"date": dt.datetime.now().isoformat(timespec="seconds"), "commit": commit(), "tasks": COMPARED_TASKS,
              "levels": list(WARMUP_LEVELS), "rows": len(rows), "seed": WARMUP_SEED, "learning_rate": sft.learning_rate,
              "batch": sft.per_device_train_batch_size, "wall_s": wall, "load_start": start, "load_end": loadavg(),
              "loss": losses}  # fmt: skip
    (RESULTS / "reasoning_gym_warmup.json").write_text(json.dumps(report, indent=1) + "\n")


def group_figures(run_dir: Path, start_level: int, changes: list[dict]) -> dict:
    """Zero-variance share of the reasoning_gym score over the run's logged groups, per task and per
    step; and per task and level, how many groups were all passing, all failing (pass: score 1) or
    mixed. A group's level is taken as its task's after the last change logged at an earlier step
    (a change holds from the rows read after it, so a group next to a change may be counted at the
    level beside its own)."""
    from rewardkit.diagnostics.run_directory import logged_completions
    from rewardkit.stats import constant

    rows = logged_completions(run_dir)
    groups: dict[tuple, list] = defaultdict(list)
    for row in rows:
        key = (row["step"], json.dumps(row["prompt"], sort_keys=True, default=str))
        groups[key].append(row)
    per_task: dict[str, list[bool]] = defaultdict(list)
    per_step: dict[int, list[bool]] = defaultdict(list)
    per_level: dict[str, dict[str, int]] = defaultdict(lambda: {"all_pass": 0, "all_fail": 0, "mixed": 0})
    for (step, _), members in groups.items():
        scores = [m["reasoning_gym"] for m in members if m.get("reasoning_gym") is not None]
        if len(scores) < 2:
            continue
        flat = constant(scores)
        task = members[0].get("reasoning_gym/task") or "?"
        per_task[task].append(flat)
        per_step[step].append(flat)
        level = next((c["to"] for c in reversed(changes) if c["task"] == task and c["step"] < step), start_level)
        kind = "mixed" if not flat else "all_pass" if scores[0] >= 1.0 else "all_fail"
        per_level[f"{task} {level}"][kind] += 1
    share = lambda flags: round(sum(flags) / len(flags), 4) if flags else None  # noqa: E731
    every = [f for flags in per_task.values() for f in flags]
    return {
        "groups": len(every),
        "zero_variance_share": share(every),
        "per_task": {t: {"groups": len(f), "zero_variance_share": share(f)} for t, f in sorted(per_task.items())},
        "per_step": {s: share(f) for s, f in sorted(per_step.items())},
        "per_task_level": dict(sorted(per_level.items())),
        "mean_score": round(sum(r["reasoning_gym"] for r in rows if r.get("reasoning_gym") is not None)
                            / max(1, sum(1 for r in rows if r.get("reasoning_gym") is not None)), 4),  # fmt: skip
    }


def curriculum(args) -> None:
    from rewardkit.trainers.policy.plot import read_metrics

    name = comparison_name(args)
    report = {"date": dt.datetime.now().isoformat(timespec="seconds"), "commit": commit(), "tasks": list(args.tasks),
              "start_level": args.level, "steps": args.steps, "groups": args.groups, "generations": args.generations, "window": args.window,
              "policy": POLICY[args.warmup], "runs": {}}  # fmt: skip
    for run, follow in (("fixed", False), ("curriculum", True)):
        config = compared_config(args, follow)
        result = train_run(config, args.reuse)
        run_dir = Path(config.output_dir)
        records = read_metrics(run_dir / "metrics.jsonl")
        events = run_dir / "curriculum.jsonl"
        changes = [json.loads(line) for line in events.read_text().splitlines()] if events.exists() else []
        report["runs"][run] = {
            "wall_s": result["wall_s"], "load_start": result["load_start"], "load_end": result["load_end"],
            "commit": result.get("commit"), "groups": group_figures(run_dir, args.level, changes),
            "reward": [r.get("rewards/reasoning_gym/mean") for r in records],
            "levels": {t: [r.get(f"rewardkit/curriculum/{t}/level") for r in records] for t in args.tasks} if follow else None,
            "changes": changes,
        }  # fmt: skip
        (RESULTS / f"{name}.json").write_text(json.dumps(report, indent=1, default=str) + "\n")
    draw(report, RESULTS / f"{name}.png")
    (RESULTS / f"{name}.md").write_text(markdown(report, f"{name}.png"))


def probe(args) -> None:
    """The untrained policy at each fixed level, generation only: what moving levels can find.

    For every level from 0 to ``--level``: the compared run's first ``--probe-prompts`` prompts
    (tasks mixed as in training), ``num_generations`` completions each, sampled and scored as in
    training; per task, the share of completions with an answer in closed tags, the accuracy and
    the share of zero-variance groups. A curriculum can only
    lower the zero-variance share where some level gives the policy mixed groups."""
    from rewardkit.registry import get_reward
    from rewardkit.trainers.policy.data import dataset_for, prepare
    from rewardkit.trainers.policy.generation import generate, load_causal_lm
    from rewardkit.stats import constant
    from transformers import set_seed

    reward = get_reward("reasoning_gym")
    report = {"date": dt.datetime.now().isoformat(timespec="seconds"), "commit": commit(), "tasks": list(args.tasks),
              "prompts": args.probe_prompts, "load_start": loadavg(), "levels": {}}  # fmt: skip
    started = time.perf_counter()
    lm = tokenizer = None
    for level in range(args.level + 1):
        config = compared_config(args, False, level)
        config = config.model_copy(update={"dataset": config.dataset.model_copy(update={"limit": args.probe_prompts})})
        rows = prepare(dataset_for(config), config, ("answer", "metadata")).rows
        if lm is None:
            lm, tokenizer = load_causal_lm(config.model_spec(None))
        set_seed(config.seed)
        k, t = int(config.trainer["num_generations"]), config.trainer
        texts = generate(lm, tokenizer, list(rows["prompt"]), max_new_tokens=int(t["max_completion_length"]),
                         temperature=float(t["temperature"]), num_return_sequences=k)  # fmt: skip
        out = reward.evaluate(texts, answer=[a for a in rows["answer"] for _ in range(k)],
                              metadata=[m for m in rows["metadata"] for _ in range(k)])  # fmt: skip
        per_task: dict[str, dict[str, list]] = defaultdict(lambda: {"scores": [], "flat": [], "answered": []})
        for i, task in enumerate(rows["task"]):
            group = [s for s in out.scores[i * k : (i + 1) * k] if s is not None]
            per_task[task]["scores"] += group
            per_task[task]["answered"] += [a is not None for a in out.extra["answer"][i * k : (i + 1) * k]]
            per_task[task]["flat"].append(constant(group))
        report["levels"][level] = {
            task: {"groups": len(v["flat"]), "zero_variance_share": round(sum(v["flat"]) / len(v["flat"]), 4),
                   "answered": round(sum(v["answered"]) / len(v["answered"]), 4),
                   "accuracy": round(sum(s >= 1.0 for s in v["scores"]) / max(1, len(v["scores"])), 4),
                   "mean_score": round(sum(v["scores"]) / max(1, len(v["scores"])), 4)}
            for task, v in sorted(per_task.items())
        }  # fmt: skip
        print(f"level {level}: {report['levels'][level]}", flush=True)
    report.update(wall_s=round(time.perf_counter() - started, 1), load_end=loadavg())
    name = "reasoning_gym_probe_warmup" if args.warmup else "reasoning_gym_probe"
    (RESULTS / f"{name}.json").write_text(json.dumps(report, indent=1) + "\n")
    lines = [
        f"# The {'warmed-up' if args.warmup else 'untrained'} policy at each fixed level (generation only)",
        "",
        f"{report['date']}, commit {report['commit']}. {POLICY[args.warmup]}, CPU; the curriculum comparison's "
        f"prompts and sampling (temperature 1.0, {args.generations} completions of up to 32 tokens each); {args.probe_prompts} prompts per "
        f"level; {report['wall_s']:.0f} s, load average {report['load_start']} at the start, {report['load_end']} at the end.",
        "",
        "| level | task | groups | zero-variance share | answered (closed answer tags) | accuracy | mean score |",
        "|---:|---|---:|---:|---:|---:|---:|",
    ]
    for level, tasks in report["levels"].items():
        lines += [f"| {level} | {task} | {v['groups']} | {v['zero_variance_share']} | {v['answered']} | {v['accuracy']} | {v['mean_score']} |"
                  for task, v in tasks.items()]  # fmt: skip
    (RESULTS / f"{name}.md").write_text("\n".join(lines) + "\n")


def draw(report: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(15, 3.6))
    for name, color in (("fixed", "#C44E52"), ("curriculum", "#4C72B0")):
        run = report["runs"].get(name)
        if not run:
            continue
        steps = sorted(run["groups"]["per_step"], key=int)
        axes[0].plot([int(s) for s in steps], [run["groups"]["per_step"][s] for s in steps], marker=".", color=color, label=name)
        axes[1].plot(range(1, len(run["reward"]) + 1), run["reward"], marker=".", color=color, label=name)
        if run["levels"]:
            for k, (task, levels) in enumerate(run["levels"].items()):
                axes[2].plot(range(1, len(levels) + 1), levels, drawstyle="steps-post", label=task)
    axes[0].set_title("share of groups with zero variance, per step")
    axes[1].set_title("mean reasoning_gym score, per step")
    axes[2].set_title("curriculum levels")
    for ax in axes:
        ax.set_xlabel("step")
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=96)


def markdown(report: dict, figure: str) -> str:
    runs = report["runs"]
    lines = [
        "# A curriculum that follows the reward, against a fixed difficulty",
        "",
        f"{report['date']}, commit {report['commit']}. Tasks {', '.join(report['tasks'])}, all starting at level "
        f"{report['start_level']}; {report['steps']} steps of {report['groups']} prompts x {report['generations']} completions ({report['policy']}, CPU, "
        f"seed 42); curriculum window {report['window']} groups per task, raise_at 0.8, lower_at 0.1, no_signal 0.9.",
        "",
        "| run | groups | zero-variance share | mean reasoning_gym score | wall s | load average start / end |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for name, run in runs.items():
        g = run["groups"]
        lines.append(f"| {name} | {g['groups']} | {g['zero_variance_share']} | {g['mean_score']} | {run['wall_s']:.0f} | "
                     f"{run['load_start']} / {run['load_end']} |")  # fmt: skip
    lines += ["", "Per task (groups, zero-variance share):", "", "| task | " + " | ".join(runs) + " |", "|---|" + "---:|" * len(runs)]
    for task in report["tasks"]:
        cells = []
        for run in runs.values():
            t = run["groups"]["per_task"].get(task, {})
            cells.append(f"{t.get('groups', 0)}, {t.get('zero_variance_share')}")
        lines.append(f"| {task} | " + " | ".join(cells) + " |")
    if report["policy"] == POLICY[True]:
        lines[3:3] = ["", "The policy was fine-tuned first on the answer format (`warmup`: `reasoning_gym_warmup.json`); what it "
                      "passes at each level before the runs: `reasoning_gym_probe_warmup.md`."]  # fmt: skip
    lines += ["", "Groups per task and level (all passing / all failing / mixed):", "", "| task level | " + " | ".join(runs) + " |",
              "|---|" + "---:|" * len(runs)]  # fmt: skip
    keys = sorted({k for run in runs.values() for k in run["groups"]["per_task_level"]})
    for key in keys:
        cells = [run["groups"]["per_task_level"].get(key) for run in runs.values()]
        lines.append(f"| {key} | " + " | ".join(f"{c['all_pass']} / {c['all_fail']} / {c['mixed']}" if c else "" for c in cells) + " |")
    changes = runs.get("curriculum", {}).get("changes", [])
    lines += ["", f"Level changes in the curriculum run ({len(changes)}):", ""]
    lines += [f"- step {c['step']}: {c['task']} {c['from']} -> {c['to']} ({c['reason']})" for c in changes] or ["- none"]
    lines += ["", f"Curves: `{figure}`."]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("part", nargs="?", default="all", choices=["bundled", "curriculum", "probe", "warmup", "all"])
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--level", type=int, default=2)
    parser.add_argument("--window", type=int, default=4)
    parser.add_argument("--tasks", nargs="+", default=list(COMPARED_TASKS), choices=COMPARED_TASKS,
                        help="curriculum, probe: the compared tasks (the warm-up always covers all three)")
    parser.add_argument("--groups", type=int, default=2, help="prompts (groups of completions) per step")
    parser.add_argument("--generations", type=int, default=4, help="completions per prompt")
    parser.add_argument("--work", default=str(REPO / "runs" / "bench-reasoning-gym"))
    parser.add_argument("--probe-prompts", type=int, default=24, help="probe: prompts per level")
    parser.add_argument("--warmup", action="store_true", help="curriculum, probe: start from the warm-up's model (see warmup)")
    parser.add_argument("--warmup-rows", type=int, default=1024, help="warmup: items shown, over all tasks and levels")
    parser.add_argument("--reuse", action="store_true", help="read back runs already finished in --work instead of training")
    args = parser.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    if args.part == "warmup":
        warmup(args)
    if args.part == "probe":
        probe(args)
    if args.part in ("curriculum", "all"):
        curriculum(args)
    if args.part in ("bundled", "all"):
        bundled(args)


if __name__ == "__main__":
    main()
