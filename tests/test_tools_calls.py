"""Reading calls from every shape: chat tool_calls, Hermes text, Responses items, JSON lists; bad JSON."""

from __future__ import annotations

import json

import pytest

from rewardkit.plugins.tools.calls import ReadOptions, read_calls

ADD = {"name": "add", "arguments": {"a": 1, "b": [2, 3]}}


def parsed(completion, **options):
    return [(c.name, c.arguments) for c in read_calls(completion, ReadOptions(**options))]


@pytest.mark.parametrize(
    "completion",
    [
        [{"role": "assistant", "content": None, "tool_calls": [{"type": "function", "function": ADD}]}],
        [{"role": "assistant", "content": "", "tool_calls": [{"type": "function", "function": {**ADD, "arguments": json.dumps(ADD["arguments"])}}]}],
        [{"role": "assistant", "content": None, "function_call": {"name": "add", "arguments": json.dumps(ADD["arguments"])}}],
        [{"type": "reasoning", "summary": []}, {"type": "function_call", "name": "add", "arguments": json.dumps(ADD["arguments"]), "call_id": "c1"}],
        {"id": "resp_1", "output": [{"type": "function_call", "name": "add", "arguments": json.dumps(ADD["arguments"]), "call_id": "c1"}]},
        f"I'll add them.\n<tool_call>\n{json.dumps(ADD)}\n</tool_call>",
        [{"role": "assistant", "content": f"<tool_call>{json.dumps(ADD)}</tool_call>"}],
        json.dumps([ADD]),
        f"```json\n{json.dumps(ADD)}\n```",
        '<tool_call>\n{"name": "add", "parameters": {"a": 1, "b": [2, 3]}}\n</tool_call>',
        [ADD],
    ],
    ids=["trl", "openai-json-string", "legacy-function_call", "responses-items", "responses-object", "hermes",
         "hermes-in-message", "json-list", "fenced-object", "parameters-key", "python-objects"],  # fmt: skip
)
def test_every_shape_reads_the_same_call(completion):
    assert parsed(completion) == [("add", {"a": 1, "b": [2, 3]})]


def test_calls_keep_their_order_across_turns_and_blocks():
    trajectory = [
        {"role": "assistant", "content": "", "tool_calls": [{"type": "function", "function": {"name": "a", "arguments": {}}}]},
        {"role": "tool", "name": "a", "content": "1"},
        {"role": "user", "content": '<tool_call>{"name": "user_text_is_not_a_call", "arguments": {}}</tool_call>'},
        {"role": "assistant", "content": '<tool_call>{"name": "b", "arguments": {}}</tool_call><tool_call>{"name": "c", "arguments": {}}</tool_call>'},
    ]
    assert [name for name, _ in parsed(trajectory)] == ["a", "b", "c"]


def test_toolrl_writes_one_call_per_line_in_one_block():
    text = '<tool_call>\n{"name": "a", "parameters": {}}\n{"name": "b", "parameters": {"x": 1}}\n</tool_call>'
    assert parsed(text) == [("a", {}), ("b", {"x": 1})]


def test_structured_calls_win_over_the_same_calls_in_text():
    message = {"role": "assistant", "content": f"<tool_call>{json.dumps(ADD)}</tool_call>",
               "tool_calls": [{"type": "function", "function": ADD}]}  # fmt: skip
    assert len(read_calls([message])) == 1


@pytest.mark.parametrize(
    "text",
    ["The answer is 42.", "[1] See the reference.", '{"answer": 42}', '[{"city": "Paris"}]', "", "{not json"],
)
def test_prose_and_json_answers_are_no_calls(text):
    assert read_calls(text) == []


@pytest.mark.parametrize(
    "completion, problem",
    [
        ('<tool_call>{"name": "add", "arguments": {"a": 1,}}</tool_call>', "not valid JSON"),
        ('<tool_call>{"name": "add", "arguments": {"a": 1}}', "never closed"),
        ('<tool_call>{"name": "add", "arguments": [1, 2]}</tool_call>', "not an object"),
        ('<tool_call>{"arguments": {}}</tool_call>', "function name"),
        ('[{"name": "add", "arguments": {"a": 1}', "not valid JSON"),
        ([{"role": "assistant", "tool_calls": [{"type": "function", "function": {"name": "add", "arguments": "{a: 1}"}}]}], "not valid JSON"),
        ([{"role": "assistant", "tool_calls": [{"type": "function", "function": {"name": "add", "arguments": {1: "x"}}}]}], "not a string"),
        ([{"role": "assistant", "tool_calls": ["add(1)"]}], "not an object"),
    ],
)
def test_malformed_calls_are_unparseable_never_an_exception(completion, problem):
    calls = read_calls(completion)
    assert len(calls) == 1 and not calls[0].parsed and problem in calls[0].problem


def test_repair_is_opt_in_and_marks_the_call():
    text = '<tool_call>{"name": "add", "arguments": {"a": 1, "b": 2</tool_call>'
    assert not read_calls(text)[0].parsed
    (call,) = read_calls(text, ReadOptions(repair=True))
    assert call.parsed and call.repaired and call.arguments == {"a": 1, "b": 2}


def test_repair_leaves_long_text_unparseable():
    text = '<tool_call>{"name": "add", "arguments": {"a": "' + "x" * 200 + "</tool_call>"
    (call,) = read_calls(text, ReadOptions(repair=True, repair_max_chars=100))
    assert not call.parsed and "not repaired" in call.problem


def test_nesting_past_the_limit_is_unparseable_for_text_and_objects():
    deep_text = '<tool_call>{"name": "f", "arguments": {"x": ' + "[" * 5000 + "]" * 5000 + "}}</tool_call>"
    assert "not valid JSON" in read_calls(deep_text)[0].problem or "deeper" in read_calls(deep_text)[0].problem
    nested: list = []
    for _ in range(100_000):
        nested = [nested]
    message = [{"role": "assistant", "tool_calls": [{"type": "function", "function": {"name": "f", "arguments": {"x": nested}}}]}]
    assert "deeper than 32" in read_calls(message)[0].problem
    assert read_calls(message, ReadOptions(max_depth=200_000))[0].parsed
