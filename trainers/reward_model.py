"""``rewardkit rm-train CONFIG``: train a scalar reward model on preference pairs with TRL's RewardTrainer.

::

    model: smollm2                # bundled SmolLM2-135M-Instruct, a local model directory or a .gguf file
    data:
      path: pairs.jsonl           # JSONL preference pairs (formats below)
      format: auto                # auto | pairs | hh | conversational
      limit: 400                  # first N usable pairs of the file
      eval_fraction: 0.1          # held out for pairwise accuracy (or eval_path)
    max_length: 256               # tokens per sequence; longer ones are truncated (truncation_side)
    template: auto                # how prompt + response become text: as in the rm_score reward
    lora: {r: 16, alpha: 32}      # omit for full fine-tuning
    trainer: {num_train_epochs: 1, learning_rate: 1.0e-4, per_device_train_batch_size: 8}  # RewardConfig
    output_dir: runs/reward-model
    seed: 0

Data formats (one JSON object per line):

- ``pairs``: ``prompt`` + ``chosen`` + ``rejected``, each a string or a list of chat messages.
- ``conversational``: ``chosen`` and ``rejected`` as whole chats sharing their first turns (the
  shared turns become the prompt).
- ``hh``: Anthropic HH-RLHF, ``chosen``/``rejected`` as ``"\\n\\nHuman: …\\n\\nAssistant: …"``
  dialogues sharing a prefix; they are parsed into chat turns and split like ``conversational``.
- ``auto``: ``pairs`` when a row has ``prompt``, ``hh`` when ``chosen`` starts with
  ``"\\n\\nHuman:"``, ``conversational`` when it is a list of messages, else prompt-less pairs.

Pairs are tokenized here with the same :func:`rewardkit.plugins.reward_model.render`/``encode``
the ``rm_score`` reward uses, so the saved model reads at scoring time exactly what it was trained
on. The output directory holds the merged model (LoRA adapters are merged), its tokenizer,
``rm_train_metrics.json`` (pairwise accuracy before/after on the held-out split, throughput) and
``rewardkit_rm.json`` (the ``rm_score`` parameters that match training).

Relative paths in the YAML resolve against the YAML file's directory. Unknown keys are rejected,
naming the key and listing the valid ones. This module imports torch, transformers and trl only
when a run starts.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import random
import re
import sys
import time
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, Mapping

from pydantic import Field, field_validator

from rewardkit.errors import ConfigError, RewardkitError

from .config_file import LoraSpec, RunConfig, Strict, check_option_keys, load_config_source

TOP_KEYS = (
    "model", "data", "max_length", "truncation_side", "template", "lora", "dtype", "trainer",
    "output_dir", "seed", "eval_batch_size", "description",
)  # fmt: skip

# RewardConfig options set from other parts of the config.
MANAGED_TRAINER_KEYS = {
    "output_dir": "set it with the top-level 'output_dir' key or --output-dir",
    "seed": "set it with the top-level 'seed' key or --seed",
    "max_length": "set it with the top-level 'max_length' key",
    "model_init_kwargs": "the model is loaded from the top-level 'model' key (dtype: top-level 'dtype')",
}


class DataSpec(Strict):
    path: str = Field(..., description="JSONL file of preference pairs")
    format: Literal["auto", "pairs", "hh", "conversational"] = Field("auto", description="see the module docstring")
    prompt_key: str = Field("prompt", description="column of the prompt (pairs format)")
    chosen_key: str = Field("chosen", description="column of the preferred response")
    rejected_key: str = Field("rejected", description="column of the other response")
    limit: int | None = Field(None, gt=0, description="use only the first N usable pairs of the file")
    eval_path: str | None = Field(None, description="a separate JSONL of held-out pairs")
    eval_fraction: float = Field(0.1, gt=0, lt=1, description="share of the pairs held out (without eval_path)")
    eval_limit: int | None = Field(None, gt=0, description="at most N held-out pairs")


class RmTrainConfig(RunConfig):
    data: DataSpec
    max_length: int = Field(512, gt=0, description="tokens per sequence; longer ones are truncated")
    truncation_side: Literal["left", "right"] = Field("left", description="left keeps the end (the response)")
    template: Literal["auto", "chat", "plain"] = Field("auto", description="as rm_score's template parameter")
    dtype: Literal["auto", "float32", "bfloat16", "float16"] = Field(
        "auto", description="weights' dtype while training; auto: float32 on CPU, bfloat16 on CUDA"
    )
    trainer: dict[str, Any] = Field(default_factory=dict, description="RewardConfig keyword arguments")
    output_dir: str = "runs/reward-model"
    seed: int = 0
    eval_batch_size: int = Field(16, gt=0, description="sequences per forward pass when measuring accuracy")

    @field_validator("trainer")
    @classmethod
    def _trainer_keys(cls, value: dict[str, Any]) -> dict[str, Any]:
        check_trainer_keys(value)
        return value


@lru_cache(maxsize=1)
def reward_config_fields() -> tuple[str, ...]:
    """Names of trl.RewardConfig's fields (imports trl, once)."""
    from trl import RewardConfig

    return tuple(sorted(f.name for f in dataclasses.fields(RewardConfig) if f.init))


