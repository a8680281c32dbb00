"""Every built-in reward passes the contract battery (a new built-in must be added here)."""

import pytest

from rewardkit.registry import Registry
from rewardkit.testing import check_reward_contract

# Parameters and one valid value per required column for built-ins that need them.
SETUP = {
    "xml_count": ({}, {}),
    "strict_format": ({}, {}),
    "soft_format": ({}, {}),
    "think_format": ({}, {}),
    "tag_count": ({}, {}),
    "length_target": ({}, {}),
    "soft_overlong": ({}, {}),
    "repetition_penalty": ({}, {}),
    "language_consistency": ({}, {}),
    "math_correctness": ({}, {"answer": "#### 42"}),
    "accuracy": ({}, {"solution": "The answer is $\\boxed{42}$."}),
    "int_answer": ({}, {}),
    "cosine_scaled": ({}, {"answer": "#### 42"}),
    "kimi_length": ({}, {"answer": "#### 42"}),
    "reasoning_steps": ({}, {}),
    "ifeval": ({}, {"instruction_id_list": ["punctuation:no_comma", "detectable_format:title"], "kwargs": [{}, None]}),
    "code_format": ({}, {}),
    "tool_call_match": ({}, {"ground_truth": [{"f": {"a": [1]}}], "tools": [{"name": "f", "parameters": {"type": "dict", "properties": {"a": {"type": "integer"}}, "required": ["a"]}}]}),
    "tool_call_format": ({}, {"tools": [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}]}),
    "tool_use": ({}, {}),
    "toolrl": ({}, {"answer": '<think>a</think>\n<tool_call>\n{"name": "f", "parameters": {"a": 1}}\n</tool_call>'}),
    "reasoning_gym": ({}, {"answer": "42", "metadata": '{"source_dataset": "basic_arithmetic", "source_index": 0}'}),
}
# Built-ins that need a model directory or a server (their contract runs in tests/test_rm_contract.py
# and, the judges against a judge endpoint of the tests' own, tests/test_judge.py) or a code sandbox
# (tests/test_code_rewards.py, skipped where bubblewrap cannot run).
ELSEWHERE = {"rm_score", "rm_remote", "code_pass_rate", "code_passed", "judge_score", "judge_verdict", "rubric", "judge_rank"}


def builtin_rewards():
    registry = Registry(autoload=False)
    return sorted(name for name, e in registry.catalogue("reward").items() if e.provider.startswith("rewardkit."))


def test_every_builtin_is_covered():
    assert sorted(set(SETUP) | ELSEWHERE) == builtin_rewards()


@pytest.mark.parametrize("name", sorted(SETUP))
def test_builtin_keeps_the_contract(name):
    params, columns = SETUP[name]
    reward = Registry(autoload=False).reward(name, params)
    checks = check_reward_contract(reward, columns=columns)
    assert "pickling" in checks and "conversational messages" in checks
