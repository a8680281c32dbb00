"""Bad input for the tool rewards: huge argument lists and strings, deep nesting, self-referring
schemas and objects, non-string keys. Each gets its documented score, work grows linearly (CPU
time of 4x the input under 8x, :mod:`_hostile`, or 12x where json.loads itself grows faster), memory stays a small multiple of the input, and
the good sample scored beside it in the same batch is untouched."""

from __future__ import annotations

import json
import tracemalloc

import pytest
from _hostile import FLOOR, GROWTH, MAX_RATIO, cpu_seconds

from rewardkit.plugins.tools import ToolCallFormat, ToolCallMatch, ToolRL

TOOLS = [{"type": "function", "function": {"name": "f", "parameters": {"type": "object", "properties": {"q": {"type": "string"}}, "required": ["q"]}}}]
TRUTH = [{"f": {"q": ["ok"]}}]
GOOD = '<tool_call>{"name": "f", "arguments": {"q": "ok"}}</tool_call>'


def hermes(arguments_json: str) -> str:
    return '<tool_call>{"name": "f", "arguments": ' + arguments_json + "}</tool_call>"


def chat(arguments) -> list:
    return [{"role": "assistant", "content": None, "tool_calls": [{"type": "function", "function": {"name": "f", "arguments": arguments}}]}]


def many_arguments(n: int) -> str:
    return json.dumps({"q": "ok", **{f"p{i}": i for i in range(n)}})


def long_string(chars: int) -> str:
    return json.dumps({"q": "x" * chars})


def deep_text(levels: int) -> str:
    return '{"q": ' + "[" * levels + "]" * levels + "}"


def deep_object(levels: int) -> dict:
    nested: list = []
    for _ in range(levels):
        nested = [nested]
    return {"q": nested}


REWARDS = {
    "tool_call_match": lambda: ToolCallMatch(),
    "tool_call_match fractional, repair": lambda: ToolCallMatch(mode="fractional", repair=True),
    "tool_call_format": lambda: ToolCallFormat(),
    "toolrl": lambda: ToolRL(),
}
# name -> (arguments for a size: JSON text or a mapping, the size)
INPUTS = {
    "10^5 arguments (JSON string)": (many_arguments, 100_000),
    "10^5 arguments (mapping)": (lambda n: json.loads(many_arguments(n)), 100_000),
    "10 MB argument string": (long_string, 10_000_000),
    "deeply nested JSON text": (deep_text, 1_000_000),
    "deeply nested objects": (deep_object, 100_000),
}
# The documented score of each (reward, input): an unexpected parameter, a wrong value or an
# unparseable call scores 0 where the reward checks it; tool_call_format's schema allows extra
# parameters and long strings; fractional credit gives 10^5 arguments 1 right parameter of 100,001.
EXPECTED = {
    "tool_call_match": dict.fromkeys(INPUTS, 0.0),
    "tool_call_match fractional, repair": {**dict.fromkeys(INPUTS, 0.0), **dict.fromkeys(list(INPUTS)[:2], 1 / 100_001)},
    "tool_call_format": {**dict.fromkeys(INPUTS, 0.0), **dict.fromkeys(list(INPUTS)[:3], 1.0)},
}
ANSWER = "<think>a</think>\n<tool_call>\n" + json.dumps({"name": "f", "parameters": {"q": "ok"}}) + "\n</tool_call>"


def completion(reward_name: str, arguments) -> object:
    """The arguments as a call: a chat message (mappings), else ToolRL's text layout for toolrl
    and Hermes text for the others."""
    if isinstance(arguments, dict):
        return chat(arguments)
    return ANSWER.replace('{"q": "ok"}', arguments) if reward_name == "toolrl" else hermes(arguments)


def batch_scores(reward_name: str, bad) -> list:
    good = ANSWER if reward_name == "toolrl" else GOOD
    out = REWARDS[reward_name]().evaluate(
        [good, bad, good], ground_truth=[TRUTH] * 3, tools=[TOOLS] * 3, answer=[ANSWER] * 3
    )
    assert out.errors == []
    return out.scores


@pytest.mark.parametrize("reward_name", sorted(REWARDS))
@pytest.mark.parametrize("input_name", sorted(INPUTS))
def test_documented_score_and_the_batch_untouched(reward_name, input_name):
    make, size = INPUTS[input_name]
    arguments = make(size)
    scores = batch_scores(reward_name, completion(reward_name, arguments))
    best = 4.0 if reward_name == "toolrl" else 1.0
    assert scores[0] == scores[2] == best
    if reward_name == "toolrl":  # verl's score (tests/test_tools_toolrl.py): below the best, never an error
        assert -3.0 <= scores[1] < best
    else:
        assert scores[1] == pytest.approx(EXPECTED[reward_name][input_name])


def allowed_ratio(small_arguments, large_arguments) -> float:
    """MAX_RATIO, or up to 1.5 times it where reading the JSON text itself grows faster than the
    text (json.loads of 10^5 arguments costs 10x that of a quarter of them: CPython's allocator),
    still under the GROWTH**2 a quadratic reader would take."""
    if not isinstance(large_arguments, str):
        return MAX_RATIO
    try:
        small = cpu_seconds(lambda: json.loads(small_arguments), repeat=3)
        large = cpu_seconds(lambda: json.loads(large_arguments), repeat=3)
    except RecursionError:  # too deep for json itself: the rewards refuse it before reading
        return MAX_RATIO
    return MAX_RATIO * min(1.5, max(1.0, large / max(small, FLOOR) / GROWTH))


@pytest.mark.parametrize("input_name", sorted(INPUTS))
def test_work_grows_linearly(input_name):
    make, size = INPUTS[input_name]
    limit = allowed_ratio(make(size // GROWTH), make(size))
    for reward_name in REWARDS:
        small_input = completion(reward_name, make(size // GROWTH))
        large_input = completion(reward_name, make(size))
        small = cpu_seconds(lambda: batch_scores(reward_name, small_input), repeat=3)
        large = cpu_seconds(lambda: batch_scores(reward_name, large_input), repeat=3)
        assert large / max(small, FLOOR) < limit, (reward_name, small, large, limit)


def test_memory_stays_a_small_multiple_of_the_input():
    for reward_name in REWARDS:
        bad = completion(reward_name, long_string(10_000_000))
        tracemalloc.start()
        batch_scores(reward_name, bad)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert peak < 6 * len(bad), (reward_name, peak)


def test_self_referring_arguments_ground_truth_and_schemas_are_bounded():
    loop: dict = {}
    loop["q"] = loop
    assert ToolCallMatch()([chat(loop)], ground_truth=[TRUTH], tools=[TOOLS]) == [0.0]
    truth_loop: list = []
    truth_loop.append(truth_loop)
    assert ToolCallMatch()([GOOD], ground_truth=[[{"f": {"q": truth_loop}}]], tools=[TOOLS]) == [0.0]
    schema_loop: dict = {"type": "object", "properties": {}}
    schema_loop["properties"]["q"] = schema_loop
    tools = [{"type": "function", "function": {"name": "f", "parameters": schema_loop}}]
    out = ToolCallFormat().evaluate([GOOD, GOOD], tools=[tools, TOOLS])
    assert out.scores == [None, 1.0] and out.metrics["bad_schema"] == 1


def test_non_string_keys_are_unparseable_calls():
    out = ToolCallMatch().evaluate([chat({1: "ok"}), chat({("q",): "ok"}), GOOD], ground_truth=[TRUTH] * 3, tools=[TOOLS] * 3)
    assert out.scores == [0.0, 0.0, 1.0] and out.extra["failure"] == ["unparseable", "unparseable", None]
