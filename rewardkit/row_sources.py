"""Where the rows to score come from, cut into pieces that can be read, scored and written apart.

A source is one JSONL or Parquet file, a folder of them, a glob (``shards/*.parquet``), or a
dataset saved with ``datasets`` (``save_to_disk``: its Arrow files, read with pyarrow, never with
``datasets``). Input order is the files in sorted order (a saved dataset: its own order), each
file's rows in order. A piece is a run of rows of one file: about ``rows_per_piece`` lines of a
JSONL file (cut at line starts), or whole Parquet row groups / Arrow record batches (a big row
group stays one piece). Pieces in number order are the input in order, so parts written per
piece and joined in that order give every row once, where it was.

JSONL rows keep their original text (:func:`rewardkit.jsonl.iter_jsonl_text`), so a scored row is
written back as it came; Parquet and Arrow rows are read as a pyarrow table, kept for writing
Parquet, and as Python values for scoring.
"""

from __future__ import annotations

import glob
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from .errors import ConfigError, import_optional
from .jsonl import iter_jsonl_text

KINDS = {".jsonl": "jsonl", ".json": "jsonl", ".parquet": "parquet", ".arrow": "arrow"}
SCAN_BYTES = 1 << 22  # JSONL files are scanned for line starts in blocks of 4 MiB


@dataclass(frozen=True)
class Piece:
    """A run of rows of one file: ``number`` orders pieces as the input is ordered.

    JSONL: lines beginning in bytes ``[start, stop)``, the first numbered ``first_line``. Parquet:
    row groups ``[start, stop)``; Arrow: record batches ``[start, stop)``, the first row being the
    file's row ``first_line`` (from 0). ``rows``: the rows (for JSONL the lines, blank ones
    included: an upper bound).
    """

    number: int
    path: str
    kind: str
    start: int
    stop: int
    first_line: int
    rows: int

    def label(self) -> str:
        unit = "lines" if self.kind == "jsonl" else "rows"
        return f"{self.path} {unit} {self.first_line}-{self.first_line + self.rows - 1}"

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class RowSource:
    """The files of a source, in input order, and its pieces. ``columns``: the columns every
    row has (Parquet and Arrow schemas); None for JSONL, whose rows each have their own keys."""

    spec: str
    files: tuple[tuple[str, str], ...]  # (path, kind)
    pieces: tuple[Piece, ...]
    columns: tuple[str, ...] | None

    @property
    def rows(self) -> int:
        return sum(p.rows for p in self.pieces)

    @property
    def tabular(self) -> bool:
        """Every file is Parquet or Arrow (rows have a schema, and can be written as Parquet)."""
        return all(kind != "jsonl" for _, kind in self.files)

    def fingerprint(self) -> list[list[Any]]:
        """Each file's path, size and modification time: a re-run resumes only on the same input."""
        found = []
        for path, _ in self.files:
            info = os.stat(path)
            found.append([os.path.abspath(path), info.st_size, info.st_mtime_ns])
        return found


def open_source(spec: str | os.PathLike, rows_per_piece: int = 10_000) -> RowSource:
    """The files ``spec`` names and their pieces; a clear error for anything that is not a source."""
    if rows_per_piece < 1:
        raise ConfigError("rows per piece must be at least 1")
    files = _files(os.fspath(spec))
    pieces: list[Piece] = []
    columns: dict[str, None] | None = {} if all(kind != "jsonl" for _, kind in files) else None
    for path, kind in files:
        planned, names = _plan(path, kind, rows_per_piece, len(pieces))
        pieces.extend(planned)
        if columns is not None:
            columns.update(dict.fromkeys(names))
    return RowSource(os.fspath(spec), tuple(files), tuple(pieces), None if columns is None else tuple(columns))


def _files(spec: str) -> list[tuple[str, str]]:
    path = Path(spec).expanduser()
    if any(c in spec for c in "*?[") and not path.exists():
        matched = sorted(glob.glob(os.path.expanduser(spec)))
        files = [(m, _kind(m)) for m in matched if os.path.isfile(m)]
        if not files:
            raise ConfigError(f"{spec}: no file matches")
        return files
    if path.is_dir():
        if (path / "dataset_dict.json").exists():
            splits = sorted(p.name for p in path.iterdir() if p.is_dir())
            raise ConfigError(f"{spec} holds several splits of a dataset; name one: {', '.join(f'{spec}/{s}' for s in splits)}")
        if (path / "state.json").exists():
            return _saved_dataset(path)
        files = sorted(str(p) for p in path.iterdir() if p.is_file() and p.suffix in KINDS and not p.name.startswith("."))
        if not files:
            raise ConfigError(f"{spec}: no .jsonl, .parquet or .arrow files in this folder")
        return [(f, _kind(f)) for f in files]
    if not path.exists():
        raise ConfigError(f"{spec}: no such file or folder")
    return [(str(path), _kind(str(path)))]


def _kind(path: str) -> str:
    kind = KINDS.get(Path(path).suffix.lower())
    if kind is None:
        raise ConfigError(f"{path}: unknown kind of file (expected {', '.join(KINDS)})")
    return kind


