"""Reading a completion's function calls, from every shape models and trainers produce.

A completion's calls come from, in order of appearance:

- chat messages' ``tool_calls`` (OpenAI and TRL: ``{"type": "function", "function": {"name",
  "arguments"}}``, ``arguments`` a mapping or a JSON string) and the older ``function_call``;
- Responses-API items ``{"type": "function_call", "name", "arguments", "call_id"}`` (a list of
  items, or a response object's ``output``);
- Hermes/Qwen-style text: ``<tool_call>{"name": ..., "arguments": {...}}</tool_call>`` blocks in a
  string completion or in a message's content (one JSON object per block, or several, one per line,
  as ToolRL writes them), read only from messages that carry no structured calls;
- a plain JSON list of calls (``[{"name": ..., "arguments": {...}}]``; ``parameters`` is read as
  ``arguments``), as a whole string or message content (in a Markdown fence or not) or as Python
  objects, or one such object. JSON that is not shaped so (an answer given in JSON) holds no call.

A call whose JSON does not parse, whose arguments are not an object (or have a key that is not a
string), or that nests deeper than ``max_depth`` is read as an unparseable :class:`Call` (its
``problem`` says why), never an exception: each reward documents its score. With ``repair``, JSON
that does not parse is repaired by the ``json-repair`` library (strings up to
``repair_max_chars``) and the call is marked ``repaired``. Every step is linear in the text.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Iterator, NamedTuple

OPEN, CLOSE = "<tool_call>", "</tool_call>"


class Call(NamedTuple):
    """One function call: its name and arguments, or why it could not be read."""

    name: str | None
    arguments: dict[str, Any] | None
    problem: str | None = None  # set when the call is unparseable
    repaired: bool = False

    @property
    def parsed(self) -> bool:
        return self.problem is None


@dataclass(frozen=True)
class ReadOptions:
    """Bounds and the opt-in repair of :func:`read_calls`."""

    repair: bool = False
    repair_max_chars: int = 100_000
    max_depth: int = 32


def read_calls(completion: Any, options: ReadOptions = ReadOptions()) -> list[Call]:
    """Every call in ``completion`` (a string, chat messages, Responses items or call objects), in order."""
    out: list[Call] = []
    if type(completion) is list:  # chat messages or Responses items, the common case: _collect's list branch
        for item in completion:
            if isinstance(item, dict):
                _item_calls(item, options, out)
            elif isinstance(item, str):
                out += text_calls(item, options)
    else:
        _collect(completion, options, out)
    return out


def _collect(value: Any, options: ReadOptions, out: list[Call]) -> None:
    """Append the calls of ``value`` to ``out``."""
    if isinstance(value, str):
        out += text_calls(value, options)
    elif isinstance(value, dict):
        if isinstance(value.get("output"), list) and "role" not in value:  # a Responses-API response object
            _collect(value["output"], options, out)
        else:
            _item_calls(value, options, out)
    elif isinstance(value, (list, tuple)):
        for item in value:
            if isinstance(item, dict):
                _item_calls(item, options, out)
            elif isinstance(item, str):
                out += text_calls(item, options)


def _item_calls(item: dict[str, Any], options: ReadOptions, out: list[Call]) -> None:
    """Append the calls of one message, Responses item or bare call object to ``out``."""
    kind = item.get("type")
    if kind == "function_call":
        out.append(_call(item.get("name"), item.get("arguments"), options))
        return
    if "role" not in item and kind is None and "name" in item and _has_arguments(item):
        out.append(_call_object(item, options))
        return
    if item.get("role") not in (None, "assistant"):
        return  # user, system and tool turns make no calls
    structured = item.get("tool_calls")
    if isinstance(structured, list) and structured:
        for entry in structured:
            function = entry.get("function", entry) if isinstance(entry, dict) else None
            if isinstance(function, dict):
                out.append(_call(function.get("name"), function.get("arguments"), options))
            else:
                out.append(Call(None, None, f"a tool call is {type(entry).__name__}, not an object"))
        return
    legacy = item.get("function_call")
    if isinstance(legacy, dict):
        out.append(_call(legacy.get("name"), legacy.get("arguments"), options))
    else:
        out += text_calls(_content_text(item.get("content")), options)


def _content_text(content: Any) -> str:
    """The text of a message's content: a string, or its text parts (Responses' output_text too)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            part["text"] for part in content if isinstance(part, dict) and isinstance(part.get("text"), str)
        )
    return ""


def text_calls(text: str, options: ReadOptions = ReadOptions()) -> list[Call]:
    """The calls in a string: its ``<tool_call>`` blocks, else the text as a JSON list of calls."""
    if OPEN in text:
        return list(_tagged_calls(text, options))
    stripped = _unfenced(text.strip())
    if not (stripped.startswith("[{") or stripped.startswith('{"')):
        return []  # prose, not a call attempt
    value, problem, repaired = parse_json(stripped, options)
    if problem is not None:
        return [Call(None, None, problem)]
    items = value if isinstance(value, list) else [value]
    if not all(isinstance(v, dict) and "name" in v and _has_arguments(v) for v in items):
        return []  # JSON that is not calls (an answer in JSON): no call
    return [_call_object(v, options, repaired) for v in items]


def _unfenced(text: str) -> str:
    """``text`` without one surrounding Markdown code fence (```json ... ```)."""
    if text.startswith("```") and text.endswith("```") and len(text) >= 6:
        first_line_end = text.find("\n")
        if first_line_end != -1:
            return text[first_line_end + 1 : -3].strip()
    return text


