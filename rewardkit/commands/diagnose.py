"""``rewardkit diagnose``: see when a reward stops teaching or starts being gamed."""

from __future__ import annotations

import argparse
import sys

DESCRIPTION = """\
See where a reward stops teaching or starts being gamed. INPUT is a file written by
rewardkit score --out, or the output directory of rewardkit train. Writes DIR/diagnostics.json
(every figure) and DIR/report.html (one page, with plots when matplotlib is installed) and prints a
summary: per component its distribution, how often it is saturated or gives a prompt's completions
all the same score (no signal), its share of the total's variance and its correlation with length;
suspect rows (a format without an answer, answers copied from the prompt, several answers,
repetition, truncation, language mixing); where a second opinion (math-verify) disagrees; and for
a training run, the curves and flags over its steps.

examples:
  rewardkit score gsm8k completions.jsonl --out scored.jsonl && rewardkit diagnose scored.jsonl --out diag
  rewardkit diagnose runs/gsm8k-default --out diag
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("input", help="scored JSONL (rewardkit score --out) or a training run directory")
    parser.add_argument("--out", required=True, help="directory for diagnostics.json and report.html")
    parser.add_argument("--rewards", help="composition YAML or preset: weights, and which reward each alias is")
    parser.add_argument("--key", default="rewardkit", help="key the scores are under in a scored file")
    parser.add_argument("--completion-key", default="completion", help="key of the completion in a scored file's rows")
    parser.add_argument("--prompt-key", default="prompt", help="key of the prompt in a scored file's rows")
    parser.add_argument("--group-by", help="column that names a row's prompt group (default: the prompt itself)")
    parser.add_argument("--top", type=int, default=20, help="suspects shown with their text in the report")
    parser.add_argument("--no-second-opinion", action="store_true", help="skip re-checking verdicts")
    parser.add_argument("--no-plots", action="store_true",
                        help="write the report without plots (the default where matplotlib is not installed)")


def run(args: argparse.Namespace) -> int:
    from rewardkit.diagnostics import diagnose, load, summary, write
    from rewardkit.diagnostics.plots import NEEDS
    from rewardkit.errors import ConfigError

    if args.top < 0:
        raise ConfigError("--top must be 0 or more")
    no_plots = None if args.no_plots else NEEDS.problem("the report's plots")  # decided before any work
    if no_plots:
        print(f"rewardkit diagnose: {no_plots}; the report is written without them", file=sys.stderr)
    table = load(args.input, rewards=args.rewards, key=args.key, completion_key=args.completion_key,
                 prompt_key=args.prompt_key, group_by=args.group_by)
    result = diagnose(table, second_opinion=not args.no_second_opinion, top=args.top)
    if no_plots:
        result["input"]["notes"].append(f"no plots: {no_plots}")
    paths = write(result, args.out, plots=not (args.no_plots or no_plots))
    print(summary(result))
    print(f"\nwrote {paths['report']} and {paths['json']}")
    return 0
