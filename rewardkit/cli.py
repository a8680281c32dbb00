"""The ``rewardkit`` command: the table of subcommands, one handler convention, one error path.

The parser is built from :data:`rewardkit.commands.COMMANDS` without importing any command; the
module of the command given is imported when its arguments are parsed, so ``rewardkit --help``
and ``rewardkit score`` import nothing of ``train`` (see :mod:`rewardkit.commands` for what a
command module holds). A command reports a mistake by raising
:class:`~rewardkit.errors.RewardkitError`; :func:`main` prints it in one line and exits with
status 2 (Ctrl-C: one line and status 130; once the command is done and the process only shuts
down, Ctrl-C ends it quietly with status 130). An option no command knows is reported with the
nearest known one of that command.
"""

from __future__ import annotations

import argparse
import difflib
import os
import signal
import sys
import threading
from typing import Any, Sequence

from .commands import COMMANDS, command_module
from .errors import RewardkitError

DESCRIPTION = """\
Verified, composable rewards for RL fine-tuning of language models: score completions with a
composition of rewards (a preset such as gsm8k, or your YAML), check what it pays for, and train
with it (GRPO or RLOO through TRL), or serve it to verl, OpenRLHF and other trainers.
"""
EPILOG = """\
examples:
  rewardkit list                                   every reward, its parameters and the columns it needs
  rewardkit check gsm8k                            what a preset (or a YAML file) is made of
  rewardkit score gsm8k completions.jsonl          score a JSONL file of completions
  rewardkit train --quick                          a 2-step smoke run of the default GRPO job

`rewardkit COMMAND --help` shows a command's options.
"""


class Parser(argparse.ArgumentParser):
    """An argument parser that adds a command's arguments only when that command is given, and
    answers an unknown option with the nearest known one.

    argparse's own message only lists what it did not recognise; the subcommand parsers are kept
    so the suggestion comes from the options of the command that was given.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.commands: dict[str, argparse.ArgumentParser] = {}
        self.loaded: set[str] = set()

    def load(self, name: str) -> None:
        """Import the command ``name`` and give its parser the command's description and arguments."""
        if name in self.loaded:
            return
        module = command_module(name)
        parser = self.commands[name]
        parser.description = module.DESCRIPTION
        module.add_arguments(parser)
        parser.set_defaults(run=module.run)
        self.loaded.add(name)

    def parse_known_args(self, args: Sequence[str] | None = None, namespace: Any = None) -> Any:  # type: ignore[override]
        args = list(sys.argv[1:] if args is None else args)
        given = next((a for a in args if not a.startswith("-")), None)  # the main parser has no options but -h
        if given in self.commands:
            self.load(given)
        return super().parse_known_args(args, namespace)

    def parse_args(self, args: Sequence[str] | None = None, namespace: Any = None) -> Any:  # type: ignore[override]
        parsed, unknown = self.parse_known_args(args, namespace)
        if unknown:
            parser = self.commands.get(getattr(parsed, "command", None) or "", self)
            parser.error(unrecognized_message(unknown, option_strings(parser)))
        return parsed


def option_strings(parser: argparse.ArgumentParser) -> list[str]:
    """Every long option a parser takes."""
    return [s for action in parser._actions for s in action.option_strings if s.startswith("--")]


def nearest_option(unknown: str, known: Sequence[str]) -> str | None:
    """The known option closest to ``unknown``: TRL-style ``--snake_case`` is read as ``--kebab-case``;
    then a known option whose words the unknown one ends with or contains (``--num-train-epochs``
    -> ``--epochs``); then the closest spelling."""
    wanted = unknown.split("=", 1)[0].replace("_", "-").lower()
    if not wanted.startswith("--"):
        return None
    if wanted in known:
        return wanted
    inside = [k for k in known if len(k) > 4 and f"-{k[2:]}-" in f"-{wanted[2:]}-"]
    if inside:
        return max(inside, key=len)
    close = difflib.get_close_matches(wanted, known, n=1, cutoff=0.6)
    return close[0] if close else None


def unrecognized_message(unknown: Sequence[str], known: Sequence[str]) -> str:
    hints = [(u.split("=", 1)[0], n) for u in unknown if (n := nearest_option(u, known))]
    message = f"unrecognized arguments: {' '.join(unknown)}"
    if len(hints) == 1:
        return f"{message} (did you mean {hints[0][1]}?)"
    if hints:
        return f"{message} (did you mean {', '.join(f'{n} for {u}' for u, n in hints)}?)"
    return message


def build_parser() -> Parser:
    """The parser of every command, each command's arguments added when it is parsed."""
    parser = Parser(prog="rewardkit", description=DESCRIPTION, epilog=EPILOG,
                    formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=argparse.ArgumentParser)
    for name, command in COMMANDS.items():
        parser.commands[name] = sub.add_parser(
            name, help=command.help, formatter_class=argparse.RawDescriptionHelpFormatter
        )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command in ``argv``; without ``argv`` this is the program (the console script and
    ``python -m rewardkit.cli``), which also owns how the process ends."""
    args: Any = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except (RewardkitError, FileNotFoundError) as exc:
        print(f"rewardkit {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"rewardkit {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader stopped reading (`rewardkit list | head`): end as `cat` does
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # the flush at exit must not fail again
        return 128 + signal.SIGPIPE
    finally:
        if argv is None and threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGINT, _exit_interrupted)


def _exit_interrupted(signum: int, frame: Any) -> None:
    """SIGINT once the command is done: the process is only shutting down (joining threads,
    closing worker pools), and Python would print a KeyboardInterrupt traceback from
    ``threading._shutdown``; the output is complete and flushed, so end now with status 130.
    The worker pools' processes die with this one (see :mod:`rewardkit.pool`)."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # closed or broken
            pass
    os._exit(130)


if __name__ == "__main__":
    sys.exit(main())
