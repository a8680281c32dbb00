"""The open-r1 / TRL parity rewards, held to the upstream projects' own test expectations.

Facts reproduced (inputs and expected scores): open-r1's tests/test_rewards.py (commit 031ec05:
``test_reasoning_steps_reward``, ``test_cosine_scaled_reward``, lengths in characters there),
TRL 1.16's docstring examples (``get_cosine_scaled_reward``, lengths in tokens) and the
behaviour of TRL's ``think_format_reward`` and ``reasoning_accuracy_reward``; bench/parity_bench.py
scores a generated corpus with the installed TRL's functions beside these.
"""

from __future__ import annotations

import pytest

from rewardkit import get_reward


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Step 1: First step\nStep 2: Second step\nStep 3: Third step", 1.0),
        ("First, we do this.\nSecond, we do that.\nFinally, we conclude.", 1.0),
        ("Step 1: Only step", 1 / 3),
        ("First, we do this.\nFinally, we conclude.", 2 / 3),
        ("Just plain text without any clear steps", 0.0),
    ],
)
def test_reasoning_steps_as_open_r1_tests_it(text, expected):
    assert get_reward("reasoning_steps")([text]) == [pytest.approx(expected)]


@pytest.mark.parametrize(
    "content, length, expected",
    [
        (r"\boxed{\frac{63}{400}}", 20, 0.943),
        (r"\boxed{\frac{63}{400}}", 80, 0.547),
        (r"\boxed{\frac{64}{400}}", 20, -0.942),
        (r"\boxed{\frac{64}{400}}", 80, -0.547),
    ],
)
def test_cosine_scaled_as_open_r1_tests_it(content, length, expected):
    reward = get_reward("cosine_scaled", max_len=100, unit="chars")
    padded = content + " " * (length - len(content))
    assert reward([padded], solution=[r"\frac{63}{400}"]) == [pytest.approx(expected, abs=0.005)]


def test_cosine_scaled_as_trl_documents_it():
    reward = get_reward("cosine_scaled", max_len=100)
    completions = [[{"role": "assistant", "content": r"\boxed{\frac{1}{3}}"}], [{"role": "assistant", "content": r"\boxed{\frac{1}{2}}"}]]
    assert reward(completions, solution=[r"\frac{1}{3}"] * 2, completion_ids=[[1] * 50] * 2) == [0.75, -0.75]


def test_cosine_scaled_stays_at_the_long_bound_past_max_len_and_skips_unreadable_golds():
    reward = get_reward("cosine_scaled", max_len=10, unit="chars")
    long_right = r"\boxed{4}" + " " * 100
    assert reward([long_right], answer=["#### 4"]) == [pytest.approx(0.5)]
    assert reward([r"\boxed{4}"], answer=[None]) == [None]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("<think>\nThis is my reasoning.\n</think>\nThis is my answer.", 1.0),
        ("<think>This is my reasoning.</think>", 1.0),
        ("This is my reasoning.</think>This is my answer.", 0.0),
        ("<think>\nThis is my reasoning.\nThis is my answer.", 0.0),
        ("<think>\nThis is my reasoning.\n</think>\n<think>This is another thought.</think>", 0.0),
        ("This is my answer.\n<think>\nThis is my reasoning.\n</think>", 0.0),
    ],
)
def test_think_format_without_answer_tag_is_trls_think_format_reward(text, expected):
    assert get_reward("think_format", answer_tag=None)([text]) == [expected]


def test_reasoning_delimiters_score_only_the_text_after_the_reasoning():
    reward = get_reward("math_correctness", reasoning_delimiters=["</think>"])
    texts = [
        r"<think>maybe \boxed{5}</think> The answer is \boxed{4}",
        r"<think>it is \boxed{4}</think> so \boxed{5}",
        r"The answer is \boxed{4}",  # no delimiter: incomplete reasoning, wrong (TRL: 0.0)
    ]
    out = reward.evaluate(texts, answer=["#### 4"] * 3)
    assert out.scores == [1.0, 0.0, 0.0]
    assert out.extra["verdict"][2] == "incomplete_reasoning"


def test_kimi_length_ranks_lengths_within_each_prompt_group():
    reward = get_reward("kimi_length")
    completions = [r"\boxed{4}", r"so it is \boxed{4}", r"wrong \boxed{5}", r"a \boxed{4}", r"b \boxed{4}"]
    scores = reward(completions, prompts=["p", "p", "p", "q", "q"], answer=["#### 4"] * 5)
    # group p: lengths 9, 18, 15 -> lambda 0.5, -0.5, -1/6 (wrong: min(0, lambda)); group q: one length -> 0
    assert scores == [pytest.approx(0.5), pytest.approx(-0.5), pytest.approx(-1 / 6), 0.0, 0.0]
    assert reward([r"\boxed{4}", r"long \boxed{3}"], answer=["#### 4", None]) == [pytest.approx(0.5), None]
