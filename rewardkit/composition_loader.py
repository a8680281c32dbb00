"""Loading compositions: from YAML files, mappings, lists of entries and the shipped presets.

A composition spec is a preset name, a YAML file path, a list of entries, or a mapping::

    extends: gsm8k              # optional: start from a preset, or a YAML file (relative to this one)
    remove: [int_answer]        # optional: drop entries of the preset (by name or alias)
    weights: {strict_format: 0} # optional: reweight entries (0 = logged, not trained on)
    rewards:                    # entries; one whose name/alias matches a preset entry updates it
      - name: length_target
        alias: short            # the same reward twice needs an alias
        weight: 0.5             # default 1.0
        params: {ideal: 200}
        on_error: 0.0           # optional: score of a sample whose scoring raised ("raise" to re-raise)
        normalize: group        # optional: when training, normalise within each prompt's group first

Errors name the source (file or preset), the entry and the key. Two entries of one ``rewards``
list with the same name (and no alias) or the same alias are refused, naming both; a cycle of
``extends`` is refused, naming the chain. Checking takes time linear in the number of entries.
"""

from __future__ import annotations

import functools
import json
import os
import sys
import threading
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Mapping, Sequence

from .composition import Component, Composition
from .config_size import check_config_size
from .errors import ConfigError, RewardkitError, shown
from .registry import Registry, default_registry
from .stats import is_finite_number
from .yaml_file import read_yaml

ENTRY_KEYS = ("name", "weight", "params", "alias", "on_error", "normalize")
SPEC_KEYS = ("extends", "rewards", "remove", "weights", "description")
MAX_EXTENDS = 32  # files and presets one composition may chain through ``extends``
SHOWN_KEYS = 20  # entry names listed in an error message


def preset_names() -> list[str]:
    """Names of the presets shipped in the package."""
    return list(_preset_names())


@functools.cache
def _preset_names() -> tuple[str, ...]:  # the package's files do not change while it runs
    folder = resources.files("rewardkit") / "presets"
    return tuple(sorted(p.name[: -len(".yaml")] for p in folder.iterdir() if p.name.endswith(".yaml")))


def read_preset(name: str) -> Any:
    """The raw spec of a shipped preset."""
    if name not in _preset_names():
        raise ConfigError(f"unknown preset {shown(name)}; presets: {', '.join(preset_names())}")
    return read_yaml(Path(str(resources.files("rewardkit") / "presets" / f"{name}.yaml")))


@dataclass(frozen=True)
class SpecSource:
    """What a composition spec names: ``kind`` is ``preset`` (``value`` its name), ``file``
    (``value`` a Path, as written or joined to the folder of the file that named it) or ``inline``
    (``value`` a plain mapping or list of entries). ``spec`` is what means the same from any
    directory and process (a file: its absolute path, taken when it was located)."""

    kind: str
    value: Any
    spec: Any

    @property
    def label(self) -> str:
        """How messages name it: the preset, the path as written, or ``composition``."""
        return {"preset": f"preset '{self.value}'", "file": str(self.value)}.get(self.kind, "composition")

    def file(self) -> Path:
        """The file this names, or a ConfigError that lists the presets (it named neither)."""
        if not _exists(self.value):
            raise ConfigError(f"{shown(self.label)} is neither a preset ({', '.join(preset_names())}) nor an existing file")
        return self.value


def locate(spec: Any, base: Path | None = None) -> SpecSource:
    """The one rule for what a spec names, used by every command and integration:

    - a string that is a shipped preset's name is that preset, even when a file of that name
      exists here (a preset means the same in every directory, as a trainer's worker processes
      need; the file is ``./NAME``, and a line on stderr says which was used);
    - any other string or path is a YAML file, relative to ``base`` (the folder of the file that
      names it) or else to the current directory;
    - a mapping or a list of entries is an inline spec.
    """
    if isinstance(spec, str) and spec in _preset_names():
        _say_if_shadowed(spec, base)
        return SpecSource("preset", spec, spec)
    if isinstance(spec, (str, os.PathLike)):
        path = Path(spec).expanduser()
        path = path if base is None else base / path
        return SpecSource("file", path, os.path.abspath(path))
    if isinstance(spec, (Mapping, Sequence)) and not isinstance(spec, bytes):
        check_config_size(spec, "composition")  # before anything walks it (files: read_yaml checks)
        inline = plain(spec)
        return SpecSource("inline", inline, inline)
    raise ConfigError(
        f"composition: expected a preset name, a YAML path, a mapping or a list of rewards, got {type(spec).__name__}"
    )


_said: set[str] = set()  # files reported as shadowed by a preset, so a trainer's many calls say it once


