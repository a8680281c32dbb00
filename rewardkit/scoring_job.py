"""A scoring job: a row source scored piece by piece, each piece's rows written to a part, and the
parts joined into the output. The same pieces, scored by the same :class:`PieceScorer`, make a
local run (one process, pieces in turn) and a Ray run (each actor scoring pieces), so the two
give the same rows, scores and summary.

Each piece's scored rows go to ``part-NNNNNN.jsonl`` (or ``.parquet``) and, after it, its result
(summary tallies, group counts, best-of candidates, first rows) to ``part-NNNNNN.json``; both are
written atomically, and the result's presence marks the piece done, so a re-run of an
interrupted job scores only the pieces without one. ``manifest.json`` records what the parts
depend on (composition, input files, options); parts are never mixed across jobs. ``--out FILE``
keeps the parts in ``FILE.parts/`` (started afresh when the job changed) and joins them into
``FILE``, then removes the folder; ``--out DIR/`` is the folder of parts itself, and a folder
holding another job's parts is refused.

A piece that cannot be read or scored (a line that is not JSON, a missing column a reward needs)
is reported with its file and lines and left without a result; the other pieces are still
scored, and nothing is joined until every piece is.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping

from .composition import Composition
from .errors import ConfigError, RewardkitError, import_optional, shown
from .jsonl import atomic_output, check_output, with_key
from .reward import Figure, MergedMetric
from .row_scoring import row_records, score_rows
from .row_sources import Piece, PieceRows, RowSource, read_piece
from .selection import Groups, KeepRule, group_id
from .stats import ScoreTally

MANIFEST = "manifest.json"
FORMATS = ("jsonl", "parquet")


@dataclass(frozen=True)
class JobOptions:
    """What decides a job's output rows (``show`` aside, which only decides what is printed)."""

    key: str = "rewardkit"
    completion_key: str = "completion"
    prompt_key: str = "prompt"
    batch_size: int = 64
    keep: str | None = None
    group_key: str | None = None
    best_of: int | None = None
    out_format: str = "jsonl"
    show: int = 20

    def __post_init__(self) -> None:
        if self.batch_size < 1:
            raise ConfigError("batch size must be at least 1")
        if self.best_of is not None and self.best_of < 1:
            raise ConfigError("--best-of must be at least 1")
        if self.out_format not in FORMATS:
            raise ConfigError(f"unknown output format {shown(self.out_format)} (known: {', '.join(FORMATS)})")

    def identity(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if k != "show"}


