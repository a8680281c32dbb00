"""The train config: one YAML file describes a GRPO or RLOO run.

::

    model: smollm2                 # the bundled SmolLM2-135M-Instruct, a local model directory or a .gguf file
    dataset:
      path: gsm8k                  # a bundled sample, or a .jsonl/.json/.csv/.parquet file or save_to_disk directory
      split: train                 # for bundled samples and DatasetDict directories
      eval_split: test             # what `rewardkit eval` scores by default
      limit: 200                   # first N rows (after shuffling, when shuffle is on)
      # reasoning_gym: {tasks: [{name: leg_counting}], size: 256}   # instead of path: generated rows (tasks.py)
    prompt:
      system: "Respond in the following format: ..."
      question_column: question    # default: the dataset's own `prompt` column (TRL's format), else `question`
      template: chat               # chat: messages for the model's chat template; plain: one string
      examples: [{question: ..., answer: ...}]   # optional few-shot turns
    rewards: gsm8k                 # a preset name, a composition YAML path, a list of entries or a mapping
    tools: [pkg.module:function]   # optional: functions the model may call during GRPO generation
    chat_template: qwen2_5         # optional: a template TRL ships, or a .jinja file (tools need one that renders them)
    algorithm: grpo                # grpo (GRPOTrainer) | rloo (RLOOTrainer): see rewardkit.trainers.policy.algorithms
    advantage: {sigma_from: rm_score}   # optional: advantages × 1/(1+σ), σ the std that component notes
    lora: {r: 16, alpha: 32}       # omit (or null) for full fine-tuning
    trainer: {learning_rate: 1e-5, max_steps: 40, num_generations: 8}   # GRPOConfig / RLOOConfig keyword arguments
    output_dir: runs/gsm8k
    seed: 42

Unknown keys are rejected, each error naming the key and listing the valid ones. Relative paths
are resolved against the YAML file's directory. Command-line options override the file
(:meth:`TrainConfig.with_overrides`, :meth:`TrainConfig.quick`); a preset name stands for its
bundled run (:func:`load_run_config`). This module imports neither torch nor trl.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal, Mapping

from pydantic import Field, ValidationInfo, field_validator, model_validator

from rewardkit.errors import ConfigError, MissingDependencyError

from ..default_model import DEFAULT_MODEL_NAMES
from ..run_config import RUN_MANAGED_KEYS, LoraSpec, RunConfig, Strict, check_option_keys, load_config_source
from .algorithms import ALGORITHMS, class_names, config_class
from .tasks import TasksSpec

TOP_KEYS = (
    "model", "dataset", "prompt", "rewards", "algorithm", "advantage", "lora", "trainer", "output_dir", "seed",
    "description",
)  # fmt: skip

# GRPOConfig/RLOOConfig options that the run sets from other parts of the config.
MANAGED_TRAINER_KEYS = {
    **RUN_MANAGED_KEYS,
    "reward_weights": "weights come from the 'rewards' composition (each entry's 'weight')",
    "resume_from_checkpoint": "use --resume-from-checkpoint",
}

# The learning rate a run uses when neither the config nor --learning-rate sets one. Full
# fine-tuning: TRL's GRPOConfig default (the GRPO papers' 1e-6). LoRA trains far fewer weights and
# needs about ten times that ("LoRA Without Regret", Schulman et al. 2025; TRL's guide to it).
DEFAULT_LEARNING_RATE = {"full": 1e-6, "lora": 1e-5}

# Bundled run configs (rewardkit/data/) of the presets that have one: `rewardkit train PRESET`.
PRESET_RUNS = {
    "gsm8k": "gsm8k_default.yaml",
    "length": "length_scitldr.yaml",
    "r1": "r1_gsm8k.yaml",
    "ifeval": "ifeval_sample.yaml",
    "tools": "tool_use_sample.yaml",
    "reasoning_gym": "reasoning_gym_easy.yaml",
}

# Command-line options that set a GRPOConfig option, and the option they set.
TRAINER_OPTIONS = {
    "max_steps": "max_steps",
    "epochs": "num_train_epochs",
    "learning_rate": "learning_rate",
    "batch_size": "per_device_train_batch_size",
    "num_generations": "num_generations",
    "max_completion_length": "max_completion_length",
    "report_to": "report_to",
}

# Every command-line option that overrides the config (TrainConfig.with_overrides's keywords).
OVERRIDES = ("model", "dataset", "rewards", "max_samples", "output_dir", "seed", "algorithm", *TRAINER_OPTIONS)

# --quick: a smoke run that goes through every stage (data, rewards, generation, optimizer steps,
# saving, the plot) in the least time; explicit options still win over these.
QUICK_TRAINER = {
    "max_steps": 2,
    "num_generations": 2,
    "per_device_train_batch_size": 2,
    "gradient_accumulation_steps": 1,
    "max_completion_length": 16,
    "logging_steps": 1,
    "save_strategy": "no",
}
QUICK_DROPPED = ("num_train_epochs", "generation_batch_size", "steps_per_generation", "save_steps")
QUICK_SAMPLES = 4


class DatasetSpec(Strict):
    path: str = Field("gsm8k", description="bundled sample name, or a file/directory path")
    format: Literal["auto", "jsonl", "json", "csv", "parquet", "disk"] = Field(
        "auto", description="file format; auto: from the extension (disk: a directory, save_to_disk or data files)"
    )
    split: str = Field("train", description="split to train on (bundled samples and DatasetDict directories)")
    eval_split: str | None = Field(None, description="split `rewardkit eval` scores (default: test, else split)")
    eval_path: str | None = Field(None, description="a separate file/directory for `rewardkit eval`")
    limit: int | None = Field(None, gt=0, description="use only the first N rows")
    shuffle: bool = Field(False, description="shuffle the rows (with the run's seed) before taking the limit")
    reasoning_gym: TasksSpec | None = Field(
        None, description="reasoning-gym tasks whose generators make the rows, instead of a path (tasks.py)"
    )

    def label(self) -> str:
        """What the rows are, for the run header and the model card."""
        if self.reasoning_gym is not None:
            return f"reasoning-gym tasks {self.reasoning_gym.describe()}"
        return f"{self.path} [{self.split}]"

    @model_validator(mode="after")
    def _one_source(self) -> "DatasetSpec":
        if self.reasoning_gym is not None and {"path", "format", "eval_path"} & self.model_fields_set:
            raise ValueError("give either path (a dataset) or reasoning_gym (tasks that generate the rows), not both")
        return self


class Example(Strict):
    question: str
    answer: str


class PromptSpec(Strict):
    system: str | None = Field(None, description="system prompt (chat) or preamble (plain)")
    question_column: str | None = Field(
        None,
        description="column the prompt is built from (text or chat messages); default: the dataset's own "
        "'prompt' column used as it is (TRL's format), else 'question'",
    )
    template: Literal["chat", "plain"] = Field(
        "chat", description="chat: a list of messages rendered by the model's chat template; plain: one string"
    )
    plain_format: str = Field(
        "{system}\n\n{examples}{question}\n",
        description="plain template: a format string with {system}, {examples}, {question} and any dataset column",
    )
    examples: list[Example] = Field(default_factory=list, description="few-shot question/answer turns")


class AdvantageSpec(Strict):
    sigma_from: str | None = Field(
        None, description="reward component whose noted std σ scales each advantage by 1/(1+σ)"
    )


class TrainConfig(RunConfig):
    dataset: DatasetSpec = Field(default_factory=DatasetSpec)
    prompt: PromptSpec = Field(default_factory=PromptSpec)
    rewards: Any = Field("gsm8k", description="preset name, composition YAML path, list of entries or mapping")
    algorithm: Literal[ALGORITHMS] = Field("grpo", description="grpo: GRPOTrainer; rloo: RLOOTrainer")
    advantage: AdvantageSpec = Field(default_factory=AdvantageSpec, description="advantage shaping")
    trainer: dict[str, Any] = Field(default_factory=dict, description="GRPOConfig/RLOOConfig keyword arguments")
    tools: list[str] = Field(default_factory=list, description="functions GRPO lets the model call ('module:function'; see tool_calling)")
    chat_template: str | None = Field(None, description="a chat template TRL ships (qwen2_5, ...) or a .jinja file")
    output_dir: str = "runs/grpo"
    seed: int = 42

    @field_validator("trainer")
    @classmethod
    def _trainer_keys(cls, value: dict[str, Any], info: ValidationInfo) -> dict[str, Any]:
        algorithm = info.data.get("algorithm", "grpo")  # validated before: declared above
        check_trainer_keys(value, algorithm)
        return coerce_numbers(value, algorithm)

    def composition(self):
        """The config's rewards as a Composition (a relative YAML path is read next to the config)."""
        from rewardkit.composition_loader import load_composition

        try:
            return load_composition(self.rewards, base=self.base_dir)
        except ConfigError as exc:
            raise ConfigError(f"{self.source}: rewards: {exc}") from None

    @property
    def learning_rate(self) -> float:
        """The learning rate the run uses: the config's, else the default for full fine-tuning or LoRA."""
        return float(self.trainer.get("learning_rate", DEFAULT_LEARNING_RATE["lora" if self.lora else "full"]))

    def with_overrides(
        self,
        *,
        model: str | None = None,
        dataset: str | None = None,
        rewards: Any = None,
        max_samples: int | None = None,
        output_dir: str | None = None,
        seed: int | None = None,
        algorithm: str | None = None,
        **trainer_options: Any,
    ) -> "TrainConfig":
        """A copy with command-line options applied (``None`` keeps the config's value).

        Paths are taken relative to the current directory. ``trainer_options`` are the keys of
        :data:`TRAINER_OPTIONS`; ``epochs`` without ``max_steps`` drops the config's ``max_steps``,
        which would otherwise win over the epochs.
        """
        unknown = set(trainer_options) - set(TRAINER_OPTIONS)
        if unknown:
            raise TypeError(f"unknown override(s): {', '.join(sorted(unknown))}")
        update: dict[str, Any] = {}
        trainer = dict(self.trainer)
        for option, value in trainer_options.items():
            if value is not None:
                trainer[TRAINER_OPTIONS[option]] = value
        if trainer_options.get("epochs") is not None and trainer_options.get("max_steps") is None:
            trainer.pop("max_steps", None)
        if trainer != self.trainer:
            update["trainer"] = trainer
        if model is not None:
            update["model"] = model if model.strip().lower() in DEFAULT_MODEL_NAMES else str(Path(model).expanduser().resolve())
        data_update: dict[str, Any] = {}
        if dataset is not None:
            # a new dataset brings its own splits: evaluation reads its test split when it has one
            data_update.update(path=_cwd_path(dataset), format="auto", eval_path=None, eval_split=None, reasoning_gym=None)
        if max_samples is not None:
            data_update["limit"] = max_samples
        if data_update:
            update["dataset"] = self.dataset.model_copy(update=data_update)
        if rewards is not None:
            update["rewards"] = rewards
        if output_dir is not None:
            update["output_dir"] = str(Path(output_dir).resolve())
        if seed is not None:
            update["seed"] = seed
        if algorithm is not None and algorithm != self.algorithm:
            try:  # the trainer options were checked against the other algorithm's config class
                check_trainer_keys(update.get("trainer", self.trainer), algorithm)
            except ValueError as exc:
                raise ConfigError(f"--algorithm {algorithm}: {exc}") from None
            update["algorithm"] = algorithm
        return self.model_copy(update=update)

    def quick(self) -> "TrainConfig":
        """The smoke-run version of this config: :data:`QUICK_TRAINER`, a few rows, its own output_dir."""
        trainer = {k: v for k, v in self.trainer.items() if k not in QUICK_DROPPED}
        dataset = self.dataset.model_copy(update={"limit": min(self.dataset.limit or QUICK_SAMPLES, QUICK_SAMPLES)})
        return self.model_copy(
            update={"trainer": {**trainer, **QUICK_TRAINER}, "dataset": dataset, "output_dir": f"{self.output_dir}-quick"}
        )