def _saved_dataset(folder: Path) -> list[tuple[str, str]]:
    """The Arrow files of a dataset written by ``datasets``' ``save_to_disk``, in its order."""
    try:
        state = json.loads((folder / "state.json").read_text(encoding="utf-8"))
        names = [entry["filename"] for entry in state["_data_files"]]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"{folder}/state.json: not a dataset saved with datasets ({exc})") from None
    if state.get("_indices_data_files"):
        raise ConfigError(f"{folder}: the saved dataset has an indices mapping; save it after .flatten_indices()")
    return [(str(folder / name), "arrow") for name in names]


def _plan(path: str, kind: str, size: int, first: int) -> tuple[list[Piece], list[str]]:
    if kind == "jsonl":
        return _plan_jsonl(path, size, first), []
    if kind == "parquet":
        pq = import_optional("pyarrow.parquet", "ray", "reading Parquet files")
        try:
            metadata = pq.ParquetFile(path).metadata
        except Exception as exc:  # pyarrow raises its own error types for files that are not Parquet
            raise ConfigError(f"{path}: cannot read as Parquet: {exc}") from None
        counts = [metadata.row_group(i).num_rows for i in range(metadata.num_row_groups)]
        return _group(path, kind, counts, size, first), list(metadata.schema.to_arrow_schema().names)
    schema, counts = _arrow_batches(path)
    return _group(path, kind, counts, size, first), list(schema.names)


def _plan_jsonl(path: str, size: int, first: int) -> list[Piece]:
    """Pieces of ``size`` lines, found by scanning for line ends (no JSON is parsed here)."""
    pieces: list[Piece] = []
    start, lines, line, position, last = 0, 0, 1, 0, b"\n"
    try:
        with open(path, "rb") as handle:
            while block := handle.read(SCAN_BYTES):
                at = block.find(b"\n")
                while at >= 0:
                    lines += 1
                    if lines == size:
                        stop = position + at + 1
                        pieces.append(Piece(first + len(pieces), path, "jsonl", start, stop, line, lines))
                        start, line, lines = stop, line + lines, 0
                    at = block.find(b"\n", at + 1)
                position += len(block)
                last = block[-1:]
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if position > start:  # the lines after the last full piece (the last one may lack its line end)
        lines += last != b"\n"
        pieces.append(Piece(first + len(pieces), path, "jsonl", start, position, line, lines))
    return pieces


def _group(path: str, kind: str, counts: list[int], size: int, first: int) -> list[Piece]:
    """Consecutive row groups (or record batches) together until they hold ``size`` rows."""
    pieces: list[Piece] = []
    start, rows, offset = 0, 0, 0
    for i, count in enumerate(counts):
        rows += count
        if rows >= size or i == len(counts) - 1:
            pieces.append(Piece(first + len(pieces), path, kind, start, i + 1, offset, rows))
            start, offset, rows = i + 1, offset + rows, 0
    return pieces


def _arrow_batches(path: str) -> tuple[Any, list[int]]:
    pa = import_optional("pyarrow", "ray", "reading a saved dataset")
    try:
        with pa.memory_map(path) as source:
            reader = pa.ipc.open_stream(source)
            return reader.schema, [batch.num_rows for batch in reader]
    except Exception as exc:  # pyarrow's own error types
        raise ConfigError(f"{path}: cannot read as an Arrow stream: {exc}") from None


@dataclass
class PieceRows:
    """A piece as read: for each row its line number (JSONL) or index in the file, its JSON
    text (JSONL; None otherwise) and its values; ``table``: the pyarrow table (Parquet, Arrow)."""

    numbers: list[int]
    texts: list[str | None]
    rows: list[dict[str, Any]]
    table: Any = None


def read_piece(piece: Piece) -> PieceRows:
    """The rows of ``piece``; a line that is not a JSON object raises ConfigError naming it."""
    if piece.kind == "jsonl":
        numbers, texts, rows = [], [], []
        for number, text, row in iter_jsonl_text(piece.path, piece.start, piece.stop, piece.first_line):
            numbers.append(number)
            texts.append(text)
            rows.append(row)
        return PieceRows(numbers, texts, rows)
    table = _read_table(piece)
    numbers = list(range(piece.first_line, piece.first_line + table.num_rows))
    return PieceRows(numbers, [None] * table.num_rows, table.to_pylist(), table)


def _read_table(piece: Piece) -> Any:
    pa = import_optional("pyarrow", "ray", "reading Parquet and Arrow files")
    try:
        if piece.kind == "parquet":
            pq = import_optional("pyarrow.parquet", "ray", "reading Parquet files")
            return pq.ParquetFile(piece.path).read_row_groups(list(range(piece.start, piece.stop)))
        with pa.memory_map(piece.path) as source:
            batches = []
            for i, batch in enumerate(pa.ipc.open_stream(source)):
                if i >= piece.stop:
                    break
                if i >= piece.start:
                    batches.append(batch)
            return pa.Table.from_batches(batches)
    except ConfigError:
        raise
    except Exception as exc:  # pyarrow's own error types
        raise ConfigError(f"{piece.label()}: cannot read: {exc}") from None
