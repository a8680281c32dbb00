"""tool_call_match in strict mode against BFCL's own checker, run in the bfcl-eval environment.

Every single-turn Python AST category of BFCL v4 and both irrelevance categories: each row's
ground truth written out and its systematic mutations (:mod:`_bfcl_cases`), the calls handed to
rewardkit in every shape in turn. Verdicts must agree, except where BFCL's parallel checker
pairs calls greedily and so refuses calls it accepts in another order (docs/tools.md): each such
case is checked to be accepted by BFCL itself once its calls are reordered.
"""

from __future__ import annotations

import copy
import itertools
from collections import Counter

import pytest
from _bfcl_cases import AST_CATEGORIES, BUILD, CATEGORIES, IRRELEVANCE, Case, cases, disagreements, oracle, python, rewardkit_scores

from rewardkit.registry import Registry

pytestmark = pytest.mark.skipif(
    python() is None, reason=f"BFCL's checker runs in its own environment; build it with: {BUILD}"
)


@pytest.fixture(scope="module")
def judged() -> list[tuple[Case, float | None]]:
    batch = cases()
    oracle(batch)
    scores = rewardkit_scores(batch, Registry(autoload=False).reward("tool_call_match", {}))
    return list(zip(batch, scores))


def test_every_category_and_mutation_is_covered(judged):
    seen = Counter((c.category, c.mutation) for c, _ in judged)
    assert {c for c, _ in seen} == set(CATEGORIES)
    for category in AST_CATEGORIES:
        for mutation in ("ground truth", "drop a required parameter", "wrong type", "wrong value",
                         "extra parameter", "wrong function", "stringified numbers"):  # fmt: skip
            assert seen[(category, mutation)] > 0, (category, mutation)
    assert all(seen[(c, "swapped parallel order")] > 0 for c in AST_CATEGORIES if "parallel" in c)
    assert all(seen[(c, m)] > 0 for c in IRRELEVANCE for m in ("no call", "a call"))


def test_bfcl_accepts_its_ground_truths_written_out(judged):
    # All but a few rows whose possible answer no call can meet (a required parameter whose only
    # allowed value is "", a dotted name the schema spells otherwise): BFCL's own data.
    truths = [c for c, _ in judged if c.mutation == "ground truth"]
    refused = [c for c in truths if not c.oracle["valid"]]
    assert len(refused) < 0.005 * len(truths)


def test_mutations_are_caught_by_both(judged):
    wrong = ("wrong function", "extra parameter", "drop a required parameter", "extra call", "missing call", "a call")
    assert all(c.oracle["valid"] is False and s == 0.0 for c, s in judged if c.mutation in wrong)


def test_verdicts_agree_except_for_bfcls_greedy_pairing(judged):
    batch = [c for c, _ in judged]
    differ = disagreements(batch, [s for _, s in judged])
    # rewardkit never accepts what BFCL refuses for any reason but the order of the calls ...
    assert all(s == 1.0 and c.oracle["error_type"].endswith(":cannot_find_match") for c, s in differ), [
        (c.id, c.mutation, c.oracle, s) for c, s in differ
    ]
    # ... and BFCL accepts those very calls in some other order.
    reordered = []
    for case, _ in differ:
        for order in itertools.islice(itertools.permutations(case.calls), 1, 5040):
            trial = copy.copy(case)
            trial.calls = list(order)
            reordered.append((case.id, trial))
    oracle([t for _, t in reordered])
    accepted = {case_id for case_id, t in reordered if t.oracle["valid"]}
    assert accepted == {c.id for c, _ in differ}
    assert len(differ) / len(batch) < 0.001
