"""``judge_score``: a judge model scores each completion on a scale (default 1–10), normalised to [0, 1]."""

from __future__ import annotations

from pydantic import Field

from rewardkit.reward import Batch

from .base import LOGPROB_ALTERNATIVES, JudgeReward, ScaleParams, scaled
from .prompts import DEFAULT_CRITERIA, SCORE_TEMPLATE, score_schema
from .stats import CallStats


class JudgeScoreParams(ScaleParams):
    criteria: str = Field(DEFAULT_CRITERIA, description="what the judge is asked to evaluate ({{criteria}})")
    logprobs: bool = Field(
        False, description="score = the probability-weighted mean of the scale's numbers at the score token, where the server returns log-probabilities"
    )


class JudgeScore(JudgeReward):
    """One call per completion; the reply's score on ``scale``, normalised to [0, 1] unless
    ``normalize: false``. Per sample it notes ``judge_score`` (on the judge's scale),
    ``judge_reply`` and, when there is no score, ``judge_error``."""

    name = "judge_score"
    description = "an LLM judge's score of each completion on a scale (OpenAI-compatible endpoint), normalised to [0, 1]"
    Params = JudgeScoreParams
    template = SCORE_TEMPLATE
    own_placeholders = ("criteria", "low", "high")

    async def judge(self, batch: Batch, rows: list[int], stats: CallStats) -> list[float | None]:
        (i,) = rows
        p = self.params
        low, high = p.scale
        user, nonces = self.render(batch.samples[i], {"criteria": p.criteria, "low": f"{low:g}", "high": f"{high:g}"})
        schema = score_schema(p.scale) if p.structured == "auto" else None
        reply = await self.client.complete(self.messages(user), stats, schema, LOGPROB_ALTERNATIVES if p.logprobs else 0, nonces)
        value = self.read_score(batch, i, reply, nonces, stats, p.logprobs)
        if value is None:
            return [None]
        batch.note("judge_score", i, value)
        return [scaled(value, p.scale, p.normalize)]

