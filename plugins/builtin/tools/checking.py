"""One call against one expected call, with BFCL's rules (its ``simple_function_checker``).

The verdict is BFCL's AST checker's, in its order: the function name; every parameter the schema
requires present; each given parameter declared by the schema and by the possible answer, of the
schema's type and of an allowed value; every parameter the possible answer lists without ``""``
given. Types come from the schema (BFCL's and JSON Schema's names): an int is accepted for a float
(at the top level, not inside lists), a bool never for an int, ``any`` means a string (as in
BFCL); a value of another type than the schema's is accepted when it has the allowed values' type
(BFCL's "variable" rule). Strings are compared after BFCL's normalisation (case, spaces and
``,./-_*^`` removed, ``'`` as ``"``), also inside lists and dicts; lists, dicts and lists of dicts
as BFCL compares them (one level of nested types). ``float_tolerance`` (0: exact, as BFCL) lets a
float differ from an allowed number by that much, relatively or absolutely.

Without a schema for the function, the possible answer stands in for it: its parameters are the
declared ones, those without ``""`` the required ones, and each one's type is its allowed values'.

Besides the first failure, a check counts the parameters that are right (given and valid, or
left out where that is allowed), the partial credit of the ``fractional`` mode.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, Mapping

from .calls import Call
from .ground_truth import ExpectedCall
from .schemas import FunctionSpec

# Schema type names (BFCL's and JSON Schema's) as the Python type a JSON value of it has.
PYTHON_TYPES: dict[str, type] = {
    "string": str,
    "integer": int,
    "float": float,
    "number": float,
    "boolean": bool,
    "array": list,
    "tuple": list,
    "dict": dict,
    "object": dict,
    "any": str,  # BFCL's mapping: "any" is checked as a string
    "null": type(None),
}
NESTED = ("array", "tuple")  # types whose items' type BFCL checks (one level deep)
FLOATS = ("float", "number")
# Failure names, in the order the per-call check finds them.
WRONG_FUNCTION = "wrong_function"
MISSING_REQUIRED = "missing_required"
UNEXPECTED_PARAM = "unexpected_param"
WRONG_TYPE = "wrong_type"
WRONG_VALUE = "wrong_value"

_STRIPPED = re.compile(r"[ ,./\-_*^]")


def standardize(text: str) -> str:
    """BFCL's string normalisation: spaces and ``,./-_*^`` removed, lower case, ``'`` as ``"``."""
    return _STRIPPED.sub("", text).lower().replace("'", '"')


@dataclass(frozen=True)
class CallCheck:
    """The verdict on one (call, expected call) pair."""

    failure: str | None  # None: the call is right
    right: int  # parameters right
    total: int  # parameters considered

    @property
    def credit(self) -> float:
        """The share of the call that is right: 0 for another function, else its parameters' share."""
        if self.failure == WRONG_FUNCTION:
            return 0.0
        return 1.0 if self.total == 0 else self.right / self.total


def check_call(
    call: Call,
    expected: ExpectedCall,
    spec: FunctionSpec | None,
    *,
    float_tolerance: float = 0.0,
    dots_as_underscores: bool = False,
) -> CallCheck:
    """``call`` (parsed) against ``expected``, with the expected function's ``spec`` when declared."""
    name = expected.name.replace(".", "_") if dots_as_underscores else expected.name
    if call.name != name:
        return CallCheck(WRONG_FUNCTION, 0, 0)
    allowed = expected.allowed
    arguments = call.arguments or {}
    universe = {**dict.fromkeys(allowed), **dict.fromkeys(arguments)}
    if spec is None:
        properties: Mapping[str, Any] = {k: {"type": _type_of(v)} for k, v in allowed.items()}
        required: tuple[str, ...] = tuple(k for k, v in allowed.items() if "" not in v)
    else:
        properties, required = spec.properties, spec.required
    universe.update(dict.fromkeys(required))
    failures: list[str] = [MISSING_REQUIRED for p in required if p not in arguments][:1]
    right = 0
    for param, value in arguments.items():
        if param not in properties or param not in allowed:
            failures.append(UNEXPECTED_PARAM)
            continue
        problem = check_value(value, allowed[param], properties[param], float_tolerance)
        if problem is None:
            right += 1
        else:
            failures.append(problem)
    for param in universe:
        if param not in arguments and param not in required and "" in allowed.get(param, [""]):
            right += 1
    failures += [MISSING_REQUIRED for p, values in allowed.items() if p not in arguments and "" not in values][:1]
    return CallCheck(failures[0] if failures else None, right, len(universe))


def _type_of(values: list[Any]) -> str | None:
    """The schema type that stands in for a parameter without a schema: its allowed values' type."""
    for value in values:
        if value != "":
            for name in ("boolean", "integer", "float", "string", "array", "dict", "null"):
                if type(value) is PYTHON_TYPES[name]:
                    return name
            return None
    return None