def _cwd_path(value: str) -> str:
    """A command-line path made absolute against the current directory; a bare name that is not
    a file here (a bundled sample such as ``gsm8k``) stays as it is."""
    path = Path(value).expanduser()
    if not path.exists() and "/" not in value and "." not in value:
        return value
    return str(path.resolve())


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


@lru_cache(maxsize=None)
def trainer_config_fields(algorithm: str = "grpo") -> tuple[str, ...]:
    """Names of the algorithm's TRL config fields (GRPOConfig, RLOOConfig; imports trl, once)."""
    import dataclasses

    require_trl()
    return tuple(sorted(f.name for f in dataclasses.fields(config_class(algorithm)) if f.init))


@lru_cache(maxsize=None)
def trainer_numeric_fields(algorithm: str = "grpo") -> dict[str, type]:
    """The algorithm's TRL config fields typed float or int (possibly optional), by name."""
    import dataclasses

    require_trl()
    found: dict[str, type] = {}
    for f in dataclasses.fields(config_class(algorithm)):
        text = f.type if isinstance(f.type, str) else str(f.type)
        names = {part.strip().replace("<class '", "").replace("'>", "") for part in text.split("|")} - {"None"}
        if names and names <= {"int", "float"}:
            found[f.name] = float if "float" in names else int
    return found


