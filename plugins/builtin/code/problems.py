"""A row's tests, read the way the public code datasets store them.

- HumanEval: ``test`` (Python code defining ``check(candidate)``) and ``entry_point``: one assert
  test, ``check(<entry_point>)``. When the row's ``prompt`` is the problem's code (it defines the
  entry point), its other code (imports, helpers such as ``poly`` that some tests check with) is
  the setup: the checker then uses the prompt's helpers, not the program's.
- MBPP: ``test_list`` (assert strings, one test each), with ``test_imports`` and
  ``test_setup_code`` run before the tests when present.
- APPS, TACO, LiveCodeBench: ``input_output`` (a mapping or its JSON text) with ``inputs`` and
  ``outputs``: stdin/stdout tests; with ``fn_name``, call tests (each input a list of arguments,
  or LiveCodeBench's text of one JSON argument per line; each output the return value, or its
  JSON text).
- open-r1: ``verification_info`` with ``language`` and ``test_cases`` of ``input``/``output``
  (stdin/stdout).
- a plain ``tests`` column: a list of ``{input, output}`` (stdin/stdout) or of assert strings.

Inputs or outputs given as lists of lines (APPS does so) are joined with newlines.
"""

from __future__ import annotations

import ast
import json
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from .blocks import language_of
from .sandbox import TestCase

TEST_COLUMNS = ("verification_info", "input_output", "test", "test_list", "tests")


class BadTests(ValueError):
    """A row's tests are missing or not in a known shape: the sample cannot be scored."""


@dataclass(frozen=True)
class Tests:
    """The tests of one row: their kind, the function called (call tests), the language the row
    asks for (open-r1's ``verification_info``) and code run before the tests (MBPP's setup)."""

    kind: str
    cases: tuple[TestCase, ...]
    fn_name: str | None = None
    language: str | None = None
    setup: str = ""


def read_tests(row: Mapping[str, Any], column: str | Sequence[str] = TEST_COLUMNS) -> Tests:
    """The tests in ``row``'s ``column``; a list of columns: the first of them the row has."""
    if not isinstance(column, str):
        columns = tuple(column)
        column = next((c for c in columns if row.get(c) is not None), None)
        if column is None:
            raise BadTests(f"the row has none of the test columns {', '.join(columns)}")
    value = row.get(column)
    if value is None:
        raise BadTests(f"the row's '{column}' is empty")
    if column == "test_list" or (column == "test" and isinstance(value, list)):
        return _asserts(value, _mbpp_setup(row))
    if column == "test":
        return _humaneval(value, row.get("entry_point"), row.get("prompt"))
    value = _decoded(value, column)
    if isinstance(value, Mapping) and "test_cases" in value:
        return _verification_info(value)
    if isinstance(value, Mapping) and "inputs" in value:
        return _input_output(value)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return _asserts(value, _mbpp_setup(row))
    if isinstance(value, list):
        return Tests("stdio", tuple(_stdio_case(case) for case in value))
    raise BadTests(f"'{column}' is not a known test format (got {type(value).__name__})")


def _decoded(value: Any, column: str) -> Any:
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except ValueError:
        raise BadTests(f"'{column}' is text that is not JSON") from None


def _humaneval(test: str, entry_point: Any, prompt: Any) -> Tests:
    if not isinstance(test, str):
        raise BadTests(f"'test' must be Python code, got {type(test).__name__}")
    if "def check(" in test:
        if not isinstance(entry_point, str) or not entry_point.isidentifier():
            raise BadTests("HumanEval-style tests define check(candidate) and need the entry_point column")
        return Tests("assert", (TestCase(f"{test}\n\ncheck({entry_point})\n"),), setup=_prompt_code(prompt, entry_point))
    return Tests("assert", (TestCase(test),))


def _prompt_code(prompt: Any, entry_point: str) -> str:
    """A HumanEval prompt's code but the entry point's stub; "" when the prompt is not the code
    that defines the entry point (a chat prompt, a question in words)."""
    if not isinstance(prompt, str) or f"def {entry_point}" not in prompt:
        return ""
    try:
        tree = ast.parse(prompt)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return ""
    kept = [n for n in tree.body if not (isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name == entry_point)]
    if len(kept) == len(tree.body):
        return ""
    return ast.unparse(ast.Module(body=kept, type_ignores=[])).strip()


def _mbpp_setup(row: Mapping[str, Any]) -> str:
    imports = row.get("test_imports") or []
    setup = row.get("test_setup_code") or ""
    lines = [line for line in imports if isinstance(line, str)] if isinstance(imports, list) else []
    return "\n".join([*lines, setup if isinstance(setup, str) else ""]).strip()


def _asserts(tests: Any, setup: str) -> Tests:
    if not isinstance(tests, list) or not all(isinstance(t, str) for t in tests):
        raise BadTests("assert tests must be a list of strings")
    return Tests("assert", tuple(TestCase(t) for t in tests), setup=setup)


def _text(value: Any, what: str) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return "\n".join(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    raise BadTests(f"a stdin/stdout test's {what} must be text, got {type(value).__name__}")


def _stdio_case(case: Any) -> TestCase:
    if not isinstance(case, Mapping) or "input" not in case or "output" not in case:
        raise BadTests("a test case must be a mapping with 'input' and 'output'")
    return TestCase(_text(case["input"], "input"), _text(case["output"], "output"))


def _verification_info(info: Mapping[str, Any]) -> Tests:
    cases = info.get("test_cases")
    if not isinstance(cases, list):
        raise BadTests("verification_info.test_cases must be a list")
    for case in cases:
        kind = case.get("type", "stdin_stdout") if isinstance(case, Mapping) else None
        if kind != "stdin_stdout":
            raise BadTests(f"verification_info test type {kind!r} is not supported (stdin_stdout is)")
    language = info.get("language")
    if language is not None and (not isinstance(language, str) or language_of(language) is None):
        raise BadTests(f"verification_info language {language!r} is not supported (python, cpp)")
    return Tests("stdio", tuple(_stdio_case(c) for c in cases), language=language_of(language) if language else None)


def _input_output(spec: Mapping[str, Any]) -> Tests:
    inputs, outputs = spec.get("inputs"), spec.get("outputs")
    if not isinstance(inputs, list) or not isinstance(outputs, list) or len(inputs) != len(outputs):
        raise BadTests("input_output needs lists 'inputs' and 'outputs' of the same length")
    fn_name = spec.get("fn_name")
    if not fn_name:
        return Tests("stdio", tuple(TestCase(_text(i, "input"), _text(o, "output")) for i, o in zip(inputs, outputs)))
    if not isinstance(fn_name, str) or not fn_name.isidentifier():
        raise BadTests(f"input_output.fn_name {fn_name!r} is not a function name")
    return Tests("call", tuple(TestCase(_arguments(i), _value(o)) for i, o in zip(inputs, outputs)), fn_name=fn_name)


def _arguments(value: Any) -> list[Any]:
    if isinstance(value, list):
        return value
    if isinstance(value, str):  # LiveCodeBench: one JSON value per line
        try:
            return [json.loads(line) for line in value.splitlines() if line.strip()]
        except ValueError:
            raise BadTests("a call test's input text must hold one JSON value per line") from None
    return [value]


def _value(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value
