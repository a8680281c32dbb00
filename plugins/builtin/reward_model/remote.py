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
Status 408, 429 and 5xx, connection errors and timeouts are retried with exponential backoff
(``Retry-After`` is honoured up to ``backoff_max``) at most ``max_retries`` times; any other
failure, or a malformed response, makes that request's samples None, counted as ``failed`` and
with the reason noted under ``error`` -- never a silent 0.
"""

from __future__ import annotations

import json
import math
import os
import random
import socket
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from rewardkit.errors import ParamsError
from rewardkit.reward import Batch, Reward, RewardParams, Sample
from rewardkit.text import completion_text

RETRY_STATUS = frozenset({408, 429}) | frozenset(range(500, 600))


class RemoteError(Exception):
    """One request failed for good; ``retryable`` tells whether trying again could help."""

    def __init__(self, message: str, retryable: bool, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.retry_after = retry_after


class RmRemoteParams(RewardParams):
    url: str = Field(..., description="http(s) URL of the scoring endpoint")
    model: str | None = Field(None, description="sent as the request's 'model' field when set")
    batch_size: int = Field(16, gt=0, description="samples per request")
    concurrency: int = Field(1, gt=0, description="requests in flight at once")
    timeout: float = Field(30.0, gt=0, description="seconds to wait for one response")
    max_retries: int = Field(3, ge=0, description="retries after a 408/429/5xx, a timeout or a lost connection")
    backoff: float = Field(0.5, ge=0, description="seconds before the first retry; doubles each retry")
    backoff_max: float = Field(8.0, ge=0, description="upper bound of one wait, Retry-After included")
    payload: Literal["raw", "text"] = Field(
        "raw", description="raw: prompts/completions as given (string or messages); text: plain strings"
    )
    columns: list[str] = Field([], description="dataset columns sent with each input")
    headers: dict[str, str] = Field({}, description="extra HTTP headers")
    api_key_env: str | None = Field(
        None, description="environment variable holding a bearer token (sent as Authorization)"
    )

    @field_validator("url")
    @classmethod
    def _check_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("url must start with http:// or https://")
        return value

    @model_validator(mode="after")
    def _check_key(self):
        if self.api_key_env and not os.environ.get(self.api_key_env):
            raise ValueError(f"environment variable '{self.api_key_env}' (api_key_env) is not set")
        return self


class RmRemote(Reward):
    """Scores from an HTTP reward-model server; failed samples are None and counted.

    Per batch it counts ``requests``, ``retries``, ``failed`` (samples left None by a failed
    request) and ``server_none`` (samples the server returned null for); per sample it notes
    ``error`` for failed ones.
    """

    name = "rm_remote"
    description = "scores from an HTTP reward-model endpoint (batched, retried); failures are None and counted"
    Params = RmRemoteParams

    def required_columns(self) -> tuple[str, ...]:
        return tuple(self.params.columns)

    # -- request building --------------------------------------------------------------------

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

    def headers(self) -> dict[str, str]:
        p = self.params
        headers = {"Content-Type": "application/json", "Accept": "application/json", **p.headers}
        if p.api_key_env:
            token = os.environ.get(p.api_key_env)
            if not token:
                raise ParamsError(f"reward '{self.__name__}': environment variable '{p.api_key_env}' is not set")
            headers["Authorization"] = f"Bearer {token}"
        return headers

    # -- transport -----------------------------------------------------------------------------

    def post(self, body: bytes, headers: dict[str, str]) -> Any:
        """One POST; returns the decoded JSON or raises :class:`RemoteError`."""
        request = urllib.request.Request(self.params.url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.params.timeout) as response:
                raw = response.read()
        except urllib.error.HTTPError as exc:
            detail = exc.read()[:200].decode("utf-8", "replace") if exc.fp is not None else ""
            retry_after = _retry_after(exc.headers.get("Retry-After") if exc.headers else None)
            raise RemoteError(f"HTTP {exc.code}: {detail}".strip(), exc.code in RETRY_STATUS, retry_after) from None
        except (urllib.error.URLError, socket.timeout, TimeoutError, ConnectionError) as exc:
            reason = getattr(exc, "reason", exc)
            raise RemoteError(f"{type(reason).__name__}: {reason}", True) from None
        try:
            return json.loads(raw)
        except ValueError:
            raise RemoteError(f"response is not JSON: {raw[:200]!r}", False) from None

    def request(self, items: list[dict[str, Any]], headers: dict[str, str]) -> tuple[list[Any] | None, str, int, int]:
        """Send one request with retries: (scores or None, error, requests made, retries)."""
        p = self.params
        body = json.dumps({**({"model": p.model} if p.model else {}), "inputs": items}).encode()
        attempt = 0
        while True:
            try:
                data = self.post(body, headers)
                scores = data.get("scores") if isinstance(data, dict) else data
                if not isinstance(scores, list) or len(scores) != len(items):
                    got = len(scores) if isinstance(scores, list) else type(scores).__name__
                    return None, f"malformed response: expected {len(items)} scores, got {got}", attempt + 1, attempt
                return scores, "", attempt + 1, attempt
            except RemoteError as exc:
                if not exc.retryable or attempt >= p.max_retries:
                    tries = f" after {attempt + 1} attempts" if attempt else ""
                    return None, f"{exc}{tries}", attempt + 1, attempt
                delay = min(p.backoff_max, p.backoff * 2**attempt)
                if exc.retry_after is not None:
                    delay = min(p.backoff_max, max(delay, exc.retry_after))
                time.sleep(delay * (1 + 0.1 * random.random()))
                attempt += 1

    # -- scoring -------------------------------------------------------------------------------

    def score_batch(self, batch: Batch) -> list[float | None]:
        p = self.params
        n = len(batch)
        if not n:
            return []
        headers = self.headers()
        chunks = [list(range(start, min(n, start + p.batch_size))) for start in range(0, n, p.batch_size)]
        payloads = [[self.item(batch.samples[i]) for i in chunk] for chunk in chunks]
        if p.concurrency > 1 and len(chunks) > 1:
            with ThreadPoolExecutor(min(p.concurrency, len(chunks))) as pool:
                results = list(pool.map(lambda items: self.request(items, headers), payloads))
        else:
            results = [self.request(items, headers) for items in payloads]
        scores: list[float | None] = [None] * n
        for chunk, (values, error, requests, retries) in zip(chunks, results):
            batch.count("requests", requests)
            batch.count("retries", retries)
            if values is None:
                batch.count("failed", len(chunk))
                for i in chunk:
                    batch.note("error", i, error)
                continue
            for i, value in zip(chunk, values):
                if value is None:
                    batch.count("server_none")
                elif isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
                    scores[i] = float(value)
                else:
                    batch.count("failed")
                    batch.note("error", i, f"invalid score from server: {value!r}")
        batch.count("failed", 0)  # always reported, so a dashboard shows 0 rather than nothing
        return scores


def _jsonable(value: Any, fallback: Any) -> Any:
    try:
        json.dumps(value)
        return value
    except (TypeError, ValueError):
        return fallback if fallback is not None else str(value)


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None  # an HTTP date: fall back to the exponential backoff
