"""``judge_rank``: group-relative judging; one call sees every completion of a prompt and scores
or ranks them together (the RULER recipe).

TRL passes a prompt's ``num_generations`` completions consecutively, so a group is a run of
consecutive rows with the same prompt (split into groups of at most ``max_group``). A relative
judgement is what GRPO's advantage uses anyway, and one call per group costs a fraction of one
per completion. ``mode: scores``: each response's score on ``scale`` (normalised to [0, 1]);
``mode: ranking``: a best-to-worst order, the best scoring 1 and the worst 0 (a group of one
cannot be ranked and scores None). When the reply does not give every response its score or
rank, the whole group is None, counted as ``unparsed``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from rewardkit.reward import Batch

from .base import JudgeReward, ScaleParams, scaled
from .parsing import parse_ranking, parse_scores
from .prompts import RANK_CRITERIA, RANK_ORDER_TEMPLATE, RANK_SCORES_TEMPLATE, ranking_schema, scores_schema
from .quoting import quote
from .stats import CallStats


class JudgeRankParams(ScaleParams):
    mode: Literal["scores", "ranking"] = Field("scores", description="scores: each response on the scale; ranking: an order")
    criteria: str = Field(RANK_CRITERIA, description="what the judge compares ({{criteria}})")
    max_group: int = Field(16, ge=1, description="responses in one call at most (a longer run of a prompt is split)")


class JudgeRank(JudgeReward):
    """Per sample it notes ``judge_score`` (``mode: scores``, on the judge's scale) or
    ``judge_rank`` (1 = best), and ``group`` (the index of its group's first row in the batch)."""

    name = "judge_rank"
    description = "an LLM judge scores (or ranks) all completions of one prompt together in one call"
    Params = JudgeRankParams
    template = RANK_SCORES_TEMPLATE
    own_placeholders = ("criteria", "low", "high", "count", "candidates")

    def user_template(self) -> str:
        if self.params.template is None and self.params.mode == "ranking":
            return RANK_ORDER_TEMPLATE
        return super().user_template()

    def units(self, batch: Batch) -> list[list[int]]:
        groups: list[list[int]] = []
        for i, sample in enumerate(batch.samples):
            last = groups[-1] if groups else None
            if last is not None and len(last) < self.params.max_group and batch.samples[last[0]].prompt == sample.prompt:
                last.append(i)
            else:
                groups.append([i])
        return groups

    async def judge(self, batch: Batch, rows: list[int], stats: CallStats) -> list[float | None]:
        p = self.params
        for i in rows:
            batch.note("group", i, rows[0])
        if p.mode == "ranking" and len(rows) == 1:
            self.unreadable(batch, rows[0], stats, "a group of one response cannot be ranked")
            return [None]
        blocks = [quote(f"response_{k + 1}", batch.samples[i].completion) for k, i in enumerate(rows)]
        low, high = p.scale
        values = {
            "criteria": p.criteria, "low": f"{low:g}", "high": f"{high:g}", "count": str(len(rows)),
            "candidates": "\n\n".join(block for block, _ in blocks),
        }  # fmt: skip
        user, nonces = self.render(batch.samples[rows[0]], values)
        nonces += [n for _, n in blocks]
        schema = None
        if p.structured == "auto":
            schema = ranking_schema(len(rows)) if p.mode == "ranking" else scores_schema(len(rows), p.scale)
        reply = await self.client.complete(self.messages(user), stats, schema, nonces=nonces)
        text = self.reply_text(batch, rows[0], reply, nonces)
        if text is None:
            return [None] * len(rows)
        parsed = parse_ranking(text, len(rows)) if p.mode == "ranking" else parse_scores(text, len(rows), p.scale)
        if parsed.value is None:
            self.unreadable(batch, rows[0], stats, parsed.reason)
            return [None] * len(rows)
        if p.mode == "ranking":
            rank = {candidate - 1: place for place, candidate in enumerate(parsed.value)}  # 0 = best
            for k, i in enumerate(rows):
                batch.note("judge_rank", i, rank[k] + 1)
            return [1 - rank[k] / (len(rows) - 1) for k in range(len(rows))]
        for i, value in zip(rows, parsed.value):
            batch.note("judge_score", i, value)
        return [scaled(value, p.scale, p.normalize) for value in parsed.value]
