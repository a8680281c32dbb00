"""``rewardkit score``: score rows of completions with a composition, table and summary; keep rows
by a rule on their scores or the best k per group; locally or on a Ray cluster (``--ray``)."""

from __future__ import annotations

import argparse
import sys

DESCRIPTION = """\
Score every row of a file with a composition of rewards. Each row has a "completion" (text or
chat messages), an optional "prompt", and the dataset columns the rewards need (rewardkit list
names them; gsm8k needs "answer"). Prints each row's component scores and weighted total, then
per component: mean, std, min, max, how many rows it could not score (None) and how many errors.
--keep and --best-of write only the rows that pass a rule on their scores, or the best of each
group (rejection sampling, best-of-n).

examples:
  rewardkit score gsm8k completions.jsonl
  rewardkit score rewards.yaml completions.jsonl --out scored.jsonl   # then: rewardkit diagnose scored.jsonl
  rewardkit score gsm8k samples.jsonl --keep 'total >= 2' --out kept.jsonl
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="REWARDS", help="a preset name (rewardkit list shows them) or a composition YAML file")
    parser.add_argument(
        "data",
        metavar="DATA",
        help="the rows: a JSONL or Parquet file, a folder or glob of them, or a dataset saved with datasets "
        "(each row a completion, optional prompt, other columns)",
    )
    parser.add_argument(
        "--out",
        help="FILE (.jsonl, .parquet): each input row with its scores added, in input order (replaced atomically; "
        "may be DATA); DIR/: one part per piece (a re-run skips the parts already written)",
    )
    parser.add_argument("--key", default="rewardkit", help="key the scores are added under in --out rows")
    parser.add_argument("--completion-key", default="completion", help="key of the completion in each row (default: completion)")
    parser.add_argument("--prompt-key", default="prompt", help="key of the prompt in each row (default: prompt)")
    parser.add_argument("--batch-size", type=int, default=64, help="rows scored together (default: 64)")
    parser.add_argument("--show", type=int, default=20, help="rows to print (-1: all)")
    choose = parser.add_argument_group("choosing rows (rejection sampling, best-of-n)")
    choose.add_argument("--keep", metavar="RULE", help="write only rows whose scores pass RULE, e.g. 'total >= 2'")
    choose.add_argument("--best-of", type=int, metavar="K", help="write only the K best rows (by total) of each group")
    choose.add_argument("--group-key", help="column naming a row's group, e.g. a prompt id (default: the prompt)")
    choose.add_argument("--pass-rates", metavar="FILE", help="write each group's share of rows passing --keep (JSONL)")
    large = parser.add_argument_group("large inputs and clusters")
    large.add_argument("--rows-per-piece", type=int, default=10_000, help="rows scored and written together")
    large.add_argument("--format", choices=("jsonl", "parquet"), help="of --out (default: from FILE's suffix; DIR/: as the input)")
    large.add_argument("--progress", type=float, default=10.0, metavar="SECONDS", help="print progress this often (0: never)")
    large.add_argument(
        "--ray", nargs="?", const="local", metavar="ADDRESS",
        help="score on Ray: alone, a cluster started for the run; 'auto' or an address: a running cluster",
    )  # fmt: skip
    large.add_argument("--actors", type=int, help="Ray actors scoring at once (default: the cluster's CPUs / --actor-cpus)")
    large.add_argument("--actor-cpus", type=float, default=1, help="CPUs per actor, its verifier processes included")


def run(args: argparse.Namespace) -> int:
    from rewardkit.composition_loader import load_composition, resolved_entries
    from rewardkit.errors import ConfigError
    from rewardkit.jsonl import check_output
    from rewardkit.progress import Progress
    from rewardkit.row_sources import open_source
    from rewardkit.scoring_job import Job, JobOptions, PieceScorer, summary
    from rewardkit.tables import format_table, summary_table

    composition = load_composition(args.file)
    if args.pass_rates and not args.keep:
        raise ConfigError("--pass-rates needs --keep RULE: the rule a row passes")
    if args.pass_rates:
        check_output(args.pass_rates)  # before scoring, not after (--out: by the job)
    source = open_source(args.data, args.rows_per_piece)
    grouped = args.best_of is not None or args.pass_rates is not None
    options = JobOptions(
        key=args.key, completion_key=args.completion_key, prompt_key=args.prompt_key, batch_size=args.batch_size,
        keep=args.keep, group_key=(args.group_key or args.prompt_key) if grouped else None, best_of=args.best_of,
        out_format=args.format or _format(args.out, source.tabular), show=args.show,
    )  # fmt: skip
    PieceScorer(composition, options, None)  # checks --keep before anything starts
    job = Job(source, options, resolved_entries(args.file), args.out)
    pending, results = job.pending()
    progress = Progress(sum(p.rows for p in pending), args.progress)
    if args.ray:
        from rewardkit.ray_scoring import score_on_ray

        for result in score_on_ray(args.ray, resolved_entries(args.file), options, job, pending, args.actors, args.actor_cpus):
            results[result.number] = result
            progress.add(result.rows)
    else:
        scorer = PieceScorer(composition, options, None if job.folder is None else str(job.folder))
        for piece in pending:
            result = scorer(piece)
            results[piece.number] = result
            progress.add(result.rows)
    failed = [r for r in results.values() if r.error]
    done = {n: r for n, r in results.items() if not r.error}
    written = job.finish(done, args.pass_rates)

    ordered = [done[p.number] for p in source.pieces if p.number in done]
    names = composition.names
    shown = [(i, r) for i, r in enumerate(record for result in ordered for record in result.shown)]
    shown = shown if args.show < 0 else shown[: args.show]
    rows = sum(r.rows for r in ordered)
    table = [[i, *[r["components"][n] for n in names], r["total"]] for i, r in shown]
    print(format_table(["row", *names, "total"], table))
    if len(shown) < rows:
        print(f"... {rows - len(shown)} more rows{' in ' + args.out if args.out else ''}")
    print()
    print(summary_table(summary(ordered, names), dict(zip(names, composition.weights))))
    metrics = metrics_table(ordered, names)
    if metrics:
        batches = sum(r.batches for r in ordered)
        print(f"\nmetrics over {batches} batch(es): counts summed; figures (~) the weighted mean of the batches' [range]")
        print(metrics)
    print()
    if args.keep:
        print(f"kept {sum(r.kept for r in ordered)} of {rows} rows ({args.keep})")
    if args.best_of:
        print(f"best {args.best_of} of each group: {written['rows']} rows")
    if "pass_rates" in written:
        print(f"pass rates of {written['groups']} groups written to {written['pass_rates']}")
    if "out" in written:
        print(f"wrote {written['rows']} rows to {written['out']}" + (f" (best: {written['best']})" if "best" in written else ""))
    for result in sorted(failed, key=lambda r: r.number):
        parts = f" ({len(done)} of {len(source.pieces)} pieces scored, in {job.folder}/)" if job.folder else ""
        print(f"rewardkit score: error: {result.error}{parts}", file=sys.stderr)
    return 2 if failed else 0


def _format(out: str | None, tabular: bool) -> str:
    if out and not out.endswith("/"):
        return "parquet" if out.lower().endswith(".parquet") else "jsonl"
    return "parquet" if out and tabular else "jsonl"


def metrics_table(results, names) -> str:
    """Each component's metrics over every batch of every piece, or ''."""
    from rewardkit.scoring_job import MetricTally
    from rewardkit.tables import format_table

    rows = []
    for name in names:
        tally = MetricTally()
        for result in results:
            if name in result.metrics:
                tally.merge(result.metrics[name])
        merged = tally.merged()
        for key in sorted(merged):
            m = merged[key]
            shown = f"~{m.value:.4g} [{m.low:.4g}, {m.high:.4g}]" if m.figure else f"{m.value:.6g}"
            rows.append([f"{name}/{key}", shown])
    return format_table(["metric", "value"], rows) if rows else ""