def check_value(value: Any, allowed: list[Any], schema: Any, float_tolerance: float = 0.0) -> str | None:
    """``wrong_type``, ``wrong_value`` or None for one parameter's value (BFCL's order of checks)."""
    kind = _schema_type(schema, value)
    expected = PYTHON_TYPES.get(kind) if isinstance(kind, str) else None
    nested = None
    if kind in NESTED and isinstance(schema, dict) and isinstance(schema.get("items"), dict):
        nested = PYTHON_TYPES.get(schema["items"].get("type"))
    if kind in FLOATS and type(value) is int:
        value = float(value)  # BFCL: Python converts an int to a float
    is_variable = False
    if expected is not None:
        valid, is_variable = _type_check(value, allowed, expected, nested)
        if not valid:
            return WRONG_TYPE
    if is_variable:
        return None if _contains(allowed, value) else WRONG_VALUE
    if expected is dict:
        ok = isinstance(value, dict) and _dict_matches(value, allowed)
    elif expected is list and nested is dict:
        ok = _list_of_dicts_matches(value, allowed)
    elif expected is str or (expected is None and isinstance(value, str)):
        ok = standardize(value) in [standardize(a) for a in allowed if type(a) is str]
    elif expected is list:
        ok = _list_matches(value, allowed)
    else:
        ok = _contains(allowed, value) or (float_tolerance > 0 and _close(value, allowed, float_tolerance))
    return None if ok else WRONG_VALUE


def _schema_type(schema: Any, value: Any) -> Any:
    """The parameter's type name; of a list of names (JSON Schema), the one the value has, else the first."""
    kind = schema.get("type") if isinstance(schema, dict) else None
    if isinstance(kind, list):
        names = [k for k in kind if isinstance(k, str)]
        fitting = [k for k in names if type(value) is PYTHON_TYPES.get(k) or (k in FLOATS and type(value) is int)]
        return (fitting or names or [None])[0]
    return kind


def _first_type(allowed: list[Any]) -> type | None:
    """The type of the first allowed value that is not ``""`` (BFCL's ``get_possible_answer_type``)."""
    for value in allowed:
        if value != "":
            return type(value)
    return None


def _type_check(value: Any, allowed: list[Any], expected: type, nested: type | None) -> tuple[bool, bool]:
    """BFCL's ``type_checker``: (valid, is_variable)."""
    answer_type = _first_type(allowed)
    is_variable = answer_type is not None and answer_type is not expected
    if type(value) is expected:
        if nested is None:
            return True, is_variable
        for item in allowed:
            if type(item) is not list or all(_item_type_ok(v, item, nested) for v in value):
                return True, is_variable
        return False, is_variable  # BFCL: a failed item check stands, whatever the variable rule says
    if answer_type is not None and type(value) is answer_type:
        return True, True
    return False, is_variable


def _item_type_ok(value: Any, allowed: list[Any], expected: type) -> bool:
    answer_type = _first_type(allowed)
    return type(value) is expected or (answer_type is not None and type(value) is answer_type)


def _standardized(values: Any) -> list[Any] | None:
    """A sequence with its strings normalised (BFCL indexes each allowed value: a string is its characters)."""
    if not isinstance(values, (list, tuple, str)):
        return None
    return [standardize(v) if type(v) is str else v for v in values]


def _list_matches(value: list[Any], allowed: list[Any]) -> bool:
    given = _standardized(value)
    return any(_standardized(a) == given for a in allowed if _standardized(a) is not None)


def _dict_matches(value: dict[str, Any], allowed: list[Any]) -> bool:
    """BFCL's ``dict_checker``: some allowed dict has every given key with an allowed value and
    gives every key it lists without ``""``."""
    for answer in allowed:
        if answer == "" or not isinstance(answer, dict):
            continue
        if all(
            key in answer and _standardized(answer[key]) is not None
            and (standardize(v) if type(v) is str else v) in _standardized(answer[key])
            for key, v in value.items()
        ) and all(key in value or (isinstance(av, (list, str)) and "" in av) for key, av in answer.items()):  # fmt: skip
            return True
    return False


def _list_of_dicts_matches(value: Any, allowed: list[Any]) -> bool:
    """BFCL's ``list_dict_checker``: some allowed list of dicts matches item by item."""
    for answer in allowed:
        if not isinstance(answer, (list, str)) or len(value) != len(answer):
            continue
        if all(isinstance(v, dict) and _dict_matches(v, [a]) for v, a in zip(value, answer)):
            return True
    return False


def _contains(allowed: list[Any], value: Any) -> bool:
    try:
        return value in allowed
    except RecursionError:  # values nested past the interpreter's limit compare as different
        return False


def _close(value: Any, allowed: list[Any], tolerance: float) -> bool:
    if type(value) is not float:
        return False
    return any(
        type(a) in (int, float) and math.isclose(value, a, rel_tol=tolerance, abs_tol=tolerance) for a in allowed
    )
