"""What the run configs (train and rm-train) share: base classes, LoRA, loading with readable errors."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any, Iterable, Literal, Mapping, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from rewardkit.config_size import check_config_size
from rewardkit.errors import ConfigError
from rewardkit.yaml_file import read_yaml

from .default_model import DEFAULT_MODEL_NAMES

Config = TypeVar("Config", bound=BaseModel)

# `trainer:` options that every run sets from its own top-level keys.
RUN_MANAGED_KEYS = {
    "output_dir": "set it with the top-level 'output_dir' key or --output-dir",
    "seed": "set it with the top-level 'seed' key or --seed",
}


class Strict(BaseModel):
    """A config section: unknown keys are errors."""

    model_config = ConfigDict(extra="forbid")


class LoraSpec(Strict):
    r: int = Field(16, gt=0)
    alpha: int = Field(32, gt=0)
    dropout: float = Field(0.05, ge=0, lt=1)
    target_modules: str | list[str] = Field("all-linear", description="'all-linear' or module names")
    bias: Literal["none", "all", "lora_only"] = "none"

    def peft_config(self, task_type: str, **extra: Any):
        """The matching ``peft.LoraConfig`` (imports peft)."""
        from peft import LoraConfig

        return LoraConfig(
            r=self.r,
            lora_alpha=self.alpha,
            lora_dropout=self.dropout,
            target_modules=self.target_modules,
            bias=self.bias,
            task_type=task_type,
            **extra,
        )


class RunConfig(Strict):
    """What the train and rm-train configs share: the model, LoRA, and paths relative to the file."""

    model: str = Field("smollm2", description="'smollm2' (bundled default), a model directory or a .gguf file")
    lora: LoraSpec | None = Field(None, description="LoRA settings (true: the defaults); omit for full fine-tuning")
    description: str | None = None
    base_dir: Path = Field(default=Path("."), exclude=True, description="directory relative paths resolve against")
    source: str = Field(default="config", exclude=True, description="the file the config was read from, for errors")

    @field_validator("lora", mode="before")
    @classmethod
    def _lora_shorthand(cls, value: Any) -> Any:
        if value is True:
            return {}
        if value is False:
            return None
        return value

    def model_spec(self, override: str | None = None) -> str:
        """The model to load: the override or the config's model, relative paths made absolute."""
        if override is not None:
            if override.strip().lower() in DEFAULT_MODEL_NAMES:
                return override
            return str(Path(override).expanduser().resolve())
        if self.model.strip().lower() in DEFAULT_MODEL_NAMES:
            return self.model
        return self.path(self.model)

    def path(self, value: str) -> str:
        """A path from the config, made absolute against the config file's directory."""
        p = Path(value).expanduser()
        return str(p if p.is_absolute() else (self.base_dir / p).resolve())


def load_config_source(
    model: type[Config],
    source: str | Path | Mapping[str, Any],
    top_keys: Iterable[str],
    sections: Mapping[str, type[BaseModel]],
) -> Config:
    """Validate a mapping, or a YAML file whose relative paths resolve against its directory."""
    if isinstance(source, Mapping):
        check_config_size(source, "config")  # before validation walks every shared reference
        return validate_config(model, dict(source), "config", Path.cwd(), top_keys, sections)
    path = Path(source)
    if not path.is_file():
        raise ConfigError(f"{path}: no such config file")
    data = read_yaml(path)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level, got {type(data).__name__}")
    return validate_config(model, data, str(path), path.resolve().parent, top_keys, sections)


def validate_config(
    model: type[Config],
    data: dict[str, Any],
    where: str,
    base_dir: Path,
    top_keys: Iterable[str],
    sections: Mapping[str, type[BaseModel]],
) -> Config:
    """``model`` from ``data``; every problem is named with its key and, for unknown keys, the valid ones."""
    top_keys = list(top_keys)
    for internal in ("base_dir", "source"):
        if internal in data:
            raise ConfigError(f"{where}: unknown key '{internal}' (valid: {', '.join(top_keys)})")
    try:
        return model.model_validate({**data, "base_dir": base_dir, "source": where})
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = [str(p) for p in err["loc"]]
            key = ".".join(loc) or "(config)"
            if err["type"] == "extra_forbidden":
                section = sections.get(loc[0]) if len(loc) > 1 else None
                valid = list(section.model_fields) if section else top_keys
                problems.append(f"unknown key '{key}' (valid: {', '.join(valid)})")
            elif err["type"] == "value_error":
                problems.append(str(err.get("ctx", {}).get("error", err["msg"])))
            else:
                problems.append(f"'{key}': {err['msg']}")
        raise ConfigError(f"{where}: " + "; ".join(problems)) from None


def check_option_keys(
    options: Mapping[str, Any], valid: Iterable[str], managed: Mapping[str, str], config_name: str
) -> None:
    """Reject ``trainer:`` keys the TRL config class does not take (listing them) and keys the run manages."""
    valid = list(valid)
    for key in options:
        if key in managed:
            raise ValueError(f"trainer: '{key}' is not set here: {managed[key]}")
        if key not in valid:
            close = difflib.get_close_matches(key, valid, n=3)
            hint = f" (did you mean {', '.join(repr(c) for c in close)}?)" if close else ""
            raise ValueError(f"trainer: unknown {config_name} option '{key}'{hint}; valid options: {', '.join(valid)}")
