"""The ``rewardkit`` command: list, check and score compositions; train and evaluate with TRL."""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from typing import Any, Sequence

from .errors import RewardkitError

# Modules that add subcommands through ``add_parser(subparsers)``; they import trl lazily.
COMMAND_MODULES = ("rewardkit.trainers.train", "rewardkit.trainers.evaluate", "rewardkit.trainers.reward_model")


def cmd_list(args: argparse.Namespace) -> int:
    from .registry import default_registry
    from .spec import preset_names

    registry = default_registry()
    rewards = registry.catalogue("reward")
    if args.json:
        data = {name: {**e.value.describe(), "plugin": e.provider} for name, e in sorted(rewards.items())}
        print(json.dumps({"rewards": data, "presets": preset_names()}, indent=2, default=str))
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
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from .spec import load_composition

    composition = load_composition(args.file)
    print(f"{args.file}: OK — {len(composition.components)} rewards")
    for c in composition.components:
        cols = c.reward.required_columns()
        print(f"  {c.name:<24} weight {c.weight:<6g} {c.reward!r}{'  columns: ' + ', '.join(cols) if cols else ''}")
    return 0


def cmd_score(args: argparse.Namespace) -> int:
    from .scoring import (
        annotated_rows,
        check_free_key,
        format_table,
        merge_summaries,
        read_jsonl,
        score_rows,
        summary_table,
    )
    from .spec import load_composition

    composition = load_composition(args.file)
    rows = read_jsonl(args.data)
    check_free_key(rows, args.key)
    results = score_rows(
        composition, rows, completion_key=args.completion_key, prompt_key=args.prompt_key, batch_size=args.batch_size
    )
    annotated = list(annotated_rows(rows, results, args.key))
    if args.out:
        with open(args.out, "w", encoding="utf-8") as handle:
            for row in annotated:
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    names = composition.names
    shown = annotated if args.show < 0 else annotated[: args.show]
    table = [[i, *[r[args.key]["components"][n] for n in names], r[args.key]["total"]] for i, r in enumerate(shown)]
    print(format_table(["row", *names, "total"], table))
    if len(shown) < len(annotated):
        print(f"... {len(annotated) - len(shown)} more rows{' in ' + args.out if args.out else ''}")
    print()
    weights = dict(zip(names, composition.weights))
    print(summary_table(merge_summaries(results), weights))
    if args.out:
        print(f"\nwrote {len(annotated)} rows to {args.out}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rewardkit", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("list", help="list registered rewards, their plugin and parameters")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("check", help="validate a composition (YAML file or preset name)")
    p.add_argument("file")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("score", help="score a JSONL file of completions with a composition")
    p.add_argument("file", help="composition YAML file or preset name")
    p.add_argument("data", help="JSONL: one object per row with a completion, optional prompt, other columns")
    p.add_argument("--out", help="write each input row with its scores added, as JSONL")
    p.add_argument("--key", default="rewardkit", help="key the scores are added under in --out rows")
    p.add_argument("--completion-key", default="completion")
    p.add_argument("--prompt-key", default="prompt")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--show", type=int, default=20, help="rows to print (-1: all)")
    p.set_defaults(func=cmd_score)

    for module in COMMAND_MODULES:
        importlib.import_module(module).add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args: Any = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (RewardkitError, FileNotFoundError) as exc:
        print(f"rewardkit {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
