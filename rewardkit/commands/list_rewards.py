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
    from rewardkit.columns import column_names, column_uses
    from rewardkit.composition_loader import preset_names
    from rewardkit.registry import default_registry

    registry = default_registry()
    rewards = registry.catalogue("reward")
    others = {kind: registry.catalogue(kind) for kind in ("extractor", "language_detector", "sandbox")}
    if args.json:
        data = {
            name: {**e.value.describe(), "columns": column_names(e.value), "column_uses": column_uses(e.value),
                   "needs": _needs_json(e.value), "plugin": e.provider}
            for name, e in sorted(rewards.items())
        }
        listed = {f"{kind}s": {n: {"plugin": e.provider, "needs": _needs_json(e.value)} for n, e in sorted(items.items())}
                  for kind, items in others.items()}
        print(json.dumps({"rewards": data, **listed, "presets": preset_names(), "plugins": registry.plugins()},
                         indent=2, default=str))
        return 0
    for name, entry in sorted(rewards.items()):
        info = entry.value.describe()
        print(f"{name}  [{entry.provider}]{_needs_text(entry.value)}")
        print(f"    {info['description']}")
        uses = column_uses(entry.value)
        if uses:
            print(f"    columns: {'; '.join(uses)}")
        for key, p in info["params"].items():
            default = "required" if p["required"] else f"default {p['default']!r}"
            print(f"    - {key}: {p['type']} ({default}){' — ' + p['description'] if p['description'] else ''}")
    for kind, items in others.items():
        if items:
            listing = ", ".join(f"{n} [{e.provider}]{_needs_text(e.value)}" for n, e in sorted(items.items()))
            print(f"\n{kind.replace('_', ' ')}s: {listing}")
    print(f"\npresets: {', '.join(preset_names())}")
    print(f"plugins: {', '.join(registry.plugins())}")
    return 0


def _needs_text(item) -> str:
    """`` (needs rewardkit[judge])``, with what is missing here and the command that installs it."""
    from rewardkit.extras import needs_of

    needs = needs_of(item)
    if needs is None:
        return ""
    missing = needs.missing()
    what = f"rewardkit[{needs.extra}]" if needs.extra else ", ".join((*needs.modules, *needs.programs))
    return f" (needs {what}{'; NOT INSTALLED: ' + needs.how() if missing else ''})"


def _needs_json(item) -> dict | None:
    from rewardkit.extras import needs_of

    needs = needs_of(item)
    if needs is None:
        return None
    return {"extra": needs.extra, "modules": list(needs.modules), "programs": list(needs.programs),
            "missing": needs.missing(), "install": needs.how()}
