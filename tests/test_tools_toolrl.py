"""toolrl against verl's own ``rlla.compute_score`` (run in verl's environment), and its bounds."""

from __future__ import annotations

import pytest
from _toolrl_cases import BUILD, cases, oracle, python

from rewardkit.plugins.tools import ToolRL

GOLD = '<think>plan</think>\n<tool_call>\n{"name": "search", "parameters": {"query": "Paris"}}\n</tool_call>'


@pytest.mark.skipif(python() is None, reason=f"verl's rlla.py runs in verl's environment; build it with: {BUILD}")
def test_scores_equal_verls_on_generated_cases():
    batch = cases(3000)
    verl = oracle(batch)
    ours = ToolRL().evaluate([c["completion"] for c in batch], answer=[c["ground_truth"] for c in batch])
    assert not any("error" in v for v in verl)
    for i, v in enumerate(verl):
        assert ours.scores[i] == pytest.approx(v["score"], abs=1e-9), batch[i]
        assert ours.extra["format_reward"][i] == pytest.approx(v["format_reward"], abs=1e-9)
        assert ours.extra["accuracy_reward"][i] == pytest.approx(v["accuracy_reward"], abs=1e-9)
    # the cases reach every part of the reward: both layouts verdicts, exact, partial and failed calls
    accuracy = set(ours.extra["accuracy_reward"])
    assert {0.0, 1.0, 3.0, -3.0} <= set(ours.extra["format_reward"]) | accuracy and len(accuracy) > 20


def test_parts_and_error_score():
    made = GOLD.replace("Paris", "Lyon")
    both, fmt, correct = (ToolRL(part=p)([made], answer=[GOLD])[0] for p in ("both", "format", "correctness"))
    assert fmt == 1.0 and both == pytest.approx(fmt + correct) and -3.0 < correct < 3.0
    assert ToolRL().error_value() == -3.0 and ToolRL(part="format").error_value() == 0.0


def test_unreadable_ground_truth_is_not_scored():
    out = ToolRL().evaluate(["<think>x</think>"] * 2, answer=["<tool_call>\nnot json\n</tool_call>", None])
    assert out.scores == [None, None] and out.metrics["bad_answer"] == 2


def test_hostile_layouts_are_linear():
    # verl's patterns backtrack over repeated tags; checked after the tag counts they stay linear
    text = "<think>" + "</think>\n<response>" * 50_000
    assert ToolRL()([text], answer=["<think>a</think>\n<response>b</response>"]) == [0.0]
