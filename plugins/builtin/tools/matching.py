"""A completion's calls against a row's expected calls: order-free matching and the three modes.

Every (expected call, call) pair is checked (:mod:`.checking`); the pairing is an optimal
assignment (``scipy.optimize.linear_sum_assignment``) that first maximises the pairs that are
right and then the partial credit of the rest, so the order of parallel calls never matters and a
perfect pairing is found whenever one exists (BFCL's parallel checker pairs greedily, in the
expected calls' order: see docs/tools.md for the one difference this makes). Strict mode needs only
the right pairs: it checks each pair up to its first failure; when some expected call is met by no
call its ``failure`` is what is wrong with the call in its place, else the pairing prefers, among
those with as many right pairs, calls to the expected function. Calls made in the expected order
and all right are never paired otherwise.

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
from itertools import chain
from typing import Literal, NamedTuple

from .calls import Call
from .checking import CallCheck, ExpectedRule, check_call, first_failure

Mode = Literal["strict", "fractional", "f1"]
EXTRA_CALL = "extra_call"
MISSING_CALL = "missing_call"


@dataclass(frozen=True)
class MatchOptions:
    mode: Mode = "strict"
    allow_extra_calls: bool = False
    allow_missing_calls: bool = False


class Match(NamedTuple):
    """How a completion's calls met the expected ones."""

    score: float
    failure: str | None  # the first thing wrong, in BFCL's order; None when nothing is


RIGHT = Match(1.0, None)


def match_calls(calls: list[Call], rules: list[ExpectedRule], options: MatchOptions) -> Match:
    """Score parsed ``calls`` against the expected calls' ``rules`` (:func:`.checking.expected_rule`)."""
    made, wanted = len(calls), len(rules)
    strict = options.mode == "strict"
    if made == wanted == 1 and strict:  # the common case: the verdict on one pair
        failure = first_failure(calls[0], rules[0])
        return RIGHT if failure is None else Match(0.0, failure)
    if wanted == 0:
        return RIGHT if made == 0 else Match(0.0, EXTRA_CALL)
    if made == 0:
        return Match(0.0, MISSING_CALL)
    if made != wanted and strict:
        # strict pays only for as many calls as expected, all right: a wrong count is the first complaint
        if made > wanted and not options.allow_extra_calls:
            return Match(0.0, EXTRA_CALL)
        if made < wanted and not options.allow_missing_calls:
            return Match(0.0, MISSING_CALL)
    check = _verdict if strict else check_call
    checks: list[list[CallCheck | None]] = [[None] * made for _ in rules]
    if made == wanted:  # every call right where it stands: optimal, and nothing else to check
        for i, (rule, call) in enumerate(zip(rules, calls)):
            checks[i][i] = found = check(call, rule)
            if found.failure is not None:
                break
        else:
            return RIGHT
        if strict:
            unmet = _unmet(checks, rules, calls)
            if unmet is not None:  # no pairing can be all right: its failure against the call in its place
                return Match(0.0, checks[unmet][unmet].failure)  # type: ignore[union-attr]
    for rule, row in zip(rules, checks):
        for j, call in enumerate(calls):
            if row[j] is None:
                row[j] = check(call, rule)
    return _scored(checks, made, wanted, options)  # type: ignore[arg-type]


def _unmet(checks: list[list[CallCheck | None]], rules: list[ExpectedRule], calls: list[Call]) -> int | None:
    """The first expected call that no call meets (strict mode's verdict then needs no pairing),
    or None; each row is checked up to its first right call from the call in its place on, an
    unmet one fully."""
    n = len(calls)
    for i, (rule, row) in enumerate(zip(rules, checks)):
        for j in chain(range(i, n), range(i)):
            if row[j] is None:
                row[j] = _verdict(calls[j], rule)
            if row[j].failure is None:  # type: ignore[union-attr]
                break
        else:
            return i
    return None


_RIGHT_CHECK = CallCheck(None, 0, 0)


def _verdict(call: Call, rule: ExpectedRule) -> CallCheck:
    """Strict mode's check of a pair: the failure only, found as soon as something is wrong; its
    credit is 1 for a call to the expected function and 0 for another, so the pairing still
    prefers the call to the same function (the verdict needs no more than the right pairs)."""
    failure = first_failure(call, rule)
    return _RIGHT_CHECK if failure is None else CallCheck(failure, 0, 0)


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
