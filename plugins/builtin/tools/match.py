"""The ``tool_call_match`` reward: the completion's calls against the row's ground truth, as BFCL checks them."""

from __future__ import annotations

from collections import Counter
from typing import Any, Literal, Mapping

from pydantic import Field

from rewardkit.errors import import_optional
from rewardkit.reward import Batch, Reward

from .calls import read_calls
from .checking import ExpectedRule, expected_rule
from .ground_truth import GroundTruthError, read_ground_truth
from .matching import EXTRA_CALL, MatchOptions, match_calls
from .params import ToolSchemas
from .schemas import SchemaError

UNPARSEABLE = "unparseable"


class ToolCallMatchParams(ToolSchemas):
    mode: Literal["strict", "fractional", "f1"] = Field(
        "strict", description="strict: BFCL's all-or-nothing (1/0); fractional: partial credit per call; f1: over calls"
    )
    allow_extra_calls: bool = Field(False, description="calls beyond the expected ones are not held against the completion")
    allow_missing_calls: bool = Field(
        False, description="expected calls not made are not held against it (at least one call must be made)"
    )
    float_tolerance: float = Field(0.0, ge=0, description="a float may differ this much (relative or absolute); 0: exact, as BFCL")
    dots_as_underscores: bool = Field(
        False, description="expect 'a.b' function names as 'a_b' (BFCL's rule for APIs that refuse dots in names)"
    )
    ground_truth_column: str = Field(
        "ground_truth", description="column of the expected calls: BFCL possible answers or exact calls; [] expects none"
    )
    unparseable_score: float = Field(0.0, description="score of a completion with a call that cannot be read")
    repaired_credit: float = Field(
        0.5, ge=0, le=1, description="a completion whose calls needed repair gets this share of its score"
    )


def row_rules(params: ToolCallMatchParams, row: Mapping[str, Any]) -> list[ExpectedRule] | None:
    """The row's expected calls as rules (:func:`.checking.expected_rule`), or None when its
    ground truth or tools cannot be read."""
    try:
        expected = read_ground_truth(row.get(params.ground_truth_column))
        specs = params.specs(row, only={e.name for e in expected})
    except (GroundTruthError, SchemaError):
        return None
    tolerance, dots = params.float_tolerance, params.dots_as_underscores
    return [expected_rule(e, specs.get(e.name), float_tolerance=tolerance, dots_as_underscores=dots) for e in expected]


_UNREAD = object()


class ToolCallMatch(Reward):
    """Function calls checked the way the Berkeley Function Calling Leaderboard checks them.

    The completion's calls (any shape :mod:`.calls` reads) are matched order-free against the
    row's expected calls (``ground_truth``: BFCL's possible answers ``[{"fn": {"param": [allowed
    values]}}]`` with ``""`` marking an optional parameter, or exact ``[{"name", "arguments"}]``),
    with types from the row's function schemas (``tools``). In ``strict`` mode (the default) the
    verdict is BFCL's AST checker's (docs/tools.md lists the deliberate differences);
    ``fractional`` and ``f1`` give partial credit (:mod:`.matching`). A row with ``[]`` expects no
    call and pays 1.0 when none is made.

    A call that cannot be read (malformed JSON, arguments that are not an object, nesting past
    ``max_depth``) scores ``unparseable_score`` (0.0) for the whole completion; with ``repair`` the
    JSON is repaired first and a completion that needed it gets ``repaired_credit`` (0.5) of its
    score. More than ``max_calls`` calls score 0.0 (``extra_call``). A ground truth or tools that
    cannot be read: None (the row cannot be scored), counted as ``bad_row``.

    Reported per sample: ``failure`` (``wrong_function``, ``missing_required``, ``wrong_type``,
    ``wrong_value``, ``unexpected_param``, ``extra_call``, ``missing_call``, ``unparseable`` or
    None) and ``calls`` (how many were made). Counted per batch: each failure name.

    >>> ToolCallMatch()(['<tool_call>{"name": "add", "arguments": {"a": 1, "b": 2}}</tool_call>'],
    ...                 ground_truth=[[{"add": {"a": [1], "b": [2]}}]])
    [1.0]
    """

    name = "tool_call_match"
    description = "the completion's function calls against the row's ground truth (BFCL's checker; strict, fractional or f1)"
    Params = ToolCallMatchParams

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        import_optional("scipy.optimize", "tools", "tool_call_match")  # fail now, not on the first batch
        if self.params.repair:
            import_optional("json_repair", "tools", "tool_call_match with repair: true")

    def required_columns(self) -> tuple[str, ...]:
        return (self.params.ground_truth_column,)

    def score_batch(self, batch: Batch) -> list[float | None]:
        p: ToolCallMatchParams = self.params  # type: ignore[assignment]
        reading = p.read_options()
        options = MatchOptions(p.mode, p.allow_extra_calls, p.allow_missing_calls)
        samples, columns = batch.samples, (p.ground_truth_column, p.tools_column)
        # Each row's rules, read once per batch for each distinct (ground truth, tools): a GRPO
        # batch repeats each row once per completion, as equal JSON text or (verl, lists built
        # in-process) the very same objects. Keyed by value for text, by identity for objects
        # (alive while the batch is scored, so an id stands for one object).
        read_before: dict[tuple[Any, Any], list[ExpectedRule] | None] = {}
        made: list[int | None] = [None] * len(samples)  # reported: calls made, failure
        failures: list[str | None] = [None] * len(samples)
        bad_rows: set[int] = set()

        def score(i: int) -> float | None:
            sample = samples[i]
            row = sample.row
            truth, tools = row.get(columns[0]), row.get(columns[1])
            key = (truth if type(truth) is str else id(truth), tools if type(tools) is str else id(tools))
            rules = read_before.get(key, _UNREAD)
            if rules is _UNREAD:
                rules = read_before[key] = row_rules(p, row)
            if rules is None:
                bad_rows.add(i)
                return None
            calls = read_calls(sample.completion if sample.raw_completion is None else sample.raw_completion, reading)
            made[i] = len(calls)
            if len(calls) > p.max_calls:
                failures[i] = EXTRA_CALL
                return 0.0
            repaired = False
            for call in calls:
                if call.problem is not None:
                    failures[i] = UNPARSEABLE
                    return p.unparseable_score
                repaired = repaired or call.repaired
            value, failures[i] = match_calls(calls, rules, options)
            return value * p.repaired_credit if repaired else value

        # score writes only its own sample's slots, so a second pass after a failure is safe
        scores = self.in_one_pass(batch, lambda: [score(i) for i in range(len(samples))], score)
        if bad_rows:
            batch.count("bad_row", len(bad_rows))
        if any(n is not None for n in made):  # some row could be read
            batch.extra.update(calls=made, failure=failures)
            for failure, times in Counter(f for f in failures if f is not None).items():
                batch.count(failure, times)
        return scores
