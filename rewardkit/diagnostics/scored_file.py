"""Reading a scored JSONL file (``rewardkit score --out``) into a :class:`~.table.ScoredTable`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rewardkit.errors import ConfigError
from rewardkit.jsonl import iter_jsonl

from .table import ScoredRow, ScoredTable, completion_of, group_key, prompt_of

# Row keys that say a completion stopped at the length limit (vLLM, OpenAI-style APIs, TRL).
FINISH_REASON_KEYS = ("finish_reason", "stop_reason")
TOKEN_KEYS = ("completion_tokens", "num_tokens")


def truncation(row: dict[str, Any]) -> bool | None:
    """Whether the row says its completion was cut at the length limit (None: it does not say)."""
    if isinstance(row.get("truncated"), bool):
        return row["truncated"]
    for key in FINISH_REASON_KEYS:
        if isinstance(row.get(key), str):
            return row[key] == "length"
    return None


def read_scored_file(
    path: str | Path,
    *,
    key: str = "rewardkit",
    completion_key: str = "completion",
    prompt_key: str = "prompt",
    group_by: str | None = None,
    weights: dict[str, float] | None = None,
) -> ScoredTable:
    """The rows of a scored file; ``weights`` (from ``--rewards``) win over the ones the rows carry.

    Rows are grouped by their prompt (a GRPO group is the completions of one prompt), or by the
    column ``group_by``.
    """
    rows: list[ScoredRow] = []
    names: dict[str, None] = {}
    carried: dict[str, float] | None = None
    for index, (line, row) in enumerate(iter_jsonl(path)):
        scored = row.get(key)
        if not isinstance(scored, dict) or not isinstance(scored.get("components"), dict):
            raise ConfigError(
                f"{path}:{line}: no '{key}' scores; make the file with `rewardkit score REWARDS DATA --out FILE`"
                " (or name the key with --key)"
            )
        if completion_key not in row:
            raise ConfigError(f"{path}:{line}: no '{completion_key}' key (use --completion-key)")
        if group_by is not None and group_by not in row:
            raise ConfigError(f"{path}:{line}: no '{group_by}' column to group by (--group-by)")
        names.update(dict.fromkeys(scored["components"]))
        if carried is None and isinstance(scored.get("weights"), dict):
            carried = {str(k): float(v) for k, v in scored["weights"].items()}
        prompt = row.get(prompt_key)
        tokens = next((row[k] for k in TOKEN_KEYS if isinstance(row.get(k), int)), None)
        rows.append(
            ScoredRow(
                index=index,
                completion=completion_of(row[completion_key]),
                prompt=prompt,
                prompt_text=prompt_of(prompt),
                scores=dict(scored["components"]),
                total=scored.get("total"),
                errors=dict(scored.get("errors") or {}),
                extra=dict(scored.get("extra") or {}),
                columns={k: v for k, v in row.items() if k not in (key, completion_key, prompt_key)},
                tokens=tokens,
                truncated=truncation(row),
                group=group_key(row[group_by] if group_by is not None else prompt),
            )
        )
    if not rows:
        raise ConfigError(f"{path}: no rows")
    notes = []
    if weights is None:
        weights = carried
    if weights is None:
        weights = dict.fromkeys(names, 1.0)
        notes.append("the rows carry no weights (scored before rewardkit wrote them); every weight taken as 1 — pass --rewards")
    missing = [n for n in names if n not in weights]
    if missing:
        raise ConfigError(f"{path}: components {missing} are not in the composition given with --rewards")
    return ScoredTable(str(path), "scored", list(names), {n: weights[n] for n in names}, rows, notes=notes)
