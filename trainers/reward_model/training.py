"""Training a reward model on preference pairs (LoRA optional), with a held-out report before and after.

A scalar head trains with TRL's RewardTrainer; a 1..K distribution head with
:class:`~rewardkit.trainers.reward_model.distribution.DistributionRewardTrainer` (RewardTrainer only takes
one-logit models).

Pairs are tokenized with the same ``render``/``encode`` the ``rm_score`` reward uses
(:mod:`rewardkit.plugins.reward_model.rendering`), so the saved model reads at scoring time
exactly what it was trained on. torch, transformers and trl are imported when a run starts.
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path
from typing import Any

from rewardkit.errors import ConfigError

from ..library_warnings import silence_uninformative_warnings
from ..preferences import load_pairs, split_pairs
from .config import RmTrainConfig
from .layers import keep_first_layers, train_last_layers


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
    from ..default_model import resolve_model_path

    return str(resolve_model_path(config.model_spec()))


def load_base(path: str, dtype: str, num_labels: int = 1):
    """The base model with a fresh ``num_labels``-logit head, and its tokenizer with a padding token."""
    import torch
    from rewardkit.plugins.reward_model.local import resolve_dtype
    from transformers import AutoModelForSequenceClassification, AutoTokenizer
    from trl.trainer.reward_trainer import suppress_seqcls_warning

    device = "cuda" if torch.cuda.is_available() else "cpu"
    tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    # a distribution head's classes are the scores 1..K, named so in the saved config
    labels = {} if num_labels == 1 else {"id2label": {i: str(i + 1) for i in range(num_labels)}}
    with suppress_seqcls_warning():
        model = AutoModelForSequenceClassification.from_pretrained(
            path, num_labels=num_labels, local_files_only=True, dtype=resolve_dtype(dtype, device), **labels
        )
    model.config.pad_token_id = tokenizer.pad_token_id
    return model, tokenizer


def held_out_report(model: Any, tokenizer: Any, data: dict[str, list], batch_size: int) -> dict[str, float]:
    """How the model orders held-out pairs (:func:`pair_report` of its logits), and the scoring speed."""
    import torch
    from rewardkit.plugins.reward_model.local import LoadedModel, forward

    device = str(next(model.parameters()).device)
    was_training = model.training
    model.eval()
    loaded = LoadedModel(model, tokenizer, device, model.config.pad_token_id, int(model.config.num_labels))
    start = time.perf_counter()
    with torch.inference_mode():
        chosen = torch.tensor(forward(loaded, data["chosen_ids"], batch_size))
        rejected = torch.tensor(forward(loaded, data["rejected_ids"], batch_size))
    elapsed = time.perf_counter() - start
    model.train(was_training)
    n = len(chosen)
    return {**pair_report(chosen, rejected), "pairs_per_second": n / elapsed if elapsed > 0 else float("inf")}


def pair_report(chosen: Any, rejected: Any) -> dict[str, float]:
    """How logits (``(pairs, num_labels)`` tensors of the chosen and rejected responses) order the pairs.

    ``accuracy``: share of pairs whose chosen response scores higher (the logit of a scalar head,
    ``E`` of a distribution head), with ``accuracy_se``, its binomial standard error; ``ties``: share
    scored equal; ``mean_margin``: mean score difference; ``mean_preference_probability``: the
    model's own ``P(w ≻ l)``, ``σ(r_w − r_l)`` for a scalar head and ``Σ_{i>j} p_w(i) p_l(j)`` for a
    distribution head, which also reports ``mean_tie_probability``, ``mean_std`` (σ of the rating,
    what rm_score notes as ``std``) and the mean σ over the pairs it orders right and wrong
    (``mean_std_right``/``mean_std_wrong``: whether σ says where it errs).
    """
    import torch

    from .distribution import preference_log_prob, rating_moments, tie_prob

    report: dict[str, float] = {}
    if chosen.shape[-1] == 1:
        score_c, score_r = chosen[:, 0], rejected[:, 0]
        preference = torch.sigmoid(score_c - score_r)
    else:
        (score_c, std_c), (score_r, std_r) = rating_moments(chosen), rating_moments(rejected)
        preference = preference_log_prob(chosen, rejected).exp()
        report["mean_tie_probability"] = tie_prob(chosen, rejected).mean().item()
        report["mean_std"] = torch.cat([std_c, std_r]).mean().item()
        pair_std, right = (std_c + std_r) / 2, score_c > score_r
        for name, rows in (("right", right), ("wrong", ~right)):
            report[f"mean_std_{name}"] = pair_std[rows].mean().item() if rows.any() else float("nan")
    margins = score_c - score_r
    n = len(margins)
    accuracy = int((margins > 0).sum()) / n
    return {
        "accuracy": accuracy,
        "accuracy_se": math.sqrt(accuracy * (1 - accuracy) / n),
        "ties": int((margins == 0).sum()) / n,
        "mean_margin": margins.mean().item(),
        "mean_preference_probability": preference.mean().item(),
        **report,
        "pairs": n,
    }


def describe(report: dict[str, float]) -> str:
    return (f"pairwise accuracy {report['accuracy']:.3f} ± {report['accuracy_se']:.3f} s.e. on {report['pairs']} "
            f"pairs (chance 0.5), mean preference probability {report['mean_preference_probability']:.3f}")  # fmt: skip


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


def build_trainer(config: RmTrainConfig, model: Any, tokenizer: Any, data: dict[str, list], args: Any):
    """RewardTrainer for a scalar head, DistributionRewardTrainer for a distribution head; LoRA on either."""
    from datasets import Dataset

    dataset = Dataset.from_dict(data)
    peft_config = config.lora.peft_config("SEQ_CLS", modules_to_save=["score"]) if config.lora else None
    if config.head == "scalar":
        from trl import RewardTrainer

        return RewardTrainer(
            model=model, args=args, train_dataset=dataset, processing_class=tokenizer, peft_config=peft_config
        )
    from .distribution import DistributionRewardTrainer

    if peft_config is not None:
        from peft import get_peft_model

        model = get_peft_model(model, peft_config)
        if args.gradient_checkpointing:
            model.enable_input_require_grads()  # checkpointed LoRA needs gradients at the inputs, as RewardTrainer does
    return DistributionRewardTrainer(model=model, args=args, train_dataset=dataset, processing_class=tokenizer)


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

    silence_uninformative_warnings()

    set_seed(config.seed)  # the fresh head is random: seed it, like RewardTrainer does
    model, tokenizer = load_base(base, config.dtype, config.labels)
    if config.num_layers is not None:
        keep_first_layers(model, config.num_layers)
    if config.template == "chat" and not tokenizer.chat_template:
        raise ConfigError(f"template: chat, but the tokenizer of '{base}' has no chat template")
    train_data, train_stats = tokenize_pairs(tokenizer, train_pairs, config)
    eval_data, eval_stats = tokenize_pairs(tokenizer, eval_pairs, config)
    if not eval_data["chosen_ids"]:
        raise ConfigError(
            f"no held-out pair differs within max_length {config.max_length} tokens: raise max_length or hold out more"
        )
    log(f"rm-train: base model {base}; {train_stats['truncated'] + eval_stats['truncated']} sequences truncated "
        f"to {config.max_length} tokens")  # fmt: skip

    head_only = config.trainable_layers == 0
    if head_only:  # the base model reads the held-out pairs once; before and after score the same features
        from .head_only import features_of, head_logits

        eval_features = features_of(model, eval_data, config.eval_batch_size)
        before = pair_report(*(head_logits(model.score.weight, f) for f in eval_features[:2]))
        before["pairs_per_second"] = before["pairs"] / eval_features[2]
    else:
        before = held_out_report(model, tokenizer, eval_data, config.eval_batch_size)
    log(f"rm-train: held-out before training: {describe(before)}")
    metrics: dict[str, Any] = {
        "base_model": base,
        "head": config.head,
        "num_labels": config.labels,
        "data": config.path(spec.path),
        "train_pairs": len(train_data["chosen_ids"]),
        "eval_pairs": len(eval_data["chosen_ids"]),
        "skipped_rows": skipped,
        "equal_after_truncation": train_stats["equal_after_truncation"] + eval_stats["equal_after_truncation"],
        "truncated_sequences": train_stats["truncated"] + eval_stats["truncated"],
        "max_length": config.max_length,
        "lora": config.lora.model_dump() if config.lora else None,
        "num_layers": config.num_layers,
        "trainable_layers": config.trainable_layers,
        "before": before,
    }
    if dry_run:
        log("rm-train: dry run, nothing trained or saved")
        return metrics

    args = reward_config(config, str(out), max_steps)
    start = time.perf_counter()
    if head_only:
        from .head_only import fit_head

        train_features = features_of(model, train_data, config.eval_batch_size)
        log(f"rm-train: features of {metrics['train_pairs']} training pairs in {train_features[2]:.0f} s; fitting the head")
        fit = fit_head(model.score, train_features[:2], eval_features[:2], args, log)
        trained = model
        after = pair_report(*(head_logits(model.score.weight, f) for f in eval_features[:2]))
        steps, loss, curve = fit["steps"], fit["loss"], fit["curve"]
        rate = metrics["train_pairs"] / (time.perf_counter() - start)  # one read of each pair, then the head
    else:
        if config.trainable_layers:
            train_last_layers(model, config.trainable_layers)
        trainer = build_trainer(config, model, tokenizer, train_data, args)
        result = trainer.train()
        trained = trainer.model
        if config.lora is not None:
            trained = trained.merge_and_unload()
        after = held_out_report(trained, tokenizer, eval_data, config.eval_batch_size)
        steps, loss, curve = result.global_step, result.training_loss, None
        rate = result.metrics.get("train_samples_per_second")
    train_seconds = time.perf_counter() - start
    log(f"rm-train: held-out after training: {describe(after)}")

    out.mkdir(parents=True, exist_ok=True)
    trained.config.pad_token_id = tokenizer.pad_token_id
    trained.save_pretrained(out)
    tokenizer.save_pretrained(out)
    metrics.update(
        after=after,
        train_seconds=train_seconds,
        train_steps=steps,
        train_loss=loss,
        train_pairs_per_second=rate,
        learning_curve=curve,
        output_dir=str(out),
    )
    rm_params = {
        "path": str(out),
        "template": config.template,
        "max_length": config.max_length,
        "truncation_side": config.truncation_side,
        # scored in the dtype it was trained in, so rm_score reads what the held-out report measured
        **({"dtype": config.dtype} if config.dtype != "auto" else {}),
    }
    (out / "rm_train_metrics.json").write_text(json.dumps(metrics, indent=2, default=str) + "\n")
    (out / "rewardkit_rm.json").write_text(json.dumps({"rm_score": rm_params}, indent=2) + "\n")
    log(f"rm-train: saved to {out}; score with: {{name: rm_score, params: {json.dumps(rm_params)}}}")
    return metrics
