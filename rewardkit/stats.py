"""The numbers of scores, defined once: what a score is, a row's weighted total, and the statistics
of summaries and diagnostics (plain Python: the core installs without numpy).

- A score is a finite real number or ``None`` ("cannot be scored"); :func:`finite_number` reads
  any logged, stored or returned value that way (NaN, infinities, bools and text read as ``None``).
- A row's weighted total (:func:`weighted_total`): the sum of ``weight × score`` over the
  components with a non-zero weight and a score; a component's ``None`` is left out, a weight-0
  component never enters it (it is logged, not trained on), and a row where no weighted
  component scored totals ``None``. Training follows the same rule (the shaping hook of
  ``rewardkit.trainers.policy.advantage_shaping``), where TRL alone would total such a row 0.
- A standard deviation is the sample std with Bessel's correction (divided by n − 1), as TRL
  logs ``rewards/<name>/std`` and normalises groups; it is ``None`` for fewer than two values.
"""

from __future__ import annotations

import functools
import itertools
import math
import numbers
import operator
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Sequence

TOLERANCE = 1e-9  # scores closer than this count as equal
DISCRETE_VALUES = 12  # a component with at most this many distinct scores gets one bar per score
BINS = 20


def finite_number(value: Any) -> float | None:
    """``value`` as a float when it is a finite real number (not a bool), else ``None`` (an integer
    beyond float range too: JSON and YAML read 400 digits as one)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def is_finite_number(value: Any) -> bool:
    """True for a real number (not a bool) that is neither infinite nor NaN: the check of weights and scores."""
    return finite_number(value) is not None


def weighted_total(scores: Sequence[float | None], weights: Sequence[float]) -> float | None:
    """One row's total: ``weight × score`` summed over the weighted components that scored; ``None``
    when none did (see the module docstring)."""
    parts = [w * s for s, w in zip(scores, weights) if w != 0 and s is not None]
    return sum(parts) if parts else None


def weighted_totals(columns: Sequence[tuple[float, Sequence[float | None]]], n: int) -> list[float | None]:
    """:func:`weighted_total` of each of ``n`` rows, from the components' (weight, scores) columns:
    the same numbers, summed column by column when no weighted score is None (the common case,
    with no Python-level step per row and component)."""
    weights = [w for w, _ in columns]
    if any(None in scores for w, scores in columns if w != 0):
        return [weighted_total([scores[i] for _, scores in columns], weights) for i in range(n)]
    if all(w == 0 for w in weights):
        return [None] * n
    totals: list[Any] = [0] * n  # sum()'s start, so that the additions are sum()'s, in component order
    for w, scores in columns:
        if w != 0:
            totals = list(map(operator.add, totals, map(operator.mul, itertools.repeat(w, n), scores)))
    return totals


def mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def std(values: Sequence[float]) -> float | None:
    """Sample standard deviation with Bessel's correction, as TRL's ``nanstd``; None for fewer than two values."""
    if len(values) < 2:
        return None
    m = sum(values) / len(values)
    return math.sqrt(sum((v - m) ** 2 for v in values) / (len(values) - 1))


def score_stats(values: Sequence[float | None]) -> dict[str, float | int | None]:
    """Mean, std, min, max over the present scores, and how many are None: the one per-component summary."""
    return ScoreTally.of(values).stats()


_SCALE = 1074  # every finite float is a whole multiple of 2**-1074


@functools.lru_cache(maxsize=1 << 16)  # scores repeat (0, 0.5, 1...): most are looked up, not recomputed
def _scaled(value: float) -> tuple[int, int]:
    """``value * 2**1074`` and ``value**2 * 2**2148`` exactly, as integers."""
    numerator, denominator = value.as_integer_ratio()
    scaled = numerator << (_SCALE - denominator.bit_length() + 1)
    return scaled, scaled * scaled


@dataclass
class ScoreTally:
    """What :func:`score_stats` reports, kept so that tallies of parts of the scores add up.

    Sums are exact (integers in units of 2**-1074, the smallest float step), so a tally of the
    whole equals the sum of the tallies of any split into parts, in any order: a summary of rows
    scored in pieces on many machines is the summary of the same rows scored in one process.
    """

    count: int = 0  # scores present
    none: int = 0
    total: int = 0  # sum of the scores, scaled by 2**1074
    squares: int = 0  # sum of their squares, scaled by 2**2148
    low: float | None = None
    high: float | None = None

    @classmethod
    def of(cls, values: Sequence[float | None]) -> ScoreTally:
        tally = cls()
        for value in values:
            tally.add(value)
        return tally

    def add(self, value: float | None) -> None:
        if value is None:
            self.none += 1
            return
        scaled, squared = _scaled(float(value))
        self.count += 1
        self.total += scaled
        self.squares += squared
        self.low = value if self.low is None or value < self.low else self.low
        self.high = value if self.high is None or value > self.high else self.high

    def merge(self, other: ScoreTally) -> None:
        self.count += other.count
        self.none += other.none
        self.total += other.total
        self.squares += other.squares
        for value in (other.low, other.high):
            if value is not None:
                self.low = value if self.low is None or value < self.low else self.low
                self.high = value if self.high is None or value > self.high else self.high

    def stats(self) -> dict[str, float | int | None]:
        """Mean, std (Bessel-corrected; None below two scores), min, max of the present scores, and
        the count of None; from the exact sums, so the mean is rounded once."""
        n = self.count
        if not n:
            return {"mean": None, "std": None, "min": None, "max": None, "none": self.none}
        std = None
        if n > 1:  # sqrt((n * squares - total**2) / (n (n - 1))), with 64 more bits before the one rounding
            spread = math.isqrt(((n * self.squares - self.total * self.total) << 128) // (n * (n - 1)))
            std = float(Fraction(spread, 1 << (_SCALE + 64)))
        return {
            "mean": float(Fraction(self.total, n << _SCALE)),
            "std": std,
            "min": self.low,
            "max": self.high,
            "none": self.none,
        }

    def as_json(self) -> list:
        return [self.count, self.none, str(self.total), str(self.squares), self.low, self.high]

    @classmethod
    def from_json(cls, data: Sequence) -> ScoreTally:
        count, none, total, squares, low, high = data
        return cls(count, none, int(total), int(squares), low, high)


def pearson(xs: Sequence[float | None], ys: Sequence[float | None]) -> float | None:
    """Pearson's r over the pairs where both are present; None with fewer than 3 or a constant side."""
    pairs = [(x, y) for x, y in zip(xs, ys) if x is not None and y is not None]
    if len(pairs) < 3:
        return None
    mx = sum(x for x, _ in pairs) / len(pairs)
    my = sum(y for _, y in pairs) / len(pairs)
    sxy = sum((x - mx) * (y - my) for x, y in pairs)
    sxx = sum((x - mx) ** 2 for x, _ in pairs)
    syy = sum((y - my) ** 2 for _, y in pairs)
    if sxx <= TOLERANCE**2 * len(pairs) or syy <= TOLERANCE**2 * len(pairs):
        return None
    return max(-1.0, min(1.0, sxy / math.sqrt(sxx * syy)))


