"""tool_call_match: BFCL's rules, the three modes, extra/missing calls, irrelevance rows, failure detail."""

from __future__ import annotations

import json

import pytest

from rewardkit.plugins.tools import ToolCallMatch

WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "parameters": {
            "type": "object",
            "properties": {
                "city": {"type": "string"},
                "days": {"type": "integer"},
                "unit": {"type": "string", "enum": ["c", "f"]},
                "threshold": {"type": "number"},
            },
            "required": ["city"],
        },
    },
}
TIME = {"type": "function", "function": {"name": "get_time", "parameters": {"type": "object", "properties": {"zone": {"type": "string"}}, "required": ["zone"]}}}
TOOLS = [WEATHER, TIME]
PARIS = {"get_weather": {"city": ["Paris", "Paris, France"], "days": [3], "unit": ["c", ""]}}
TOKYO = {"get_time": {"zone": ["Asia/Tokyo"]}}


def call(name: str, **arguments) -> str:
    return f"<tool_call>{json.dumps({'name': name, 'arguments': arguments})}</tool_call>"


def score(completion, ground_truth, tools=TOOLS, **params):
    out = ToolCallMatch(**params).evaluate([completion], ground_truth=[ground_truth], tools=[tools])
    return out.scores[0], out.extra.get("failure", [None])[0]


@pytest.mark.parametrize(
    "completion, failure",
    [
        (call("get_weather", city="Paris", days=3), None),
        (call("get_weather", city="paris,  france", days=3, unit="c"), None),  # BFCL's string normalisation
        (call("get_weather", city="Lyon", days=3), "wrong_value"),
        (call("get_weather", city="Paris", days="3"), "wrong_type"),
        (call("get_weather", city="Paris", days=3.0), "wrong_type"),  # a float is not an integer
        (call("get_weather", city="Paris", days=True), "wrong_type"),  # nor is a bool
        (call("get_weather", days=3), "missing_required"),
        (call("get_weather", city="Paris"), "missing_required"),  # the ground truth lists days without ""
        (call("get_weather", city="Paris", days=3, hourly=True), "unexpected_param"),
        (call("get_weather", city="Paris", days=3, threshold=1.5), "unexpected_param"),  # not in the ground truth
        (call("get_time", zone="Asia/Tokyo"), "wrong_function"),
        ("It is sunny in Paris.", "missing_call"),
        (call("get_weather", city="Paris", days=3) + call("get_time", zone="UTC"), "extra_call"),
        ('<tool_call>{"name": "get_weather", "arguments": {"city": "Paris"</tool_call>', "unparseable"),
    ],
)
def test_strict_verdicts_name_the_failure(completion, failure):
    assert score(completion, [PARIS]) == (1.0 if failure is None else 0.0, failure)


def test_an_int_is_accepted_for_a_float_and_tolerance_is_opt_in():
    gt = [{"get_weather": {"city": ["Paris"], "threshold": [2.0]}}]
    assert score(call("get_weather", city="Paris", threshold=2), gt)[0] == 1.0
    assert score(call("get_weather", city="Paris", threshold=2.0000001), gt)[0] == 0.0
    assert score(call("get_weather", city="Paris", threshold=2.0000001), gt, float_tolerance=1e-6)[0] == 1.0
    assert score(call("get_weather", city="Paris", threshold=2.1), gt, float_tolerance=1e-6)[0] == 0.0


def test_parallel_calls_match_in_any_order():
    gt = [PARIS, TOKYO]
    both = [call("get_weather", city="Paris", days=3), call("get_time", zone="Asia/Tokyo")]
    assert score("".join(both), gt)[0] == 1.0
    assert score("".join(reversed(both)), gt)[0] == 1.0


def test_a_perfect_pairing_is_found_where_a_greedy_one_fails():
    # The first expected call accepts either city, the second only Paris: pairing in order fails.
    gt = [{"get_weather": {"city": ["Paris", "Rome"], "days": [1]}}, {"get_weather": {"city": ["Paris"], "days": [1]}}]
    calls = call("get_weather", city="Paris", days=1) + call("get_weather", city="Rome", days=1)
    assert score(calls, gt)[0] == 1.0


def test_modes_give_partial_credit():
    gt = [PARIS, TOKYO]
    half = call("get_weather", city="Paris", days=4) + call("get_time", zone="Asia/Tokyo")
    strict, fractional, f1 = (score(half, gt, mode=m)[0] for m in ("strict", "fractional", "f1"))
    # fractional: get_weather's 3 parameters (city, days, unit) has 2 right (unit may be left out;
    # days is wrong), get_time 1 of 1
    assert (strict, fractional, f1) == (0.0, pytest.approx((2 / 3 + 1) / 2), pytest.approx(0.5))
    one = call("get_time", zone="Asia/Tokyo")
    assert score(one, gt, mode="fractional")[0] == pytest.approx(0.5)
    assert score(one, gt, mode="f1")[0] == pytest.approx(2 * 1 * 0.5 / 1.5)