def check_trainer_keys(options: Mapping[str, Any]) -> None:
    """Reject keys RewardConfig does not take (listing the valid ones) and keys the run manages."""
    check_option_keys(options, reward_config_fields(), MANAGED_TRAINER_KEYS, "RewardConfig")


_SECTIONS = {"data": DataSpec, "lora": LoraSpec}


def load_config(source: str | Path | Mapping[str, Any]) -> RmTrainConfig:
    """An :class:`RmTrainConfig` from a YAML path or a mapping (relative paths: the YAML's directory)."""
    return load_config_source(RmTrainConfig, source, TOP_KEYS, _SECTIONS)


# -- preference data -----------------------------------------------------------------------------

_HH_TURN = re.compile(r"\n\n(Human|Assistant):")
_HH_ROLES = {"Human": "user", "Assistant": "assistant"}


def parse_hh(text: str) -> list[dict[str, str]]:
    """``"\\n\\nHuman: hi\\n\\nAssistant: hello"`` -> user/assistant messages."""
    parts = _HH_TURN.split(text)
    if parts[0].strip():
        raise ValueError(f"HH dialogue does not start with '\\n\\nHuman:': {text[:60]!r}")
    return [{"role": _HH_ROLES[role], "content": content.strip()} for role, content in zip(parts[1::2], parts[2::2])]


def split_shared_prefix(chosen: list[dict], rejected: list[dict]) -> dict[str, Any] | None:
    """Prompt (the shared first turns) and the two differing continuations; None when unusable.

    Unusable: identical chats, or continuations that do not start with an assistant turn.
    """
    k = 0
    while k < min(len(chosen), len(rejected)) and chosen[k] == rejected[k]:
        k += 1
    # the continuations start at the first differing assistant turn
    while k > 0 and (k >= len(chosen) or chosen[k].get("role") != "assistant"):
        k -= 1
    if k == 0 and chosen and chosen[0].get("role") != "assistant":
        return None
    rest_c, rest_r = chosen[k:], rejected[k:]
    if not rest_c or not rest_r or rest_c == rest_r or rest_r[0].get("role") != "assistant":
        return None
    return {"prompt": chosen[:k] or None, "chosen": rest_c, "rejected": rest_r}


def _detect_format(row: Mapping[str, Any], spec: DataSpec) -> str:
    if spec.format != "auto":
        return spec.format
    chosen = row.get(spec.chosen_key)
    if spec.prompt_key in row:
        return "pairs"
    if isinstance(chosen, str) and chosen.startswith("\n\nHuman:"):
        return "hh"
    if isinstance(chosen, list):
        return "conversational"
    return "pairs"


def to_pair(row: Mapping[str, Any], spec: DataSpec) -> dict[str, Any] | None:
    """One JSONL row as ``{prompt, chosen, rejected}``; None when the row has no preference signal."""
    fmt = _detect_format(row, spec)
    for key in (spec.chosen_key, spec.rejected_key):
        if key not in row:
            raise ValueError(f"missing '{key}' (keys: {', '.join(sorted(row))})")
    chosen, rejected = row[spec.chosen_key], row[spec.rejected_key]
    if fmt == "hh":
        return split_shared_prefix(parse_hh(chosen), parse_hh(rejected))
    if fmt == "conversational":
        return split_shared_prefix(list(chosen), list(rejected))
    if chosen == rejected:
        return None
    return {"prompt": row.get(spec.prompt_key), "chosen": chosen, "rejected": rejected}


