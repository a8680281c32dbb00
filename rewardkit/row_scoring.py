"""Scoring rows of a file (a JSONL of completions) in batches; one record of scores per row."""

from __future__ import annotations

from typing import Any, Callable, Iterator, Mapping, Sequence

from .composition import Composition, Scores
from .errors import ConfigError
from .integrations.nemo_gym import is_verify_row, verify_inputs
from .text import split_conversation


def check_free_key(rows: list[dict[str, Any]], key: str) -> None:
    """Refuse to score into a key the input already uses (its data would be lost)."""
    taken = [i for i, row in enumerate(rows) if key in row]
    if taken:
        raise ConfigError(f"input row {taken[0]} already has a '{key}' key; choose another with --key")


def columns_of(
    rows: Sequence[Mapping[str, Any]], exclude: Sequence[str] = (), convert: Callable[[Any], Any] = lambda v: v
) -> dict[str, list[Any]]:
    """Every string key of any row (but ``exclude``) as a dataset column, in first-seen order;
    ``None`` in rows without it. The one way rows of dicts become a composition's columns."""
    keys = dict.fromkeys(k for row in rows for k in row if isinstance(k, str) and k not in exclude)
    return {k: [convert(row.get(k)) for row in rows] for k in keys}


def batches(rows: list[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def score_rows(
    composition: Composition,
    rows: list[dict[str, Any]],
    *,
    completion_key: str = "completion",
    prompt_key: str = "prompt",
    batch_size: int = 64,
) -> list[Scores]:
    """Score rows in batches; every other key of any row is passed as a dataset column (None where absent).

    Trajectories are read as they are stored: a completion that is a whole conversation (opening
    with a system or user turn) is split into the prompt and the agent's part, and a NeMo Gym
    rollout row (``responses_create_params`` and ``response``) gives its output items as the
    completion, its input as the prompt and its tools as the ``tools`` column.
    """
    if batch_size < 1:
        raise ConfigError("batch size must be at least 1")
    rows = [trajectory_row(row, completion_key, prompt_key) for row in rows]
    missing = [i for i, row in enumerate(rows) if completion_key not in row]
    if missing:
        raise ConfigError(f"rows {missing[:5]} have no '{completion_key}' key (use --completion-key)")
    every = columns_of(rows, exclude=(completion_key, prompt_key))  # a column in any row is a column of every batch
    results = []
    for start, chunk in zip(range(0, len(rows), batch_size), batches(rows, batch_size)):
        columns = {k: values[start : start + batch_size] for k, values in every.items()}
        has_prompts = any(prompt_key in row for row in chunk)
        prompts = [row.get(prompt_key) for row in chunk] if has_prompts else None
        results.append(composition.score([row[completion_key] for row in chunk], prompts, **columns))
    return results


def trajectory_row(row: dict[str, Any], completion_key: str, prompt_key: str) -> dict[str, Any]:
    """``row`` with a stored trajectory read into its completion and prompt (see :func:`score_rows`)."""
    if completion_key not in row and is_verify_row(row):
        completion, prompt, columns = verify_inputs(row)
        return {**columns, completion_key: completion, prompt_key: prompt}
    split = split_conversation(row.get(completion_key)) if prompt_key not in row else None
    if split is None:
        return row
    return {**row, prompt_key: split[0], completion_key: split[1]}


def row_records(results: list[Scores]) -> Iterator[dict[str, Any]]:
    """Per input row, in order: its scores, its errors, the weights and the components' extra detail
    (so ``rewardkit diagnose`` can read a scored file on its own)."""
    for scores in results:
        for i in range(len(scores)):
            extra = {
                name: {k: values[i] for k, values in detail.items()} for name, detail in scores.extra.items()
            }
            yield {**scores.row(i), "weights": scores.weights, "extra": extra}
