"""``rewardkit score``: score a JSONL file of completions with a composition, table and summary."""

from __future__ import annotations

import argparse

HELP = "score a JSONL file of completions with a composition"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", help="composition YAML file or preset name")
    parser.add_argument("data", help="JSONL: one object per row with a completion, optional prompt, other columns")
    parser.add_argument(
        "--out", help="write each input row as it came with its scores added, as JSONL (replaced atomically; may be DATA)"
    )
    parser.add_argument("--key", default="rewardkit", help="key the scores are added under in --out rows")
    parser.add_argument("--completion-key", default="completion")
    parser.add_argument("--prompt-key", default="prompt")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--show", type=int, default=20, help="rows to print (-1: all)")


def run(args: argparse.Namespace) -> int:
    from rewardkit.composition_loader import load_composition
    from rewardkit.jsonl import atomic_output, check_output, iter_jsonl_text, with_key
    from rewardkit.row_scoring import check_free_key, merge_summaries, row_records, score_rows
    from rewardkit.tables import format_table, summary_table

    composition = load_composition(args.file)
    if args.out:
        check_output(args.out)  # before scoring, not after
    lines = list(iter_jsonl_text(args.data))
    rows = [row for _, _, row in lines]
    check_free_key(rows, args.key)
    results = score_rows(
        composition, rows, completion_key=args.completion_key, prompt_key=args.prompt_key, batch_size=args.batch_size
    )
    records = list(row_records(results))
    if args.out:
        with atomic_output(args.out) as handle:
            for (_, text, row), record in zip(lines, records):
                handle.write(with_key(text, row, args.key, record) + "\n")
    names = composition.names
    shown = records if args.show < 0 else records[: args.show]
    table = [[i, *[r["components"][n] for n in names], r["total"]] for i, r in enumerate(shown)]
    print(format_table(["row", *names, "total"], table))
    if len(shown) < len(records):
        print(f"... {len(records) - len(shown)} more rows{' in ' + args.out if args.out else ''}")
    print()
    weights = dict(zip(names, composition.weights))
    print(summary_table(merge_summaries(results), weights))
    metrics = metrics_table(results)
    if metrics:
        print(f"\nmetrics over {len(results)} batch(es): counts summed; figures (~) the weighted mean of the batches' [range]")
        print(metrics)
    if args.out:
        print(f"\nwrote {len(records)} rows to {args.out}")
    return 0


def metrics_table(results) -> str:
    """Each component's metrics over every batch (:func:`rewardkit.reward.merge_metrics`), or ''."""
    from rewardkit.reward import merge_metrics
    from rewardkit.tables import format_table

    rows = []
    for name in results[0].components if results else ():
        merged = merge_metrics([r.metrics[name] for r in results if name in r.metrics])
        for key in sorted(merged):
            m = merged[key]
            shown = f"~{m.value:.4g} [{m.low:.4g}, {m.high:.4g}]" if m.figure else f"{m.value:.6g}"
            rows.append([f"{name}/{key}", shown])
    return format_table(["metric", "value"], rows) if rows else ""
