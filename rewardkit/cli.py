"""The ``rewardkit`` command: one table of subcommands, one handler convention, one error path.

Each subcommand is a module with ``HELP`` (one line), ``add_arguments(parser)`` and
``run(args) -> int``; its docstring is the command's description. A command reports a mistake
by raising :class:`~rewardkit.errors.RewardkitError`; :func:`main` prints it in one line and
exits with status 2. Command modules import their heavy dependencies (trl, torch) only in ``run``.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from typing import Any, Sequence

from .errors import RewardkitError

COMMANDS: dict[str, str] = {
    "list": "rewardkit.commands.list_rewards",
    "check": "rewardkit.commands.check",
    "score": "rewardkit.commands.score",
    "diagnose": "rewardkit.commands.diagnose",
    "train": "rewardkit.trainers.commands.train",
    "eval": "rewardkit.trainers.commands.evaluate",
    "rm-train": "rewardkit.trainers.commands.rm_train",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rewardkit", description=__doc__.split("\n", 1)[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name, module_name in COMMANDS.items():
        module = importlib.import_module(module_name)
        p = sub.add_parser(
            name, help=module.HELP, description=module.__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
        )
        module.add_arguments(p)
        p.set_defaults(run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args: Any = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except (RewardkitError, FileNotFoundError) as exc:
        print(f"rewardkit {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