@dataclass
class PieceResult:
    """What scoring one piece gave, besides its part file. ``error``: why it was not scored."""

    number: int
    rows: int = 0
    kept: int = 0
    tallies: dict[str, ScoreTally] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    groups: Groups | None = None
    shown: list[dict[str, Any]] = field(default_factory=list)
    metrics: dict[str, MetricTally] = field(default_factory=dict)
    batches: int = 0
    error: str | None = None
    seconds: float = 0.0
    node: str | None = None  # where it was scored, on a cluster


    def as_json(self) -> dict[str, Any]:
        return {
            **{k: getattr(self, k) for k in ("number", "rows", "kept", "errors", "shown", "batches", "error", "seconds", "node")},
            "metrics": {name: m.sums for name, m in self.metrics.items()},
            "tallies": {name: t.as_json() for name, t in self.tallies.items()},
            "groups": None if self.groups is None else self.groups.as_json(),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PieceResult:
        return cls(
            **{k: data[k] for k in ("number", "rows", "kept", "errors", "shown", "batches", "error", "seconds", "node")},
            metrics={name: MetricTally(sums) for name, sums in data["metrics"].items()},
            tallies={name: ScoreTally.from_json(t) for name, t in data["tallies"].items()},
            groups=None if data["groups"] is None else Groups.from_json(data["groups"]),
        )


class MetricTally:
    """A reward's batch metrics kept so that pieces add up (what :func:`rewardkit.reward.merge_metrics`
    reports for a list of batches): per metric, counts summed, or a figure's weighted sum, weight,
    plain sum, batches, lowest and highest."""

    def __init__(self, sums: dict[str, list[Any]] | None = None) -> None:
        self.sums: dict[str, list[Any]] = sums or {}

    @classmethod
    def of(cls, batches: Iterable[Mapping[str, float]]) -> MetricTally:
        tally = cls()
        for metrics in batches:
            for key, value in metrics.items():
                if isinstance(value, Figure):
                    tally._add(key, [True, value * value.weight, value.weight, float(value), 1, float(value), float(value)])
                else:
                    tally._add(key, [False, float(value), 0.0, 0.0, 1, None, None])
        return tally

    def _add(self, key: str, sums: list[Any]) -> None:
        mine = self.sums.get(key)
        if mine is None:
            self.sums[key] = list(sums)
            return
        for i in (1, 2, 3, 4):
            mine[i] += sums[i]
        if mine[0]:
            mine[5], mine[6] = min(mine[5], sums[5]), max(mine[6], sums[6])

    def merge(self, other: MetricTally) -> None:
        for key, sums in other.sums.items():
            self._add(key, sums)

    def merged(self) -> dict[str, MergedMetric]:
        found = {}
        for key, (figure, total, weight, plain, batches, low, high) in self.sums.items():
            if not figure:
                found[key] = MergedMetric(total)
            else:
                mean = total / weight if weight > 0 else plain / batches
                found[key] = MergedMetric(mean, True, low, high, batches)
        return found


def part_path(folder: str | Path, number: int, suffix: str) -> Path:
    return Path(folder) / f"part-{number:06d}.{suffix}"


class PieceScorer:
    """Scores pieces with one composition: what a local run does in its own process, and each Ray
    actor in its own (the composition, its verifier pool and caches kept between pieces)."""

    def __init__(self, composition: Composition, options: JobOptions, parts: str | None, node: str | None = None) -> None:
        self.composition = composition
        self.node = node
        self.options = options
        self.parts = parts
        self.rule = KeepRule(options.keep, composition.names) if options.keep else None

    def __call__(self, piece: Piece) -> PieceResult:
        started = time.monotonic()
        o = self.options
        try:
            read = read_piece(piece)  # its errors name the file and line
        except RewardkitError as exc:
            return PieceResult(piece.number, error=str(exc), seconds=time.monotonic() - started)
        try:
            taken = [n for n, row in zip(read.numbers, read.rows) if o.key in row]
            if taken:
                where = "line" if piece.kind == "jsonl" else "row"
                raise ConfigError(f"{where} {taken[0]} already has a '{o.key}' key; choose another with --key")
            scored = score_rows(
                self.composition, read.rows, completion_key=o.completion_key, prompt_key=o.prompt_key,
                batch_size=o.batch_size,
            )  # fmt: skip
        except RewardkitError as exc:
            return PieceResult(piece.number, error=f"{piece.label()}: {exc}", seconds=time.monotonic() - started)
        result = PieceResult(
            piece.number, rows=len(read.rows), groups=Groups(o.best_of) if o.group_key else None, node=self.node
        )
        result.tallies = {name: ScoreTally() for name in [*self.composition.names, "total"]}
        result.batches = len(scored)
        for name in self.composition.names:
            batches = [scores.metrics[name] for scores in scored if name in scores.metrics]
            if batches:
                result.metrics[name] = MetricTally.of(batches)
        kept: list[tuple[int, dict[str, Any]]] = []
        for i, record in enumerate(row_records(scored)):
            for name, score in record["components"].items():
                result.tallies[name].add(score)
            result.tallies["total"].add(record["total"])
            for name in record["errors"]:
                result.errors[name] = result.errors.get(name, 0) + 1
            passed = self.rule is None or self.rule(record)
            if result.groups is not None:
                group = group_id(read.rows[i], o.group_key)  # type: ignore[arg-type]
                result.groups.add(group, passed, record["total"], (piece.number, len(kept)))
            if passed:
                kept.append((i, record))
            if o.show < 0 or len(result.shown) < o.show:
                result.shown.append({k: record[k] for k in ("components", "total")})
        result.kept = len(kept)
        if self.parts is not None:
            write_part(part_path(self.parts, piece.number, o.out_format), read, kept, o)
        result.seconds = time.monotonic() - started
        if self.parts is not None:
            with atomic_output(part_path(self.parts, piece.number, "json")) as handle:
                json.dump(result.as_json(), handle)
        return result


def written_result(folder: str | Path, piece: Piece, options: JobOptions) -> PieceResult | None:
    """The result of ``piece`` if its part and result are written in ``folder``, else None."""
    path = part_path(folder, piece.number, "json")
    if not (path.exists() and part_path(folder, piece.number, options.out_format).exists()):
        return None
    try:
        return PieceResult.from_json(json.loads(path.read_text(encoding="utf-8")))
    except (ValueError, KeyError, TypeError):
        return None  # unreadable: scored again


def write_part(path: Path, read: PieceRows, kept: list[tuple[int, dict[str, Any]]], options: JobOptions) -> None:
    """The kept rows of a piece with their scores under ``options.key``: JSONL rows as they came
    (their text kept), or Parquet with the input's columns and the scores as JSON text."""
    if options.out_format == "parquet":
        pa = import_optional("pyarrow", "ray", "writing Parquet")
        pq = import_optional("pyarrow.parquet", "ray", "writing Parquet")
        table = read.table.take(pa.array([i for i, _ in kept], type=pa.int64()))
        scores = [json.dumps(record, ensure_ascii=True, default=str) for _, record in kept]
        table = table.append_column(options.key, pa.array(scores, type=pa.string()))
        with atomic_output(path, binary=True) as handle:
            pq.write_table(table, handle)
        return
    with atomic_output(path) as handle:
        for i, record in kept:
            text = read.texts[i]
            if text is None:  # a Parquet or Arrow row, written as JSON
                text = json.dumps(read.rows[i], ensure_ascii=True, default=str)
            handle.write(with_key(text, read.rows[i], options.key, record) + "\n")


# -- the job: its folder of parts, resuming, joining ---------------------------------------------


class Job:
    """One scoring run over ``source``: where its parts go, which pieces are done, the output."""

    def __init__(self, source: RowSource, options: JobOptions, composition_id: Any, out: str | None) -> None:
        self.source = source
        self.options = options
        self.out = out
        self.folder: Path | None = None
        self.joined: Path | None = None  # the one output file, when --out names a file
        if out is not None:
            if out.endswith(("/", os.sep)):
                self.folder = Path(out)
                if not self.folder.parent.is_dir():
                    raise ConfigError(f"{out}: cannot write: folder {self.folder.parent} does not exist")
            else:
                self.joined = check_output(out)
                self.folder = self.joined.with_name(self.joined.name + ".parts")
        if options.out_format == "parquet" and not source.tabular:
            raise ConfigError("Parquet output needs Parquet or Arrow input (JSONL rows have no common schema); write JSONL")
        if source.columns is not None:
            if options.completion_key not in source.columns:
                raise ConfigError(f"{source.spec}: no '{options.completion_key}' column (use --completion-key)")
            if options.key in source.columns:
                raise ConfigError(f"{source.spec} already has a '{options.key}' column; choose another with --key")
        self.manifest = {
            "rewardkit_job": 1,
            "composition": json.loads(json.dumps(composition_id, default=str)),
            "input": source.fingerprint(),
            "pieces": [p.as_json() for p in source.pieces],
            "options": options.identity(),
        }

    def pending(self) -> tuple[list[Piece], dict[int, PieceResult]]:
        """Pieces still to score, and the results of those a previous run of this job finished."""
        if self.folder is None:
            return list(self.source.pieces), {}
        self._claim()
        done = {p.number: r for p in self.source.pieces if (r := written_result(self.folder, p, self.options)) is not None}
        return [p for p in self.source.pieces if p.number not in done], done

    def _claim(self) -> None:
        folder = self.folder
        assert folder is not None
        manifest = folder / MANIFEST
        if folder.exists() and any(folder.iterdir()):
            try:
                found = json.loads(manifest.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                raise ConfigError(f"{folder} is not empty and holds no rewardkit job; choose another --out") from None
            changed = [k for k in self.manifest if found.get(k) != self.manifest[k]]
            if changed and self.joined is None:
                raise ConfigError(
                    f"{folder} holds the parts of another job (its {', '.join(changed)} differ); "
                    f"remove it to start over, or choose another --out"
                )
            if not changed:
                for stale in folder.glob(".part-*.tmp"):  # left by a writer that was killed
                    stale.unlink(missing_ok=True)
                return
            shutil.rmtree(folder)  # the working folder of an earlier run of --out FILE with another input or options
        folder.mkdir(exist_ok=True)
        with atomic_output(manifest) as handle:
            json.dump(self.manifest, handle)

    def finish(self, results: Mapping[int, PieceResult], pass_rates: str | None) -> dict[str, Any]:
        """Join the parts into the output, write the pass rates; what was written."""
        ordered = [results[p.number] for p in self.source.pieces if p.number in results]
        groups = merge_groups(ordered)
        written: dict[str, Any] = {"rows": sum(r.kept for r in ordered)}
        selected = groups.selected() if groups is not None and self.options.best_of else None
        if selected is not None:
            written["rows"] = sum(len(s) for s in selected.values())
        failed = len(ordered) < len(self.source.pieces)
        if self.folder is not None and not failed:
            if self.joined is not None:
                self._join(selected)
                shutil.rmtree(self.folder)
                written["out"] = str(self.out)
            else:
                if selected is not None:
                    self._best_parts(selected)
                    written["best"] = str(self.folder / "best")
                written["out"] = str(self.folder)
        if pass_rates and groups is not None and not failed:
            with atomic_output(pass_rates) as handle:
                for line in groups.pass_rates():
                    handle.write(json.dumps(line, ensure_ascii=False, default=str) + "\n")
            written["pass_rates"] = pass_rates
            written["groups"] = len(groups.counts)
        return written

    def _parts(self) -> Iterator[tuple[Piece, Path]]:
        assert self.folder is not None
        for piece in self.source.pieces:
            yield piece, part_path(self.folder, piece.number, self.options.out_format)

    def _join(self, selected: dict[int, set[int]] | None) -> None:
        assert self.joined is not None
        if self.options.out_format == "parquet":
            pq = import_optional("pyarrow.parquet", "ray", "writing Parquet")
            with atomic_output(self.joined, binary=True) as handle:
                writer = None
                for piece, path in self._parts():
                    table = _chosen_rows(pq.read_table(path), None if selected is None else selected.get(piece.number, set()))
                    if writer is None:
                        writer = pq.ParquetWriter(handle, table.schema)
                    writer.write_table(table.cast(writer.schema) if table.schema != writer.schema else table)
                if writer is not None:
                    writer.close()
            return
        with atomic_output(self.joined) as handle:
            for piece, path in self._parts():
                handle.writelines(_chosen_lines(path, None if selected is None else selected.get(piece.number, set())))

    def _best_parts(self, selected: dict[int, set[int]]) -> None:
        assert self.folder is not None
        best = self.folder / "best"
        best.mkdir(exist_ok=True)
        for piece, path in self._parts():
            chosen = selected.get(piece.number, set())
            if self.options.out_format == "parquet":
                pq = import_optional("pyarrow.parquet", "ray", "writing Parquet")
                with atomic_output(best / path.name, binary=True) as handle:
                    pq.write_table(_chosen_rows(pq.read_table(path), chosen), handle)
            else:
                with atomic_output(best / path.name) as handle:
                    handle.writelines(_chosen_lines(path, chosen))


def _chosen_lines(path: Path, chosen: set[int] | None) -> Iterable[str]:
    with open(path, encoding="utf-8", newline="") as handle:
        for i, line in enumerate(handle):
            if chosen is None or i in chosen:
                yield line


def _chosen_rows(table: Any, chosen: set[int] | None) -> Any:
    return table if chosen is None else table.take(sorted(chosen))


def merge_groups(results: Iterable[PieceResult]) -> Groups | None:
    merged = None
    for result in results:
        if result.groups is not None:
            if merged is None:
                merged = Groups(result.groups.best_of)
            merged.merge(result.groups)
    return merged


def summary(results: Iterable[PieceResult], names: list[str]) -> dict[str, dict[str, Any]]:
    """Per component and for the total: mean, std, min, max, None and errors over every piece."""
    tallies = {name: ScoreTally() for name in [*names, "total"]}
    errors = {name: 0 for name in names}
    for result in results:
        for name, tally in result.tallies.items():
            tallies[name].merge(tally)
        for name, count in result.errors.items():
            errors[name] += count
    table = {name: {**tallies[name].stats(), "errors": errors[name]} for name in names}
    table["total"] = {**tallies["total"].stats(), "errors": sum(errors.values())}
    return table
