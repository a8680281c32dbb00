"""What the diagnostics read: scored rows with their components, from either kind of input."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Callable

from rewardkit.text import MalformedText, completion_text, prompt_text


@dataclass
class ScoredRow:
    """One completion and its scores.

    ``index`` is the row's position in the input (0-based; for a training run, in the logged
    completions, oldest first). ``truncated``: stopped at the length limit (None: not known).
    ``extra`` holds each component's per-row detail (``math_correctness``: answer, gold, verdict).
    """

    index: int
    completion: str
    prompt: Any = None
    prompt_text: str = ""
    scores: dict[str, float | None] = field(default_factory=dict)
    total: float | None = None
    errors: dict[str, str] = field(default_factory=dict)
    extra: dict[str, dict[str, Any]] = field(default_factory=dict)
    columns: dict[str, Any] = field(default_factory=dict)
    step: int | None = None
    tokens: int | None = None
    truncated: bool | None = None
    group: str = ""

    @property
    def length(self) -> int:
        return self.tokens if self.tokens is not None else len(self.completion)


@dataclass
class ScoredTable:
    """The rows of one input, its components in order, and what is known about them.

    ``reward_names`` maps a component (reward name or alias) to the registered reward it is, where
    known; ``notes`` are caveats the report shows (weights assumed, no completions logged...).
    """

    source: str
    kind: str  # "scored" (a `rewardkit score --out` file) or "run" (a training run directory)
    names: list[str]
    weights: dict[str, float]
    rows: list[ScoredRow]
    reward_names: dict[str, str] = field(default_factory=dict)
    metrics: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def length_unit(self) -> str:
        return "tokens" if self.rows and all(r.tokens is not None for r in self.rows) else "characters"

    def lengths(self) -> list[float]:
        """Each row's length in :attr:`length_unit` (characters unless every row knows its tokens)."""
        tokens = self.length_unit == "tokens"
        return [float(r.tokens if tokens else len(r.completion)) for r in self.rows]  # type: ignore[arg-type]

    def scores(self, name: str) -> list[float | None]:
        return [r.scores.get(name) for r in self.rows]


def readable(convert: Callable[[Any], str | None], value: Any) -> str:
    """The text of a completion or prompt; a malformed one (a number where text belongs) reads as ""
    (the rewards scored it with their error score; the diagnostics still count the row)."""
    try:
        return convert(value) or ""
    except MalformedText:
        return ""


def completion_of(value: Any) -> str:
    return readable(completion_text, value)


def prompt_of(value: Any) -> str:
    return readable(prompt_text, value)


def group_key(prompt: Any, step: int | None = None) -> str:
    """Rows with equal keys are completions of one prompt (in one training step): a GRPO group."""
    text = prompt if isinstance(prompt, str) else json.dumps(prompt, sort_keys=True, default=str)
    return text if step is None else f"{step}\x00{text}"


def groups(keys: list[str]) -> list[list[int]]:
    """Indices of equal keys together, in first-seen order."""
    found: dict[str, list[int]] = {}
    for i, key in enumerate(keys):
        found.setdefault(key, []).append(i)
    return list(found.values())
