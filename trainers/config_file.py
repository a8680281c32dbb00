"""Shared loading of the YAML run configs (train and rm-train): safe YAML, readable errors."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any, Iterable, Mapping, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from rewardkit.errors import ConfigError

Config = TypeVar("Config", bound=BaseModel)


def load_config_source(
    model: type[Config],
    source: str | Path | Mapping[str, Any],
    top_keys: Iterable[str],
    sections: Mapping[str, type[BaseModel]],
) -> Config:
    """Validate a mapping, or a YAML file whose relative paths resolve against its directory."""
    if isinstance(source, Mapping):
        return validate_config(model, dict(source), "config", Path.cwd(), top_keys, sections)
    path = Path(source)
    if not path.is_file():
        raise ConfigError(f"{path}: no such config file")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: invalid YAML: {exc}") from None
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
    if "base_dir" in data:
        raise ConfigError(f"{where}: unknown key 'base_dir' (valid: {', '.join(top_keys)})")
    try:
        return model.model_validate({**data, "base_dir": base_dir})
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
