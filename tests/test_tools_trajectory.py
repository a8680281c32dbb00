"""Trajectories: completions that are whole conversations, their final answer, tool_use, and TRL environments."""

from __future__ import annotations

import json

import pytest

from rewardkit.composition_loader import load_composition
from rewardkit.plugins.tools import ToolUse
from rewardkit.registry import get_reward
from rewardkit.text import completion_text, final_answer, is_trajectory
from rewardkit.trainers.policy.environments import RewardkitEnvironment


def calling(name: str, **arguments) -> dict:
    return {"role": "assistant", "content": "", "tool_calls": [{"type": "function", "function": {"name": name, "arguments": arguments}}]}


def tool(content: str, **extra) -> dict:
    return {"role": "tool", "content": content, **extra}


def answer(text: str) -> dict:
    return {"role": "assistant", "content": text}


TRAJECTORY = [
    {"role": "assistant", "content": "Let me compute 6 x 7 first, roughly 40.", "tool_calls": calling("mul", a=6, b=7)["tool_calls"]},
    tool("42"),
    answer("The answer is \\boxed{42}."),
]
RESPONSES = [
    {"type": "reasoning", "summary": []},
    {"type": "function_call", "name": "mul", "arguments": '{"a": 6, "b": 7}', "call_id": "c1"},
    {"type": "function_call_output", "call_id": "c1", "output": "42"},
    {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "It is 42."}]},
]


def test_the_text_of_a_trajectory_is_its_final_answer():
    assert is_trajectory(TRAJECTORY) and completion_text(TRAJECTORY) == "The answer is \\boxed{42}."
    assert completion_text(RESPONSES) == "It is 42."
    assert completion_text(TRAJECTORY[:2]) == ""  # stopped before answering
    assert completion_text([answer("a"), {"role": "user", "content": "more?"}, answer("b")]) == "b"
    plain = [answer("a"), answer("b")]
    assert not is_trajectory(plain) and completion_text(plain) == "ab"
    assert final_answer([]) == ""


def test_every_reward_reads_the_final_answer():
    math = get_reward("math_correctness")
    assert math([TRAJECTORY], answer=["#### 42"]) == [2.0 if math.params.correct == 2.0 else math.params.correct]
    wrong = [*TRAJECTORY[:2], answer("The answer is \\boxed{40}.")]
    assert math([wrong], answer=["#### 42"]) == [0.0]


def test_tool_use_counts_and_penalties():
    trajectory = [
        calling("search", q="x"), tool("{'error': 'Tool search not found.'}"),
        calling("search", q="x"), tool("Error executing tool 'search': timeout"),
        calling("lookup", q="y"), tool("found", is_error=True),
        calling("lookup", q="z"), tool("ok: error rates are low"),
        answer("done"),
    ]  # fmt: skip
    out = ToolUse(turn_penalty=0.1, max_penalty=5.0).evaluate([trajectory])
    detail = {k: v[0] for k, v in out.extra.items()}
    assert detail == {"turns": 5, "calls": 4, "failed_calls": 3, "repeated_calls": 1, "unparseable_calls": 0}
    assert out.scores == [pytest.approx(-(3 * 0.25 + 0.25 + 4 * 0.1))]
    assert ToolUse()([trajectory]) == [-1.0]  # capped at max_penalty


def test_tool_use_reads_every_shape():
    assert ToolUse(no_call_penalty=0.5)(["just an answer"]) == [-0.5]
    out = ToolUse().evaluate([RESPONSES, '<tool_call>{"name": "f", "arguments": {}}</tool_call>\n<tool_response>\nError: no such file\n</tool_response>'])
    assert out.extra["turns"] == [2, 1] and out.extra["calls"] == [1, 1] and out.extra["failed_calls"] == [0, 1]
    broken = [{"role": "assistant", "content": '<tool_call>{"name": "f", "arguments": {</tool_call>'}]
    assert ToolUse().evaluate([broken]).extra["unparseable_calls"] == [1]


def test_error_pattern_is_a_parameter():
    custom = ToolUse(error_pattern=r"\s*FAILED")
    assert custom([[calling("f"), tool("FAILED: disk"), calling("g"), tool("Error: x")]]) == [-0.25]
    with pytest.raises(Exception, match="not a regular expression"):
        ToolUse(error_pattern="(")


def test_a_trajectory_scores_with_the_row_in_a_composition():
    composition = load_composition({"rewards": [
        {"name": "tool_call_match", "params": {"allow_extra_calls": True}},
        {"name": "tool_use", "weight": 1.0},
        {"name": "math_correctness", "weight": 0.5},
    ]})  # fmt: skip
    scores = composition.score([TRAJECTORY], ground_truth=[[{"mul": {"a": [6], "b": [7]}}]], answer=["#### 42"])
    assert scores.components["tool_call_match"] == [1.0] and scores.components["tool_use"] == [0.0]
    assert scores.total == [pytest.approx(1.0 + 0.5 * composition.components[2].reward.params.correct)]


class Calculator(RewardkitEnvironment):
    composition = {"rewards": [{"name": "tool_call_match"}, {"name": "tool_use"}]}

    def reset(self, **row):
        self.memory = 0
        return "You have a calculator."

    def mul(self, a: int, b: int) -> int:
        """Multiply two integers.

        Args:
            a: the first factor
            b: the second factor
        """
        return a * b

    def div(self, a: int, b: int) -> float:
        """Divide.

        Args:
            a: the dividend
            b: the divisor
        """
        return a / b


def test_an_environment_records_calls_and_scores_them_with_its_composition():
    env = Calculator()
    assert env.reset(prompt=[], ground_truth=json.dumps([{"mul": {"a": [6], "b": [7]}}])) == "You have a calculator."
    assert env.mul(a=6, b=7) == 42
    assert env.get_reward() == 1.0
    with pytest.raises(ZeroDivisionError):
        env.div(a=1, b=0)
    assert env.trajectory[-1] == {"role": "tool", "name": "div", "content": "{'error': 'division by zero'}"}
    assert env.get_reward() == pytest.approx(0.0 - 0.25)  # an extra call, which failed
    env.reset(ground_truth="[]")
    assert env.trajectory == [] and env.get_reward() == 1.0  # no call made: right for this row


def test_trl_sees_the_tools_as_written():
    from transformers.utils import get_json_schema

    schema = get_json_schema(Calculator().mul)
    assert schema["function"]["name"] == "mul"
    assert schema["function"]["parameters"]["required"] == ["a", "b"]
    assert schema["function"]["parameters"]["properties"]["a"]["type"] == "integer"


def test_async_tools_stay_coroutine_functions_and_are_recorded():
    import asyncio
    import inspect

    class Lookup(RewardkitEnvironment):
        composition = {"rewards": [{"name": "tool_use"}]}

        async def find(self, key: str) -> str:
            """Find a key.

            Args:
                key: the key
            """
            if key == "missing":
                raise KeyError(key)
            return key.upper()

    env = Lookup()
    env.reset()
    assert inspect.iscoroutinefunction(Lookup.find)
    assert asyncio.run(env.find("a")) == "A"
    with pytest.raises(KeyError):
        asyncio.run(env.find(key="missing"))
    assert [m["role"] for m in env.trajectory] == ["assistant", "tool", "assistant", "tool"]
    assert env.trajectory[2]["tool_calls"][0]["function"]["arguments"] == {"key": "missing"}
    assert env.get_reward() == -0.25
