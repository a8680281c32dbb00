"""The ``reasoning_gym`` reward: a completion scored by reasoning-gym's own verifier for the row's task.

The row carries the item as reasoning-gym yields it: ``answer`` and ``metadata`` (a dict or its
JSON text; :mod:`.rows`), or both in one column (``item_column``) for trainers that hand over one
label per sample. The completion's answer is found by the configured extractors (by
default reasoning-gym's closed ``<answer>`` tags), and the task's ``score_answer`` scores it in a
worker process (:mod:`.scoring`) under a time and memory limit, with :mod:`.guard` keeping model
text from being run as code. Scores, partial credit included, are reasoning-gym's.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from pydantic import Field

from rewardkit.cache import LRUCache
from rewardkit.extras import Needs, check_needs
from rewardkit.plugins.math.rewards import ExtractingReward, ExtractorParams
from rewardkit.reward import Batch

from .families import FORGEABLE
from .rows import TASK_KEY, UnreadableMetadata, item_metadata, parse_item, parse_metadata, settings_key

WORKER_MODULE = "rewardkit.plugins.reasoning_gym.worker_preload"
# Per-batch counts reported every call (zeros included, so logged curves have no gaps).
COUNTED = (
    "no_answer", "too_long", "unreadable_metadata", "unknown_task", "bad_settings", "timeouts", "deadline_missed",
    "refused_code", "cache",
)  # fmt: skip
_warned: set[str] = set()


class VerifierError(RuntimeError):
    """The task's verifier raised while scoring a sample (the sample gets the reward's error score)."""


class ReasoningGymParams(ExtractorParams):
    extractors: list[str] = Field(
        ["closed_answer_tag"],
        min_length=1,
        description="answer extractors tried in order; the first that finds an answer wins "
        "(closed_answer_tag: reasoning-gym's extract_answer; answer_tag, boxed, last_line, ...)",
    )
    answer_column: str = Field("answer", description="column with the item's answer")
    metadata_column: str = Field("metadata", description="column with the item's metadata (a dict or its JSON text)")
    item_column: str | None = Field(
        None,
        description="instead of answer_column and metadata_column: one column holding the item's answer and metadata "
        '({"answer": ..., "metadata": {...}} or its JSON text), for trainers that hand over one label per sample (OpenRLHF)',
    )
    configs: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description="task -> generator settings its verifier is built with, for rows that do not carry their own "
        "(metadata.rewardkit_config); default: the task's defaults",
    )
    timeout: float = Field(
        5.0, gt=0,
        description="CPU seconds of its worker per answer (default-settings verifiers are built before; one with other settings is built "
        "within its first answer's time in each worker)",
    )  # fmt: skip
    deadline: float | None = Field(
        60.0, gt=0, description="seconds for a whole batch from its first answer's start; what is left scores None (deadline_missed)"
    )
    workers: int | None = Field(None, ge=1, description="worker processes (default: this process's share of the CPUs)")
    memory_limit_mb: int = Field(4096, ge=512, description="address-space limit of each worker process")
    max_answer_chars: int = Field(
        20_000, ge=1, description="a longer extracted answer is scored as no answer (the verifier gets None)"
    )
    cache_size: int = Field(100_000, ge=0, description="(item, answer) scores cached; 0 disables")
    start_workers: bool = Field(
        True, description="start the workers' fork server when the reward is built (importing reasoning-gym takes a second)"
    )


class ReasoningGym(ExtractingReward):
    """reasoning-gym's ``score_answer`` for the row's task, on the answer the extractors find.

    The task is ``metadata["source_dataset"]``; the verifier gets ``(answer, {"answer", "metadata"})``
    rebuilt from the row, and its score (partial credit included) is the sample's score. No answer
    found (or one longer than ``max_answer_chars``): the verifier scores ``None``, as reasoning-gym
    does. ``None`` (the trainer skips the sample) when the metadata cannot be read, names a task
    reasoning-gym does not have, or carries settings its generator rejects. The error score (0.0)
    when the verifier raises or runs past ``timeout`` (its worker is killed: the answer made it
    slow); None, counted as ``deadline_missed``, when the batch's ``deadline`` ran out before the
    answer was verified (the machine was slow), as for every reward that runs out of time.

    Reported per sample: ``task``, ``answer``, ``extractor``. Counted per batch: ``no_answer``,
    ``too_long``, ``unreadable_metadata``, ``unknown_task``, ``bad_settings``, ``timeouts``,
    ``deadline_missed``, ``refused_code`` (answers the guard would not run as code), ``cache``.
    """

    name = "reasoning_gym"
    description = "reasoning-gym's own verifier for the row's task (about 100 procedural task families)"
    Params = ReasoningGymParams
    needs = Needs(modules=("reasoning_gym",), extra="reasoning-gym")
    error_score = 0.0

    def __init__(self, params: Any = None, **kwargs: Any) -> None:
        super().__init__(params, **kwargs)
        check_needs(self, f"reward '{self.name}'")  # also when built without the registry
        if self.params.start_workers:
            self.start_workers()

    def required_columns(self) -> tuple[str, ...]:
        if self.params.item_column is not None:
            return (self.params.item_column,)
        return (self.params.answer_column, self.params.metadata_column)

    def pool(self):
        from rewardkit.pool import shared_pool

        return shared_pool(self.params.workers, preload=(WORKER_MODULE,), memory_limit_mb=self.params.memory_limit_mb)

    def start_workers(self) -> None:
        """Launch the fork server in the background with reasoning-gym imported, if none runs yet."""
        import multiprocessing
        from multiprocessing import forkserver

        from rewardkit.pool import default_start_method

        if default_start_method() != "forkserver":
            return
        multiprocessing.get_context("forkserver").set_forkserver_preload([WORKER_MODULE])
        forkserver.ensure_running()

    def extract(self, text: str) -> tuple[str | None, str | None]:  # type: ignore[override]
        """The answer the first extractor finds (as it found it: reasoning-gym reads it untidied) and its name."""
        for name, extract in self._resolve_extractors():
            found = extract(text, tag=self.params.answer_tag)
            if found is not None:
                return found, name
        return None, None

    def _cache(self) -> LRUCache | None:
        if self.params.cache_size == 0:
            return None
        cache = self.__dict__.get("_scores")
        if cache is None:
            cache = self._scores = LRUCache(self.params.cache_size)
        return cache

    def score_batch(self, batch: Batch) -> list[float | None]:
        p = self.params
        counts = dict.fromkeys(COUNTED, 0)
        scores: list[float | None] = [None] * len(batch)
        read: dict[Any, Any] = {}  # metadata text -> dict or the error (a group's rows share one)
        jobs: list[tuple[int, tuple[Any, ...], Any]] = []
        cache = self._cache()
        for i, sample in enumerate(batch.samples):
            try:
                if p.item_column is None:
                    gold = sample.row.get(p.answer_column)
                    metadata, text = self._read(sample.row.get(p.metadata_column), read)
                else:
                    item, _ = self._read(sample.row.get(p.item_column), read, parse_item)
                    gold = item.get("answer")
                    metadata, text = self._read(item.get("metadata"), read)
            except UnreadableMetadata as exc:
                counts["unreadable_metadata"] += 1
                batch.note("problem", i, str(exc))
                continue
            task = metadata[TASK_KEY]
            self._warn_if_forgeable(task)
            answer, extractor = self.extract(sample.completion)
            if answer is None:
                counts["no_answer"] += 1
            elif len(answer) > p.max_answer_chars:
                counts["too_long"] += 1
                answer = None
            batch.note("task", i, task)
            batch.note("answer", i, answer)
            batch.note("extractor", i, extractor)
            settings = settings_key(metadata, p.configs)
            key = _cache_key(text, settings, gold, answer)
            cached = cache.get(key) if cache is not None and key is not None else None
            if cached is not None:
                counts["cache"] += 1
                scores[i] = cached
                continue
            jobs.append((i, (task, settings, answer, gold, item_metadata(metadata)), key))
        if jobs:
            from .scoring import score

            outcomes = self.pool().map(
                score, [args for _, args, _ in jobs], timeout=p.timeout, budget=p.deadline,
                affinity=[(args[0], args[1]) for _, args, _ in jobs],
            )  # fmt: skip
            for (i, _, key), outcome in zip(jobs, outcomes):
                scores[i] = self._from_outcome(batch, i, outcome, counts, key, cache)
        for name, value in counts.items():
            batch.count(name, value)
        return scores

    def _read(self, raw: Any, read: dict[Any, Any], parse: Any = parse_metadata) -> tuple[dict[str, Any], str]:
        """The row's metadata (or item) as a dict, and as text (the cache key); parsed once per batch per text."""
        text = raw if isinstance(raw, str) else None
        if text is None:
            try:
                text = json.dumps(raw, sort_keys=True, default=str)
            except (TypeError, ValueError, RecursionError) as exc:
                raise UnreadableMetadata(f"metadata cannot be read: {type(exc).__name__}") from None
        if (parse, text) not in read:
            try:
                read[parse, text] = parse(raw)
            except UnreadableMetadata as exc:
                read[parse, text] = exc
        found = read[parse, text]
        if isinstance(found, UnreadableMetadata):
            raise found
        return found, text

    def _from_outcome(self, batch: Batch, i: int, outcome: Any, counts: dict[str, int], key: Any, cache: Any) -> float | None:
        if outcome.timed_out:
            counts["deadline_missed" if outcome.over_budget else "timeouts"] += 1
            return None if outcome.over_budget else self.error_value()
        if outcome.error is not None:
            return self.guarded(batch, i, _raise, VerifierError(outcome.error))
        status, value, refused = outcome.value
        counts["refused_code"] += refused
        if status != "ok":
            counts[status] += 1
            batch.note("problem", i, str(value))
            return None
        if cache is not None and key is not None:
            cache.put(key, value)
        return value

    def _warn_if_forgeable(self, task: str) -> None:
        if task in FORGEABLE and task not in _warned:
            _warned.add(task)
            logging.getLogger(__name__).warning(
                "reward 'reasoning_gym': the verifier of %s %s; it is scored as reasoning-gym scores it, "
                "so leave the task out of training", task, FORGEABLE[task],
            )

    def __getstate__(self) -> dict[str, Any]:
        state = super().__getstate__()
        state.pop("_scores", None)
        return state


def _raise(error: Exception) -> None:
    raise error


def _cache_key(metadata: str, settings: str, gold: Any, answer: str | None) -> tuple | None:
    """What a score depends on, hashable; None (not cached) for a gold answer JSON cannot write."""
    try:
        return (metadata, settings, json.dumps(gold, default=str), answer)
    except (ValueError, RecursionError):
        return None
