"""A GRPO training run: build the trainer from a config, dry-run it, train, save and summarise."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any, Sequence

from rewardkit.errors import ConfigError

def has_accelerator() -> bool:
    import torch

    return torch.cuda.is_available() or (hasattr(torch, "xpu") and torch.xpu.is_available())


def build_grpo_config(config: Any, rewards: Any):
    """GRPOConfig from the ``trainer`` section, the run's output_dir and seed, and the weights."""
    from trl import GRPOConfig

    from .diagnostics_callback import COMPLETION_LOGGING

    options = dict(config.trainer)
    defaults: dict[str, Any] = {"logging_steps": 1, "report_to": "none", "disable_tqdm": True, **COMPLETION_LOGGING}
    if not has_accelerator():
        # bf16 on a CPU is slow and TRL would refuse it without use_cpu; checkpointing only costs
        # time there, and there is no device memory to pin
        defaults.update(bf16=False, gradient_checkpointing=False, dataloader_pin_memory=False)
    kwargs = {**defaults, **options, "output_dir": str(Path(config.output_dir).resolve()), "seed": config.seed,
              **rewards.config_kwargs}
    try:
        return GRPOConfig(**kwargs)
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"trainer: {exc}") from None


def build_peft_config(config: Any):
    return config.lora.peft_config("CAUSAL_LM") if config.lora else None


class Run:
    """Everything a run is built from, before training."""

    def __init__(self, config: Any, *, metrics_path: Path | None = None, resume: bool = False,
                 progress: bool = True, extra_callbacks: Sequence[Any] = ()) -> None:
        from trl import GRPOTrainer

        from .callbacks import MetricsWriter, RunProgress
        from .data import dataset_for, prepare
        from .default_model import resolve_model_path
        from .trl_rewards import trl_rewards

        started = time.perf_counter()
        self.config = config
        self.composition = config.composition()
        self.rewards = trl_rewards(self.composition)
        self.args = build_grpo_config(config, self.rewards)
        self.dataset = prepare(dataset_for(config), config, self.composition.required_columns())
        self.model_path = resolve_model_path(config.model_spec())
        callbacks: list[Any] = [*self.rewards.callbacks]
        if metrics_path is not None:
            callbacks.append(MetricsWriter(metrics_path, append=resume))
        self.progress = RunProgress(self.rewards.names) if progress else None
        if self.progress is not None:
            callbacks.append(self.progress)
        callbacks += list(extra_callbacks)
        self.trainer = GRPOTrainer(
            model=str(self.model_path),
            reward_funcs=self.rewards.funcs,
            args=self.args,
            train_dataset=self.dataset,
            peft_config=build_peft_config(config),
            callbacks=callbacks,
        )
        if progress:
            from transformers.trainer_callback import PrinterCallback, ProgressCallback

            # RunProgress shows one compact line per log instead of the raw metrics dicts
            self.trainer.remove_callback(ProgressCallback)
            self.trainer.remove_callback(PrinterCallback)
        self.build_seconds = time.perf_counter() - started

    def describe(self) -> str:
        args, cfg = self.args, self.config
        lines = [
            f"model:    {self.model_path}" + (f"  (LoRA r={cfg.lora.r}, alpha={cfg.lora.alpha})" if cfg.lora else "  (full fine-tuning)"),
            f"dataset:  {cfg.dataset.path} [{cfg.dataset.split}]  {len(self.dataset)} rows, columns: "
            + ", ".join(c for c in self.dataset.column_names if c != "prompt"),
            "rewards:  " + ", ".join(f"{n}×{w:g}" for n, w in zip(self.rewards.names, self.rewards.weights)),
            f"grpo:     max_steps={args.max_steps} lr={args.learning_rate:g} num_generations={args.num_generations} "
            f"batch={args.per_device_train_batch_size} max_completion_length={args.max_completion_length} "
            f"temperature={args.temperature:g} beta={args.beta:g} loss={args.loss_type}",
            f"output:   {args.output_dir}",
        ]
        return "\n".join(lines)


