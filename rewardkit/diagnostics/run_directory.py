"""Reading a training run directory: its per-step metrics and the completions TRL logged.

A ``rewardkit train`` run writes ``metrics.jsonl`` (one record per log), ``summary.json`` (the
components and weights) and, with TRL's ``log_completions`` on, ``completions/completions_<step>.parquet``
(every completion of the latest generation batch at each log: prompt, completion, one column per
component, the components' detail as ``<component>/<key>``, rewardkit's ``rewardkit/tokens`` and
``rewardkit/truncated``). Reading the Parquet files needs pyarrow (it comes with the ``train``
extra, and with ``diagnose``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rewardkit.errors import ConfigError, import_optional
from rewardkit.jsonl import read_jsonl
from rewardkit.stats import finite_number, weighted_total

from .table import ScoredRow, ScoredTable, completion_of, group_key, prompt_of

TOKENS_COLUMN = "rewardkit/tokens"
TRUNCATED_COLUMN = "rewardkit/truncated"
BOOKKEEPING = {"step", "prompt", "completion", "advantage"}


def read_metrics(path: str | Path) -> list[dict[str, Any]]:
    """The per-step training records of a run's metrics JSONL (the end-of-run summary is skipped)."""
    records = [record for record in read_jsonl(path) if "reward" in record]
    # a resumed run appends: keep the latest record of each step
    by_step = {r["step"]: r for r in records}
    return [by_step[s] for s in sorted(by_step)]


def is_run_directory(path: Path) -> bool:
    return path.is_dir() and ((path / "metrics.jsonl").is_file() or (path / "completions").is_dir())


def logged_completions(run: Path) -> list[dict[str, Any]]:
    """Every row TRL logged, oldest first, each generation batch once (TRL logs the latest batch at
    each log, so a batch used for several optimizer steps appears in several files)."""
    files = sorted((run / "completions").glob("completions_*.parquet"))
    if not files:
        return []
    # lazy: only a run's logged completions need pyarrow
    pq = import_optional("pyarrow.parquet", "diagnose", "reading a run's logged completions")
    rows: list[dict[str, Any]] = []
    previous: list[tuple[str, str]] = []
    for path in files:
        batch = pq.read_table(path).to_pylist()
        identity = [(json.dumps(r.get("prompt"), default=str), json.dumps(r.get("completion"), default=str)) for r in batch]
        if identity != previous:
            rows.extend(batch)
        previous = identity
    return rows


def read_run_directory(path: str | Path, *, weights: dict[str, float] | None = None) -> ScoredTable:
    """A run's logged completions as rows grouped by (step, prompt), with its metrics per step."""
    run = Path(path)
    if not is_run_directory(run):
        raise ConfigError(f"{run}: not a training run directory (no metrics.jsonl or completions/)")
    metrics = read_metrics(run / "metrics.jsonl") if (run / "metrics.jsonl").is_file() else []
    summary_path = run / "summary.json"
    summary = json.loads(summary_path.read_text(encoding="utf-8")) if summary_path.is_file() else {}
    logged = logged_completions(run)
    if weights is None and isinstance(summary.get("rewards"), dict):
        weights = {str(k): float(v) for k, v in summary["rewards"].items()}
    if weights is not None:
        names = list(weights)
    else:
        names = [k[len("rewards/"): -len("/mean")] for k in (metrics[0] if metrics else {}) if k.startswith("rewards/") and k.endswith("/mean")]
        names = names or [k for k in (logged[0] if logged else {}) if k not in BOOKKEEPING and "/" not in k]
    if not names:
        raise ConfigError(f"{run}: cannot tell the reward components (no summary.json, metrics or logged completions)")
    notes = []
    if weights is None:
        weights = dict.fromkeys(names, 1.0)
        notes.append("no summary.json with the weights; every weight taken as 1 — pass --rewards")
    if not logged:
        notes.append("no logged completions (completions/*.parquet): per-row figures and suspects need "
                     "trainer.log_completions: true (rewardkit train turns it on)")
    rows = []
    for index, record in enumerate(logged):
        step = record.get("step")
        prompt = record.get("prompt")
        scores = {n: finite_number(record.get(n)) for n in names}
        truncated = record.get(TRUNCATED_COLUMN)
        rows.append(
            ScoredRow(
                index=index,
                completion=completion_of(record.get("completion")),
                prompt=prompt,
                prompt_text=prompt_of(prompt),
                scores=scores,
                total=weighted_total(list(scores.values()), [weights[n] for n in scores]),
                extra={
                    n: {k.split("/", 1)[1]: v for k, v in record.items() if k.startswith(n + "/")} for n in names
                },
                step=step,
                tokens=record.get(TOKENS_COLUMN) if isinstance(record.get(TOKENS_COLUMN), int) else None,
                truncated=truncated if isinstance(truncated, bool) else None,
                group=group_key(prompt, step),
            )
        )
    return ScoredTable(str(run), "run", names, {n: weights.get(n, 1.0) for n in names}, rows, metrics=metrics, notes=notes)
