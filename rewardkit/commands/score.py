"""``rewardkit score``: score a JSONL file of completions with a composition, table and summary."""

from __future__ import annotations

import argparse
import json

HELP = "score a JSONL file of completions with a composition"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", help="composition YAML file or preset name")
    parser.add_argument("data", help="JSONL: one object per row with a completion, optional prompt, other columns")
    parser.add_argument("--out", help="write each input row with its scores added, as JSONL")
    parser.add_argument("--key", default="rewardkit", help="key the scores are added under in --out rows")
    parser.add_argument("--completion-key", default="completion")
    parser.add_argument("--prompt-key", default="prompt")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--show", type=int, default=20, help="rows to print (-1: all)")


def run(args: argparse.Namespace) -> int:
    from rewardkit.composition_loader import load_composition
    from rewardkit.jsonl import read_jsonl
    from rewardkit.row_scoring import annotated_rows, check_free_key, merge_summaries, score_rows
    from rewardkit.tables import format_table, summary_table

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
