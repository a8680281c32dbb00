"""The one reader of JSON-lines files (errors naming the file and line), and the one atomic writer.

Rows are read together with their original text, so a row can be written back as it came
(numbers such as ``1e400`` or ``1.0E+2``, duplicate keys, escapes and spacing untouched) with a
key spliced in (:func:`with_key`). Output goes to a temporary file in the target's directory that
replaces the target only once it is complete (:func:`atomic_output`): an interrupted or failed
write never leaves a truncated file, even when the output is the input.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
import sys
import tempfile
from pathlib import Path
from typing import Any, Iterator

from .errors import ConfigError


def iter_jsonl_text(
    path: str | Path, start: int = 0, stop: int | None = None, first_line: int = 1
) -> Iterator[tuple[int, str, dict[str, Any]]]:
    """``(line number, line text, object)`` for each non-blank line of a JSON-lines file, streamed.

    Lines end at ``\\n`` only (JSON allows a bare ``\\r`` as whitespace); the text keeps
    everything but its line end. A line that is not UTF-8 or not a JSON object raises
    :class:`ConfigError` naming the file and line. ``start``/``stop`` read only the lines that
    begin in that byte range (``start`` at a line's beginning, numbered ``first_line``).
    """
    try:
        with open(path, "rb") as handle:
            handle.seek(start)
            position = start
            for number, raw in enumerate(handle, start=first_line):
                if stop is not None and position >= stop:
                    return
                position += len(raw)
                try:
                    line = raw.decode("utf-8").rstrip("\r\n")
                except UnicodeDecodeError as exc:
                    raise ConfigError(
                        f"{path}:{number}: not UTF-8 text ({exc.reason} at byte {exc.start + 1} of the line)"
                    ) from None
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise ConfigError(f"{path}:{number}: invalid JSON: {exc.msg}") from None
                except ValueError:  # Python's bound on converting digits to an integer
                    raise ConfigError(
                        f"{path}:{number}: invalid JSON: an integer of more than {sys.get_int_max_str_digits():,} digits"
                    ) from None
                except RecursionError:
                    raise ConfigError(f"{path}:{number}: invalid JSON: nested too deeply") from None
                if not isinstance(row, dict):
                    raise ConfigError(f"{path}:{number}: expected a JSON object, got {type(row).__name__}")
                yield number, line, row
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None


def iter_jsonl(path: str | Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """``(line number, object)`` for each non-blank line of a JSON-lines file, read as it streams."""
    for number, _, row in iter_jsonl_text(path):
        yield number, row


def read_jsonl(path: str | Path) -> list[dict[str, Any]]:
    """Every object of a JSON-lines file, in order (blank lines skipped)."""
    return [row for _, row in iter_jsonl(path)]


def with_key(text: str, row: dict[str, Any], key: str, value: Any) -> str:
    """The JSON object ``text`` (parsed: ``row``) with ``"key": value`` added before its closing
    brace; the rest of the text is kept character for character. ``value`` is written in ASCII,
    so a row carrying a lone surrogate escape (``\\ud800``) stays writable."""
    body = text.rstrip()
    added = f"{json.dumps(key)}: {json.dumps(value, ensure_ascii=True, default=str)}"
    return f"{body[:-1]}{', ' if row else ''}{added}}}"


def check_output(path: str | Path) -> Path:
    """Refuse, before any work is done, an output path that cannot be written: a directory, a
    missing or read-only folder. Returns the path a symbolic link points to."""
    target = Path(os.path.realpath(path))
    if target.is_dir():
        raise ConfigError(f"{path}: cannot write: is a directory")
    if not target.parent.is_dir():
        raise ConfigError(f"{path}: cannot write: folder {target.parent} does not exist")
    if not os.access(target.parent, os.W_OK | os.X_OK):
        raise ConfigError(f"{path}: cannot write: no permission to create files in {target.parent}")
    return target


@contextlib.contextmanager
def atomic_output(path: str | Path, binary: bool = False) -> Iterator[Any]:
    """A UTF-8 text file (``binary``: a byte file) that becomes ``path`` only when the ``with`` block completes.

    The data goes to a temporary file in the same folder (so the final rename is atomic) with
    the permissions an existing ``path`` has; on any exception, Ctrl-C included, the temporary
    file is removed and ``path`` is left as it was.
    """
    target = check_output(path)
    try:
        fd, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot write: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "wb") if binary else os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, _mode_for(target))
        os.replace(temporary, target)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        if isinstance(exc, OSError):  # a full disk, a lost mount: one line, and path untouched
            raise ConfigError(f"{path}: cannot write: {exc.strerror or exc}; left unchanged") from None
        raise


def _mode_for(target: Path) -> int:
    """The permissions of the file being replaced, else what a new file gets under the umask."""
    try:
        return stat.S_IMODE(target.stat().st_mode)
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask
