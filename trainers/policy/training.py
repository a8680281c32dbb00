"""A GRPO or RLOO training run: plan it from a config, build the trainer, dry-run it, train, save and summarise."""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from rewardkit.errors import ConfigError

from ..heap import map_large_blocks
from ..library_warnings import silence_uninformative_warnings


def device_name() -> str:
    """Where training runs: ``cuda``, ``xpu`` or ``cpu``."""
    import torch

    if torch.cuda.is_available():
        return "cuda"
    return "xpu" if hasattr(torch, "xpu") and torch.xpu.is_available() else "cpu"


def has_accelerator() -> bool:
    return device_name() != "cpu"


CHECKPOINT_KEYS = ("save_strategy", "save_steps")


def build_trainer_config(config: Any, rewards: Any):
    """GRPOConfig or RLOOConfig from the ``trainer`` section, the run's output_dir and seed, and the weights."""
    from .algorithms import config_class
    from .config import trainer_config_fields
    from .diagnostics_callback import COMPLETION_LOGGING
    from .tracking import check_trackers

    options = dict(config.trainer)
    accelerator = has_accelerator()
    defaults: dict[str, Any] = {
        "logging_steps": 1,
        "report_to": "none",
        "disable_tqdm": True,
        "learning_rate": config.learning_rate,
        **COMPLETION_LOGGING,
    }
    if not {"gradient_checkpointing", "activation_checkpointing"} & options.keys():
        # TRL turns checkpointing on; on a CPU it only costs time. transformers 5 renamed the
        # option, and the old name warns on every run: set it under the name this version takes.
        fields = trainer_config_fields(config.algorithm)
        name = "activation_checkpointing" if "activation_checkpointing" in fields else "gradient_checkpointing"
        defaults[name] = accelerator
    if not accelerator:
        # bf16 on a CPU is slow and TRL would refuse it without use_cpu; no device memory to pin
        defaults.update(bf16=False, dataloader_pin_memory=False)
    kwargs = {**defaults, **options, "output_dir": str(Path(config.output_dir).resolve()), "seed": config.seed,
              **rewards.config_kwargs}
    check_trackers(kwargs["report_to"])
    try:
        return config_class(config.algorithm)(**kwargs)
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"trainer: {exc}") from None


def build_peft_config(config: Any):
    return config.lora.peft_config("CAUSAL_LM") if config.lora else None


@dataclass
class RunPlan:
    """Everything a run is made of that needs no model: what ``rewardkit check`` validates and
    the run header shows."""

    config: Any
    composition: Any
    rewards: Any
    args: Any
    dataset: Any
    prompts: Any
    shaping: Any  # advantage_shaping.Shaping
    curriculum: Any = None  # curriculum.Curriculum: reasoning-gym task levels that follow the reward

    @property
    def asks_for_checkpoints(self) -> bool:
        return any(key in self.config.trainer for key in CHECKPOINT_KEYS)


def plan_run(config: Any) -> RunPlan:
    """Compose the rewards, build the trainer config and the advantage shaping, prepare the dataset (no model)."""
    from .advantage_shaping import shaping_for
    from .data import dataset_for, prepare
    from .trl_rewards import trl_rewards

    composition = config.composition()
    rewards = trl_rewards(composition)
    args = build_trainer_config(config, rewards)
    shaping = shaping_for(rewards, config.advantage.sigma_from)
    dataset, prompts = prepare(dataset_for(config), config, composition.required_columns())
    curriculum = None
    tasks = config.dataset.reasoning_gym
    if tasks is not None and tasks.curriculum is not None:
        from .curriculum import Curriculum

        curriculum = Curriculum.for_run(config, rewards, args)
        dataset = curriculum.follow(dataset)
    return RunPlan(config, composition, rewards, args, dataset, prompts, shaping, curriculum)


def build_trainer(plan: RunPlan, model_path: Path, callbacks: Sequence[Any]):
    """The TRL trainer of a run (the one place it is constructed): GRPO or RLOO, with the shaping hook."""
    from .algorithms import trainer_class
    from .tool_calling import tool_trainer_kwargs

    return trainer_class(plan.config.algorithm)(
        model=str(model_path),
        reward_funcs=plan.rewards.funcs,
        args=plan.args,
        train_dataset=plan.dataset,
        peft_config=build_peft_config(plan.config),
        callbacks=list(callbacks),
        shaping=plan.shaping,
        **tool_trainer_kwargs(plan.config, model_path),
    )


