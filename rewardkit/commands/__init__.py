"""The table of ``rewardkit``'s subcommands, read without importing any of them.

Each command is a module with ``DESCRIPTION`` (what ``rewardkit CMD --help`` shows, written for
users), ``add_arguments(parser)`` and ``run(args) -> int``; a command whose config file
``rewardkit check`` can check also has ``CONFIG_KEYS`` and ``check_config(path)``. The table holds
what ``rewardkit --help`` shows and where each module is, so that the program imports only the
module of the command it runs (:mod:`rewardkit.cli`).
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import NamedTuple


class Command(NamedTuple):
    module: str
    help: str  # one line in `rewardkit --help`
    checks_config: bool = False  # `rewardkit check` can check this command's config files


COMMANDS: dict[str, Command] = {
    "list": Command("rewardkit.commands.list_rewards", "list the rewards, what each needs, and the presets"),
    "check": Command("rewardkit.commands.check", "check a composition (preset or YAML) or a train/rm-train config"),
    "score": Command("rewardkit.commands.score", "score a JSONL file of completions with a composition"),
    "diagnose": Command(
        "rewardkit.commands.diagnose", "find where a reward gives no signal or is gamed, in a scored file or a run"
    ),
    "serve": Command("rewardkit.commands.serve", "score over HTTP, for trainers on other machines or frameworks"),
    "train": Command(
        "rewardkit.trainers.commands.train", "GRPO or RLOO fine-tuning with a composition of rewards", checks_config=True
    ),
    "eval": Command("rewardkit.trainers.commands.evaluate", "generate completions with a model and score them"),
    "rm-train": Command(
        "rewardkit.trainers.commands.rm_train", "train a reward model on preference pairs", checks_config=True
    ),
}


def command_module(name: str) -> ModuleType:
    """The module of the subcommand ``name``, imported now."""
    return importlib.import_module(COMMANDS[name].module)


def config_commands() -> list[str]:
    """The commands whose config files ``rewardkit check`` checks."""
    return [name for name, command in COMMANDS.items() if command.checks_config]
