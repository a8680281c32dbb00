"""A row's expected calls: BFCL's possible answers, or exact calls.

BFCL's possible-answer format lists, per expected call, each parameter's allowed values:
``[{"fn": {"param": [value, ...]}}]``, where ``""`` among the values means the parameter may be
left out; an empty list means no call is expected (BFCL's irrelevance rows). Exact calls
``[{"name": "fn", "arguments": {...}}]`` (xLAM, NeMo Gym's ``expected_call``) are read as possible
answers with one allowed value per given parameter. Either may be a JSON string, a single call,
or BFCL's whole possible-answer row (``{"id", "ground_truth"}``).
"""

from __future__ import annotations

import json
from typing import Any, Mapping, NamedTuple


class GroundTruthError(ValueError):
    """The row's ground truth cannot be read as expected calls."""


class ExpectedCall(NamedTuple):
    """One expected call: the function's name and each parameter's allowed values."""

    name: str
    allowed: Mapping[str, list[Any]]


def read_ground_truth(value: Any) -> list[ExpectedCall]:
    """The expected calls of a row (empty: no call is expected)."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except (ValueError, RecursionError) as exc:
            raise GroundTruthError(f"the ground truth is not valid JSON ({type(exc).__name__})") from None
    if isinstance(value, dict) and "ground_truth" in value:
        value = value["ground_truth"]
    if isinstance(value, dict):
        value = [value]
    if not isinstance(value, (list, tuple)):
        raise GroundTruthError(f"the ground truth is {type(value).__name__}, not a list of calls")
    return [_expected(item, i) for i, item in enumerate(value)]


def _expected(item: Any, index: int) -> ExpectedCall:
    if isinstance(item, dict) and isinstance(item.get("name"), str) and ("arguments" in item or "parameters" in item):
        arguments = item["arguments"] if "arguments" in item else item["parameters"]
        if isinstance(arguments, str):
            try:
                arguments = json.loads(arguments)
            except (ValueError, RecursionError):
                raise GroundTruthError(f"expected call {index}: its arguments are not valid JSON") from None
        if not isinstance(arguments, dict):
            raise GroundTruthError(f"expected call {index}: its arguments are not an object")
        return ExpectedCall(item["name"], {k: [v] for k, v in arguments.items()})
    if not (isinstance(item, dict) and len(item) == 1):
        raise GroundTruthError(f"expected call {index} is not {{function name: {{parameter: [allowed values]}}}}")
    (name, params), = item.items()
    if not isinstance(params, dict) or not _all_lists(params):
        raise GroundTruthError(f"expected call {index} ('{name}'): each parameter needs a list of allowed values")
    return ExpectedCall(str(name), params)


def _all_lists(params: dict[Any, Any]) -> bool:
    for values in params.values():
        if not isinstance(values, list):
            return False
    return True
