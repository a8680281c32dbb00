"""The train config: one YAML file describes a GRPO run.

::

    model: smollm2                 # the bundled SmolLM2-135M-Instruct, a local model directory or a .gguf file
    dataset:
      path: gsm8k                  # a bundled sample, or a .jsonl/.json/.csv/.parquet file or save_to_disk directory
      split: train                 # for bundled samples and DatasetDict directories
      eval_split: test             # what `rewardkit eval` scores by default
      limit: 200                   # first N rows (after shuffling, when shuffle is on)
    prompt:
      system: "Respond in the following format: ..."
      question_column: question
      template: chat               # chat: messages for the model's chat template; plain: one string
      examples: [{question: ..., answer: ...}]   # optional few-shot turns
    rewards: gsm8k                 # a preset name, a composition YAML path, a list of entries or a mapping
    lora: {r: 16, alpha: 32}       # omit (or null) for full fine-tuning
    trainer: {learning_rate: 1e-5, max_steps: 40, num_generations: 8}   # GRPOConfig keyword arguments
    output_dir: runs/gsm8k
    seed: 42

Unknown keys are rejected, each error naming the key and listing the valid ones. Relative paths
are resolved against the YAML file's directory. This module imports neither torch nor trl.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal, Mapping

from pydantic import Field, field_validator

from rewardkit.errors import MissingDependencyError

from .run_config import LoraSpec, RunConfig, Strict, check_option_keys, load_config_source

TOP_KEYS = ("model", "dataset", "prompt", "rewards", "lora", "trainer", "output_dir", "seed", "description")

# GRPOConfig options that the run sets from other parts of the config.
MANAGED_TRAINER_KEYS = {
    "output_dir": "set it with the top-level 'output_dir' key or --output-dir",
    "seed": "set it with the top-level 'seed' key or --seed",
    "reward_weights": "weights come from the 'rewards' composition (each entry's 'weight')",
    "resume_from_checkpoint": "use --resume-from-checkpoint",
}


class DatasetSpec(Strict):
    path: str = Field("gsm8k", description="bundled sample name, or a file/directory path")
    format: Literal["auto", "jsonl", "json", "csv", "parquet", "disk"] = Field(
        "auto", description="file format; auto: from the extension (a directory is a save_to_disk dataset)"
    )
    split: str = Field("train", description="split to train on (bundled samples and DatasetDict directories)")
    eval_split: str | None = Field(None, description="split `rewardkit eval` scores (default: test, else split)")
    eval_path: str | None = Field(None, description="a separate file/directory for `rewardkit eval`")
    limit: int | None = Field(None, gt=0, description="use only the first N rows")
    shuffle: bool = Field(False, description="shuffle the rows (with the run's seed) before taking the limit")


class Example(Strict):
    question: str
    answer: str


class PromptSpec(Strict):
    system: str | None = Field(None, description="system prompt (chat) or preamble (plain)")
    question_column: str = Field("question", description="dataset column holding the question/user message")
    template: Literal["chat", "plain"] = Field(
        "chat", description="chat: a list of messages rendered by the model's chat template; plain: one string"
    )
    plain_format: str = Field(
        "{system}\n\n{examples}{question}\n",
        description="plain template: a format string with {system}, {examples}, {question} and any dataset column",
    )
    examples: list[Example] = Field(default_factory=list, description="few-shot question/answer turns")


class TrainConfig(RunConfig):
    dataset: DatasetSpec = Field(default_factory=DatasetSpec)
    prompt: PromptSpec = Field(default_factory=PromptSpec)
    rewards: Any = Field("gsm8k", description="preset name, composition YAML path, list of entries or mapping")
    trainer: dict[str, Any] = Field(default_factory=dict, description="GRPOConfig keyword arguments")
    output_dir: str = "runs/grpo"
    seed: int = 42

    @field_validator("trainer")
    @classmethod
    def _trainer_keys(cls, value: dict[str, Any]) -> dict[str, Any]:
        check_trainer_keys(value)
        return coerce_numbers(value)

    def composition(self):
        """The config's rewards as a Composition (a relative YAML path is read next to the config)."""
        from rewardkit.composition_loader import load_composition, preset_names

        source = self.rewards
        if isinstance(source, str) and source not in preset_names():
            source = self.path(source)
        return load_composition(source)

    def with_overrides(
        self, *, max_steps: int | None = None, output_dir: str | None = None, seed: int | None = None
    ) -> "TrainConfig":
        """A copy with the command-line overrides applied."""
        update: dict[str, Any] = {}
        if max_steps is not None:
            update["trainer"] = {**self.trainer, "max_steps": max_steps}
        if output_dir is not None:
            update["output_dir"] = str(Path(output_dir).resolve())
        if seed is not None:
            update["seed"] = seed
        return self.model_copy(update=update)


def require_trl():
    """The trl module, or a clear error naming the install command."""
    try:
        import trl
    except ImportError as exc:
        raise MissingDependencyError(
            f"training needs trl, transformers, torch, datasets and peft ({exc}); "
            "install them with: pip install 'rewardkit[train]'"
        ) from None
    return trl


@lru_cache(maxsize=1)
def grpo_config_fields() -> tuple[str, ...]:
    """Names of GRPOConfig's fields (imports trl, once)."""
    import dataclasses

    GRPOConfig = require_trl().GRPOConfig
    return tuple(sorted(f.name for f in dataclasses.fields(GRPOConfig) if f.init))


@lru_cache(maxsize=1)
def grpo_numeric_fields() -> dict[str, type]:
    """GRPOConfig fields typed float or int (possibly optional), by name."""
    import dataclasses

    GRPOConfig = require_trl().GRPOConfig
    found: dict[str, type] = {}
    for f in dataclasses.fields(GRPOConfig):
        text = f.type if isinstance(f.type, str) else str(f.type)
        names = {part.strip().replace("<class '", "").replace("'>", "") for part in text.split("|")} - {"None"}
        if names and names <= {"int", "float"}:
            found[f.name] = float if "float" in names else int
    return found


def coerce_numbers(options: Mapping[str, Any]) -> dict[str, Any]:
    """Turn YAML strings such as ``2e-5`` (PyYAML reads exponents without a dot as text) into numbers."""
    numeric = grpo_numeric_fields()
    out = dict(options)
    for key, value in options.items():
        if isinstance(value, str) and key in numeric:
            try:
                number = float(value)
            except ValueError:
                continue
            out[key] = int(number) if numeric[key] is int and number.is_integer() else number
    return out


def check_trainer_keys(options: Mapping[str, Any]) -> None:
    """Reject keys GRPOConfig does not take (listing the valid ones) and keys the run manages."""
    check_option_keys(options, grpo_config_fields(), MANAGED_TRAINER_KEYS, "GRPOConfig")


_SECTIONS = {"dataset": DatasetSpec, "prompt": PromptSpec, "lora": LoraSpec}


def load_config(source: str | Path | Mapping[str, Any] | None) -> TrainConfig:
    """A :class:`TrainConfig` from a YAML path, a mapping, or ``None`` for the bundled default run."""
    return load_config_source(TrainConfig, default_config_path() if source is None else source, TOP_KEYS, _SECTIONS)


def default_config_path() -> Path:
    """The bundled default run's config (the gsm8k preset on the bundled GSM8K sample)."""
    return Path(str(resources.files("rewardkit") / "data" / "gsm8k_default.yaml"))

