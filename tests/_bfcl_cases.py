"""BFCL's single-turn Python AST categories as cases for tool_call_match, and BFCL's own verdicts on them.

Shared by tests/test_tools_bfcl.py and bench/tools_bench.py. The questions, function docs and
possible answers come from the bfcl-eval wheel in its own environment (``bash .ci/bfcl-venv``);
BFCL's verdicts come from its ``ast_checker`` run there (:mod:`_bfcl_oracle`, a subprocess), so
nothing of BFCL runs in rewardkit's process. Each row gives its ground truth written out and
systematic mutations of it (:data:`MUTATIONS`); each case's calls are handed to rewardkit in one
of the shapes models and trainers produce (:data:`SHAPES`), in turn.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parent.parent
VENV = Path(os.environ.get("REWARDKIT_BFCL_VENV", ROOT / ".ci-venvs" / "bfcl"))
ORACLE = Path(__file__).with_name("_bfcl_oracle.py")
BUILD = "bash .ci/bfcl-venv"
# Every single-turn Python AST category of BFCL v4, and its two irrelevance categories.
AST_CATEGORIES = (
    "simple_python", "multiple", "parallel", "parallel_multiple",
    "live_simple", "live_multiple", "live_parallel", "live_parallel_multiple",
)  # fmt: skip
IRRELEVANCE = ("irrelevance", "live_irrelevance")
CATEGORIES = AST_CATEGORIES + IRRELEVANCE
MODEL_NAME = "gorilla-openfunctions-v2"  # a model BFCL checks without renaming dotted functions
EXTRA_PARAM = "rewardkit_extra_param"

Calls = list[tuple[str, dict[str, Any]]]


@dataclass
class Case:
    id: str
    category: str
    mutation: str
    function: list[dict[str, Any]]
    possible_answer: list[dict[str, Any]]
    calls: Calls
    shape: int = 0
    oracle: dict[str, Any] = field(default_factory=dict)

    def model_output(self) -> list[dict[str, Any]]:
        """The calls as BFCL's decoder gives them: ``[{name: {param: value}}]``."""
        return [{name: args} for name, args in self.calls]

    def oracle_input(self) -> dict[str, Any]:
        return {
            "category": self.category, "function": self.function, "model_output": self.model_output(),
            "possible_answer": self.possible_answer, "model_name": MODEL_NAME,
        }  # fmt: skip


def python() -> Path | None:
    """The bfcl-eval environment's interpreter, or None when it is not built (or bfcl-eval is not in it yet)."""
    exe = VENV / "bin" / "python"
    built = any(VENV.glob("lib/python*/site-packages/bfcl_eval/eval_checker/ast_eval/ast_checker.py"))
    return exe if exe.is_file() and built else None


@lru_cache(maxsize=1)
def data_dir() -> Path:
    out = subprocess.run([str(python()), str(ORACLE), "--data"], capture_output=True, text=True, check=True)
    return Path(out.stdout.strip().splitlines()[-1])


def rows(category: str) -> list[dict[str, Any]]:
    """A category's questions with their possible answers (irrelevance rows expect no call: [])."""
    data = data_dir()
    questions = [json.loads(line) for line in open(data / f"BFCL_v4_{category}.json", encoding="utf-8")]
    answers: dict[str, Any] = {}
    if category not in IRRELEVANCE:
        for line in open(data / "possible_answer" / f"BFCL_v4_{category}.json", encoding="utf-8"):
            entry = json.loads(line)
            answers[entry["id"]] = entry["ground_truth"]
    return [{**q, "ground_truth": answers.get(q["id"], [])} for q in questions]


# -- the mutations ---------------------------------------------------------------------------------


def _pick(values: list[Any], last: bool = False) -> tuple[bool, Any]:
    """One allowed value; a dict's values (and a list of dicts' items) are allowed values in turn."""
    chosen = [v for v in values if v != ""]
    if not chosen:
        return False, None
    return True, _written(copy.deepcopy(chosen[-1] if last else chosen[0]), last)


def _written(value: Any, last: bool) -> Any:
    if isinstance(value, dict):
        picked = {k: _pick(v, last) if isinstance(v, list) else (True, v) for k, v in value.items()}
        return {k: v for k, (present, v) in picked.items() if present}
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        return [_written(v, last) for v in value]
    return value


