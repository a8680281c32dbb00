"""Conformance with the public math checkers' facts: verify_answer, the reward and the batch path.

The cases (tests/math_conformance_cases.py) are ours, built from the facts the public suites test
(math-verify, open-r1, TRL, verl, open-instruct; each case names its source). Every one must get
its true verdict, from ``verify_answer`` on the whole completion, from ``verify_answers`` on the
batch and from the ``math_correctness`` reward. bench/math_conformance.py runs the same cases and
real-data completions side by side with math-verify's default ``verify(parse(gold), parse(text))``.
"""

from collections import Counter

import pytest

from math_conformance_cases import CASES
from rewardkit import verify_answer, verify_answers
from rewardkit.plugins.math import MathCorrectness

# Verdicts, not the time limit, are tested here: a generous limit keeps a busy machine out of it.
TIMEOUT = 10.0


@pytest.fixture(scope="module")
def batch_verdicts():
    return verify_answers([(c.gold, c.completion) for c in CASES], timeout=TIMEOUT)


@pytest.mark.parametrize("index", range(len(CASES)), ids=[f"{c.kind}-{i}" for i, c in enumerate(CASES)])
def test_each_public_fact_gets_its_true_verdict_in_a_batch(index, batch_verdicts):
    case = CASES[index]
    assert batch_verdicts[index] is case.truth, case


@pytest.mark.parametrize("kind", sorted({c.kind for c in CASES}))
def test_verify_answer_alone_gives_the_same_verdicts(kind):
    for case in [c for c in CASES if c.kind == kind]:
        assert verify_answer(case.gold, case.completion, timeout=TIMEOUT) is case.truth, case


def test_the_reward_gives_the_same_verdicts():
    reward = MathCorrectness(timeout=TIMEOUT)
    scores = reward([c.completion for c in CASES], answer=[c.gold for c in CASES])
    expected = [None if c.truth is None else float(c.truth) for c in CASES]
    assert [(c.kind, c.gold, s) for c, s in zip(CASES, scores)] == [(c.kind, c.gold, e) for c, e in zip(CASES, expected)]


def test_every_kind_is_tested_in_both_directions():
    directions = Counter((c.kind, c.truth) for c in CASES)
    for kind in {c.kind for c in CASES} - {"unreadable"}:
        assert directions[(kind, True)] >= 3 and directions[(kind, False)] >= 2, kind
    assert {c.source for c in CASES} == {"MV", "OR1", "TRL", "VERL", "OI"}