def load_pairs(path: str, spec: DataSpec, limit: int | None = None) -> tuple[list[dict[str, Any]], int]:
    """Usable pairs of a JSONL file (the first ``limit``) and how many rows were skipped as unusable."""
    if not Path(path).is_file():
        raise ConfigError(f"preference data '{path}' does not exist (relative paths resolve against the YAML's folder)")
    pairs: list[dict[str, Any]] = []
    skipped = 0
    with open(path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                pair = to_pair(json.loads(line), spec)
            except (ValueError, TypeError, AttributeError) as exc:
                raise ConfigError(f"{path}:{lineno}: {exc}") from None
            if pair is None:
                skipped += 1
                continue
            pairs.append(pair)
            if limit is not None and len(pairs) >= limit:
                break
    if not pairs:
        raise ConfigError(f"{path}: no usable preference pairs")
    return pairs, skipped


def split_pairs(pairs: list[dict], fraction: float, seed: int) -> tuple[list[dict], list[dict]]:
    """A seeded random held-out split (at least one pair on each side)."""
    order = list(range(len(pairs)))
    random.Random(seed).shuffle(order)
    n_eval = min(len(pairs) - 1, max(1, round(len(pairs) * fraction)))
    held = set(order[:n_eval])
    return [p for i, p in enumerate(pairs) if i not in held], [p for i, p in enumerate(pairs) if i in held]


def tokenize_pairs(tokenizer: Any, pairs: list[dict], config: RmTrainConfig) -> tuple[dict[str, list], dict[str, int]]:
    """``chosen_ids``/``rejected_ids`` rendered exactly as rm_score renders; drops pairs made equal."""
    from rewardkit.plugins.reward_model import encode, render

    chosen = [render(tokenizer, p["prompt"], p["chosen"], config.template) for p in pairs]
    rejected = [render(tokenizer, p["prompt"], p["rejected"], config.template) for p in pairs]
    c_ids, c_cut = encode(tokenizer, chosen, config.max_length, config.truncation_side)
    r_ids, r_cut = encode(tokenizer, rejected, config.max_length, config.truncation_side)
    keep = [i for i in range(len(pairs)) if c_ids[i] != r_ids[i]]
    stats = {"truncated": c_cut + r_cut, "equal_after_truncation": len(pairs) - len(keep)}
    return {"chosen_ids": [c_ids[i] for i in keep], "rejected_ids": [r_ids[i] for i in keep]}, stats


# -- model -------------------------------------------------------------------------------------


def resolve_base_model(config: RmTrainConfig) -> str:
    """A local model directory for the config's ``model`` (the bundled default is converted once)."""
    spec = config.model
    local = Path(config.path(spec))
    if local.is_dir():
        return str(local)
    try:
        from rewardkit.trainers.default_model import resolve_model_path
    except ImportError:
        raise ConfigError(
            f"model '{spec}' is not a local directory, and the bundled default model support "
            "(rewardkit.trainers.default_model) is not installed"
        ) from None
    looks_like_path = spec.endswith(".gguf") or "/" in spec
    return str(resolve_model_path(config.path(spec) if looks_like_path else spec))


def load_base(path: str, dtype: str):
    """The base model with a fresh one-logit head, and its tokenizer with a padding token."""
    import torch
    from rewardkit.plugins.reward_model import resolve_dtype
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
    from rewardkit.plugins.reward_model import LoadedModel, forward

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


# -- command line ------------------------------------------------------------------------------


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``rm-train`` to the ``rewardkit`` command."""
    p = subparsers.add_parser(
        "rm-train",
        help="train a scalar reward model on preference pairs (TRL RewardTrainer, optional LoRA)",
        description="Train a scalar reward model on JSONL preference pairs with TRL's RewardTrainer "
        "(optionally LoRA) and save a directory the rm_score reward loads. See docs/reward_models.md.",
    )
    p.add_argument("config", help="rm-train YAML file")
    p.add_argument("--output-dir", help="where the model is saved (overrides output_dir)")
    p.add_argument("--max-steps", type=int, help="stop after this many optimizer steps")
    p.add_argument("--limit", type=int, help="use only the first N pairs (overrides data.limit)")
    p.add_argument("--seed", type=int, help="overrides seed")
    p.add_argument("--dry-run", action="store_true", help="load data and model, measure accuracy, train nothing")
    p.set_defaults(func=run)
    return p


def run(args: argparse.Namespace) -> int:
    """Entry point of ``rewardkit rm-train``; errors in the config exit with status 2."""
    try:
        config = load_config(args.config)
        update: dict[str, Any] = {}
        if args.seed is not None:
            update["seed"] = args.seed
        if args.limit is not None:
            update["data"] = config.data.model_copy(update={"limit": args.limit})
        config = config.model_copy(update=update)
        output_dir = str(Path(args.output_dir).resolve()) if args.output_dir else None
        metrics = train_reward_model(config, output_dir=output_dir, max_steps=args.max_steps, dry_run=args.dry_run)
    except RewardkitError as exc:
        print(f"rewardkit rm-train: error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps({k: metrics[k] for k in ("before", "after") if k in metrics}, indent=2))
    return 0


def main(argv: list[str] | None = None) -> int:
    """``python -m rewardkit.trainers.reward_model CONFIG``: the same as ``rewardkit rm-train``."""
    parser = argparse.ArgumentParser(prog="rewardkit")
    add_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["rm-train", *(sys.argv[1:] if argv is None else argv)])
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
