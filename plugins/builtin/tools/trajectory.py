"""A completion read as an agent's trajectory: its turns, its calls, what the tools answered, its final answer.

A trajectory is a list of chat messages (assistant turns with calls, ``tool`` turns with results,
user turns) or Responses-API items (``function_call`` and ``function_call_output``), as TRL,
verl and NeMo Gym record them; a string is one turn whose calls are its ``<tool_call>`` blocks
and whose results are its ``<tool_response>`` blocks (a chat template's rendering, as verl's
decoded responses hold them). A tool result failed when the message says so (``is_error``) or
its text starts the way failures are reported: TRL's ``{'error': ...}``, verl's ``Error executing
tool``/``Unknown function``/``Invalid JSON in arguments``, an ``Error:``/``Exception`` line or a
Python traceback (the pattern is a parameter of the rewards that read it).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from rewardkit.text import completion_text

from .calls import Call, ReadOptions, read_calls

ERROR_PATTERN = (
    r"""\s*(?:\{\s*['"]error['"]\s*:|error\b|exception\b|traceback \(most recent call last\)"""
    r"""|unknown (?:function|tool)\b|invalid json in arguments)"""
)
ERROR_PREFIX_CHARS = 200  # only the start of a result is matched: bounded for any result


@dataclass(frozen=True)
class ToolResult:
    text: str
    failed: bool


@dataclass
class Trajectory:
    turns: int  # the agent's turns
    calls: list[Call]
    results: list[ToolResult] = field(default_factory=list)
    answer: str = ""

    @property
    def failed_calls(self) -> int:
        return sum(r.failed for r in self.results)

    @property
    def unparseable_calls(self) -> int:
        return sum(not c.parsed for c in self.calls)

    @property
    def repeated_calls(self) -> int:
        """Calls identical (name and arguments) to an earlier call of the trajectory."""
        seen: set[str] = set()
        repeated = 0
        for call in self.calls:
            if not call.parsed:
                continue
            key = json.dumps([call.name, call.arguments], sort_keys=True, default=repr)
            repeated += key in seen
            seen.add(key)
        return repeated


def read_trajectory(completion: Any, options: ReadOptions, error_pattern: re.Pattern[str]) -> Trajectory:
    """The trajectory of a completion (a string, messages or Responses items)."""
    calls = read_calls(completion, options)
    answer = completion_text(completion)
    if isinstance(completion, str):
        results = [_result(text, False, error_pattern) for text in _blocks(completion, "<tool_response>", "</tool_response>")]
        return Trajectory(1, calls, results, answer)
    items = completion.get("output", [completion]) if isinstance(completion, dict) else list(completion or [])
    turns, results, in_turn = 0, [], False
    for item in items:
        if not isinstance(item, dict):
            continue
        role, kind = item.get("role"), item.get("type")
        agent = role == "assistant" or kind in ("function_call", "reasoning")
        turns += agent and not in_turn  # a turn: a run of the agent's items (one response's output)
        in_turn = agent
        if role in ("tool", "function", "ipython") or kind == "function_call_output":
            content = item.get("output", item.get("content"))
            results.append(_result(_text(content), item.get("is_error") is True, error_pattern))
    return Trajectory(turns, calls, results, answer)


def _result(text: str, flagged: bool, error_pattern: re.Pattern[str]) -> ToolResult:
    return ToolResult(text, flagged or bool(error_pattern.match(text[:ERROR_PREFIX_CHARS])))


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(p.get("text", "") for p in content if isinstance(p, dict) and isinstance(p.get("text"), str))
    return "" if content is None else json.dumps(content, default=repr)[:ERROR_PREFIX_CHARS]


def _blocks(text: str, opening: str, closing: str) -> list[str]:
    """The bodies of ``opening...closing`` blocks, found in one linear pass."""
    out, start = [], text.find(opening)
    while start != -1:
        end = text.find(closing, start + len(opening))
        if end == -1:
            break
        out.append(text[start + len(opening) : end].strip())
        start = text.find(opening, end + len(closing))
    return out
