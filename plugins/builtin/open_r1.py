"""open-r1's length and reasoning rewards, under the names its recipes use.

``cosine_scaled`` (the cosine length schedule of "Demystifying Long Chain-of-Thought Reasoning",
as open-r1 and TRL's ``get_cosine_scaled_reward`` compute it), ``kimi_length`` (open-r1's
``len_reward``, from Kimi k1.5) and ``reasoning_steps`` (open-r1's count of step markers).
Correctness comes from ``math_correctness`` (rewardkit's bounded math verification), not from a
bare ``math_verify.verify``; docs/parity.md lists where that changes a score.
"""

from __future__ import annotations

import math
import re
from typing import Any, Literal

from pydantic import Field

from rewardkit.hookspecs import hookimpl
from rewardkit.reward import Batch, Reward, RewardParams, Sample

from .length import LengthUnit, completion_lengths
from .math.rewards import MathCorrectness


class CorrectnessParams(LengthUnit):
    gold_column: str | list[str] = Field(
        ["answer", "solution"], description="dataset column with the gold answer; a list: the first one the batch has"
    )
    timeout: float = Field(1.0, gt=0, description="hard limit in CPU seconds (of its worker) per verification")


class JudgedByMath(Reward):
    """A reward that needs each completion's correctness, decided by ``math_correctness``."""

    Params = CorrectnessParams

    def judge(self) -> MathCorrectness:
        judge = self.__dict__.get("_judge")
        if judge is None:
            judge = self._judge = MathCorrectness(gold_column=self.params.gold_column, timeout=self.params.timeout)
        return judge

    def required_columns(self) -> tuple[str, ...]:
        return self.judge().required_columns()

    def correctness(self, batch: Batch) -> list[bool | None]:
        """Each completion right (True), wrong (False), or its gold unreadable (None)."""
        columns = list(batch.samples[0].row) if batch.samples else []
        out = self.judge().evaluate_samples(batch.samples, columns)
        batch.errors.extend(out.errors)
        batch.extra["verdict"] = out.extra.get("verdict", [None] * len(batch))
        return [None if s is None else s > 0 for s in out.scores]

    def __getstate__(self) -> dict[str, Any]:
        state = super().__getstate__()
        state.pop("_judge", None)  # holds a process-local worker pool; rebuilt on first use
        return state


class CosineScaledParams(CorrectnessParams):
    min_value_wrong: float = Field(-1.0, description="a wrong answer at length 0")
    max_value_wrong: float = Field(-0.5, description="a wrong answer at max_len")
    min_value_correct: float = Field(0.5, description="a correct answer at max_len")
    max_value_correct: float = Field(1.0, description="a correct answer at length 0")
    max_len: int = Field(1000, gt=0, description="length at which the schedule ends (longer stays there)")


class CosineScaled(JudgedByMath):
    """open-r1's / TRL's cosine-scaled length reward.

    ``v_min + (v_max - v_min) * (1 + cos(pi * min(len / max_len, 1))) / 2`` with (v_min, v_max) =
    (min_value_correct, max_value_correct) for a correct answer (shorter is better) and
    (max_value_wrong, min_value_wrong) for a wrong one (longer is penalised less). Length in
    tokens when TRL passes ``completion_ids`` (``unit: auto``), else characters. A row whose gold
    cannot be read is not scored.
    """

    name = "cosine_scaled"
    description = "correctness scaled by length on a cosine schedule (open-r1, TRL get_cosine_scaled_reward)"
    Params = CosineScaledParams
    error_score = None  # an unmeasurable sample has no place on the schedule

    def score_batch(self, batch: Batch) -> list[float | None]:
        p = self.params
        scores: list[float | None] = []
        for right, length in zip(self.correctness(batch), completion_lengths(self, batch, p)):
            if right is None:
                scores.append(None)
                continue
            low, high = (p.min_value_correct, p.max_value_correct) if right else (p.max_value_wrong, p.min_value_wrong)
            cosine = math.cos(math.pi * min(length / p.max_len, 1.0))
            scores.append(low + 0.5 * (high - low) * (1.0 + cosine))
        return scores


class KimiLengthParams(CorrectnessParams):
    unit: Literal["auto", "chars", "tokens"] = Field("chars", description="chars (open-r1), or tokens; auto: tokens when known")


class KimiLength(JudgedByMath):
    """Kimi k1.5's length reward (open-r1's ``len_reward``), within each prompt's group.

    In a group with lengths from ``min`` to ``max``, ``lambda = 0.5 - (len - min) / (max - min)``: a
    correct answer scores ``lambda``, a wrong one ``min(0, lambda)``; a group whose completions
    all have one length scores 0. A group is the run of consecutive rows with the same prompt
    (TRL passes each prompt's completions together); without prompts the batch is one group.
    """

    name = "kimi_length"
    description = "Kimi k1.5 length reward within each prompt's group: shorter correct answers rise (open-r1 len_reward)"
    Params = KimiLengthParams
    error_score = None

    def score_batch(self, batch: Batch) -> list[float | None]:
        right = self.correctness(batch)
        lengths = completion_lengths(self, batch, self.params)
        scores: list[float | None] = [None] * len(batch)
        for group in prompt_groups(batch.samples):
            low, high = min(lengths[i] for i in group), max(lengths[i] for i in group)
            for i in group:
                if right[i] is None:
                    continue
                lam = 0.0 if high == low else 0.5 - (lengths[i] - low) / (high - low)
                scores[i] = lam if right[i] else min(0.0, lam)
        return scores


def prompt_groups(samples: list[Sample]) -> list[list[int]]:
    """Runs of consecutive samples with the same prompt, as lists of indices."""
    groups: list[list[int]] = []
    for i, sample in enumerate(samples):
        if groups and samples[groups[-1][0]].prompt == sample.prompt:
            groups[-1].append(i)
        else:
            groups.append([i])
    return groups


class ReasoningStepsParams(RewardParams):
    steps: int = Field(3, gt=0, description="markers for the full score (open-r1: 3)")


class ReasoningSteps(Reward):
    """open-r1's reasoning-steps reward: ``min(1, markers / steps)``.

    Markers: ``Step N:``, a numbered item at the very start (``1.``), a line starting ``-`` or
    ``*``, and ``First,`` ``Second,`` ``Next,`` ``Finally,``.
    """

    name = "reasoning_steps"
    description = "min(1, step markers / 3): Step N:, numbered or bulleted lines, First/Second/Next/Finally (open-r1)"
    Params = ReasoningStepsParams
    pure = True

    MARKERS = re.compile(r"Step \d+:|\A\d+\.|\n-|\n\*|First,|Second,|Next,|Finally,")

    def score(self, sample: Sample) -> float:
        found = sum(1 for _ in self.MARKERS.finditer(sample.completion))
        return min(1.0, found / self.params.steps)


@hookimpl
def register_rewards(register):
    for reward in (CosineScaled, KimiLength, ReasoningSteps):
        register(reward)
