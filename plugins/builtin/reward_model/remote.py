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

Bounds: one attempt, from connecting to the last byte of the response, takes at most ``timeout``
seconds however the server sends (a watchdog shuts the socket at the deadline, so a server that
drips its headers or body cannot stretch it), and a response body larger than
``max_response_bytes`` is refused without being read whole.
"""

from __future__ import annotations

import functools
import http.client
import json
import os
import random
import socket
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from rewardkit.errors import ParamsError, shown
from rewardkit.reward import Batch, Reward, RewardParams, Sample, is_finite_number
from rewardkit.text import completion_text

RETRY_STATUS = frozenset({408, 429}) | frozenset(range(500, 600))
READ_CHUNK = 65536  # bytes asked of the socket at a time while reading a response


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
    timeout: float = Field(
        30.0, gt=0, description="seconds one attempt may take in total, from connecting to the response's last byte"
    )
    max_response_bytes: int = Field(
        8 * 2**20, gt=0, description="a larger response body fails the request (it is never read whole)"
    )
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
    error_score = None  # a sample that cannot be sent (malformed chat content) fails like a request

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
        """One POST within ``timeout`` seconds in total; returns the decoded JSON or raises :class:`RemoteError`."""
        p = self.params
        request = urllib.request.Request(p.url, data=body, headers=headers, method="POST")
        watchdog = _Watchdog(p.timeout)
        opener = urllib.request.build_opener(_WatchedHTTPHandler(watchdog), _WatchedHTTPSHandler(watchdog))
        try:
            with opener.open(request, timeout=p.timeout) as response:
                raw = _read_capped(response, p.max_response_bytes)
            if watchdog.expired:  # the socket was shut mid-body: what was read is cut short
                raise TimeoutError
        except urllib.error.HTTPError as exc:
            detail = exc.read(200).decode("utf-8", "replace") if exc.fp is not None else ""
            retry_after = _retry_after(exc.headers.get("Retry-After") if exc.headers else None)
            raise RemoteError(f"HTTP {exc.code}: {detail}".strip(), exc.code in RETRY_STATUS, retry_after) from None
        except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
            if watchdog.expired or isinstance(exc, TimeoutError):
                raise RemoteError(f"timed out: no complete response within {p.timeout:g} s", True) from None
            reason = getattr(exc, "reason", exc)
            raise RemoteError(f"{type(reason).__name__}: {reason}", True) from None
        finally:
            watchdog.cancel()
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
                elif is_finite_number(value):
                    scores[i] = float(value)
                else:
                    batch.count("failed")
                    batch.note("error", i, f"invalid score from server: {shown(value)}")
        batch.count("failed", 0)  # always reported, so a dashboard shows 0 rather than nothing
        return scores


class _Watchdog:
    """Shuts down the sockets of one attempt when its time is up, which wakes any read or write
    blocked on them: a per-read timeout alone lets a server that sends a byte now and then keep
    the caller for as long as it likes."""

    def __init__(self, seconds: float) -> None:
        self.expired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True
        self._timer.start()

    def watch(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.append(sock)
            if self.expired:
                _shut(sock)

    def cancel(self) -> None:
        self._timer.cancel()

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            for sock in self._sockets:
                _shut(sock)


def _shut(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:  # already closed
        pass


def _watched(connection_class: type[http.client.HTTPConnection]) -> type[http.client.HTTPConnection]:
    """``connection_class`` whose socket is handed to a :class:`_Watchdog` once connected."""

    class Watched(connection_class):  # type: ignore[misc, valid-type]
        def __init__(self, *args: Any, watchdog: _Watchdog, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.watchdog = watchdog

        def connect(self) -> None:
            super().connect()
            self.watchdog.watch(self.sock)

    return Watched


_WatchedHTTPConnection = _watched(http.client.HTTPConnection)
_WatchedHTTPSConnection = _watched(http.client.HTTPSConnection)


class _WatchedHTTPHandler(urllib.request.HTTPHandler):
    def __init__(self, watchdog: _Watchdog) -> None:
        super().__init__()
        self.watchdog = watchdog

    def http_open(self, req: urllib.request.Request) -> Any:
        return self.do_open(functools.partial(_WatchedHTTPConnection, watchdog=self.watchdog), req)


class _WatchedHTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, watchdog: _Watchdog) -> None:
        super().__init__()
        self.watchdog = watchdog

    def https_open(self, req: urllib.request.Request) -> Any:
        connection = functools.partial(_WatchedHTTPSConnection, watchdog=self.watchdog)
        return self.do_open(connection, req, context=self._context)


def _read_capped(response: Any, limit: int) -> bytes:
    """The response body, refused (not read further) once it passes ``limit`` bytes."""
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > limit:
        raise RemoteError(f"response of {int(declared)} bytes is larger than max_response_bytes ({limit})", False)
    chunks: list[bytes] = []
    size = 0
    while chunk := response.read1(READ_CHUNK):
        size += len(chunk)
        if size > limit:
            raise RemoteError(f"response is larger than max_response_bytes ({limit})", False)
        chunks.append(chunk)
    return b"".join(chunks)


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
