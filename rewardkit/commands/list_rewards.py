"""``rewardkit list``: every registered reward with its plugin, parameters and columns."""

from __future__ import annotations

import argparse
import json

DESCRIPTION = """\
List every reward: the plugin it comes from, what it scores, the dataset columns it needs and its
parameters; then the answer extractors, the language detectors and the presets. What a plain
install cannot use is marked with the extra that brings it (pip install 'rewardkit[EXTRA]').
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="the same as JSON")


def run(args: argparse.Namespace) -> int:
    from rewardkit.composition_loader import preset_names
    from rewardkit.registry import default_registry

    registry = default_registry()
    rewards = registry.catalogue("reward")
    if args.json:
        data = {name: {**e.value.describe(), "plugin": e.provider} for name, e in sorted(rewards.items())}
        print(json.dumps({"rewards": data, "presets": preset_names(), "plugins": registry.plugins()}, indent=2, default=str))
        return 0
    for name, entry in sorted(rewards.items()):
        info = entry.value.describe()
        print(f"{name}  [{entry.provider}]")
        print(f"    {info['description']}")
        if info["columns"]:
            print(f"    columns: {', '.join(info['columns'])}")
        for key, p in info["params"].items():
            default = "required" if p["required"] else f"default {p['default']!r}"
            print(f"    - {key}: {p['type']} ({default}){' — ' + p['description'] if p['description'] else ''}")
    for kind in ("extractor", "language_detector"):
        items = registry.catalogue(kind)
        if items:
            listing = ", ".join(f"{n} [{e.provider}]" for n, e in sorted(items.items()))
            print(f"\n{kind.replace('_', ' ')}s: {listing}")
    print(f"\npresets: {', '.join(preset_names())}")
    print(f"plugins: {', '.join(registry.plugins())}")
    return 0