def _tagged_calls(text: str, options: ReadOptions) -> Iterator[Call]:
    """Calls in ``<tool_call>`` blocks; an unclosed last block is an unparseable call."""
    start = text.find(OPEN)
    while start != -1:
        body_start = start + len(OPEN)
        end = text.find(CLOSE, body_start)
        if end == -1:
            yield Call(None, None, "a <tool_call> block is never closed")
            return
        yield from _block_calls(text[body_start:end].strip(), options)
        start = text.find(OPEN, end + len(CLOSE))


def _block_calls(body: str, options: ReadOptions) -> Iterator[Call]:
    """The calls of one block: a JSON object, a JSON list of them, or one object per line."""
    value, problem, repaired = parse_json(body, options, repair=False)
    if problem is None:
        for item in value if isinstance(value, list) else [value]:
            yield _call_object(item, options, repaired)
        return
    lines = [line.strip() for line in body.split("\n") if line.strip()]
    if len(lines) > 1 and all(parse_json(line, options, repair=False)[1] is None for line in lines):
        for line in lines:
            yield _call_object(parse_json(line, options)[0], options)
        return
    value, problem, repaired = parse_json(body, options)
    if problem is not None:
        yield Call(None, None, problem)
        return
    for item in value if isinstance(value, list) else [value]:
        yield _call_object(item, options, repaired)


def _has_arguments(item: dict[str, Any]) -> bool:
    return "arguments" in item or "parameters" in item


def _call_object(item: Any, options: ReadOptions, repaired: bool = False) -> Call:
    """A call written as an object ``{"name": ..., "arguments": {...}}`` (``parameters`` also read)."""
    if not isinstance(item, dict):
        return Call(None, None, f"a call is {type(item).__name__}, not an object")
    arguments = item["arguments"] if "arguments" in item else item.get("parameters", {})
    call = _call(item.get("name"), arguments, options)
    return Call(call.name, call.arguments, call.problem, call.repaired or repaired) if call.parsed else call


def _call(name: Any, arguments: Any, options: ReadOptions) -> Call:
    """A call from a name and arguments given as a mapping, a JSON string or nothing."""
    if not isinstance(name, str) or not name:
        return Call(None, None, f"the function name is {_kind(name)}, not a non-empty string")
    repaired = False
    if arguments is None:
        arguments = {}
    elif isinstance(arguments, str):
        arguments, problem, repaired = parse_json(arguments, options) if arguments.strip() else ({}, None, False)
        if problem is not None:
            return Call(name, None, problem)
    if not isinstance(arguments, dict):
        return Call(name, None, f"the arguments are {_kind(arguments)}, not an object")
    for key, inner in arguments.items():  # most arguments are string keys to JSON scalars: no walk
        if type(key) is not str or type(inner) not in _SCALARS:
            problem = check_shape(arguments, options.max_depth)
            if problem is not None:
                return Call(name, None, problem)
            break
    return Call(name, arguments, None, repaired)


def parse_json(text: str, options: ReadOptions, repair: bool | None = None) -> tuple[Any, str | None, bool]:
    """``(value, problem, repaired)``: the JSON value of ``text``, or why it is not JSON.

    Python's parser is linear and raises RecursionError past its depth limit, which is caught
    here; ``repair`` (default: ``options.repair``) retries with json-repair on short enough text.
    """
    try:
        return json.loads(text), None, False
    except (ValueError, RecursionError) as exc:  # JSONDecodeError, an int past 4300 digits, nesting
        problem = f"not valid JSON: {type(exc).__name__}: {str(exc)[:80]}"
    if not (options.repair if repair is None else repair):
        return None, problem, False
    if len(text) > options.repair_max_chars:
        return None, f"{problem} (not repaired: longer than {options.repair_max_chars} characters)", False
    if nesting(text) > options.max_depth:  # json-repair's time grows with the nesting it rebuilds
        return None, f"{problem} (not repaired: nested deeper than {options.max_depth} levels)", False
    import json_repair  # opt-in: only when repair is asked for (the [tools] extra)

    try:
        value = json_repair.loads(text)
    except (ValueError, RecursionError) as exc:
        return None, f"{problem} (repair failed: {type(exc).__name__})", False
    if value == "" or value is None:
        return None, f"{problem} (nothing to repair)", False
    return value, None, True


def nesting(text: str) -> int:
    """How deep brackets nest in ``text``, outside its JSON strings (unclosed ones count)."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth = max(0, depth - 1)
    return deepest


_SCALARS = frozenset((str, int, float, bool, type(None)))


def check_shape(value: Any, max_depth: int) -> str | None:
    """Why ``value`` cannot be a call's arguments (a key that is not a string, nesting deeper
    than ``max_depth``), or None. Iterative, so it is bounded for any input."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > max_depth:
            return f"the arguments nest deeper than {max_depth} levels"
        if isinstance(item, dict):
            for key, inner in item.items():
                if not isinstance(key, str):
                    return f"an argument key is {_kind(key)}, not a string"
                if isinstance(inner, (dict, list, tuple)):
                    stack.append((inner, depth + 1))
        elif isinstance(item, (list, tuple)):
            stack.extend((inner, depth + 1) for inner in item if isinstance(inner, (dict, list, tuple)))
    return None


def _kind(value: Any) -> str:
    return "None" if value is None else type(value).__name__