def written_out(ground_truth: list[dict[str, Any]], *, last: bool = False, optional: bool = True) -> Calls:
    """The expected calls with one allowed value per parameter (the first or the last); optional
    parameters (``""`` allowed) given, or left out."""
    calls = []
    for expected in ground_truth:
        (name, params), = expected.items()
        args = {}
        for param, values in params.items():
            if not optional and "" in values:
                continue
            present, value = _pick(values, last)
            if present:
                args[param] = value
        calls.append((name, args))
    return calls


def _required(function: list[dict[str, Any]], name: str) -> list[str]:
    for f in function:
        if f["name"] == name:
            return list(f["parameters"].get("required", []))
    return []


def _other_type(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        return 12345
    if isinstance(value, list):
        return json.dumps(value)
    if isinstance(value, dict):
        return [value]
    return "null"


def _other_value(value: Any) -> Any:
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 7
    if isinstance(value, float):
        return value + 0.5
    if isinstance(value, str):
        return value + " zq"
    if isinstance(value, list):
        return value[1:] if value else ["zq"]
    if isinstance(value, dict):
        return {**value, "zq": 1}
    return 1


def _stringified(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, list):
        return [_stringified(v) for v in value]
    return value


def _has_number(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float)):
        return True
    return isinstance(value, list) and any(_has_number(v) for v in value)


