"""A bound on the size of config data, checked before anything walks it.

A YAML alias (``*b``) stands for a whole copy of what its anchor names, and so does a Python
object referenced twice: nine levels of nine aliases are half a kilobyte of YAML that expands
to 387 million values. PyYAML builds it in microseconds (the copies are shared), but a repr, a
JSON dump, a copy or a validator walks every copy: minutes and gigabytes. So every config rewardkit
reads (a YAML file, an ``extends``, an inline spec from verl, OpenRLHF or a caller, a train
config) is first counted here as it would expand, stopping at the bound: an alias bomb is
refused in milliseconds, and a value that contains itself is refused too. So is an integer
beyond the range of a float (a 400-digit ``weight``): every number of a config is used as one.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from itertools import chain
from typing import Any

import math
import sys

from .errors import ConfigError

# A composition of 10,000 entries, each with a few params, is about 100,000 values.
MAX_VALUES = 200_000  # mappings, lists, keys and scalars, counted as expanded
MAX_CHARS = 10_000_000  # characters of text, counted as expanded
LARGEST_FLOAT = int(sys.float_info.max)


def check_config_size(data: Any, where: str) -> int:
    """The number of values ``data`` expands to; :class:`ConfigError` naming ``where`` when that
    is over :data:`MAX_VALUES` (or its text over :data:`MAX_CHARS`), when a value contains
    itself, or when an integer is beyond float range.

    Each container is walked once and its expanded size remembered for every other reference to
    it, so a bomb costs what its distinct parts cost; and the walk stops after MAX_VALUES steps
    (an expansion has at least as many values as there are references to walk).
    """
    sizes: dict[int, tuple[int, int]] = {}  # id -> (values, characters) of a container walked already
    walked: list[Any] = []  # every container met stays referenced, so no id is reused meanwhile
    open_ids: set[int] = set()  # the containers on the path from the root: a cycle returns to one
    suspended: list[tuple[int | None, Iterator[Any], int, int]] = []  # the parents of the container walked
    # the container walked: its id, its children left, its values (itself included) and characters so far
    ident, children, values, chars = None, iter((data,)), 0, 0
    steps = 0
    while True:
        for value in children:
            steps += 1
            kind = type(value)
            if kind in _SCALARS:
                values += 1
                if kind is int and not -LARGEST_FLOAT <= value <= LARGEST_FLOAT:
                    raise ConfigError(f"{where}: an integer of {_digits(value):,} digits, beyond the range of a number")
            elif kind is str or isinstance(value, (str, bytes)):
                values += 1
                chars += len(value)
            elif kind is dict or kind is list or isinstance(value, (Mapping, Sequence)):
                known = sizes.get(id(value))
                if known is None:
                    if id(value) in open_ids:
                        raise ConfigError(f"{where}: a value contains itself (a YAML alias inside its own anchor)")
                    open_ids.add(id(value))
                    walked.append(value)
                    suspended.append((ident, children, values, chars))
                    mapping = kind is dict or (kind is not list and isinstance(value, Mapping))
                    inner = chain.from_iterable(value.items()) if mapping else iter(value)
                    ident, children, values, chars = id(value), inner, 1, 0
                    break  # walk its children, then come back to the rest of these
                values += known[0]
                chars += known[1]
            else:
                values += 1
            if steps > MAX_VALUES or values > MAX_VALUES or chars > MAX_CHARS:
                _refuse(where, chars)
        else:  # every child walked
            if values > MAX_VALUES or chars > MAX_CHARS:
                _refuse(where, chars)
            if not suspended:
                return values
            sizes[ident] = (values, chars)  # type: ignore[index]
            open_ids.discard(ident)  # type: ignore[arg-type]
            size, text = values, chars
            ident, children, values, chars = suspended.pop()
            values += size
            chars += text


def _digits(value: int) -> int:
    """How many decimal digits ``value`` has (str() of it would be slow, and is refused past 4,300)."""
    value = abs(value)
    exponent = int(math.log10(value))  # the float may round up across a power of ten
    return exponent if 10**exponent > value else exponent + 1


def _refuse(where: str, chars: int) -> None:
    if chars > MAX_CHARS:
        raise ConfigError(
            f"{where}: more than {MAX_CHARS:,} characters of text once YAML aliases (or shared references) "
            "are expanded; write it without aliases that repeat long text"
        )
    raise ConfigError(
        f"{where}: more than {MAX_VALUES:,} values once YAML aliases (or shared references) are expanded; "
        "a config needs far fewer: write it without aliases nested in aliases"
    )


_SCALARS = frozenset((int, float, bool, type(None)))  # what YAML and JSON hold besides text and containers
