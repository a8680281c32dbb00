"""The one reader of JSON-lines files: one object per line, errors naming the file and line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator

from .errors import ConfigError


def iter_jsonl(path: str | Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """``(line number, object)`` for each non-blank line of a JSON-lines file, read as it streams.

    A line that is not a JSON object, or a file that is not UTF-8, raises :class:`ConfigError`
    naming the file and line.
    """
    try:
        with open(path, encoding="utf-8") as handle:
            number = 0
            try:
                for number, line in enumerate(handle, start=1):
                    if not line.strip():
                        continue
                    try:
                        row = json.loads(line)
                    except json.JSONDecodeError as exc:
                        raise ConfigError(f"{path}:{number}: invalid JSON: {exc.msg}") from None
                    if not isinstance(row, dict):
                        raise ConfigError(f"{path}:{number}: expected a JSON object, got {type(row).__name__}")
                    yield number, row
            except UnicodeDecodeError as exc:
                raise ConfigError(f"{path}:{number + 1}: not UTF-8 text ({exc.reason})") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None


def read_jsonl(path: str | Path) -> list[dict[str, Any]]:
    """Every object of a JSON-lines file, in order (blank lines skipped)."""
    return [row for _, row in iter_jsonl(path)]