class Run:
    """Everything a run is built from, before training: the plan, the model and the trainer.

    What the plan holds (config, composition, rewards, args, dataset) is read from ``run.plan``.
    """

    def __init__(self, config: Any, *, metrics_path: Path | None = None, resume: bool = False,
                 progress: bool = True, extra_callbacks: Sequence[Any] = (), started: float | None = None) -> None:
        from ..default_model import resolve_model_path
        from .callbacks import MetricsWriter, RunProgress, SkipEndCheckpoint

        started = time.perf_counter() if started is None else started
        silence_uninformative_warnings()
        if not has_accelerator():
            map_large_blocks()  # the freed activations of a CPU step go back to the system
        self.plan = plan_run(config)
        self.model_path = resolve_model_path(config.model_spec())
        callbacks: list[Any] = [*self.plan.rewards.callbacks]
        if self.plan.curriculum is not None:
            callbacks.append(self.plan.curriculum)
        if not self.plan.asks_for_checkpoints:
            callbacks.append(SkipEndCheckpoint())
        if metrics_path is not None:
            callbacks.append(MetricsWriter(metrics_path, append=resume))
        self.progress = RunProgress(self.plan.rewards.names, config.algorithm, started=started) if progress else None
        if self.progress is not None:
            callbacks.append(self.progress)
        callbacks += list(extra_callbacks)
        self.trainer = build_trainer(self.plan, self.model_path, callbacks)
        if progress:
            from transformers.trainer_callback import PrinterCallback, ProgressCallback

            # RunProgress shows one compact line per log instead of the raw metrics dicts
            self.trainer.remove_callback(ProgressCallback)
            self.trainer.remove_callback(PrinterCallback)
        self.build_seconds = time.perf_counter() - started

    def describe(self) -> str:
        from ..default_model import model_location

        return describe_plan(self.plan, model_location(self.plan.config.model_spec()))


def describe_plan(plan: RunPlan, model: str) -> str:
    """The run header: every value the run uses, one topic per line."""
    from .tracking import describe_trackers

    args, cfg = plan.args, plan.config
    columns = ", ".join(c for c in plan.dataset.column_names if c != "prompt")
    limit = f" (first {cfg.dataset.limit}{', shuffled' if cfg.dataset.shuffle else ''})" if cfg.dataset.limit else ""
    lr_source = "" if "learning_rate" in cfg.trainer else f" (default for {'LoRA' if cfg.lora else 'full fine-tuning'})"
    steps = f"max_steps={args.max_steps}" if args.max_steps > 0 else f"epochs={args.num_train_epochs:g}"
    tuning = f"LoRA r={cfg.lora.r} alpha={cfg.lora.alpha}" if cfg.lora else "full fine-tuning"
    precision = "bf16" if args.bf16 else "fp16" if args.fp16 else "fp32"
    checkpointing = getattr(args, "activation_checkpointing", args.gradient_checkpointing)
    lines = [
        f"model:       {model}  ({tuning})",
        f"dataset:     {cfg.dataset.label()}  {len(plan.dataset)} rows{limit}, columns: {columns}",
        f"prompts:     {plan.prompts.describe(cfg.prompt)}",
        "rewards:     " + ", ".join(
            f"{n}×{w:g}" + (" (normalised per group)" if m else "")
            for n, w, m in zip(plan.rewards.names, plan.rewards.weights, plan.rewards.normalize)
        ),
        f"training:    {steps} learning_rate={args.learning_rate:g}{lr_source} scheduler={_value(args.lr_scheduler_type)} "
        f"warmup_steps={args.warmup_steps:g} seed={cfg.seed}",
        f"{cfg.algorithm}:        num_generations={args.num_generations} batch_size={args.per_device_train_batch_size} "
        f"gradient_accumulation={args.gradient_accumulation_steps} ({args.generation_batch_size} completions a step) "
        f"max_completion_length={args.max_completion_length} "
        f"temperature={args.temperature:g} beta={args.beta:g}" + (f" loss={args.loss_type}" if cfg.algorithm == "grpo" else ""),
        f"device:      {device_name()}, {precision}, "
        f"activation checkpointing {'on' if checkpointing else 'off'}",
        f"tracking:    {describe_trackers(args.report_to, args.output_dir)}",
        f"checkpoints: {describe_checkpoints(plan)}",
        f"output:      {args.output_dir}",
    ]
    if cfg.advantage.sigma_from:
        lines.insert(-4, f"advantage:   × 1/(1+σ), σ the std noted by {cfg.advantage.sigma_from}")
    return "\n".join(lines)


def describe_checkpoints(plan: RunPlan) -> str:
    args = plan.args
    strategy = _value(args.save_strategy)
    if strategy == "no":
        return "none (save_strategy 'no'); the final model is saved to model/"
    if strategy == "steps":
        every = f"every {args.save_steps:g} steps"
        if plan.asks_for_checkpoints:
            return f"{every} and at the end"
        return f"{every}, none at the end (the final model is saved to model/)"
    return f"save_strategy '{strategy}'"


def _value(option: Any) -> str:
    """An enum option's value (TrainingArguments turns strings into enums)."""
    return str(getattr(option, "value", option))