def marked_gap(values: Sequence[float | None], marked: Sequence[bool], min_rows: int) -> dict[str, float | int | None]:
    """A score's mean on the marked rows vs the others (rows whose score is None left out), and the
    gap between them in the score's std: how much a reward pays for what marks the rows (a
    refusal, a shared opening). ``gap_std`` is None when either side has fewer than ``min_rows``
    rows or the score is constant."""
    scored = [(v, m) for v, m in zip(values, marked) if v is not None]
    mine = [v for v, m in scored if m]
    others = [v for v, m in scored if not m]
    spread = std([v for v, _ in scored])
    judged = len(mine) >= min_rows and len(others) >= min_rows and spread
    return {
        "marked": len(mine),
        "others": len(others),
        "share": len(mine) / len(scored) if scored else None,
        "mean_marked": mean(mine),
        "mean_others": mean(others),
        "gap_std": (mean(mine) - mean(others)) / spread if judged else None,  # type: ignore[operator]
    }


def constant(values: Sequence[float]) -> bool:
    return not values or max(values) - min(values) <= TOLERANCE


def histogram(values: Sequence[float]) -> dict[str, list[float] | list[int] | bool]:
    """Counts per distinct score when there are few (a 0/1 reward: two bars), else BINS equal bins.

    ``discrete``: ``values`` are the scores and ``counts`` their counts; otherwise ``edges`` has
    one more entry than ``counts``.
    """
    if not values:
        return {"discrete": True, "values": [], "counts": []}
    distinct = sorted(set(round(v, 9) for v in values))
    if len(distinct) <= DISCRETE_VALUES:
        counts = {v: 0 for v in distinct}
        for v in values:
            counts[round(v, 9)] += 1
        return {"discrete": True, "values": distinct, "counts": [counts[v] for v in distinct]}
    low, high = distinct[0], distinct[-1]
    width = (high - low) / BINS
    edges = [low + i * width for i in range(BINS)] + [high]
    counts = [0] * BINS
    for v in values:
        counts[min(BINS - 1, int((v - low) / width))] += 1
    return {"discrete": False, "edges": edges, "counts": counts}


def trend(values: Sequence[float | None]) -> float | None:
    """Correlation of a per-step series with the step number (+1: rises steadily, -1: falls)."""
    return pearson(list(range(len(values))), list(values))
