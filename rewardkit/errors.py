"""Exceptions rewardkit raises; each message names the reward, entry, file or key at fault.

A message quotes the value at fault through :func:`shown`, never ``{value!r}``: a value from a
file or a request can be a megabyte of text, or a YAML alias bomb whose full repr is gigabytes.
What may hold a secret (a server's reply, an error about a request) passes through :func:`scrub`.
"""

import reprlib
from typing import Any, Sequence


class RewardkitError(Exception):
    """Base class for every error rewardkit raises on purpose."""


class ParamsError(RewardkitError, ValueError):
    """A reward was given an unknown parameter or a value of the wrong type."""


class MissingColumnError(RewardkitError, KeyError):
    """A reward needs a dataset column that the batch does not carry; ``column`` names it."""

    def __init__(self, message: str, column: str | None = None) -> None:
        super().__init__(message)
        self.column = column

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class ContractError(RewardkitError, RuntimeError):
    """A reward broke the batch contract (for example returned the wrong number of scores)."""


class UnknownRewardError(RewardkitError, LookupError):
    """No registered reward has this name."""


class DuplicateNameError(RewardkitError, ValueError):
    """Two plugins registered the same name."""


class ConfigError(RewardkitError, ValueError):
    """A YAML or mapping composition is invalid."""


class MissingDependencyError(RewardkitError, ImportError):
    """A package that an optional part of rewardkit needs is not installed (the message names the extra)."""


def import_optional(module: str, extra: str, needed_for: str, hint: str = ""):
    """Import ``module``, or raise MissingDependencyError naming the pip command of ``extra``."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise MissingDependencyError(
            f"{module.split('.')[0]} is not installed (needed for {needed_for}): pip install 'rewardkit[{extra}]'{hint}"
        ) from None


SHOWN_CHARS = 80  # the longest quotation of a value in an error message

# Nested values are shown three levels deep and four items wide, so the repr is built from a
# bounded part of the value, however large (or self-referencing) the whole is.
_SHORT = reprlib.Repr()
_SHORT.maxlevel = 3
_SHORT.maxdict = _SHORT.maxlist = _SHORT.maxtuple = _SHORT.maxset = _SHORT.maxfrozenset = 4
_SHORT.maxstring = _SHORT.maxother = _SHORT.maxlong = SHOWN_CHARS


def shown(value: object, *, quoted: bool = True) -> str:
    """``repr(value)`` for an error message: at most :data:`SHOWN_CHARS` characters, built
    without making the whole repr; ``quoted=False`` shows text as it is (a name in a label).

    >>> shown("x" * 1000)[:12], len(shown("x" * 1000)) <= SHOWN_CHARS
    ("'xxxxxxxxxxx", True)
    >>> shown([[["deep", ["deeper"]]], 1, 2, 3, 4, 5])
    "[[['deep', [...]]], 1, 2, 3, ...]"
    >>> shown("xml_count", quoted=False)
    'xml_count'
    """
    if not quoted and isinstance(value, str):
        text = value
    else:
        try:
            text = _SHORT.repr(value)
        except Exception:  # noqa: BLE001 - a repr that fails (an int over Python's digit limit)
            text = f"<{type(value).__name__}>"
    return text if len(text) <= SHOWN_CHARS else f"{text[: SHOWN_CHARS - 1]}…"


def scrub(value: Any, secrets: Sequence[str]) -> Any:
    """``value`` with every occurrence of each secret (an API key) replaced by ``***``: in text,
    and in the text inside lists, tuples and mappings (a reward's per-sample detail).

    >>> scrub({"reply": ["key sk-1 echoed"], "n": 2}, ["sk-1"])
    {'reply': ['key *** echoed'], 'n': 2}
    """
    if isinstance(value, str):
        for secret in secrets:
            if secret:
                value = value.replace(secret, "***")
        return value
    if isinstance(value, (list, tuple)):
        return type(value)(scrub(v, secrets) for v in value)
    if isinstance(value, dict):
        return {scrub(k, secrets): scrub(v, secrets) for k, v in value.items()}
    return value