def _ints_for_floats(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return int(value)
    if isinstance(value, list):
        return [_ints_for_floats(v) for v in value]
    return value


def _restyled(value: Any) -> Any:
    if isinstance(value, str):
        return value.upper().replace(" ", "  ") + "."
    if isinstance(value, list):
        return [_restyled(v) for v in value]
    return value


def _map_values(calls: Calls, fn: Callable[[Any], Any]) -> Calls:
    return [(name, {k: fn(v) for k, v in args.items()}) for name, args in calls]


def _first_param(calls: Calls) -> str | None:
    return next(iter(calls[0][1]), None) if calls else None


def mutations(row: dict[str, Any]) -> dict[str, Calls]:
    """The row's ground truth written out, and each systematic mutation of it that applies."""
    gt, function = row["ground_truth"], row["function"]
    if not gt:  # irrelevance: no call is right, any call is wrong
        if not function:
            return {"no call": [], "a call": [("lookup", {"query": "x"})]}
        f = function[0]
        args = {p: _dummy(f["parameters"]["properties"].get(p, {})) for p in f["parameters"].get("required", [])}
        return {"no call": [], "a call": [(f["name"], args)]}
    base = written_out(gt)
    out: dict[str, Calls] = {"ground truth": base}
    variants = {
        "ground truth, optional left out": written_out(gt, optional=False),
        "ground truth, last allowed values": written_out(gt, last=True),
        "ints for floats": _map_values(base, _ints_for_floats),
        "strings restyled": _map_values(base, _restyled),
    }
    out.update({k: v for k, v in variants.items() if json.dumps(v) != json.dumps(base)})  # 4 == 4.0 in Python
    first = _first_param(base)
    name, args = base[0]
    required = [p for p in _required(function, name) if p in args]
    if required:
        out["drop a required parameter"] = [(name, {k: v for k, v in args.items() if k != required[0]}), *base[1:]]
    if first is not None:
        out["wrong type"] = [(name, {**args, first: _other_type(args[first])}), *base[1:]]
        out["wrong value"] = [(name, {**args, first: _other_value(args[first])}), *base[1:]]
    out["extra parameter"] = [(name, {**args, EXTRA_PARAM: 1}), *base[1:]]
    out["wrong function"] = [(name + "_zq", args), *base[1:]]
    if len(base) > 1:
        out["swapped parallel order"] = base[::-1]
    if any(_has_number(v) for _, a in base for v in a.values()):
        out["stringified numbers"] = _map_values(base, _stringified)
    out["extra call"] = [*base, base[-1]]
    out["missing call"] = base[:-1]
    return out


def _dummy(schema: dict[str, Any]) -> Any:
    return {"integer": 1, "float": 1.5, "boolean": True, "array": [], "tuple": [], "dict": {}}.get(schema.get("type"), "x")


MUTATIONS = (
    "ground truth", "ground truth, optional left out", "ground truth, last allowed values", "ints for floats",
    "strings restyled", "drop a required parameter", "wrong type", "wrong value", "extra parameter",
    "wrong function", "swapped parallel order", "stringified numbers", "extra call", "missing call",
    "no call", "a call",
)  # fmt: skip


def cases(categories: tuple[str, ...] = CATEGORIES) -> list[Case]:
    """Every row of the categories, each with its ground truth and mutations, shapes in turn."""
    out = []
    for category in categories:
        for row in rows(category):
            for mutation, calls in mutations(row).items():
                out.append(Case(row["id"], category, mutation, row["function"], row["ground_truth"], calls, len(out) % len(SHAPES)))
    return out


# -- BFCL's verdicts and rewardkit's ----------------------------------------------------------------


def oracle(batch: list[Case]) -> None:
    """Fill each case's ``oracle`` with BFCL's verdict (one subprocess for the whole list)."""
    lines = "".join(json.dumps(c.oracle_input()) + "\n" for c in batch)
    out = subprocess.run([str(python()), str(ORACLE)], input=lines, capture_output=True, text=True, check=True)
    verdicts = [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]
    assert len(verdicts) == len(batch), out.stderr[-2000:]
    for case, verdict in zip(batch, verdicts):
        case.oracle = verdict


def oracle_cpu_seconds(batch: list[Case], repeat: int) -> dict[str, float]:
    """BFCL's checker's CPU time over ``repeat`` passes of the cases (``cpu_seconds``, and each
    pass's in ``passes``), measured in its own process."""
    lines = "".join(json.dumps(c.oracle_input()) + "\n" for c in batch)
    out = subprocess.run(
        [str(python()), str(ORACLE), "--time", str(repeat)], input=lines, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def _tool_calls(calls: Calls, as_text: bool) -> list[dict[str, Any]]:
    return [
        {"type": "function", "function": {"name": n, "arguments": json.dumps(a) if as_text else a}} for n, a in calls
    ]


SHAPES: tuple[Callable[[Calls], Any], ...] = (
    # TRL's parsed messages: arguments as a mapping
    lambda calls: [{"role": "assistant", "content": "" if calls else "No function fits.", "tool_calls": _tool_calls(calls, False)}],
    # OpenAI chat completions: arguments as a JSON string
    lambda calls: [{"role": "assistant", "content": None if calls else "No.", "tool_calls": _tool_calls(calls, True)}],
    # Hermes / Qwen text
    lambda calls: "".join(f'<tool_call>\n{json.dumps({"name": n, "arguments": a})}\n</tool_call>\n' for n, a in calls)
    or "I cannot answer that with these functions.",
    # Responses-API items
    lambda calls: [{"type": "function_call", "name": n, "arguments": json.dumps(a), "call_id": f"c{i}"} for i, (n, a) in enumerate(calls)]
    or [{"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "No."}]}],
    # a plain JSON list
    lambda calls: json.dumps([{"name": n, "arguments": a} for n, a in calls]),
)  # fmt: skip


def completion(case: Case) -> Any:
    return SHAPES[case.shape](case.calls)


def tools_of(case: Case) -> list[dict[str, Any]]:
    """BFCL's function docs as they come, or wrapped as chat-API tools (every other case)."""
    if case.shape % 2:
        return [{"type": "function", "function": f} for f in case.function]
    return case.function


def rewardkit_scores(batch: list[Case], reward: Any) -> list[float | None]:
    return reward(
        [completion(c) for c in batch],
        ground_truth=[c.possible_answer for c in batch],
        tools=[tools_of(c) for c in batch],
    )


def disagreements(batch: list[Case], scores: list[float | None]) -> list[tuple[Case, float | None]]:
    return [(c, s) for c, s in zip(batch, scores) if c.oracle.get("valid") is not (s == 1.0)]


if __name__ == "__main__":  # a quick look: python tests/_bfcl_cases.py
    print(len(cases()), "cases", file=sys.stderr)
