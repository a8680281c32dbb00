"""``judge_verdict``: does the completion reach the same final answer as the reference? 1.0 or 0.0.

The judge sees the question and two answers, the reference and the completion, and says "same"
or "different". Judges favour one position; with ``swap: true`` a second call shows the two
answers the other way round, and when the two verdicts disagree the sample scores None
(``on_disagreement: none``) or 0.5 (``mean``), counted as ``disagreements``. Beside
``math_correctness`` (weight 0) it is a second opinion where sympy cannot decide.
"""

from __future__ import annotations

import asyncio
from typing import Literal

from pydantic import Field

from rewardkit.reward import Batch

from .base import JudgeParams, JudgeReward
from .parsing import parse_verdict
from .prompts import VERDICT_TEMPLATE, verdict_schema
from .stats import CallStats


class JudgeVerdictParams(JudgeParams):
    answer_column: str = Field("answer", description="dataset column holding the reference answer")
    swap: bool = Field(False, description="a second call with the two answers swapped (cancels position bias)")
    on_disagreement: Literal["none", "mean"] = Field(
        "none", description="when the swapped verdict disagrees: None (unscored) or 0.5"
    )


class JudgeVerdict(JudgeReward):
    """Per sample it notes ``verdict`` (1 same, 0 different), ``verdict_swapped`` with ``swap``,
    ``judge_reply`` and, when there is no verdict, ``judge_error``."""

    name = "judge_verdict"
    description = "an LLM judge's verdict: 1.0 when the completion's final answer is the reference's, else 0.0"
    Params = JudgeVerdictParams
    columns = ("answer",)  # the default answer_column
    template = VERDICT_TEMPLATE
    own_placeholders = ("answer_1", "answer_2")

    def required_columns(self) -> tuple[str, ...]:
        return (self.params.answer_column, *super().required_columns())

    async def judge(self, batch: Batch, rows: list[int], stats: CallStats) -> list[float | None]:
        (i,) = rows
        sample = batch.samples[i]
        reference = sample.row.get(self.params.answer_column)
        if reference is None:
            self.unreadable(batch, i, stats, f"no reference answer in '{self.params.answer_column}'")
            return [None]
        orders = [(reference, sample.completion)]
        if self.params.swap:
            orders.append((sample.completion, reference))
        verdicts = await asyncio.gather(*(self._verdict(batch, i, first, second, stats) for first, second in orders))
        for key, verdict in zip(("verdict", "verdict_swapped"), verdicts):
            if verdict is not None:
                batch.note(key, i, float(verdict))
        if any(v is None for v in verdicts):
            return [None]
        if len(set(verdicts)) > 1:
            stats.disagreements += 1
            return [0.5 if self.params.on_disagreement == "mean" else None]
        return [float(verdicts[0])]

    async def _verdict(self, batch: Batch, i: int, first: object, second: object, stats: CallStats) -> bool | None:
        user, nonces = self.render(batch.samples[i], {}, {"answer_1": first, "answer_2": second})
        schema = verdict_schema() if self.params.structured == "auto" else None
        reply = await self.client.complete(self.messages(user), stats, schema, nonces=nonces)
        text = self.reply_text(batch, i, reply, nonces)
        if text is None:
            return None
        parsed = parse_verdict(text)
        if parsed.value is None:
            self.unreadable(batch, i, stats, parsed.reason)
        return parsed.value
