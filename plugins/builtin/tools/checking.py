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
left out where that is allowed), the partial credit of the ``fractional`` mode;
:func:`first_failure` stops at the failure (strict mode's verdict needs no more). What a check
derives from an expected call and its schema (types, the "variable" rule, normalised allowed
strings) is worked out once per batch in :class:`ExpectedRule` and :class:`ValueRule`.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache
from typing import Any, Mapping, NamedTuple

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


_standard_short = lru_cache(maxsize=8192)(standardize)
_REMEMBERED = 200  # longest string whose standard form is remembered


def _standard(text: str) -> str:
    """:func:`standardize`, remembered for short strings (the same allowed values come back in
    every completion of a prompt); long ones are not kept."""
    return _standard_short(text) if len(text) <= _REMEMBERED else standardize(text)


class CallCheck(NamedTuple):
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


_WRONG_FUNCTION = CallCheck(WRONG_FUNCTION, 0, 0)


class ExpectedRule(NamedTuple):
    """An expected call with its function's schema, for every call checked against it (a GRPO
    batch checks each row's expected calls once per completion): each parameter's
    :class:`ValueRule` is worked out on its first use and kept."""

    name: str  # as the call must name it
    allowed: Mapping[str, list[Any]]  # each parameter's allowed values
    properties: Mapping[str, Any]  # each declared parameter's schema
    required: tuple[str, ...]  # the parameters the schema requires
    needed: tuple[str, ...]  # the parameters the possible answer lists without ""
    float_tolerance: float
    values: dict[str, ValueRule]  # filled as parameters are checked


def expected_rule(
    expected: ExpectedCall, spec: FunctionSpec | None, *, float_tolerance: float = 0.0, dots_as_underscores: bool = False
) -> ExpectedRule:
    """The rule of ``expected`` with the function's ``spec`` (None: the possible answer stands in for it)."""
    name = expected.name.replace(".", "_") if dots_as_underscores else expected.name
    allowed = expected.allowed
    if spec is None:
        properties: Mapping[str, Any] = {k: {"type": _type_of(v)} for k, v in allowed.items()}
        required: tuple[str, ...] = tuple([k for k, v in allowed.items() if "" not in v])
    else:
        properties, required = spec.properties, spec.required
    needed = required if spec is None else tuple([k for k, v in allowed.items() if "" not in v])
    return ExpectedRule(name, allowed, properties, required, needed, float_tolerance, {})


def first_failure(call: Call, rule: ExpectedRule) -> str | None:
    """The failure :func:`check_call` reports, found without counting the parameters that are
    right (strict mode needs only the verdict): it stops at the first thing wrong."""
    if call.name != rule.name:
        return WRONG_FUNCTION
    arguments = call.arguments or {}
    for param in rule.required:
        if param not in arguments:
            return MISSING_REQUIRED
    values = rule.values
    for param, value in arguments.items():
        value_rule = values.get(param) or _value_rule(rule, param)
        if value_rule is None:
            return UNEXPECTED_PARAM
        if type(value) is str and value_rule.simple is str:  # ValueRule.check's first step, inlined (the hot loop)
            if (_standard_short(value) if len(value) <= _REMEMBERED else standardize(value)) not in value_rule.strings:
                return WRONG_VALUE
            continue
        problem = value_rule.check(value)
        if problem is not None:
            return problem
    for param in rule.needed:
        if param not in arguments:
            return MISSING_REQUIRED
    return None


def _value_rule(rule: ExpectedRule, param: str) -> ValueRule | None:
    """The rule of a parameter both the schema and the possible answer declare (kept), else None."""
    if param not in rule.properties or param not in rule.allowed:
        return None
    value_rule = rule.values[param] = ValueRule(rule.allowed[param], rule.properties[param], rule.float_tolerance)
    return value_rule


def check_call(call: Call, rule: ExpectedRule) -> CallCheck:
    """``call`` (parsed) against an expected call's ``rule``."""
    if call.name != rule.name:
        return _WRONG_FUNCTION
    allowed, required, values = rule.allowed, rule.required, rule.values
    arguments = call.arguments or {}
    failure = None
    for param in required:
        if param not in arguments:
            failure = MISSING_REQUIRED
            break
    right = 0
    for param, value in arguments.items():
        value_rule = values.get(param) or _value_rule(rule, param)
        if value_rule is None:  # not declared by the schema or not listed by the possible answer
            failure = failure or UNEXPECTED_PARAM
            continue
        problem = value_rule.check(value)
        if problem is None:
            right += 1
        elif failure is None:
            failure = problem
    # The parameters considered: those given, those the possible answer lists, those required.
    total = len(arguments)
    for param, listed in allowed.items():
        if param not in arguments:
            total += 1
            if "" in listed:  # optional and left out: right
                right += param not in required
            elif failure is None:  # the possible answer needs it (rule.needed)
                failure = MISSING_REQUIRED
    for param in required:
        total += param not in arguments and param not in allowed
    return CallCheck(failure, right, total)


def _type_of(values: list[Any]) -> str | None:
    """The schema type that stands in for a parameter without a schema: its allowed values' type."""
    for value in values:
        if value != "":
            for name in ("boolean", "integer", "float", "string", "array", "dict", "null"):
                if type(value) is PYTHON_TYPES[name]:
                    return name
            return None
    return None


def _python_type(name: Any) -> type | None:
    return PYTHON_TYPES.get(name) if type(name) is str else None


_SCALAR_TYPES = (str, int, float, bool, type(None))
_NONE: frozenset[str] = frozenset()


class ValueRule:
    """One parameter's allowed values and schema, with what BFCL's checks derive from them worked
    out once: the schema's type and its items' type, the allowed values' type (BFCL's "variable"
    rule), the allowed strings normalised."""

    __slots__ = ("allowed", "schema", "tolerance", "listed", "expected", "nested", "answer_type", "simple", "strings")

    def __init__(self, allowed: list[Any], schema: Any, tolerance: float = 0.0) -> None:
        self.allowed, self.schema, self.tolerance = allowed, schema, tolerance
        kind = schema.get("type") if isinstance(schema, dict) else None
        self.listed = listed = isinstance(kind, list)  # JSON Schema's list of type names: the value picks one
        expected, self.nested = self._types(kind)
        self.expected = expected
        self.answer_type = answer_type = _first_type(allowed)
        # A string, number, boolean or null parameter whose allowed values have its type (or none):
        # a value of that type is only compared (check's general path would come to the same).
        scalar = not listed and expected in _SCALAR_TYPES
        self.simple = expected if scalar and (answer_type is None or answer_type is expected) else None
        # the allowed strings normalised, for the parameters whose values are compared as strings
        compared = listed or expected is None or expected is str
        self.strings = frozenset([_standard(a) for a in allowed if type(a) is str]) if compared else _NONE

    def _types(self, kind: Any) -> tuple[type | None, type | None]:
        """The Python type of schema type ``kind`` and, for an array, of its items (BFCL checks one level)."""
        expected = _python_type(kind)
        if expected is list:
            items = self.schema.get("items")
            return expected, _python_type(items.get("type")) if isinstance(items, dict) else None
        return expected, None

    def check(self, value: Any) -> str | None:
        """``wrong_type``, ``wrong_value`` or None for the parameter's value (BFCL's order of checks)."""
        simple = self.simple
        if type(value) is simple:  # (inlined: most values take this path)
            if simple is str:
                given = _standard_short(value) if len(value) <= _REMEMBERED else standardize(value)
                return None if given in self.strings else WRONG_VALUE
            # a scalar compares with any allowed value without recursing
            if value in self.allowed or (self.tolerance and _close(value, self.allowed, self.tolerance)):
                return None
            return WRONG_VALUE
        if self.listed:
            expected, nested = self._types(_listed_type(self.schema["type"], value))
        else:
            expected, nested = self.expected, self.nested
        if expected is None:  # no type to check (none given, or one BFCL does not know)
            if isinstance(value, str):
                return None if _standard(value) in self.strings else WRONG_VALUE
            return None if self._number_in(value) else WRONG_VALUE
        if expected is float and type(value) is int:
            value = float(value)  # BFCL: Python converts an int to a float
        # BFCL's type_checker: the schema's type, or the allowed values' type (its "variable" rule)
        allowed, answer_type = self.allowed, self.answer_type
        if type(value) is expected:
            if nested is not None and not any(
                type(item) is not list or all(_item_type_ok(v, item, nested) for v in value) for item in allowed
            ):  # fmt: skip
                return WRONG_TYPE  # BFCL: a failed item check stands, whatever the variable rule says
            is_variable = answer_type is not None and answer_type is not expected
        elif answer_type is not None and type(value) is answer_type:
            is_variable = True
        else:
            return WRONG_TYPE
        if is_variable:
            ok = _contains(allowed, value)
        elif expected is str:
            ok = _standard(value) in self.strings
        elif expected is dict:
            ok = _dict_matches(value, allowed)
        elif expected is list:
            ok = _list_of_dicts_matches(value, allowed) if nested is dict else _list_matches(value, allowed)
        else:
            ok = self._number_in(value)
        return None if ok else WRONG_VALUE

    def _number_in(self, value: Any) -> bool:
        return _contains(self.allowed, value) or (self.tolerance > 0 and _close(value, self.allowed, self.tolerance))


def _listed_type(kind: Any, value: Any) -> str | None:
    """Of a list of type names (JSON Schema), the one the value has, else the first; None for no list."""
    if not isinstance(kind, list):
        return None
    names = [k for k in kind if isinstance(k, str)]
    fitting = [k for k in names if type(value) is PYTHON_TYPES.get(k) or (k in FLOATS and type(value) is int)]
    return (fitting or names or [None])[0]


def _first_type(allowed: list[Any]) -> type | None:
    """The type of the first allowed value that is not ``""`` (BFCL's ``get_possible_answer_type``)."""
    for value in allowed:
        if value != "":
            return type(value)
    return None


def _item_type_ok(value: Any, allowed: list[Any], expected: type) -> bool:
    answer_type = _first_type(allowed)
    return type(value) is expected or (answer_type is not None and type(value) is answer_type)


def _standardized(values: Any) -> list[Any] | None:
    """A sequence with its strings normalised (BFCL indexes each allowed value: a string is its characters)."""
    if not isinstance(values, (list, tuple, str)):
        return None
    return [_standard(v) if type(v) is str else v for v in values]


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
            and (_standard(v) if type(v) is str else v) in _standardized(answer[key])
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
