"""``rubric``: each criterion of a rubric judged on its own, the weighted mean as the score.

Criteria come from the YAML (``criteria``: names, or ``{name, description, weight}``) or from a
dataset column holding each row's list (``criteria_column``), so every prompt can carry its own
rubric. Each criterion is one call (``k`` criteria cost ``k`` calls per completion); every
criterion's score is noted per sample as ``criterion/<name>`` (in ``rewardkit score --out`` files
and TRL's completions table), and its batch mean is the metric ``criterion/<name>`` (in TRL's
logs, step by step), so one can see which criterion moves. A criterion without a score leaves the
sample unscored: a mean over the criteria that happened to parse would be another rubric.
"""

from __future__ import annotations

import asyncio
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from rewardkit.reward import Batch, Sample

from .base import LOGPROB_ALTERNATIVES, JudgeReward, ScaleParams, scaled
from .prompts import RUBRIC_TEMPLATE, score_schema
from .stats import CallStats


class Criterion(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    name: str = Field(..., min_length=1)
    description: str | None = Field(None, description="what the judge reads (default: the name)")
    weight: float = Field(1.0, ge=0)


class RubricParams(ScaleParams):
    criteria: list[Criterion | str] = Field([], description="the rubric: names, or {name, description, weight}")
    criteria_column: str | None = Field(None, description="dataset column holding each row's criteria instead")
    logprobs: bool = Field(False, description="probability-weighted scores where the server returns log-probabilities")

    @model_validator(mode="after")
    def _one_rubric(self):
        if bool(self.criteria) == bool(self.criteria_column):
            raise ValueError("give either criteria (the rubric) or criteria_column (a rubric per row)")
        if self.criteria:
            criteria_list(self.criteria)
        return self


def criteria_list(raw: Any) -> list[Criterion]:
    """Criteria from YAML or a dataset cell: a list of names or mappings; names unique, weights not all 0."""
    if not isinstance(raw, (list, tuple)) or not raw:
        raise ValueError(f"criteria must be a non-empty list, got {type(raw).__name__}")
    try:
        criteria = [Criterion(name=c) if isinstance(c, str) else Criterion.model_validate(c) for c in raw]
    except ValidationError as exc:
        raise ValueError(f"invalid criterion: {exc.errors()[0]['msg']}") from None
    names = [c.name for c in criteria]
    if len(set(names)) != len(names):
        raise ValueError(f"criterion names must be unique, got {names}")
    if not sum(c.weight for c in criteria) > 0:
        raise ValueError("at least one criterion needs a weight above 0")
    return criteria


class Rubric(JudgeReward):
    """Per sample it notes ``criterion/<name>`` (each criterion's score as the reward gives it),
    ``judge_reply`` and, when a criterion has no score, ``judge_error``."""

    name = "rubric"
    description = "an LLM judge scores each rubric criterion (from YAML or a column); the weighted mean"
    Params = RubricParams
    template = RUBRIC_TEMPLATE
    own_placeholders = ("criterion", "low", "high")

    def required_columns(self) -> tuple[str, ...]:
        column = self.params.criteria_column
        return ((column,) if column else ()) + super().required_columns()

    def criteria(self, sample: Sample) -> list[Criterion]:
        if self.params.criteria_column is None:
            return criteria_list(self.params.criteria)
        return criteria_list(sample.row.get(self.params.criteria_column))  # a bad cell: that sample's error

    async def score_batch(self, batch: Batch) -> list[float | None]:
        """The scores; also each criterion's mean over the batch as the figure ``criterion/<name>``
        (TRL logs it as ``rewardkit/<reward>/criterion/<name>``: which criterion moves, step by step)."""
        try:
            return await super().score_batch(batch)
        finally:  # the criteria judged before a deadline are reported too
            for key, values in list(batch.extra.items()):
                given = [v for v in values if v is not None]
                if key.startswith("criterion/") and given:
                    batch.figure(key, sum(given) / len(given), weight=len(given))

    async def judge(self, batch: Batch, rows: list[int], stats: CallStats) -> list[float | None]:
        (i,) = rows
        criteria = self.criteria(batch.samples[i])
        scores = await asyncio.gather(*(self._criterion(batch, i, c, stats) for c in criteria))
        for criterion, score in zip(criteria, scores):
            if score is not None:
                batch.note(f"criterion/{criterion.name}", i, score)
        if any(s is None for s in scores):
            return [None]
        return [sum(c.weight * s for c, s in zip(criteria, scores)) / sum(c.weight for c in criteria)]

    async def _criterion(self, batch: Batch, i: int, criterion: Criterion, stats: CallStats) -> float | None:
        p = self.params
        low, high = p.scale
        values = {"criterion": criterion.description or criterion.name, "low": f"{low:g}", "high": f"{high:g}"}
        user, nonces = self.render(batch.samples[i], values)
        schema = score_schema(p.scale) if p.structured == "auto" else None
        reply = await self.client.complete(self.messages(user), stats, schema, LOGPROB_ALTERNATIVES if p.logprobs else 0, nonces)
        value = self.read_score(batch, i, reply, nonces, stats, p.logprobs)
        return None if value is None else scaled(value, p.scale, p.normalize)
