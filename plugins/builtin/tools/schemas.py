"""A row's function schemas: OpenAI/TRL tools, Responses-API tools and BFCL's function docs, read alike.

Accepted, as Python objects or a JSON string of them: a list (or one) of
``{"type": "function", "function": {"name", "description", "parameters"}}`` (chat APIs, TRL,
``transformers.utils.get_json_schema``), ``{"type": "function", "name", "parameters"}``
(Responses API, NeMo Gym) and ``{"name", "description", "parameters": {"type": "dict", ...}}``
(BFCL). Parameter types may use JSON Schema's names or BFCL's (``dict``, ``float``, ``tuple``,
``any``); :func:`json_schema` turns BFCL's into JSON Schema for validation.
"""

from __future__ import annotations

import json
from typing import Any, Collection, Mapping, NamedTuple


class SchemaError(ValueError):
    """The row's tools cannot be read as function schemas."""


class FunctionSpec(NamedTuple):
    """One declared function: its parameters' schemas, the required ones, and the whole parameters schema."""

    name: str
    properties: Mapping[str, Any]
    required: tuple[str, ...]
    parameters: Mapping[str, Any]


def read_tools(value: Any, only: Collection[str] | None = None) -> dict[str, FunctionSpec]:
    """The declared functions by name (the first of a repeated name wins, as BFCL's lookup does);
    with ``only``, just those names are read (a row may declare dozens of functions)."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except (ValueError, RecursionError) as exc:
            raise SchemaError(f"the tools are not valid JSON ({type(exc).__name__})") from None
    if isinstance(value, dict):
        value = [value]
    if not isinstance(value, (list, tuple)):
        raise SchemaError(f"the tools are {type(value).__name__}, not a list of function schemas")
    specs: dict[str, FunctionSpec] = {}
    for i, tool in enumerate(value):
        if isinstance(tool, dict):
            inner = tool.get("function")
            if isinstance(inner, dict):
                tool = inner
            name = tool.get("name")
        else:
            name = None
        if only is not None and name not in only:
            continue
        if not isinstance(name, str):
            raise SchemaError(f"tool {i} has no function name")
        specs.setdefault(name, _function(tool, name))  # the first of a repeated name wins
    return specs


def _function(tool: dict[str, Any], name: str) -> FunctionSpec:
    """The spec of a function declared as ``{"name", "parameters", ...}``."""
    parameters = tool.get("parameters")
    if parameters is None:
        parameters = {"type": "object", "properties": {}}
    if not isinstance(parameters, dict):
        raise SchemaError(f"tool '{name}': parameters are {type(parameters).__name__}, not an object")
    properties = parameters.get("properties") or {}
    required = parameters.get("required") or []
    if not isinstance(properties, dict) or not isinstance(required, list):
        raise SchemaError(f"tool '{name}': properties must be an object and required a list")
    names = [r for r in required if isinstance(r, str)]
    if len(set(names)) < len(names):
        names = list(dict.fromkeys(names))  # each once
    return FunctionSpec(name, properties, tuple(names), parameters)


# BFCL's type names that JSON Schema spells differently; "any" has no JSON Schema type.
BFCL_TO_JSON_SCHEMA = {"dict": "object", "float": "number", "tuple": "array"}


def json_schema(schema: Any, _depth: int = 0) -> Any:
    """``schema`` with BFCL's type names as JSON Schema's (``any``: no type), at every level."""
    if _depth > 64:  # a schema nested this deep is not a tool's; keep the walk bounded
        return schema
    if isinstance(schema, dict):
        out = {k: json_schema(v, _depth + 1) for k, v in schema.items()}
        kind = schema.get("type")
        if kind == "any":
            del out["type"]
        elif isinstance(kind, str):
            out["type"] = BFCL_TO_JSON_SCHEMA.get(kind, kind)
        return out
    if isinstance(schema, list):
        return [json_schema(v, _depth + 1) for v in schema]
    return schema
