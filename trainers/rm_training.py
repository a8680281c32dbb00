"""Training a reward model on preference pairs with TRL's RewardTrainer (LoRA optional), with held-out accuracy.

Pairs are tokenized with the same ``render``/``encode`` the ``rm_score`` reward uses
(:mod:`rewardkit.plugins.reward_model.rendering`), so the saved model reads at scoring time
exactly what it was trained on. torch, transformers and trl are imported when a run starts.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from rewardkit.errors import ConfigError

from .preferences import load_pairs, split_pairs
from .rm_config import RmTrainConfig


def tokenize_pairs(tokenizer: Any, pairs: list[dict], config: RmTrainConfig) -> tuple[dict[str, list], dict[str, int]]:
    """``chosen_ids``/``rejected_ids`` rendered exactly as rm_score renders; drops pairs made equal."""
    from rewardkit.plugins.reward_model.rendering import encode, render

    chosen = [render(tokenizer, p["prompt"], p["chosen"], config.template) for p in pairs]
    rejected = [render(tokenizer, p["prompt"], p["rejected"], config.template) for p in pairs]
    c_ids, c_cut = encode(tokenizer, chosen, config.max_length, config.truncation_side)
    r_ids, r_cut = encode(tokenizer, rejected, config.max_length, config.truncation_side)
    keep = [i for i in range(len(pairs)) if c_ids[i] != r_ids[i]]
    stats = {"truncated": c_cut + r_cut, "equal_after_truncation": len(pairs) - len(keep)}
    return {"chosen_ids": [c_ids[i] for i in keep], "rejected_ids": [r_ids[i] for i in keep]}, stats


def resolve_base_model(config: RmTrainConfig) -> str:
    """A local model directory for the config's ``model`` (the bundled default is converted once)."""
    from .default_model import resolve_model_path

    return str(resolve_model_path(config.model_spec()))


def load_base(path: str, dtype: str):
    """The base model with a fresh one-logit head, and its tokenizer with a padding token."""
    import torch
    from rewardkit.plugins.reward_model.local import resolve_dtype
    from transformers import AutoModelForSequenceClassification, AutoTokenizer
    from trl.trainer.reward_trainer import suppress_seqcls_warning

    device = "cuda" if torch.cuda.is_available() else "cpu"
    tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    with suppress_seqcls_warning():
        model = AutoModelForSequenceClassification.from_pretrained(
            path, num_labels=1, local_files_only=True, dtype=resolve_dtype(dtype, device)
        )
    model.config.pad_token_id = tokenizer.pad_token_id
    return model, tokenizer


def pairwise_accuracy(model: Any, tokenizer: Any, data: dict[str, list], batch_size: int) -> dict[str, float]:
    """Share of held-out pairs whose chosen response scores above the rejected one, and the speed."""
    import torch
    from rewardkit.plugins.reward_model.local import LoadedModel, forward

    device = str(next(model.parameters()).device)
    was_training = model.training
    model.eval()
    loaded = LoadedModel(model, tokenizer, device, model.config.pad_token_id, 1)
    start = time.perf_counter()
    with torch.inference_mode():
        chosen = [x[0] for x in forward(loaded, data["chosen_ids"], batch_size)]
        rejected = [x[0] for x in forward(loaded, data["rejected_ids"], batch_size)]
    elapsed = time.perf_counter() - start
    model.train(was_training)
    n = len(chosen)
    margins = [c - r for c, r in zip(chosen, rejected)]
    return {
        "accuracy": sum(m > 0 for m in margins) / n,
        "ties": sum(m == 0 for m in margins) / n,
        "mean_margin": sum(margins) / n,
        "pairs": n,
        "pairs_per_second": n / elapsed if elapsed > 0 else float("inf"),
    }


def reward_config(config: RmTrainConfig, output_dir: str, max_steps: int | None = None):
    import torch
    from trl import RewardConfig

    cuda = torch.cuda.is_available()
    options: dict[str, Any] = {
        "bf16": cuda and torch.cuda.is_bf16_supported() and config.dtype in ("auto", "bfloat16"),
        "per_device_train_batch_size": 8,
        "num_train_epochs": 1,
        "logging_steps": 10,
        "save_strategy": "no",
        "eval_strategy": "no",
        "report_to": "none",
        "use_cpu": not cuda,
        "dataloader_num_workers": 0,
        **config.trainer,
    }
    # RewardConfig defaults to gradient checkpointing, under the name transformers deprecates: off
    # unless asked for (small reward models on CPU only get slower), and passed under the new name.
    legacy = options.pop("gradient_checkpointing", None)
    options.setdefault("activation_checkpointing", bool(legacy))
    if max_steps is not None:
        options["max_steps"] = max_steps
    return RewardConfig(output_dir=output_dir, seed=config.seed, max_length=config.max_length, **options)


