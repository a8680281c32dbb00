"""The ``tool_call_format`` reward: the calls parse, name a declared function and fit its JSON schema."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any, Literal

from pydantic import Field

from rewardkit.errors import import_optional
from rewardkit.reward import Batch, Reward

from .calls import Call, read_calls
from .checking import MISSING_REQUIRED, UNEXPECTED_PARAM, WRONG_TYPE, WRONG_VALUE
from .params import ToolSchemas
from .schemas import FunctionSpec, SchemaError, json_schema

UNPARSEABLE = "unparseable"
UNKNOWN_FUNCTION = "unknown_function"
NO_CALL = "no_call"
# jsonschema's validator keywords as the failure names tool_call_match uses.
FAILURES = {
    "required": MISSING_REQUIRED,
    "type": WRONG_TYPE,
    "additionalProperties": UNEXPECTED_PARAM,
    "unevaluatedProperties": UNEXPECTED_PARAM,
}
VALIDATORS_KEPT = 256  # compiled validators cached per process (rows usually share a few schemas)


class ToolCallFormatParams(ToolSchemas):
    mode: Literal["all", "share"] = Field("all", description="all: 1 when every call is valid, else 0; share: the valid calls' share")
    no_call_score: float | None = Field(
        0.0, description="score of a completion that makes no call (None: not scored, e.g. for rows that expect none)"
    )


class ToolCallFormat(Reward):
    """Well-formed calls: each parses, names a function the row declares, and its arguments
    validate against that function's parameters schema (the ``jsonschema`` library, the schema's
    own draft; BFCL's type names read as JSON Schema's).

    A completion without calls scores ``no_call_score`` (0.0). A schema that is not valid JSON
    Schema, refers to itself without end (``$ref`` loops) or cannot be resolved makes the row
    unscorable (None, counted as ``bad_schema``): the dataset is at fault, not the completion.
    Arguments nested past ``max_depth`` are unparseable, so validation depth stays bounded.

    Reported per sample: ``failure`` (``unparseable``, ``unknown_function``, ``missing_required``,
    ``wrong_type``, ``unexpected_param``, ``wrong_value``, ``no_call`` or None). Counted: each failure.

    >>> tools = [{"type": "function", "function": {"name": "add", "parameters": {"type": "object",
    ...     "properties": {"a": {"type": "integer"}}, "required": ["a"]}}}]
    >>> ToolCallFormat(tools=tools)(['<tool_call>{"name": "add", "arguments": {"a": "1"}}</tool_call>'])
    [0.0]
    """

    name = "tool_call_format"
    description = "1 when every call parses, names a declared function and validates against its JSON schema"
    Params = ToolCallFormatParams

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        import_optional("jsonschema", "tools", "tool_call_format")
        if self.params.repair:
            import_optional("json_repair", "tools", "tool_call_format with repair: true")

    def required_columns(self) -> tuple[str, ...]:
        return () if self.params.tools is not None else (self.params.tools_column,)

    def score_batch(self, batch: Batch) -> list[float | None]:
        return [self.guarded(batch, i, self._score_one, batch, i) for i in range(len(batch))]

    def _score_one(self, batch: Batch, i: int) -> float | None:
        p: ToolCallFormatParams = self.params  # type: ignore[assignment]
        sample = batch.samples[i]
        try:
            specs = p.specs(sample.row)
        except SchemaError:
            batch.count("bad_schema")
            return None
        calls = read_calls(sample.completion if sample.raw_completion is None else sample.raw_completion, p.read_options())
        if not calls:
            return self._noted(batch, i, NO_CALL, p.no_call_score)
        if len(calls) > p.max_calls:
            return self._noted(batch, i, UNPARSEABLE, 0.0)
        failures = []
        for call in calls:
            failure = self._check(call, specs)
            if failure == "bad_schema":
                batch.count("bad_schema")
                return None
            failures.append(failure)
        wrong = [f for f in failures if f is not None]
        score = (0.0 if wrong else 1.0) if p.mode == "all" else 1.0 - len(wrong) / len(failures)
        return self._noted(batch, i, wrong[0] if wrong else None, score)

    def _check(self, call: Call, specs: dict[str, FunctionSpec]) -> str | None:
        if not call.parsed:
            return UNPARSEABLE
        spec = specs.get(call.name or "")
        if spec is None:
            return UNKNOWN_FUNCTION
        validator = _validator(spec)
        if validator is None:
            return "bad_schema"
        from jsonschema.exceptions import best_match

        try:
            error = best_match(validator.iter_errors(call.arguments))
        except RecursionError:  # the instance is bounded (max_depth): the schema refers to itself without end
            return "bad_schema"
        except Exception as exc:  # noqa: BLE001 - an unresolvable $ref surfaces as the referencing library's own error
            if type(exc).__module__.startswith(("referencing", "jsonschema")):
                return "bad_schema"
            raise
        if error is None:
            return None
        return FAILURES.get(str(error.validator), WRONG_VALUE)

    @staticmethod
    def _noted(batch: Batch, i: int, failure: str | None, score: float | None) -> float | None:
        if failure is not None:
            batch.count(failure)
        batch.note("failure", i, failure)
        return score


def _validator(spec: FunctionSpec) -> Any:
    """The compiled validator of a function's parameters schema (None: the schema is invalid)."""
    try:
        key = json.dumps(json_schema(dict(spec.parameters)), sort_keys=True)
    except (TypeError, ValueError, RecursionError):
        return None
    return _compiled(key)


@lru_cache(maxsize=VALIDATORS_KEPT)
def _compiled(schema_json: str) -> Any:
    jsonschema = import_optional("jsonschema", "tools", "tool_call_format")
    schema = json.loads(schema_json)
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    try:
        cls.check_schema(schema)
    except (jsonschema.exceptions.SchemaError, RecursionError):
        return None
    return cls(schema)