def _say_if_shadowed(name: str, base: Path | None) -> None:
    path = os.path.abspath(name if base is None else base / name)
    if path not in _said and _is_file(Path(path)):
        _said.add(path)
        print(
            f"rewardkit: '{name}' is a preset and also the file {path}; using the preset "
            f"(write ./{name} for the file)",
            file=sys.stderr,
        )


def plain(value: Any) -> Any:
    """``value`` with mappings and sequences made dicts and lists (verl hands over OmegaConf containers)."""
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, Sequence) and not isinstance(value, (str, bytes)):
        return [plain(v) for v in value]
    return value


def load_composition(source: Any, registry: Registry | None = None, *, base: Path | None = None) -> Composition:
    """Build a :class:`Composition` from a preset name, YAML path, list of entries or mapping
    (:func:`locate`); a relative path, and an inline spec's ``extends``, are read from ``base``
    (default: the current directory)."""
    registry = registry or default_registry()
    entries = _resolve(source, registry, chain=(), base=base)
    return Composition([_component(e, where, registry) for e, where in entries])


def resolved_entries(source: Any, registry: Registry | None = None) -> list[dict]:
    """The spec as one plain list of entries (``extends``, ``remove`` and ``weights`` applied):
    what another process or machine needs to build the same composition without the files."""
    return [entry for entry, _ in _resolve(source, registry or default_registry(), chain=(), base=None)]


_by_given: dict[Any, Composition] = {}  # keyed on the spec as given: the per-call lookup
_by_source: dict[Any, Composition] = {}  # keyed on what it names: one composition per file or preset
_shared_lock = threading.Lock()


def shared_composition(spec: Any) -> Composition:
    """The composition for ``spec``, built once per process and reused (its verifier pool and caches
    with it). Looked up by the spec as given (and, for a path, the working directory), so a trainer
    calling once per sample neither lists the presets nor touches the file system again; a relative
    and an absolute path to one file share one composition."""
    if isinstance(spec, (str, os.PathLike)):
        given: Any = (os.fspath(spec), os.getcwd())
    else:
        given = json.dumps(locate(spec).value, sort_keys=True, default=str)
    composition = _by_given.get(given)
    if composition is not None:
        return composition
    with _shared_lock:
        located = locate(spec)
        source = str(located.value.resolve()) if located.kind == "file" else given if located.kind == "inline" else spec
        if source not in _by_source:
            _by_source[source] = load_composition(spec)
        composition = _by_given[given] = _by_source[source]
    return composition


def _resolve(source: Any, registry: Registry, chain: tuple[str, ...], base: Path | None) -> list[tuple[dict, str]]:
    """Flatten a spec (following ``extends``) into (entry, where) pairs.

    ``chain`` holds the files and presets being resolved (to refuse a cycle); ``base`` is the
    folder of the file whose ``extends`` named ``source`` (a relative path is relative to it).
    """
    located = locate(source, base)
    if located.kind == "file":
        path = located.file()
        name = str(path.resolve())
        _check_chain(chain, name, located.label)
        return _resolve_spec(_composition_file(path, located.label), located.label, registry, (*chain, name), path.resolve().parent)
    if located.kind == "preset":
        _check_chain(chain, located.label, located.label)
        return _resolve_spec(read_preset(source), located.label, registry, (*chain, located.label), None)
    return _resolve_spec(located.value, located.label, registry, chain, base)


def _composition_file(path: Path, label: str) -> Mapping:
    """The mapping a composition file holds. A file holding anything else, or a mapping with none
    of the composition's keys (``/etc/shadow`` reads as one), is refused without quoting it."""
    data = read_yaml(path)
    keys = ", ".join(SPEC_KEYS)
    if not isinstance(data, Mapping):
        what = {str: "text", list: "a list", type(None): "nothing"}.get(type(data), "a number")
        raise ConfigError(f"{label}: not a composition: the file holds {what}, not a mapping of {keys}")
    if data and not any(k in SPEC_KEYS for k in data):
        raise ConfigError(f"{label}: not a composition: none of the file's keys is one of {keys}")
    return data


def _check_chain(chain: tuple[str, ...], name: str, shown: str) -> None:
    if name in chain:
        cycle = " -> ".join([*chain[chain.index(name) :], name])
        raise ConfigError(f"{chain[-1]}: 'extends: {shown}' makes a cycle: {cycle}")
    if len(chain) >= MAX_EXTENDS:
        raise ConfigError(f"{chain[-1]}: 'extends' chains through more than {MAX_EXTENDS} files and presets")


