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


def loose_variants(text: str) -> list[str]:
    """IFEval's loose variants: as it is, without the first line, the last line, or both, each
    also with every ``*`` removed."""
    lines = text.split("\n")
    trimmed = [text, "\n".join(lines[1:]).strip(), "\n".join(lines[:-1]).strip(), "\n".join(lines[1:-1]).strip()]
    return [*trimmed, *(t.replace("*", "") for t in trimmed)]


class Ifeval(Reward):
    """Instruction following with verifiable constraints (IFEval, Zhou et al. 2023; Tulu 3's RLVR).

    Each row names its instructions in ``instruction_id_list`` with their arguments in
    ``kwargs``, as IFEval stores them (see :mod:`.rows` for the other layouts read). The score is
    the share of them the completion follows, or 1/0 with ``all_or_nothing``; a blank completion
    follows none, a row without instructions is not scored (None). An unknown instruction id or
    unusable arguments make the sample an error (its error score, 0). Verdicts are those of
    IFEval's checker (``lm-eval``'s copy of Google's); ``docs/ifeval.md`` lists the few deliberate
    differences and the agreement measured. Each check is linear in the completion.

    Reported per sample: ``failed`` (the ids of the instructions not followed). Counted per batch:
    ``instructions``, ``followed``.

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

    def language_of(self, text: str) -> str | None:
        """The detector's top language for ``text`` (None when it cannot tell)."""
        candidates = detector_instance(self._backend, self.params.seed).detect(text)
        return normalize_code(candidates[0][0]) if candidates else None

    def score_batch(self, batch: Batch) -> list[float | None]:
        # A GRPO batch repeats each prompt's row once per completion: each row's instructions are read once.
        read: dict[tuple[int, int], list[tuple[str, dict[str, Any]]] | Exception] = {}
        return [self.guarded(batch, i, self._score_one, batch, i, read) for i in range(len(batch))]

    def _score_one(self, batch: Batch, i: int, read: dict[tuple[int, int], Any]) -> float | None:
        p = self.params
        sample: Sample = batch.samples[i]
        key = (id(sample.row.get(p.ids_column)), id(sample.row.get(p.kwargs_column)))
        instructions = read.get(key)
        if instructions is None:
            try:
                instructions = read[key] = row_instructions(sample.row, p.ids_column, p.kwargs_column)
            except Exception as exc:  # noqa: BLE001 - the same error for every sample of this row
                instructions = read[key] = exc
        if isinstance(instructions, Exception):
            raise instructions
        if not instructions:
            batch.count("no_instructions")
            return None
        text = sample.completion
        variants = [v for v in (loose_variants(text) if p.mode == "loose" else [text]) if v.strip()]
        failed = []
        for instruction, values in instructions:
            check = INSTRUCTIONS[instruction][0]
            args = Args(values, self.language_of)
            if not any(check(variant, args) for variant in variants):
                failed.append(instruction)
        batch.note("failed", i, failed)
        batch.count("instructions", len(instructions))
        batch.count("followed", len(instructions) - len(failed))
        if p.all_or_nothing:
            return 0.0 if failed else 1.0
        return 1.0 - len(failed) / len(instructions)
