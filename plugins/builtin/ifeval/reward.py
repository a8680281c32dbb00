"""The ``ifeval`` reward: the share of a row's IFEval instructions the completion follows."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from rewardkit.registry import registry_of
from rewardkit.reward import Batch, Reward, RewardParams, Sample

from rewardkit.plugins.language.codes import normalize_code
from rewardkit.plugins.language.detection import detector_instance

from .instructions import INSTRUCTIONS, Args
from .rows import row_instructions


POOL_CHARS = 16_384  # longer completions are checked in a worker process, under the hard time limit


class IfevalParams(RewardParams):
    mode: Literal["strict", "loose"] = Field(
        "strict",
        description="strict: the completion as it is; loose: also without its first and/or last line and "
        "without '*' (IFEval's loose accuracy: followed if any of the 8 variants follows)",
    )
    all_or_nothing: bool = Field(False, description="1 only when every instruction is followed (IFEval's prompt-level accuracy)")
    ids_column: str = Field(
        "instruction_id_list",
        description="column of instruction ids (or of open-instruct's ground_truth {instruction_id, kwargs})",
    )
    kwargs_column: str = Field("kwargs", description="column of the instructions' arguments, one mapping per id")
    detector: str = Field("langdetect", description="language detector backend for the language checks")
    seed: int = Field(0, description="detector seed (results are deterministic for a given seed)")
    timeout: float = Field(
        10.0, gt=0, description="hard limit in CPU seconds (of its worker) on checking one completion longer than pool_chars"
    )
    on_timeout: Literal["wrong", "none"] = Field(
        "wrong",
        description="a completion whose checks run past timeout (megabytes of 'Mr. '): scored as following none of "
        "its instructions, since the completion chose to be so, or None",
    )
    pool_chars: int = Field(
        POOL_CHARS,
        ge=0,
        description="completions longer than this are checked in a worker process, killed at timeout; shorter ones "
        "in this process, where their linear checks take well under a second",
    )
    workers: int | None = Field(None, ge=1, description="worker processes (default: this process's share of the CPUs)")


def loose_variants(text: str) -> list[str]:
    """IFEval's loose variants: as it is, without the first line, the last line, or both, each
    also with every ``*`` removed."""
    lines = text.split("\n")
    trimmed = [text, "\n".join(lines[1:]).strip(), "\n".join(lines[:-1]).strip(), "\n".join(lines[1:-1]).strip()]
    return [*trimmed, *(t.replace("*", "") for t in trimmed)]


def unfollowed(text: str, instructions: list[tuple[str, dict]], loose: bool, detector: type, seed: int) -> list[str]:
    """The ids of the ``instructions`` that ``text`` does not follow (in ``loose`` mode: that none
    of its variants follows). Importable, so that a worker process can run it."""

    def language_of(part: str) -> str | None:
        candidates = detector_instance(detector, seed).detect(part)
        return normalize_code(candidates[0][0]) if candidates else None

    followed: set[int] = set()
    for variant in (v for v in (loose_variants(text) if loose else [text]) if v.strip()):
        # one variant at a time, every check on it: its sentences are then found once
        for k, (instruction, values) in enumerate(instructions):
            if k not in followed and INSTRUCTIONS[instruction][0](variant, Args(values, language_of)):
                followed.add(k)
    return [instruction for k, (instruction, _) in enumerate(instructions) if k not in followed]


class Ifeval(Reward):
    """Instruction following with verifiable constraints (IFEval, Zhou et al. 2023; Tulu 3's RLVR).

    Each row names its instructions in ``instruction_id_list`` with their arguments in
    ``kwargs``, as IFEval stores them (see :mod:`.rows` for the other layouts read). The score is
    the share of them the completion follows, or 1/0 with ``all_or_nothing``; a blank completion
    follows none, a row without instructions is not scored (None). An unknown instruction id or
    unusable arguments make the sample an error (its error score, 0). Verdicts are those of
    IFEval's checker (``lm-eval``'s copy of Google's); ``docs/ifeval.md`` lists the few deliberate
    differences and the agreement measured. Each check is linear in the completion. A completion
    longer than ``pool_chars`` is checked in a worker process with a hard ``timeout``: past it,
    the completion follows none of its instructions (``on_timeout: none``: None), counted as
    ``timeouts``.

    Reported per sample: ``failed`` (the ids of the instructions not followed). Counted per batch:
    ``instructions``, ``followed``, ``timeouts``.

    >>> Ifeval()(["no commas here"], instruction_id_list=[["punctuation:no_comma"]], kwargs=[[{}]])
    [1.0]
    """

    name = "ifeval"
    description = "share of the row's IFEval instructions followed (strict or loose), from instruction_id_list + kwargs"
    Params = IfevalParams

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._backend = registry_of(self).get("language_detector", self.params.detector)  # unknown names fail now
        if hasattr(self._backend, "supported"):
            self._backend.supported()  # a backend whose package is not installed fails now, naming its extra

    def required_columns(self) -> tuple[str, ...]:
        return (self.params.ids_column,)

    def score_batch(self, batch: Batch) -> list[float | None]:
        p = self.params
        batch.count("timeouts", 0)
        read: dict[tuple[int, int], list[tuple[str, dict[str, Any]]] | Exception] = {}

        def instructions_of(row: Any) -> list[tuple[str, dict[str, Any]]]:
            # A GRPO batch repeats each prompt's row once per completion: each row's instructions are read once.
            key = (id(row.get(p.ids_column)), id(row.get(p.kwargs_column)))
            if key not in read:
                try:
                    read[key] = row_instructions(row, p.ids_column, p.kwargs_column)
                except Exception as exc:  # noqa: BLE001 - the same error for every sample of this row
                    read[key] = exc
            if isinstance(read[key], Exception):
                raise read[key]
            return read[key]

        rows = [self.guarded(batch, i, instructions_of, s.row) for i, s in enumerate(batch.samples)]
        scores: list[float | None] = [None] * len(batch)
        long = []
        for i, (sample, instructions) in enumerate(zip(batch.samples, rows)):
            if not isinstance(instructions, list):  # an error: its error score
                scores[i] = instructions
            elif not instructions:
                batch.count("no_instructions")
            elif len(sample.completion) > p.pool_chars:
                long.append(i)
            else:
                check = (sample.completion, instructions, p.mode == "loose", self._backend, p.seed)
                scores[i] = self.guarded(batch, i, lambda i=i, check=check: self._score(batch, i, rows[i], unfollowed(*check)))
        if long:
            from rewardkit.pool import shared_pool  # a pool only for the rare long completion

            pool = shared_pool(p.workers, preload=(__name__,))
            checks = [(batch.samples[i].completion, rows[i], p.mode == "loose", self._backend, p.seed) for i in long]
            for i, outcome in zip(long, pool.map(unfollowed, checks, timeout=p.timeout)):
                scores[i] = self.guarded(batch, i, self._scored, batch, i, rows[i], outcome)
        return scores

    def _scored(self, batch: Batch, i: int, instructions: list, outcome) -> float | None:
        if outcome.timed_out:
            batch.count("timeouts")
            if self.params.on_timeout == "none":
                return None
            return self._score(batch, i, instructions, [instruction for instruction, _ in instructions])
        if outcome.error is not None:
            raise RuntimeError(outcome.error)
        return self._score(batch, i, instructions, outcome.value)

    def _score(self, batch: Batch, i: int, instructions: list, failed: list[str]) -> float:
        batch.note("failed", i, failed)
        batch.count("instructions", len(instructions))
        batch.count("followed", len(instructions) - len(failed))
        if self.params.all_or_nothing:
            return 0.0 if failed else 1.0
        return 1.0 - len(failed) / len(instructions)