def _resolve_spec(
    spec: Any, where: str, registry: Registry, chain: tuple[str, ...], base: Path | None
) -> list[tuple[dict, str]]:
    if isinstance(spec, str):
        return _resolve(spec, registry, chain, base)
    if isinstance(spec, list):
        spec = {"rewards": spec}
    if not isinstance(spec, Mapping):
        raise ConfigError(f"{where}: expected a mapping or a list of rewards, got {type(spec).__name__}")
    unknown = [k for k in spec if k not in SPEC_KEYS]
    if unknown:
        raise ConfigError(f"{where}: unknown key {shown(unknown[0])} (valid: {', '.join(SPEC_KEYS)})")

    entries: dict[str, tuple[dict, str]] = {}  # by name or alias, in order
    if spec.get("extends") is not None:
        if not isinstance(spec["extends"], str):
            raise ConfigError(f"{where}: 'extends' must be a preset name or file path")
        entries = {_key(e): (e, w) for e, w in _resolve(spec["extends"], registry, chain, base)}

    for name in _string_list(spec.get("remove"), where, "remove"):
        if entries.pop(name, None) is None:
            raise ConfigError(f"{where}: remove: no entry {shown(name)} to remove (entries: {_keys(entries)})")

    rewards = spec.get("rewards")
    if rewards is None:
        rewards = []
    if not isinstance(rewards, list):
        raise ConfigError(f"{where}: 'rewards' must be a list of entries")
    here: dict[str, str] = {}  # key -> label of the entry of this list that has it
    for i, raw in enumerate(rewards):
        label = f"{where}: rewards[{i}]"
        entry = _check_entry(raw, label)
        key = _key(entry)
        if key in here:
            what = "alias" if entry.get("alias") else "reward"
            raise ConfigError(
                f"{label} ({shown(entry['name'], quoted=False)}) and {here[key]} are the same {what} {shown(key)}; "
                "give one of them a different alias"
            )
        here[key] = f"rewards[{i}] ({shown(entry['name'], quoted=False)})"
        if key in entries:  # updates the entry it inherited
            base_entry, _ = entries[key]
            merged = {**base_entry, **{k: v for k, v in entry.items() if k != "params"}}
            merged["params"] = {**base_entry.get("params", {}), **entry.get("params", {})}
            entries[key] = (merged, label)
        else:
            entries[key] = (entry, label)

    weights = spec.get("weights") or {}
    if not isinstance(weights, Mapping):
        raise ConfigError(f"{where}: 'weights' must map entry names to numbers")
    for name, weight in weights.items():
        if name not in entries:
            raise ConfigError(f"{where}: weights: no entry {shown(name)} (entries: {_keys(entries)})")
        entry, origin = entries[name]
        entries[name] = ({**entry, "weight": _weight(weight, f"{where}: weights: {shown(name, quoted=False)}")}, origin)

    if not entries:
        raise ConfigError(f"{where}: the composition has no rewards")
    return list(entries.values())


def _check_entry(raw: Any, where: str) -> dict:
    if isinstance(raw, str):
        raw = {"name": raw}
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{where}: an entry must be a mapping with a 'name' (or a reward name)")
    label = f"{where} ({shown(raw.get('name', '?'), quoted=False)})"
    for key in raw:
        if key not in ENTRY_KEYS:
            raise ConfigError(f"{label}: unknown key {shown(key)} (valid: {', '.join(ENTRY_KEYS)})")
    if not isinstance(raw.get("name"), str) or not raw["name"]:
        raise ConfigError(f"{where}: every entry needs a 'name'")
    if raw.get("params") is not None and not isinstance(raw["params"], Mapping):
        raise ConfigError(f"{label}: 'params' must be a mapping")
    if raw.get("alias") is not None and not isinstance(raw["alias"], str):
        raise ConfigError(f"{label}: 'alias' must be a string")
    if "weight" in raw:
        _weight(raw["weight"], f"{label}: key 'weight'")
    return {**raw, "params": dict(raw.get("params") or {})}


def _weight(value: Any, label: str) -> float:
    if not is_finite_number(value):
        raise ConfigError(f"{label} must be a finite number, got {shown(value)}")
    return float(value)


def _component(entry: dict, where: str, registry: Registry) -> Component:
    label = f"{where} ({shown(entry['name'], quoted=False)})"
    weight = entry.get("weight", 1.0)
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


def _exists(path: Path) -> bool:
    try:
        return path.exists()
    except OSError:  # a name too long for the file system
        return False


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except OSError:
        return False


def _key(entry: Mapping) -> str:
    return entry.get("alias") or entry["name"]


def _keys(entries: Mapping[str, Any]) -> str:
    listed = ", ".join(shown(k, quoted=False) for k in list(entries)[:SHOWN_KEYS]) or "none"
    return listed if len(entries) <= SHOWN_KEYS else f"{listed} and {len(entries) - SHOWN_KEYS} more"


def _string_list(value: Any, where: str, key: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: '{key}' must be a list of entry names")
    return value
