"""The rm-train config: one YAML file describes a reward-model training run on preference pairs.

::

    model: smollm2                # bundled SmolLM2-135M-Instruct, a local model directory or a .gguf file
    head: scalar                  # scalar (one logit, Bradley-Terry) | distribution (softmax over 1..num_labels)
    num_labels: 10                # classes of a distribution head, valued 1..num_labels
    data:
      path: pairs.jsonl           # JSONL preference pairs (formats below)
      format: auto                # auto | pairs | hh | conversational
      limit: 400                  # first N usable pairs of the file
      eval_fraction: 0.1          # held out for pairwise accuracy (or eval_path)
    max_length: 256               # tokens per sequence; longer ones are truncated (truncation_side)
    template: auto                # how prompt + response become text: as in the rm_score reward
    lora: {r: 16, alpha: 32}      # omit for full fine-tuning
    num_layers: 20                # keep only the first N decoder layers (a shallower, faster model)
    trainable_layers: 0           # train only the head and the last k layers; 0: the head alone, on features computed once
    trainer: {num_train_epochs: 1, learning_rate: 1.0e-4, per_device_train_batch_size: 8}  # RewardConfig
    output_dir: runs/reward-model
    seed: 0

Heads: ``scalar`` trains one logit with TRL's ``RewardTrainer`` (``−log σ(r_w − r_l)``);
``distribution`` trains ``num_labels`` logits, a softmax over the scores 1..num_labels, with
``−log Σ_{i>j} p_w(i) p_l(j)`` (:mod:`rewardkit.trainers.reward_model.distribution`). Both take the same
``trainer:`` options (a ``RewardConfig``), except the two only RewardTrainer acts on.

What trains: every weight (full fine-tuning), LoRA adapters (``lora``), or the head and the last
k decoder layers (``trainable_layers: k``). ``trainable_layers: 0`` trains the head alone: the
base model then reads each pair once and the head is fitted on those features
(:mod:`rewardkit.trainers.reward_model.head_only`), which takes only the ``trainer:`` options that act on a
linear head. ``num_layers: N`` keeps the first N decoder layers (:mod:`rewardkit.trainers.reward_model.layers`).

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

import dataclasses
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, Mapping

from pydantic import Field, field_validator, model_validator

from ..preferences import PairColumns
from ..run_config import RUN_MANAGED_KEYS, LoraSpec, RunConfig, check_option_keys, load_config_source

TOP_KEYS = (
    "model", "data", "max_length", "head", "num_labels", "truncation_side", "template", "lora", "num_layers",
    "trainable_layers", "dtype", "trainer", "output_dir", "seed", "eval_batch_size", "description",
)  # fmt: skip

# RewardConfig options set from other parts of the config.
MANAGED_TRAINER_KEYS = {
    **RUN_MANAGED_KEYS,
    "max_length": "set it with the top-level 'max_length' key",
    "model_init_kwargs": "the model is loaded from the top-level 'model' key (dtype: top-level 'dtype')",
}

# RewardConfig options that only TRL's RewardTrainer (the scalar head) acts on.
SCALAR_ONLY_TRAINER_KEYS = {
    "center_rewards_coefficient": "it centres a scalar reward, and a distribution head has none",
    "activation_offloading": "the distribution head's trainer does not offload activations",
}


# RewardConfig options the head-only fit (trainable_layers: 0, head_only.fit_head) acts on.
HEAD_ONLY_TRAINER_KEYS = (
    "learning_rate", "weight_decay", "num_train_epochs", "max_steps", "per_device_train_batch_size",
    "lr_scheduler_type", "logging_steps", "disable_tqdm",
)  # fmt: skip


class DataSpec(PairColumns):
    path: str = Field(..., description="JSONL file of preference pairs")
    limit: int | None = Field(None, gt=0, description="use only the first N usable pairs of the file")
    eval_path: str | None = Field(None, description="a separate JSONL of held-out pairs")
    eval_fraction: float = Field(
        0.1, gt=0, lt=1, description="share of the pairs held out, whole conversations at a time (without eval_path)"
    )
    eval_limit: int | None = Field(None, gt=0, description="at most N held-out pairs")


class RmTrainConfig(RunConfig):
    head: Literal["scalar", "distribution"] = Field("scalar", description="one logit, or a softmax over 1..num_labels")
    num_labels: int = Field(10, ge=2, description="classes of a distribution head, valued 1..num_labels")
    data: DataSpec
    max_length: int = Field(512, gt=0, description="tokens per sequence; longer ones are truncated")
    truncation_side: Literal["left", "right"] = Field("left", description="left keeps the end (the response)")
    template: Literal["auto", "chat", "plain"] = Field("auto", description="as rm_score's template parameter")
    num_layers: int | None = Field(None, gt=0, description="keep only the first N decoder layers of the base model")
    trainable_layers: int | None = Field(
        None, ge=0, description="train only the head and the last k decoder layers; 0: the head alone; unset: all"
    )
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

    @model_validator(mode="after")
    def _head_options(self):
        if self.head == "scalar" and "num_labels" in self.model_fields_set:
            raise ValueError("num_labels applies to head: distribution (a scalar head has one logit)")
        if self.trainable_layers is not None and self.lora is not None:
            raise ValueError("lora and trainable_layers both choose what trains: set one of them")
        if self.trainable_layers is not None and self.num_layers is not None and self.trainable_layers > self.num_layers:
            raise ValueError(f"trainable_layers {self.trainable_layers} exceeds num_layers {self.num_layers}")
        if self.trainable_layers == 0:
            other = sorted(set(self.trainer) - set(HEAD_ONLY_TRAINER_KEYS))
            if other:
                raise ValueError(
                    f"trainable_layers: 0 fits the head alone, and trainer options {', '.join(other)} do not act on "
                    f"it (it takes {', '.join(HEAD_ONLY_TRAINER_KEYS)})"
                )
        if self.head == "distribution":
            for key, why in SCALAR_ONLY_TRAINER_KEYS.items():
                if key in self.trainer:
                    raise ValueError(f"trainer: '{key}' applies to head: scalar only ({why})")
        return self

    @property
    def labels(self) -> int:
        """Outputs of the model's head."""
        return self.num_labels if self.head == "distribution" else 1


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
