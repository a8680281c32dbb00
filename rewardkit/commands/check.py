"""``rewardkit check FILE``: validate a composition, a train config or an rm-train config; load no model."""

from __future__ import annotations

import argparse
from types import ModuleType
from typing import Any

from rewardkit.commands import command_module, config_commands
from rewardkit.errors import ConfigError, shown

SHOWN_KEYS = 20  # keys of an unknown file listed in an error message
DESCRIPTION = """\
Check a composition or a config file without loading any model. A preset name, or a YAML file of
composition keys (extends, rewards, remove, weights), is a composition: every reward is built and
listed with its weight and the dataset columns it needs. A YAML file of a command's keys (model,
dataset, trainer, ... for train; data, max_length, ... for rm-train) is checked as that command's
config: every key, the rewards, the trainer options, the data and its columns, and where the
model is. The first line says which kind of file it was; --as decides when a file could be
read either way. Errors name the file, the key and the valid choices.

examples:
  rewardkit check gsm8k
  rewardkit check rewards.yaml
  rewardkit check run.yaml --as train
"""
COMPOSITION = "composition"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE", help="a preset name or a YAML file")
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
    from rewardkit.columns import column_uses
    from rewardkit.composition_loader import load_composition, locate
    from rewardkit.yaml_file import read_yaml

    kind = args.kind
    located = locate(args.file)
    if kind is None:
        if located.kind == "preset":
            kind = COMPOSITION
        else:
            data = read_yaml(located.file())  # its errors name the file (and line) already
            try:
                kind = detect_kind(data, {name: command_module(name) for name in config_commands()})
            except ConfigError as exc:
                raise ConfigError(f"{args.file}: {exc}") from None
    if kind != COMPOSITION:
        try:
            lines = command_module(kind).check_config(args.file)
        except ConfigError as exc:
            message = str(exc)
            raise ConfigError(message if message.startswith(args.file) else f"{args.file}: {message}") from None
        print(f"{args.file}: OK — a `rewardkit {kind}` config")
        print("\n".join(f"  {line}" for line in lines))
        return 0
    composition = load_composition(args.file)
    n = len(composition.components)
    print(f"{args.file}: OK — a composition of {n} reward{'s' if n != 1 else ''}")
    for c in composition.components:
        uses = column_uses(c.reward)
        print(f"  {c.name:<24} weight {c.weight:<6g} {c.reward!r}{'  columns: ' + '; '.join(uses) if uses else ''}")
    return 0
