"""``rewardkit check``: validate a composition (YAML file or preset name) without scoring anything."""

from __future__ import annotations

import argparse

HELP = "validate a composition (YAML file or preset name)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file")


def run(args: argparse.Namespace) -> int:
    from rewardkit.composition_loader import load_composition

    composition = load_composition(args.file)
    print(f"{args.file}: OK — {len(composition.components)} rewards")
    for c in composition.components:
        cols = c.reward.required_columns()
        print(f"  {c.name:<24} weight {c.weight:<6g} {c.reward!r}{'  columns: ' + ', '.join(cols) if cols else ''}")
    return 0