def dry_run(config: Any, *, prompts: int = 2, completions: int = 2, out=None) -> dict[str, Any]:
    """Build the run, generate a few completions with the model, score them; train nothing."""
    out = out or sys.stdout
    from transformers import set_seed

    from .generation import as_trl_completions, generate
    from .report import score_table

    run = Run(config, progress=False)
    plan = run.plan
    print(run.describe(), file=out)
    rows = plan.dataset.select(range(min(prompts, len(plan.dataset))))
    batch_prompts = [p for p in rows["prompt"] for _ in range(completions)]
    columns = {c: [v for v in rows[c] for _ in range(completions)] for c in rows.column_names if c != "prompt"}
    print(f"\nfirst prompt:\n{_show_prompt(batch_prompts[0])}", file=out)
    set_seed(config.seed)
    texts = generate(
        run.trainer.model,
        run.trainer.processing_class,
        batch_prompts,
        max_new_tokens=plan.args.max_completion_length,
        temperature=plan.args.temperature,
    )
    scores = plan.composition.score(as_trl_completions(batch_prompts, texts), batch_prompts, **columns)
    print(f"\nfirst completion:\n{texts[0]}\n", file=out)
    table = score_table(plan.composition, scores)
    print(f"dry run: scored {len(texts)} completions ({len(rows)} prompts × {completions}); nothing trained\n", file=out)
    print(table, file=out)
    return {"completions": texts, "summary": scores.summary(), "table": table}


def _show_prompt(prompt: Any) -> str:
    if isinstance(prompt, list):
        return "\n".join(f"  [{m['role']}] {m['content']}" for m in prompt)
    return prompt


def train(config: Any, *, resume_from_checkpoint: str | None = None, out=None) -> dict[str, Any]:
    """Train, then save the model with its card, the reward-curve PNG and the summary; returns the summary."""
    out = out or sys.stdout
    from .model_card import write_model_card
    from .plot import plot_rewards, read_metrics
    from .report import first_last, first_last_table, format_gb, format_share, mean, peak_memory

    started = time.perf_counter()
    output = Path(config.output_dir).resolve()
    output.mkdir(parents=True, exist_ok=True)
    metrics_path = output / "metrics.jsonl"
    run = Run(config, metrics_path=metrics_path, resume=resume_from_checkpoint is not None, started=started)
    if run.trainer.is_world_process_zero():
        print(run.describe(), file=out)
    resume: str | bool | None = resume_from_checkpoint
    if resume == "last":
        from transformers.trainer_utils import get_last_checkpoint

        if get_last_checkpoint(str(output)) is None:
            raise ConfigError(
                f"--resume-from-checkpoint: no checkpoint-* directory in {output} (a run writes checkpoints "
                "every trainer.save_steps steps; set save_strategy/save_steps to have them)"
            )
        resume = True
    elif resume is not None and not Path(resume).is_dir():
        raise ConfigError(f"--resume-from-checkpoint: no checkpoint directory {resume}")
    train_started = time.perf_counter()
    run.trainer.train(resume_from_checkpoint=resume)
    train_seconds = time.perf_counter() - train_started

    model_dir = output / "model"
    run.trainer.save_model(str(model_dir))  # every process: DeepSpeed/FSDP gather the weights here
    if not run.trainer.is_world_process_zero():
        return {"steps": run.trainer.state.global_step, "model_dir": str(model_dir)}
    records = read_metrics(metrics_path)
    first_step = run.progress.first_step_seconds if run.progress is not None else None
    names, weights = run.plan.rewards.names, run.plan.rewards.weights
    png = plot_rewards(records, names, output / "rewards.png", weights=weights,
                       title=f"{config.algorithm.upper()} rewards — {Path(str(run.model_path)).name}")
    summary = {
        "steps": run.trainer.state.global_step,
        "model": str(run.model_path),
        "algorithm": config.algorithm,
        "lora": config.lora is not None,
        "rewards": dict(zip(names, weights)),
        "wall_seconds": round(time.perf_counter() - started, 1),
        "build_seconds": round(run.build_seconds, 1),
        "train_seconds": round(train_seconds, 1),
        "first_step_seconds": None if first_step is None else round(first_step, 1),
        "peak_memory_bytes": peak_memory(),
        "first_last": first_last(records, names),
        "reward_share": mean([r.get("rewardkit/reward_share") for r in records]),
        "step_time": mean([r.get("step_time") for r in records]),
        "model_dir": str(model_dir),
        "metrics": str(metrics_path),
        "plot": str(png),
    }
    write_model_card(model_dir, config, run.plan.args, summary, run_dir=output)
    (output / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    print("\n" + first_last_table(summary["first_last"], weights), file=out)
    first = "" if first_step is None else f", the first step done {first_step:.0f} s after the start"
    print(
        f"\n{summary['steps']} steps in {summary['train_seconds']:.0f} s training "
        f"({summary['wall_seconds']:.0f} s in all{first}); rewards took {format_share(summary['reward_share'])} "
        f"of step time; peak memory {format_gb(summary['peak_memory_bytes'])}",
        file=out,
    )
    print(f"model: {model_dir}\nmetrics: {metrics_path}\nplot: {png}", file=out)

    # reward diagnostics of the run (rewardkit diagnose on its output directory)
    from .diagnostics_callback import write_run_report

    write_run_report(output, out)
    return summary
