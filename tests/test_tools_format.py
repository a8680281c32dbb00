"""tool_call_format: calls parse, name a declared function and validate against its JSON schema."""

from __future__ import annotations

import json

import pytest

from rewardkit.plugins.tools import ToolCallFormat

SEARCH = {
    "type": "function",
    "function": {
        "name": "search",
        "parameters": {
            "type": "object",
            "properties": {"query": {"type": "string", "minLength": 1}, "limit": {"type": "integer", "maximum": 50}},
            "required": ["query"],
            "additionalProperties": False,
        },
    },
}


def call(name: str, **arguments) -> str:
    return f"<tool_call>{json.dumps({'name': name, 'arguments': arguments})}</tool_call>"


def judged(completions, tools=(SEARCH,), **params):
    out = ToolCallFormat(**params).evaluate(completions, tools=[list(tools)] * len(completions))
    return out.scores, out.extra["failure"]


def test_each_failure_is_named():
    scores, failures = judged([
        call("search", query="cats", limit=5),
        call("search", limit=5),
        call("search", query=5),
        call("search", query="cats", page=2),
        call("search", query="cats", limit=500),
        call("browse", query="cats"),
        '<tool_call>{"name": "search", "arguments": {"query": </tool_call>',
        "no call here",
    ])  # fmt: skip
    assert scores == [1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]
    assert failures == [None, "missing_required", "wrong_type", "unexpected_param", "wrong_value",
                        "unknown_function", "unparseable", "no_call"]  # fmt: skip


def test_share_mode_and_no_call_score():
    two = call("search", query="a") + call("search", query=1)
    assert judged([two], mode="share")[0] == [0.5]
    assert judged(["plain answer"], no_call_score=None)[0] == [None]
    assert judged(["plain answer"], no_call_score=0.25)[0] == [0.25]


def test_bfcl_types_are_read_as_json_schema():
    bfcl = {"name": "area", "parameters": {"type": "dict", "properties": {
        "side": {"type": "float"}, "pts": {"type": "tuple", "items": {"type": "integer"}}, "tag": {"type": "any"}}, "required": ["side"]}}  # fmt: skip
    scores, _ = judged([call("area", side=2), call("area", side=2.5, pts=[1, 2], tag=[1]), call("area", side="2")], tools=[bfcl])
    assert scores == [1.0, 1.0, 0.0]


def test_static_tools_parameter_needs_no_column():
    reward = ToolCallFormat(tools=[SEARCH])
    assert reward.required_columns() == ()
    assert reward([call("search", query="x")]) == [1.0]


@pytest.mark.parametrize(
    "parameters",
    [
        {"$ref": "#"},
        {"$defs": {"a": {"$ref": "#/$defs/b"}, "b": {"$ref": "#/$defs/a"}}, "$ref": "#/$defs/a"},
        {"type": "object", "properties": {"q": {"$ref": "#/$defs/missing"}}},
        {"type": "not-a-type"},
    ],
    ids=["self", "loop", "unresolvable", "invalid"],
)
def test_broken_schemas_leave_the_row_unscored_and_the_batch_intact(parameters):
    tools = [[{"type": "function", "function": {"name": "f", "parameters": parameters}}], [SEARCH]]
    out = ToolCallFormat().evaluate([call("f", q="x"), call("search", query="ok")], tools=tools)
    assert out.scores == [None, 1.0] and out.metrics["bad_schema"] == 1 and out.errors == []


def test_repair_and_depth_bounds():
    broken = '<tool_call>{"name": "search", "arguments": {"query": "cats"</tool_call>'
    assert judged([broken])[0] == [0.0]
    assert judged([broken], repair=True)[0] == [1.0]
    deep = {"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}
    nested: dict = {}
    for _ in range(40):
        nested = {"x": nested}
    assert judged([call("f", **nested)], tools=[deep]) == ([0.0], ["unparseable"])
    assert judged([call("f", **nested)], tools=[deep], max_depth=64) == ([1.0], [None])