def test_extra_and_missing_calls_can_be_allowed():
    extra = call("get_weather", city="Paris", days=3) + call("get_time", zone="UTC")
    assert score(extra, [PARIS], allow_extra_calls=True) == (1.0, None)
    assert score(extra, [PARIS], mode="f1")[0] == pytest.approx(2 / 3)
    assert score(extra, [PARIS], mode="f1", allow_extra_calls=True)[0] == 1.0
    one = call("get_time", zone="Asia/Tokyo")
    assert score(one, [PARIS, TOKYO], allow_missing_calls=True) == (1.0, None)
    assert score("no call at all", [PARIS, TOKYO], allow_missing_calls=True) == (0.0, "missing_call")


@pytest.mark.parametrize("ground_truth", [[], "[]"])
def test_irrelevance_rows_pay_for_not_calling(ground_truth):
    assert score("I can't do that with these tools.", ground_truth) == (1.0, None)
    assert score(call("get_time", zone="UTC"), ground_truth, allow_extra_calls=True) == (0.0, "extra_call")
    assert score('<tool_call>{"name": "get_time"', ground_truth) == (0.0, "unparseable")


def test_bfcl_function_docs_and_exact_calls_are_read_as_they_come():
    bfcl = [{"name": "math.factorial", "description": "", "parameters": {"type": "dict", "properties": {"n": {"type": "integer"}, "scale": {"type": "float"}}, "required": ["n"]}}]
    gt = json.dumps([{"math.factorial": {"n": [5], "scale": ["", 1.0]}}])
    assert score(call("math.factorial", n=5), gt, tools=json.dumps(bfcl))[0] == 1.0
    assert score(call("math.factorial", n=5, scale=1), gt, tools=bfcl)[0] == 1.0
    assert score(call("math_factorial", n=5), gt, tools=bfcl, dots_as_underscores=True)[0] == 1.0
    assert score(call("math.factorial", n=5), gt, tools=bfcl, dots_as_underscores=True)[0] == 0.0
    exact = [{"name": "get_time", "arguments": {"zone": "UTC"}}]
    assert score(call("get_time", zone="utc"), exact)[0] == 1.0


def test_without_schemas_the_ground_truth_gives_the_types():
    gt = [{"get_weather": {"city": ["Paris"], "days": [3], "unit": ["c", ""]}}]
    assert score(call("get_weather", city="Paris", days=3), gt, tools=None)[0] == 1.0
    assert score(call("get_weather", city="Paris", days="3"), gt, tools=None) == (0.0, "wrong_type")
    assert score(call("get_weather", city="Paris"), gt, tools=None) == (0.0, "missing_required")


def test_nested_dicts_and_lists_of_dicts_are_compared_as_bfcl_does():
    tools = [{"name": "book", "parameters": {"type": "dict", "properties": {
        "guest": {"type": "dict"}, "rooms": {"type": "array", "items": {"type": "dict"}}}, "required": ["guest"]}}]  # fmt: skip
    gt = [{"book": {"guest": [{"name": ["Ann Lee"], "vip": [True, ""]}], "rooms": [[{"kind": ["double"]}], ""]}}]
    assert score(call("book", guest={"name": "ann lee"}, rooms=[{"kind": "Double"}]), gt, tools=tools)[0] == 1.0
    assert score(call("book", guest={"name": "Ann Lee", "pets": 1}), gt, tools=tools) == (0.0, "wrong_value")
    assert score(call("book", guest={"name": "Ann Lee"}, rooms=[{"kind": "single"}]), gt, tools=tools) == (0.0, "wrong_value")


def test_repaired_calls_get_partial_credit_only_when_asked():
    broken = '<tool_call>{"name": "get_time", "arguments": {"zone": "Asia/Tokyo"</tool_call>'
    assert score(broken, [TOKYO]) == (0.0, "unparseable")
    assert score(broken, [TOKYO], repair=True) == (0.5, None)
    assert score(broken, [TOKYO], repair=True, repaired_credit=1.0)[0] == 1.0
    assert score(broken, [TOKYO], unparseable_score=-1.0)[0] == -1.0


def test_rows_that_cannot_be_read_are_not_scored_and_counted():
    out = ToolCallMatch().evaluate(
        [call("get_time", zone="UTC")] * 3, ground_truth=["{not json", [{"f": "not a list"}], [TOKYO]], tools=[TOOLS, TOOLS, 42]
    )
    assert out.scores == [None, None, None] and out.metrics["bad_row"] == 3


def test_too_many_calls_are_extra_calls():
    many = call("get_time", zone="Asia/Tokyo") * 300
    assert score(many, [TOKYO], allow_extra_calls=True) == (0.0, "extra_call")


def test_batch_counts_failures_and_notes_calls():
    out = ToolCallMatch().evaluate(
        [call("get_time", zone="Asia/Tokyo"), "none", call("get_time", zone="UTC") * 2],
        ground_truth=[[TOKYO]] * 3, tools=[TOOLS] * 3,
    )  # fmt: skip
    assert out.scores == [1.0, 0.0, 0.0]
    assert out.extra["calls"] == [1, 0, 2]
    assert out.metrics == {"missing_call": 1, "extra_call": 1}
