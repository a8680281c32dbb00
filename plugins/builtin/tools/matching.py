"""A completion's calls against a row's expected calls: order-free matching and the three modes.

Every (expected call, call) pair is checked (:mod:`.checking`); the pairing is an optimal
assignment (``scipy.optimize.linear_sum_assignment``) that first maximises the pairs that are
right and then the partial credit of the rest, so the order of parallel calls never matters and a
perfect pairing is found whenever one exists (BFCL's parallel checker pairs greedily, in the
expected calls' order: see docs/tools.md for the one difference this makes).

- ``strict`` (BFCL's verdict): 1.0 when as many calls are made as expected and every pair is
  right, else 0.0;
- ``fractional``: the pairs' partial credit summed, over the pairs plus the calls missing and the
  calls extra;
- ``f1``: the harmonic mean of precision (right pairs / calls made) and recall (right pairs / calls
  expected).

``allow_extra_calls`` leaves calls beyond the expected ones out of every mode;
``allow_missing_calls`` leaves expected calls that were not made out (at least one call must be
made). A row that expects no call (BFCL's irrelevance) scores 1.0 when none is made, 0.0 otherwise,
in every mode and whatever ``allow_extra_calls`` says.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Mapping, NamedTuple

from .calls import Call
from .checking import CallCheck, check_call
from .ground_truth import ExpectedCall
from .schemas import FunctionSpec

Mode = Literal["strict", "fractional", "f1"]
EXTRA_CALL = "extra_call"
MISSING_CALL = "missing_call"


@dataclass(frozen=True)
class MatchOptions:
    mode: Mode = "strict"
    allow_extra_calls: bool = False
    allow_missing_calls: bool = False
    float_tolerance: float = 0.0
    dots_as_underscores: bool = False


class Match(NamedTuple):
    """How a completion's calls met the expected ones."""

    score: float
    failure: str | None  # the first thing wrong, in BFCL's order; None when nothing is


def match_calls(
    calls: list[Call], expected: list[ExpectedCall], specs: Mapping[str, FunctionSpec], options: MatchOptions
) -> Match:
    """Score parsed ``calls`` against ``expected`` (the functions' ``specs`` by name)."""
    made, wanted = len(calls), len(expected)
    if wanted == 0:
        return Match(1.0, None) if made == 0 else Match(0.0, EXTRA_CALL)
    if made == 0:
        return Match(0.0, MISSING_CALL)
    if made != wanted and options.mode == "strict":
        # strict pays only for as many calls as expected, all right: a wrong count is the first complaint
        if made > wanted and not options.allow_extra_calls:
            return Match(0.0, EXTRA_CALL)
        if made < wanted and not options.allow_missing_calls:
            return Match(0.0, MISSING_CALL)
    tolerance, dots = options.float_tolerance, options.dots_as_underscores
    found = [specs.get(want.name) for want in expected]
    checks: list[list[CallCheck | None]] = [[None] * made for _ in expected]
    if made == wanted:  # every call right where it stands: optimal, and nothing else to check
        for i, (want, call) in enumerate(zip(expected, calls)):
            checks[i][i] = check = check_call(call, want, found[i], float_tolerance=tolerance, dots_as_underscores=dots)
            if check.failure is not None:
                if made == 1 and options.mode == "strict":
                    return Match(0.0, check.failure)
                break
        else:
            return Match(1.0, None)
    for i, want in enumerate(expected):
        row = checks[i]
        for j, call in enumerate(calls):
            if row[j] is None:
                row[j] = check_call(call, want, found[i], float_tolerance=tolerance, dots_as_underscores=dots)
    return _scored(checks, made, wanted, options)  # type: ignore[arg-type]


def _scored(checks: list[list[CallCheck]], made: int, wanted: int, options: MatchOptions) -> Match:
    pairs = _assignment(checks)
    right = sum(checks[i][j].failure is None for i, j in pairs)
    missing = 0 if options.allow_missing_calls else wanted - len(pairs)
    extra = 0 if options.allow_extra_calls else made - len(pairs)
    failure = _first_failure(checks, pairs, missing, extra)
    if options.mode == "strict":
        score = 1.0 if failure is None else 0.0
    elif options.mode == "fractional":
        score = sum(checks[i][j].credit for i, j in pairs) / (len(pairs) + missing + extra)
    else:
        precision = right / (len(pairs) + extra)
        recall = right / (len(pairs) + missing)
        score = 0.0 if right == 0 else 2 * precision * recall / (precision + recall)
    return Match(score, failure)


def _assignment(checks: list[list[CallCheck]]) -> list[tuple[int, int]]:
    """The (expected, call) pairs of an optimal assignment: most right pairs, then most credit."""
    if len(checks) == 1 and len(checks[0]) == 1:
        return [(0, 0)]
    import numpy as np
    from scipy.optimize import linear_sum_assignment  # scipy is the [tools] extra; imported on first use

    weight = len(checks) + 1  # one more right pair outweighs any credit the others could add
    gains = np.array([[weight * (c.failure is None) + c.credit for c in row] for row in checks], dtype=float)
    rows, cols = linear_sum_assignment(gains, maximize=True)
    return sorted(zip(rows.tolist(), cols.tolist()))


def _first_failure(checks: list[list[CallCheck]], pairs: list[tuple[int, int]], missing: int, extra: int) -> str | None:
    """BFCL's first complaint: a wrong number of calls, else the first expected call not met."""
    if extra:
        return EXTRA_CALL
    if missing:
        return MISSING_CALL
    for i, j in pairs:
        if checks[i][j].failure is not None:
            return checks[i][j].failure
    return None
