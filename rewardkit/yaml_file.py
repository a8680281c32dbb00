"""The one YAML loader: regular files only, safe tags only, bounded in size, and errors that name
the file and line."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import yaml

from .config_size import check_config_size
from .errors import ConfigError, shown

# libyaml's safe loader where PyYAML was built with it (6x faster on a large composition), else
# the pure-Python one: both construct plain data only, never Python objects.
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
YAML_TAG_PREFIX = "tag:yaml.org,2002:"  # what PyYAML writes for the "!!" of a tag
MESSAGE_CHARS = 200  # the most of PyYAML's own text an error repeats
MAX_FILE_BYTES = 16 << 20  # a composition of 10,000 entries is about a megabyte
KINDS = {stat.S_IFDIR: "a directory", stat.S_IFCHR: "a device", stat.S_IFBLK: "a device", stat.S_IFIFO: "a pipe",
         stat.S_IFSOCK: "a socket"}


def read_yaml(path: str | Path) -> Any:
    """The data of a YAML file, loaded with PyYAML's safe loader (no Python object tags).

    A file that cannot be read or parsed raises :class:`ConfigError` in one line naming the file
    (``path:line:column:`` for syntax errors and refused tags); so does what is not a regular file
    (a device such as ``/dev/zero``, a pipe: neither is read), a file over :data:`MAX_FILE_BYTES`
    (refused before it is read), and a file whose YAML aliases expand past
    :data:`~rewardkit.config_size.MAX_VALUES` values (an alias bomb), before anything expands them.
    """
    path = Path(path)
    try:
        text = read_config_bytes(path).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    try:
        data = yaml.load(text, Loader=SAFE_LOADER)  # noqa: S506 - a safe loader
    except yaml.YAMLError as exc:
        raise ConfigError(yaml_error(path, text, exc)) from None
    except ValueError as exc:  # a date that is no date, an integer longer than Python converts
        raise ConfigError(f"{path}: invalid YAML: {str(exc)[:MESSAGE_CHARS]}") from None
    except RecursionError:  # the pure-Python loader on deeply nested collections
        raise ConfigError(f"{path}: invalid YAML: collections nested too deeply") from None
    check_config_size(data, str(path))
    return data


def read_config_bytes(path: Path) -> bytes:
    """The bytes of the regular file ``path``, at most :data:`MAX_FILE_BYTES`; ConfigError otherwise."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)  # a pipe opens at once rather than wait for a writer
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            kind = KINDS.get(stat.S_IFMT(info.st_mode), "not a regular file")
            raise ConfigError(f"{path}: cannot read: {kind}, not a file")
        if info.st_size > MAX_FILE_BYTES:
            raise ConfigError(f"{path}: cannot read: {info.st_size:,} bytes, more than a config may have ({MAX_FILE_BYTES >> 20} MB)")
        try:
            data = handle.read(MAX_FILE_BYTES + 1)  # a file that grew since
        except OSError as exc:
            raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if len(data) > MAX_FILE_BYTES:
        raise ConfigError(f"{path}: cannot read: more than a config may have ({MAX_FILE_BYTES >> 20} MB)")
    return data


def yaml_error(path: Path | str, text: str, exc: yaml.YAMLError) -> str:
    """PyYAML's error as one line, ``path:line:column: invalid YAML: problem``, its parts shortened."""
    if isinstance(exc, yaml.reader.ReaderError):  # a character YAML does not allow: only an offset
        line, column = text.count("\n", 0, exc.position) + 1, exc.position - text.rfind("\n", 0, exc.position)
        return f"{path}:{line}:{column}: invalid YAML: character #x{exc.character:04x}: {exc.reason}"
    mark, problem = getattr(exc, "problem_mark", None), getattr(exc, "problem", None)
    if mark is None or problem is None:
        return f"{path}: invalid YAML: {' '.join(str(exc).split())[:MESSAGE_CHARS]}"
    if isinstance(exc, yaml.constructor.ConstructorError) and "constructor for the tag" in problem:
        tag = problem.split("tag ", 1)[1].strip("'").replace(YAML_TAG_PREFIX, "!!")
        problem = f"the tag {shown(tag)} is not allowed: only plain data (mappings, lists, text, numbers)"
    context, start = getattr(exc, "context", None), getattr(exc, "context_mark", None)
    where = f" ({context} from line {start.line + 1}, column {start.column + 1})" if context and start else ""
    return f"{path}:{mark.line + 1}:{mark.column + 1}: invalid YAML: {problem[:MESSAGE_CHARS]}{where}"
