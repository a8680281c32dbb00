"""What every judge reward shares: the endpoint parameters, the client, and scoring a batch unit by unit.

A judge scores a batch in units (one sample for pointwise judges, one prompt's group for
``judge_rank``) through the reward contract's :meth:`~rewardkit.reward.Reward.gather_scores`:
``concurrency`` units at once, and at the batch ``deadline`` the units judged in time keep their
scores while the rest are None (counted as ``deadline_missed``). A call that fails or a reply that
cannot be read gives None, is counted (``failures``, ``unparsed``) and says why in the sample's
``judge_error`` note: never a silent 0.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal, Sequence

from pydantic import Field, field_validator

from rewardkit.extras import Needs
from rewardkit.http import HttpParams, check_url
from rewardkit.reward import Batch, Reward, Sample, SlowRewardParams

from .client import ClientSettings, JudgeClient, Reply
from .parsing import expected_score, parse_score, strip_thinking
from .prompts import SYSTEM, fill, placeholders
from .quoting import blank_quotes
from .reply_cache import ReplyCache
from .stats import CallStats

LOGPROB_ALTERNATIVES = 20  # top alternatives asked per token (the most OpenAI and vLLM's default allow)


class JudgeParams(HttpParams, SlowRewardParams):
    """The endpoint, its limits (the transport's: :class:`rewardkit.http.HttpParams`), the sampling
    settings, the cache and the prices of every judge."""

    base_url: str = Field(..., description="OpenAI-compatible endpoint, e.g. http://localhost:8000/v1")
    model: str = Field(..., description="model name as the server knows it")
    timeout: float = Field(60.0, gt=0, description="seconds one attempt may take, from connecting to the reply's last byte")
    requests_per_minute: float | None = Field(None, gt=0, description="calls started per minute at most")
    tokens_per_minute: float | None = Field(
        None, gt=0, description="tokens per minute at most (estimated before each call: characters/4 + max_tokens)"
    )
    temperature: float = Field(0.0, ge=0)
    max_tokens: int = Field(512, gt=0, description="tokens the judge may write per reply")
    extra_body: dict[str, Any] = Field({}, description="extra request fields for the server (vLLM's guided decoding, ...)")
    structured: Literal["auto", "off"] = Field(
        "auto", description="auto: ask for a JSON-schema reply (response_format), dropped if the server refuses it"
    )
    system: str | None = Field(None, description="system prompt (default: the judge's own; '' sends none)")
    few_shot: list[dict[str, str]] = Field(
        [],
        description="example turns sent before each request, each {user: ..., assistant: ...}: a small judge that does "
        "not reply in the asked format on its own (SmolLM2-135M) follows it after a few examples",
    )
    template: str | None = Field(None, description="user message template with {{placeholders}} (default: the reward's own)")
    cache: bool = Field(True, description="reuse replies to identical requests")
    cache_size: int = Field(10000, gt=0, description="replies kept in memory")
    cache_path: str | None = Field(None, description="SQLite file that keeps replies across runs and processes")
    max_reply_chars: int = Field(32768, gt=0, description="a longer reply is refused (counted as a failure)")
    input_price: float | None = Field(None, ge=0, description="price per million prompt tokens (adds the cost metric)")
    output_price: float | None = Field(None, ge=0, description="price per million completion tokens")
    note_reply_chars: int = Field(300, ge=0, description="characters of each reply kept in the per-sample detail")

    @field_validator("base_url")
    @classmethod
    def _check_url(cls, value: str) -> str:
        return check_url(value)

    @field_validator("few_shot")
    @classmethod
    def _check_turns(cls, value: list[dict[str, str]]) -> list[dict[str, str]]:
        for turn in value:
            if set(turn) != {"user", "assistant"}:
                raise ValueError("each few_shot turn is {user: ..., assistant: ...}")
        return value


class ScaleParams(JudgeParams):
    """A judge that scores on a scale."""

    scale: list[float] = Field([1.0, 10.0], description="[low, high]: the scores the judge gives")
    normalize: bool = Field(True, description="return (score - low) / (high - low) instead of the judge's score")

    @field_validator("scale")
    @classmethod
    def _check_scale(cls, value: list[float]) -> list[float]:
        if len(value) != 2 or not value[0] < value[1]:
            raise ValueError("scale must be [low, high] with low < high")
        return value


class JudgeReward(Reward):
    """Base of the judge rewards: subclasses set ``template`` and ``own_placeholders`` and write
    :meth:`judge` for one unit of rows."""

    Params = JudgeParams
    needs = Needs(modules=("openai",), extra="judge")
    error_score = None  # an unexpected error leaves the sample unscored (and counted), never a 0
    template: ClassVar[str] = ""
    own_placeholders: ClassVar[tuple[str, ...]] = ()  # filled by the reward, not dataset columns

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        p = self.params
        settings = ClientSettings(
            base_url=p.base_url, model=p.model, http=p.http(in_flight=p.concurrency),
            requests_per_minute=p.requests_per_minute, tokens_per_minute=p.tokens_per_minute,
            sampling=(("temperature", p.temperature), ("max_tokens", p.max_tokens), *sorted(p.extra_body.items())),
            max_reply_chars=p.max_reply_chars,
        )  # fmt: skip
        self.client = JudgeClient(settings, ReplyCache(p.cache_size, p.cache_path) if p.cache else None)

    # -- prompts ---------------------------------------------------------------------------------

    def user_template(self) -> str:
        return self.params.template or self.template

    def required_columns(self) -> tuple[str, ...]:
        """The dataset columns the template quotes (besides the prompt and the completion)."""
        builtin = {"prompt", "completion", *self.own_placeholders}
        return tuple(n for n in placeholders(self.user_template()) if n not in builtin)

    def messages(self, user: str) -> list[dict[str, str]]:
        system = SYSTEM if self.params.system is None else self.params.system
        examples = [{"role": role, "content": turn[role]} for turn in self.params.few_shot for role in ("user", "assistant")]
        return [*([{"role": "system", "content": system}] if system else []), *examples, {"role": "user", "content": user}]

    def render(self, sample: Sample, values: dict[str, str], texts: dict[str, Any] | None = None) -> tuple[str, list[str]]:
        """The user message for ``sample``: the reward's ``values`` as they are; the prompt, the
        completion, ``texts`` and dataset columns quoted. Returns it with the quotes' nonces."""
        texts = {"prompt": sample.prompt, "completion": sample.completion, **(texts or {})}
        return fill(self.user_template(), values, lambda name: texts[name] if name in texts else sample.row.get(name))

    # -- replies ---------------------------------------------------------------------------------

    def reply_text(self, batch: Batch, index: int, reply: Reply, nonces: Sequence[str]) -> str | None:
        """The part of ``reply`` that is the judge's own answer (thinking and echoed quotes blanked),
        or None for a failed call (its reason noted)."""
        if reply.error:
            batch.note("judge_error", index, reply.error)
            return None
        if self.params.note_reply_chars:
            batch.note("judge_reply", index, reply.text[: self.params.note_reply_chars])
        return strip_thinking(blank_quotes(reply.text, nonces))

    def read_score(
        self, batch: Batch, index: int, reply: Reply, nonces: Sequence[str], stats: CallStats, logprobs: bool
    ) -> float | None:
        """The score in ``reply`` on the reward's ``scale`` (the log-probability expectation when
        ``logprobs`` and the server sent them), or None, noted and counted."""
        text = self.reply_text(batch, index, reply, nonces)
        if text is None:
            return None
        parsed = parse_score(text, self.params.scale)
        if parsed.value is None:
            self.unreadable(batch, index, stats, parsed.reason)
            return None
        if not logprobs:
            return parsed.value
        expected = expected_score(reply.logprobs, parsed.span, self.params.scale) if reply.logprobs and parsed.span else None
        if expected is None:
            stats.logprob_fallbacks += 1
            return parsed.value
        return expected

    def unreadable(self, batch: Batch, index: int, stats: CallStats, reason: str) -> None:
        """Count and note a reply that gave no usable answer; the sample scores None."""
        stats.unparsed += 1
        batch.note("judge_error", index, reason)

    # -- scoring ---------------------------------------------------------------------------------

    def units(self, batch: Batch) -> list[list[int]]:
        """The rows judged together: one sample each (``judge_rank`` groups a prompt's samples)."""
        return [[i] for i in range(len(batch))]

    async def judge(self, batch: Batch, rows: list[int], stats: CallStats) -> list[float | None]:
        """Scores of the samples at ``rows`` (None where the judge gave none)."""
        raise NotImplementedError

    async def score_batch(self, batch: Batch) -> list[float | None]:
        stats = CallStats()
        try:
            return await self.gather_scores(batch, lambda rows: self.judge(batch, rows, stats), self.units(batch))
        finally:  # the calls made before a deadline are counted too
            stats.report(batch, self.params.input_price, self.params.output_price)


def scaled(value: float, scale: Sequence[float], normalize: bool) -> float:
    """A score on ``scale`` as the reward gives it: in [0, 1] when ``normalize``, else as it is."""
    low, high = scale
    return (value - low) / (high - low) if normalize else value