def dry_run(config: Any, *, prompts: int = 2, completions: int = 2, out=None) -> dict[str, Any]:
    """Build the run, generate a few completions with the model, score them; train nothing."""
    out = out or sys.stdout
    from transformers import set_seed

    from .generation import as_trl_completions, generate
    from .report import score_table

    run = Run(config, progress=False)
    print(run.describe(), file=out)
    rows = run.dataset.select(range(min(prompts, len(run.dataset))))
    batch_prompts = [p for p in rows["prompt"] for _ in range(completions)]
    columns = {c: [v for v in rows[c] for _ in range(completions)] for c in rows.column_names if c != "prompt"}
    print(f"\nfirst prompt:\n{_show_prompt(batch_prompts[0])}", file=out)
    set_seed(config.seed)
    texts = generate(
        run.trainer.model,
        run.trainer.processing_class,
        batch_prompts,
        max_new_tokens=run.args.max_completion_length,
        temperature=run.args.temperature,
    )
    scores = run.composition.score(as_trl_completions(batch_prompts, texts), batch_prompts, **columns)
    print(f"\nfirst completion:\n{texts[0]}\n", file=out)
    table = score_table(run.composition, scores)
    print(f"dry run: scored {len(texts)} completions ({len(rows)} prompts × {completions}); nothing trained\n", file=out)
    print(table, file=out)
    return {"completions": texts, "summary": scores.summary(), "table": table}


def _show_prompt(prompt: Any) -> str:
    if isinstance(prompt, list):
        return "\n".join(f"  [{m['role']}] {m['content']}" for m in prompt)
    return prompt


def train(config: Any, *, resume_from_checkpoint: str | None = None, out=None) -> dict[str, Any]:
    """Train, then save the model, the reward-curve PNG and the summary; returns the summary."""
    out = out or sys.stdout
    from .plot import plot_rewards, read_metrics
    from .report import first_last, first_last_table, format_share, mean

    started = time.perf_counter()
    output = Path(config.output_dir).resolve()
    output.mkdir(parents=True, exist_ok=True)
    metrics_path = output / "metrics.jsonl"
    run = Run(config, metrics_path=metrics_path, resume=resume_from_checkpoint is not None)
    if run.trainer.is_world_process_zero():
        print(run.describe(), file=out)
    resume: str | bool | None = resume_from_checkpoint
    if resume == "last":
        from transformers.trainer_utils import get_last_checkpoint

        if get_last_checkpoint(str(output)) is None:
            raise ConfigError(
                f"--resume-from-checkpoint: no checkpoint-* directory in {output} (checkpoints are written "
                "when trainer.save_strategy is 'steps' or 'epoch'; the default run sets it to 'no')"
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
    names, weights = run.rewards.names, run.rewards.weights
    png = plot_rewards(records, names, output / "rewards.png", weights=weights,
                       title=f"GRPO rewards — {Path(str(run.model_path)).name}")
    summary = {
        "steps": run.trainer.state.global_step,
        "model": str(run.model_path),
        "lora": config.lora is not None,
        "rewards": dict(zip(names, weights)),
        "wall_seconds": round(time.perf_counter() - started, 1),
        "build_seconds": round(run.build_seconds, 1),
        "train_seconds": round(train_seconds, 1),
        "first_last": first_last(records, names),
        "reward_share": mean([r.get("rewardkit/reward_share") for r in records]),
        "step_time": mean([r.get("step_time") for r in records]),
        "model_dir": str(model_dir),
        "metrics": str(metrics_path),
        "plot": str(png),
    }
    (output / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    print("\n" + first_last_table(summary["first_last"], weights), file=out)
    print(
        f"\n{summary['steps']} steps in {summary['train_seconds']:.0f} s training "
        f"({summary['wall_seconds']:.0f} s in all); rewards took {format_share(summary['reward_share'])} of step time",
        file=out,
    )
    print(f"model: {model_dir}\nmetrics: {metrics_path}\nplot: {png}", file=out)

    # reward diagnostics of the run (rewardkit diagnose on its output directory)
    from .diagnostics_callback import write_run_report

    write_run_report(output, out)
    return summary
