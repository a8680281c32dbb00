"""``--rewards NAME[:WEIGHT] ...``: the rewards of a run named on the command line, as a composition spec.

Each item is a reward name (or a registered alias such as ``accuracy``), a preset, or a
composition YAML file, optionally followed by ``:WEIGHT``; a name the program knows (a reward, then
a preset) wins over a file of that name, which ``./NAME`` names (:func:`rewardkit.composition_loader.locate`). At most one preset or file is taken:
it is the base (``extends``), and the single rewards are added to it, or reweight its entries of
the same name or alias (``--rewards gsm8k xml_count:0``). Items may also be separated by commas.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any, Sequence

from rewardkit.errors import ConfigError


def split_weight(item: str) -> tuple[str, float | None]:
    """``"name:0.5"`` -> ``("name", 0.5)``; ``"name"`` -> ``("name", None)``."""
    name, sep, tail = item.rpartition(":")
    if not sep:
        return item, None
    try:
        return name, float(tail)
    except ValueError:
        raise ConfigError(f"--rewards '{item}': the weight after ':' must be a number") from None


def rewards_spec(items: Sequence[str], registry: Any = None) -> dict[str, Any]:
    """A composition spec (a mapping :func:`rewardkit.load_composition` takes) for ``items``."""
    from rewardkit.composition_loader import load_composition, locate, preset_names
    from rewardkit.registry import default_registry

    registry = registry or default_registry()
    parsed = [split_weight(part) for item in items for part in item.split(",") if part]
    if not parsed:
        raise ConfigError("--rewards: name at least one reward, preset or composition file")
    presets, rewards = preset_names(), set(registry.catalogue("reward"))
    located = {name: locate(name) for name, _ in parsed if name not in rewards}
    bases = [(name, w) for name, w in parsed if name in located and (located[name].kind == "preset" or _is_file(name))]
    if len(bases) > 1:
        raise ConfigError(
            f"--rewards takes one preset or composition file to start from, got {', '.join(n for n, _ in bases)}; "
            "add single rewards next to it"
        )
    spec: dict[str, Any] = {"rewards": [], "weights": {}}
    entries: list[str] = []
    if bases:
        name, weight = bases[0]
        if weight is not None:
            raise ConfigError(f"--rewards '{name}:{weight:g}': a weight applies to one reward, and '{name}' "
                              "is a preset or file; reweight its entries with ENTRY:WEIGHT")
        spec["extends"] = located[name].spec
        try:
            entries = load_composition(spec["extends"], registry).names
        except ConfigError as exc:
            # `--rewards a b run.yaml` takes the run's config as one of the rewards
            raise ConfigError(f"--rewards: {exc} (if '{name}' is the run's config, put it before --rewards)") from None
    for name, weight in parsed:
        if bases and name == bases[0][0]:
            continue
        if name in entries:
            if weight is not None:
                spec["weights"][name] = weight
        elif name in rewards:
            spec["rewards"].append({"name": name} if weight is None else {"name": name, "weight": weight})
        else:
            known = sorted(rewards | set(presets) | set(entries))
            close = difflib.get_close_matches(name, known, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise ConfigError(
                f"--rewards: '{name}' is not a reward, a preset or a file{hint}; rewards: {', '.join(sorted(rewards))}; "
                f"presets: {', '.join(presets)}"
            )
    return {key: value for key, value in spec.items() if value}


def _is_file(name: str) -> bool:
    try:
        return Path(name).is_file()
    except OSError:  # a name too long for the file system
        return False
