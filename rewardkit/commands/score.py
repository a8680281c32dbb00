"""``rewardkit score``: score a JSONL file of completions with a composition, table and summary."""

from __future__ import annotations

import argparse

DESCRIPTION = """\
Score every row of a JSONL file with a composition of rewards. Each line is a JSON object with a
"completion" (text or chat messages), an optional "prompt", and the dataset columns the rewards
need (rewardkit list names them; gsm8k needs "answer"). Prints each row's component scores and
weighted total, then per component: mean, std, min, max, how many rows it could not score
(None) and how many errors.

examples:
  rewardkit score gsm8k completions.jsonl
  rewardkit score rewards.yaml completions.jsonl --out scored.jsonl   # then: rewardkit diagnose scored.jsonl
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="REWARDS", help="a preset name (rewardkit list shows them) or a composition YAML file")
    parser.add_argument("data", metavar="DATA", help="JSONL: one object per row with a completion, optional prompt, other columns")
    parser.add_argument(
        "--out", help="write each input row as it came with its scores added, as JSONL (replaced atomically; may be DATA)"
    )
    parser.add_argument("--key", default="rewardkit", help="key the scores are added under in --out rows")
    parser.add_argument("--completion-key", default="completion", help="key of the completion in each row (default: completion)")
    parser.add_argument("--prompt-key", default="prompt", help="key of the prompt in each row (default: prompt)")
    parser.add_argument("--batch-size", type=int, default=64, help="rows scored together (default: 64)")
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
