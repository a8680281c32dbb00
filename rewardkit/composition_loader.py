"""Loading compositions: from YAML files, mappings, lists of entries and the shipped presets.

A composition spec is a preset name, a YAML file path, a list of entries, or a mapping::

    extends: gsm8k              # optional: start from a preset shipped in rewardkit/presets/
    remove: [int_answer]        # optional: drop entries of the preset (by name or alias)
    weights: {strict_format: 0} # optional: reweight entries (0 = logged, not trained on)
    rewards:                    # entries; one whose name/alias matches a preset entry updates it
      - name: length_target
        alias: short            # the same reward twice needs an alias
        weight: 0.5             # default 1.0
        params: {ideal: 200}
        on_error: 0.0           # optional: score of a sample whose scoring raised ("raise" to re-raise)
        normalize: group        # optional: when training, normalise within each prompt's group first

Errors name the source (file or preset), the entry and the key.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any, Mapping

from .composition import Component, Composition
from .errors import ConfigError, RewardkitError
from .registry import Registry, default_registry
from .yaml_file import read_yaml

ENTRY_KEYS = ("name", "weight", "params", "alias", "on_error", "normalize")
SPEC_KEYS = ("extends", "rewards", "remove", "weights", "description")


def preset_names() -> list[str]:
    """Names of the presets shipped in the package."""
    folder = resources.files("rewardkit") / "presets"
    return sorted(p.name[: -len(".yaml")] for p in folder.iterdir() if p.name.endswith(".yaml"))


def read_preset(name: str) -> Any:
    """The raw spec of a shipped preset."""
    if name not in preset_names():
        raise ConfigError(f"unknown preset '{name}'; presets: {', '.join(preset_names())}")
    return read_yaml(Path(str(resources.files("rewardkit") / "presets" / f"{name}.yaml")))


def load_composition(source: Any, registry: Registry | None = None) -> Composition:
    """Build a :class:`Composition` from a preset name, YAML path, list of entries or mapping."""
    registry = registry or default_registry()
    entries = _resolve(source, registry, depth=0)
    return Composition([_component(e, where, registry) for e, where in entries])


def _resolve(source: Any, registry: Registry, depth: int) -> list[tuple[dict, str]]:
    """Flatten a spec (following ``extends``) into (entry, where) pairs."""
    if depth > 8:
        raise ConfigError("presets extend each other too deeply (a cycle?)")
    if isinstance(source, Path) or (isinstance(source, str) and source not in preset_names()):
        path = Path(source)
        if not path.exists():
            raise ConfigError(
                f"'{source}' is neither a preset ({', '.join(preset_names())}) nor an existing file"
            )
        return _resolve_spec(read_yaml(path), str(path), registry, depth)
    if isinstance(source, str):
        return _resolve_spec(read_preset(source), f"preset '{source}'", registry, depth)
    return _resolve_spec(source, "composition", registry, depth)


def _resolve_spec(spec: Any, where: str, registry: Registry, depth: int) -> list[tuple[dict, str]]:
    if isinstance(spec, str):
        return _resolve(spec, registry, depth + 1)
    if isinstance(spec, list):
        spec = {"rewards": spec}
    if not isinstance(spec, Mapping):
        raise ConfigError(f"{where}: expected a mapping or a list of rewards, got {type(spec).__name__}")
    unknown = [k for k in spec if k not in SPEC_KEYS]
    if unknown:
        raise ConfigError(f"{where}: unknown key '{unknown[0]}' (valid: {', '.join(SPEC_KEYS)})")

    entries: list[tuple[dict, str]] = []
    if spec.get("extends") is not None:
        if not isinstance(spec["extends"], str):
            raise ConfigError(f"{where}: 'extends' must be a preset name or file path")
        entries = _resolve(spec["extends"], registry, depth + 1)

    for name in _string_list(spec.get("remove"), where, "remove"):
        kept = [(e, w) for e, w in entries if _key(e) != name]
        if len(kept) == len(entries):
            raise ConfigError(f"{where}: remove: no entry '{name}' to remove (entries: {_keys(entries)})")
        entries = kept

    rewards = spec.get("rewards")
    if rewards is None:
        rewards = []
    if not isinstance(rewards, list):
        raise ConfigError(f"{where}: 'rewards' must be a list of entries")
    for i, raw in enumerate(rewards):
        entry = _check_entry(raw, f"{where}: rewards[{i}]")
        match = [j for j, (e, _) in enumerate(entries) if _key(e) == _key(entry)]
        if match:
            base, _ = entries[match[0]]
            merged = {**base, **{k: v for k, v in entry.items() if k != "params"}}
            merged["params"] = {**base.get("params", {}), **entry.get("params", {})}
            entries[match[0]] = (merged, f"{where}: rewards[{i}]")
        else:
            entries.append((entry, f"{where}: rewards[{i}]"))

    weights = spec.get("weights") or {}
    if not isinstance(weights, Mapping):
        raise ConfigError(f"{where}: 'weights' must map entry names to numbers")
    for name, weight in weights.items():
        match = [j for j, (e, _) in enumerate(entries) if _key(e) == name]
        if not match:
            raise ConfigError(f"{where}: weights: no entry '{name}' (entries: {_keys(entries)})")
        entry, origin = entries[match[0]]
        entries[match[0]] = ({**entry, "weight": weight}, origin)

    if not entries:
        raise ConfigError(f"{where}: the composition has no rewards")
    return entries


def _check_entry(raw: Any, where: str) -> dict:
    if isinstance(raw, str):
        raw = {"name": raw}
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{where}: an entry must be a mapping with a 'name' (or a reward name)")
    label = f"{where} ({raw.get('name', '?')})"
    for key in raw:
        if key not in ENTRY_KEYS:
            raise ConfigError(f"{label}: unknown key '{key}' (valid: {', '.join(ENTRY_KEYS)})")
    if not isinstance(raw.get("name"), str) or not raw["name"]:
        raise ConfigError(f"{where}: every entry needs a 'name'")
    if raw.get("params") is not None and not isinstance(raw["params"], Mapping):
        raise ConfigError(f"{label}: 'params' must be a mapping")
    if raw.get("alias") is not None and not isinstance(raw["alias"], str):
        raise ConfigError(f"{label}: 'alias' must be a string")
    return {**raw, "params": dict(raw.get("params") or {})}


def _component(entry: dict, where: str, registry: Registry) -> Component:
    label = f"{where} ({entry['name']})"
    weight = entry.get("weight", 1.0)
    if isinstance(weight, bool) or not isinstance(weight, (int, float)):
        raise ConfigError(f"{label}: key 'weight' must be a number, got {weight!r}")
    try:
        reward = registry.reward(
            entry["name"], entry["params"], alias=entry.get("alias"), on_error=entry.get("on_error")
        )
    except RewardkitError as exc:
        raise ConfigError(f"{label}: {exc}") from None
    try:
        return Component(reward, float(weight), entry.get("normalize"))
    except ConfigError as exc:
        raise ConfigError(f"{label}: {exc}") from None


def _key(entry: Mapping) -> str:
    return entry.get("alias") or entry["name"]


def _keys(entries: list[tuple[dict, str]]) -> str:
    return ", ".join(_key(e) for e, _ in entries) or "none"


def _string_list(value: Any, where: str, key: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: '{key}' must be a list of entry names")
    return value
