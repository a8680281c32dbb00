"""Generated ToolRL cases and verl's verdicts on them (verl's environment: ``bash .ci/verl-venv``).

Shared by tests/test_tools_toolrl.py and bench/tools_bench.py. Each case is a ground truth in
ToolRL's text format (a call block, a response, both or neither) and a completion written from it
with one of :data:`EDITS`: the layout kept or broken, the calls exact, renamed, with parameters
dropped, added, changed or retyped (1 vs 1.0 vs true), duplicated, reordered, unreadable.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
VENV = Path(os.environ.get("REWARDKIT_VERL_VENV", ROOT / ".ci-venvs" / "verl"))
ORACLE = Path(__file__).with_name("_toolrl_oracle.py")
BUILD = "bash .ci/verl-venv"

NAMES = ["search", "get_weather", "add", "book_flight", "lookup"]
PARAMS = ["query", "city", "a", "b", "date", "limit", "flag"]
VALUES = ["Paris", "2024-01-01", 3, 3.0, True, 0, None, [1, 2], {"k": "v"}, "", "x y"]


def python() -> Path | None:
    """verl's environment's interpreter, or None when it is not built (or verl is not in it yet)."""
    exe = VENV / "bin" / "python"
    built = any(VENV.glob("lib/python*/site-packages/verl/utils/reward_score/rlla.py"))
    return exe if exe.is_file() and built else None


def _call(rng: random.Random) -> dict[str, Any]:
    params = {p: rng.choice(VALUES) for p in rng.sample(PARAMS, rng.randint(0, 3))}
    return {"name": rng.choice(NAMES), "parameters": params}


def _block(calls: list[Any]) -> str:
    return "<tool_call>\n" + "\n".join(c if isinstance(c, str) else json.dumps(c) for c in calls) + "\n</tool_call>"


def _edited(rng: random.Random, calls: list[dict[str, Any]], edit: str) -> list[Any]:
    calls = json.loads(json.dumps(calls))
    if not calls:
        return [_call(rng)]
    target = rng.randrange(len(calls))
    params = calls[target]["parameters"]
    if edit == "rename":
        calls[target]["name"] += "_x"
    elif edit == "drop param" and params:
        params.pop(next(iter(params)))
    elif edit == "add param":
        params["extra"] = 1
    elif edit == "change value" and params:
        key = next(iter(params))
        params[key] = "changed" if params[key] != "changed" else 0
    elif edit == "retype value" and params:
        key = next(iter(params))
        value = params[key]
        params[key] = {3: 3.0, 3.0: True, True: 1, 0: False}.get(value, str(value)) if not isinstance(value, (list, dict)) else str(value)
    elif edit == "duplicate":
        calls.append(calls[target])
    elif edit == "reorder":
        calls.reverse()
    elif edit == "drop call":
        calls.pop(target)
    elif edit == "unreadable":
        return [json.dumps(c) for c in calls[:target]] + ['{"name": "broken", "parameters": {']
    elif edit == "no parameters key":
        calls[target] = {"name": calls[target]["name"]}
    elif edit == "parameters as list":
        calls[target]["parameters"] = list(params)
    return calls


EDITS = ("exact", "rename", "drop param", "add param", "change value", "retype value", "duplicate", "reorder",
         "drop call", "unreadable", "no parameters key", "parameters as list")  # fmt: skip
LAYOUTS = ("right", "no think", "text after", "two blocks", "extra newline", "no newline", "think only")


def _text(rng: random.Random, think: str, block: str | None, response: str | None, layout: str) -> str:
    parts = [] if layout == "no think" else [f"<think>{think}</think>"]
    if layout == "think only":
        return parts[0] if parts else think
    if block is not None:
        parts.append(block + ("\n" + block if layout == "two blocks" else ""))
    if response is not None:
        parts.append(f"<response>{response}</response>")
    joiner = "" if layout == "no newline" else ("\n\n" if layout == "extra newline" else "\n")
    text = joiner.join(parts)
    return text + (" trailing words" if layout == "text after" else "")


def cases(n: int = 2000, seed: int = 0) -> list[dict[str, str]]:
    """``n`` generated (completion, ground truth) pairs."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        kind = rng.choice(["call", "response", "both", "neither"])
        calls = [_call(rng) for _ in range(rng.randint(1, 3))]
        truth_block = _block(calls) if kind in ("call", "both") else None
        truth_response = "Here you go." if kind in ("response", "both") else None
        truth = _text(rng, "plan", truth_block, truth_response, "right")
        made_kind = kind if rng.random() < 0.7 else rng.choice(["call", "response", "both", "neither"])
        edit = rng.choice(EDITS)
        made_block = _block(_edited(rng, calls, edit)) if made_kind in ("call", "both") else None
        made_response = "Done." if made_kind in ("response", "both") else None
        layout = "right" if rng.random() < 0.5 else rng.choice(LAYOUTS)
        completion = _text(rng, rng.choice(["", "think", "a\nb"]), made_block, made_response, layout)
        if rng.random() < 0.1:
            completion = rng.choice(["  ", "\n"]) + completion + rng.choice(["\n", "  "])
        out.append({"completion": completion, "ground_truth": truth})
    return out


def oracle(batch: list[dict[str, str]]) -> list[dict[str, Any]]:
    lines = "".join(json.dumps(c) + "\n" for c in batch)
    out = subprocess.run([str(python()), str(ORACLE)], input=lines, capture_output=True, text=True, check=True)
    results = [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]
    assert len(results) == len(batch), out.stderr[-2000:]
    return results
