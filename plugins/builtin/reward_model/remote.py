"""The ``rm_remote`` reward: POST batches of prompt/completion pairs to an HTTP scoring endpoint.

Request (``POST url``, ``Content-Type: application/json``), one per ``batch_size`` samples::

    {"model": "<the model param, when set>",
     "inputs": [{"prompt": "..." | [{"role": ..., "content": ...}, ...] | null,
                 "completion": "..." | [{"role": "assistant", "content": ...}],
                 "columns": {"<name>": <value>, ...}},      # only the columns named in `columns`
                ...]}

With ``payload: text`` prompts and completions are sent as plain strings (chat messages joined).

Response (status 200)::

    {"scores": [<number or null>, ...]}       # one per input, in order; a bare JSON list also works

``null`` means the server cannot score that sample (it becomes None, counted as ``server_none``).
Requests go through :mod:`rewardkit.http`: 408, 429 and 5xx, lost connections and timed-out
attempts are retried with backoff (``Retry-After`` honoured up to ``backoff_max``) at most
``max_retries`` times; one attempt takes at most ``timeout`` seconds from connecting to the last
byte however the server sends, and a body larger than ``max_response_bytes`` (decompressed) is
refused unread. A request that still fails, or a malformed response, makes its samples None,
counted as ``failed`` with the reason noted under ``error`` -- never a silent 0. ``concurrency``
requests are in flight at once, and a batch past its ``deadline`` keeps the requests answered
in time (the rest are None, ``deadline_missed``), as for every slow reward.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import Field, field_validator

from rewardkit.errors import shown
from rewardkit.http import Exchange, HttpClient, HttpParams, ServiceError, check_url, counted
from rewardkit.reward import Batch, Reward, Sample, SlowRewardParams, is_finite_number
from rewardkit.text import completion_text


class RmRemoteParams(HttpParams, SlowRewardParams):
    url: str = Field(..., description="http(s) URL of the scoring endpoint")
    model: str | None = Field(None, description="sent as the request's 'model' field when set")
    batch_size: int = Field(16, gt=0, description="samples per request")
    concurrency: int = Field(1, ge=1, description="requests in flight at once")
    payload: Literal["raw", "text"] = Field(
        "raw", description="raw: prompts/completions as given (string or messages); text: plain strings"
    )
    columns: list[str] = Field([], description="dataset columns sent with each input")

    @field_validator("url")
    @classmethod
    def _check_url(cls, value: str) -> str:
        return check_url(value)


class RmRemote(Reward):
    """Scores from an HTTP reward-model server; failed samples are None and counted.

    Per batch it counts ``requests`` (attempts sent), ``retries``, ``failed`` (samples left None
    by a failed request) and ``server_none`` (samples the server returned null for); per sample
    it notes ``error`` for failed ones.
    """

    name = "rm_remote"
    description = "scores from an HTTP reward-model endpoint (batched, retried); failures are None and counted"
    Params = RmRemoteParams
    error_score = None  # a sample that cannot be sent (malformed chat content) fails like a request

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.client = HttpClient(self.params.http())

    def required_columns(self) -> tuple[str, ...]:
        return tuple(self.params.columns)

    def item(self, sample: Sample) -> dict[str, Any]:
        p = self.params
        if p.payload == "text":
            item: dict[str, Any] = {"prompt": sample.prompt, "completion": sample.completion}
        else:
            prompt = sample.raw_prompt
            completion = sample.raw_completion if sample.raw_completion is not None else ""
            item = {
                "prompt": _jsonable(prompt, sample.prompt),
                "completion": _jsonable(completion, completion_text(completion)),
            }
        if p.columns:
            item["columns"] = {c: _jsonable(sample.row.get(c), None) for c in p.columns}
        return item

    async def score_batch(self, batch: Batch) -> list[float | None]:
        n, size = len(batch), self.params.batch_size
        batch.count("failed", 0)  # always reported, so a dashboard shows 0 rather than nothing
        exchange = Exchange()
        try:
            with counted(exchange):
                chunks = [list(range(start, min(n, start + size))) for start in range(0, n, size)]
                return await self.gather_scores(batch, lambda rows: self.request(batch, rows), chunks)
        finally:  # the requests made before a deadline are counted too
            batch.count("requests", exchange.requests)
            batch.count("retries", exchange.retries)

    async def request(self, batch: Batch, rows: list[int]) -> list[float | None]:
        """The scores of the samples at ``rows``, from one request (None for each when it failed)."""
        p = self.params
        body = {**({"model": p.model} if p.model else {}), "inputs": [self.item(batch.samples[i]) for i in rows]}
        try:
            data = await self.client.post_json(p.url, body)
        except ServiceError as exc:
            return self._failed_request(batch, rows, str(exc))
        scores = data.get("scores") if isinstance(data, dict) else data
        if not isinstance(scores, list) or len(scores) != len(rows):
            got = len(scores) if isinstance(scores, list) else type(scores).__name__
            return self._failed_request(batch, rows, f"malformed response: expected {len(rows)} scores, got {got}")
        values: list[float | None] = []
        for i, value in zip(rows, scores):
            if value is None:
                batch.count("server_none")
            elif not is_finite_number(value):
                batch.count("failed")
                batch.note("error", i, f"invalid score from server: {shown(value)}")
                value = None
            values.append(None if value is None else float(value))
        return values

    @staticmethod
    def _failed_request(batch: Batch, rows: list[int], why: str) -> list[None]:
        batch.count("failed", len(rows))
        for i in rows:
            batch.note("error", i, why)
        return [None] * len(rows)


def _jsonable(value: Any, fallback: Any) -> Any:
    try:
        json.dumps(value)
        return value
    except (TypeError, ValueError):
        return fallback if fallback is not None else str(value)