# -- the run -----------------------------------------------------------------------------------


def train_reward_model(
    config: RmTrainConfig,
    *,
    output_dir: str | None = None,
    max_steps: int | None = None,
    dry_run: bool = False,
    log=print,
) -> dict[str, Any]:
    """Train, evaluate before/after on the held-out pairs, save; returns the metrics written."""
    out = Path(output_dir or config.path(config.output_dir))
    spec = config.data
    pairs, skipped = load_pairs(config.path(spec.path), spec, spec.limit)
    if spec.eval_path:
        train_pairs = pairs
        eval_pairs, eval_skipped = load_pairs(config.path(spec.eval_path), spec, spec.eval_limit)
        skipped += eval_skipped
    else:
        train_pairs, eval_pairs = split_pairs(pairs, spec.eval_fraction, config.seed)
        eval_pairs = eval_pairs[: spec.eval_limit] if spec.eval_limit else eval_pairs
    log(f"rm-train: {len(train_pairs)} training pairs, {len(eval_pairs)} held out, {skipped} rows skipped")

    base = resolve_base_model(config)
    from transformers import set_seed

    set_seed(config.seed)  # the fresh head is random: seed it, like RewardTrainer does
    model, tokenizer = load_base(base, config.dtype)
    if config.template == "chat" and not tokenizer.chat_template:
        raise ConfigError(f"template: chat, but the tokenizer of '{base}' has no chat template")
    train_data, train_stats = tokenize_pairs(tokenizer, train_pairs, config)
    eval_data, eval_stats = tokenize_pairs(tokenizer, eval_pairs, config)
    log(f"rm-train: base model {base}; {train_stats['truncated'] + eval_stats['truncated']} sequences truncated "
        f"to {config.max_length} tokens")  # fmt: skip

    before = pairwise_accuracy(model, tokenizer, eval_data, config.eval_batch_size)
    log(f"rm-train: held-out pairwise accuracy before training: {before['accuracy']:.3f}")
    metrics: dict[str, Any] = {
        "base_model": base,
        "data": config.path(spec.path),
        "train_pairs": len(train_data["chosen_ids"]),
        "eval_pairs": len(eval_data["chosen_ids"]),
        "skipped_rows": skipped,
        "equal_after_truncation": train_stats["equal_after_truncation"] + eval_stats["equal_after_truncation"],
        "truncated_sequences": train_stats["truncated"] + eval_stats["truncated"],
        "max_length": config.max_length,
        "lora": config.lora.model_dump() if config.lora else None,
        "before": before,
    }
    if dry_run:
        log("rm-train: dry run, nothing trained or saved")
        return metrics

    from datasets import Dataset
    from trl import RewardTrainer

    peft_config = config.lora.peft_config("SEQ_CLS", modules_to_save=["score"]) if config.lora else None
    trainer = RewardTrainer(
        model=model,
        args=reward_config(config, str(out), max_steps),
        train_dataset=Dataset.from_dict(train_data),
        processing_class=tokenizer,
        peft_config=peft_config,
    )
    start = time.perf_counter()
    result = trainer.train()
    train_seconds = time.perf_counter() - start

    trained = trainer.model
    if peft_config is not None:
        trained = trained.merge_and_unload()
    after = pairwise_accuracy(trained, tokenizer, eval_data, config.eval_batch_size)
    log(f"rm-train: held-out pairwise accuracy after training: {after['accuracy']:.3f}")

    out.mkdir(parents=True, exist_ok=True)
    trained.config.pad_token_id = tokenizer.pad_token_id
    trained.save_pretrained(out)
    tokenizer.save_pretrained(out)
    steps = result.global_step
    metrics.update(
        after=after,
        train_seconds=train_seconds,
        train_steps=steps,
        train_loss=result.training_loss,
        train_pairs_per_second=result.metrics.get("train_samples_per_second"),
        output_dir=str(out),
    )
    rm_params = {
        "path": str(out),
        "template": config.template,
        "max_length": config.max_length,
        "truncation_side": config.truncation_side,
    }
    (out / "rm_train_metrics.json").write_text(json.dumps(metrics, indent=2, default=str) + "\n")
    (out / "rewardkit_rm.json").write_text(json.dumps({"rm_score": rm_params}, indent=2) + "\n")
    log(f"rm-train: saved to {out}; score with: {{name: rm_score, params: {json.dumps(rm_params)}}}")
    return metrics
