"""Reading a correctness component's scores as verdicts (correct or not), and comparing answers."""

from __future__ import annotations

import re
from typing import Sequence

from rewardkit.stats import TOLERANCE


def as_verdicts(values: Sequence[float | None]) -> list[bool | None]:
    """True for the higher of a correctness reward's two scores (1.0 vs 0.0 by default), None where unscored.

    With both scores present the line is halfway between them; with one score only, a positive
    score is a correct answer.
    """
    present = [v for v in values if v is not None]
    if not present:
        return [None] * len(values)
    low, high = min(present), max(present)
    line = (low + high) / 2 if high - low > TOLERANCE else 0.0
    return [None if v is None else v > line for v in values]


_SPACE = re.compile(r"\s+")
_WRAPPERS = re.compile(r"^\\boxed\{(.*)\}$|^\$(.*)\$$|^\\\((.*)\\\)$", re.DOTALL)


def normalize_answer(answer: str) -> str:
    """An answer for comparing by eye: no \\boxed{} or $ around it, no spaces, no thousands commas,
    no closing full stop, lower case (``\\boxed{1,234.}`` and ``1234`` compare equal)."""
    text = answer.strip()
    for _ in range(3):
        m = _WRAPPERS.match(text)
        if not m:
            break
        text = next(g for g in m.groups() if g is not None).strip()
    text = _SPACE.sub("", text).rstrip(".").lower()
    if re.fullmatch(r"-?\d{1,3}(,\d{3})+(\.\d+)?", text):
        text = text.replace(",", "")
    if re.fullmatch(r"-?\d+\.0+", text):
        text = text.split(".")[0]
    return text
