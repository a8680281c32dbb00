"""``rewardkit check FILE``: validate a composition, a train config or an rm-train config; load no model.

A preset name, a list of rewards or a file of composition keys (``extends``, ``rewards``,
``remove``, ``weights``) is a composition: every reward is built and listed with its weight.
A file with a command's config keys (``model``, ``dataset``, ``trainer``, ... for ``train``;
``data``, ``max_length``, ... for ``rm-train``) is checked as that command's config: every key,
the rewards, the trainer options, the data and its columns, and that the model is there, all
without loading the model. The first line says which kind of file it was; ``--as`` decides
when a file could be read either way. Errors name the file, the key and the valid choices.
"""

from __future__ import annotations

import argparse
from types import ModuleType
from typing import Any

from rewardkit.errors import ConfigError, shown

SHOWN_KEYS = 20  # keys of an unknown file listed in an error message
HELP = "validate a composition, a train config or an rm-train config (YAML file or preset name)"
COMPOSITION = "composition"


def config_commands() -> dict[str, ModuleType]:
    """The commands that read a config file: those whose module has ``check_config`` and ``CONFIG_KEYS``."""
    from rewardkit.cli import COMMANDS, command_module

    modules = {name: command_module(name) for name in COMMANDS}
    return {name: m for name, m in modules.items() if hasattr(m, "check_config")}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", help="a YAML file or a preset name")
    parser.add_argument("--as", dest="kind", choices=[COMPOSITION, *config_commands()],
                        help="what the file is (default: told from its keys)")


def detect_kind(data: Any, commands: dict[str, ModuleType]) -> str:
    """What a parsed YAML file is: a composition, or the config of the command whose keys it uses most."""
    from rewardkit.composition_loader import SPEC_KEYS

    if not isinstance(data, dict):
        return COMPOSITION
    keys = set(data)
    overlap = {COMPOSITION: len(keys & set(SPEC_KEYS)), **{n: len(keys & set(m.CONFIG_KEYS)) for n, m in commands.items()}}
    best = max(overlap, key=lambda kind: overlap[kind])  # ties: the first, a composition
    if overlap[best] == 0:
        kinds = "; ".join(
            f"{n} configs take {', '.join(m.CONFIG_KEYS)}" for n, m in commands.items()
        )
        raise ConfigError(
            f"none of the keys ({_listed(keys)}) is one of a composition or a command's config: "
            f"compositions take {', '.join(SPEC_KEYS)}; {kinds}"
        )
    return best


def _listed(keys: set[Any]) -> str:
    listed = ", ".join(shown(k, quoted=False) for k in list(keys)[:SHOWN_KEYS]) or "none"
    return listed if len(keys) <= SHOWN_KEYS else f"{listed} and {len(keys) - SHOWN_KEYS} more"


def run(args: argparse.Namespace) -> int:
    from rewardkit.composition_loader import load_composition, locate
    from rewardkit.yaml_file import read_yaml

    commands = config_commands()
    kind = args.kind
    located = locate(args.file)
    if kind is None:
        if located.kind == "preset":
            kind = COMPOSITION
        else:
            data = read_yaml(located.file())  # its errors name the file (and line) already
            try:
                kind = detect_kind(data, commands)
            except ConfigError as exc:
                raise ConfigError(f"{args.file}: {exc}") from None
    if kind != COMPOSITION:
        try:
            lines = commands[kind].check_config(args.file)
        except ConfigError as exc:
            message = str(exc)
            raise ConfigError(message if message.startswith(args.file) else f"{args.file}: {message}") from None
        print(f"{args.file}: OK — a `rewardkit {kind}` config")
        print("\n".join(f"  {line}" for line in lines))
        return 0
    composition = load_composition(args.file)
    print(f"{args.file}: OK — a composition of {len(composition.components)} rewards")
    for c in composition.components:
        cols = c.reward.required_columns()
        print(f"  {c.name:<24} weight {c.weight:<6g} {c.reward!r}{'  columns: ' + ', '.join(cols) if cols else ''}")
    return 0