def coerce_numbers(options: Mapping[str, Any], algorithm: str = "grpo") -> dict[str, Any]:
    """Turn YAML strings such as ``2e-5`` (PyYAML reads exponents without a dot as text) into numbers."""
    numeric = trainer_numeric_fields(algorithm)
    out = dict(options)
    for key, value in options.items():
        if isinstance(value, str) and key in numeric:
            try:
                number = float(value)
            except ValueError:
                continue
            out[key] = int(number) if numeric[key] is int and number.is_integer() else number
    return out


def check_trainer_keys(options: Mapping[str, Any], algorithm: str = "grpo") -> None:
    """Reject keys the algorithm's TRL config does not take (listing the valid ones) and keys the run manages."""
    name = class_names(algorithm).config
    check_option_keys(options, trainer_config_fields(algorithm), MANAGED_TRAINER_KEYS, name)


_SECTIONS = {"dataset": DatasetSpec, "prompt": PromptSpec, "lora": LoraSpec, "advantage": AdvantageSpec}


def load_config(source: str | Path | Mapping[str, Any] | None) -> TrainConfig:
    """A :class:`TrainConfig` from a YAML path, a mapping, or ``None`` for the bundled default run."""
    return load_config_source(TrainConfig, default_config_path() if source is None else source, TOP_KEYS, _SECTIONS)


def default_config_path() -> Path:
    """The bundled default run's config (the gsm8k preset on the bundled GSM8K sample)."""
    return bundled_run_path("gsm8k")


def bundled_run_path(preset: str) -> Path:
    """The bundled run config of a preset in :data:`PRESET_RUNS`."""
    return Path(str(resources.files("rewardkit") / "data" / PRESET_RUNS[preset]))


def load_run_config(source: str | None) -> TrainConfig:
    """The config ``rewardkit train [CONFIG | PRESET]`` starts from.

    A preset name (:func:`rewardkit.composition_loader.locate`'s rule: a preset's name wins over a
    file of that name): its bundled run, or (a preset without one) the default run with that
    preset's rewards; any other name: a YAML file; nothing: the default run.
    """
    from rewardkit.composition_loader import locate

    if source is None:
        return load_config(None)
    located = locate(source)
    if located.kind == "file":
        return load_config(located.file())
    if source in PRESET_RUNS:
        return load_config(bundled_run_path(source))
    return load_config(None).model_copy(update={"rewards": source})
