"""Calling an OpenAI-compatible chat endpoint for the judges: bounded, rate-limited, retried, cached.

One :class:`JudgeClient` per reward. Per event loop it keeps an ``openai.AsyncOpenAI`` client, a
semaphore of ``concurrency`` calls in flight, the requests- and tokens-per-minute limiters
(``aiolimiter``; each loop has its own, and a process normally awaits its judges from one loop)
and the requests in flight by key, so identical requests made at once share one call.

Retries with backoff on 408/409/429/5xx, timeouts and lost connections are the ``openai``
client's own (``max_retries``; it honours ``Retry-After``); ``timeout`` bounds each attempt's
connect, send and every read, and a whole call is cut at ``timeout × (max_retries + 2)`` plus
the client's backoff waits (0.5 s, doubling, at most 8 s each): what its attempts may take, and
one attempt's time more as a margin, so a server that drips its reply or asks for a long
``Retry-After`` cannot hold a call longer. A call that fails gives a :class:`Reply` with
``error`` set and is counted; nothing here raises for a server's misbehaviour.

The key is read from the environment variable named by ``api_key_env`` when a client is made; it
is never stored in the parameters, and :func:`scrub` removes it from every error message.
"""

from __future__ import annotations

import asyncio
import functools
import os
import time
from dataclasses import dataclass
from typing import Any

from rewardkit.concurrency import PerLoop
from rewardkit.errors import MissingDependencyError, ParamsError

from .reply_cache import ReplyCache, request_key
from .stats import CallStats

FIRST_BACKOFF, MAX_BACKOFF = 0.5, 8.0  # seconds: the openai client's waits between attempts, doubling
NO_KEY = "not-needed"  # sent when no api_key_env is given (local servers ignore it; the client needs one)
ERROR_CHARS = 300  # of a server's error body kept in a failure's reason


def import_openai() -> Any:
    # Imported on first call, not with the plugin: rewardkit imports every built-in plugin at start,
    # openai takes about a second to import, and the judge extra is optional.
    try:
        import openai
    except ImportError:
        raise MissingDependencyError("the judge rewards need openai: pip install 'rewardkit[judge]'") from None
    return openai


def api_key(env: str | None) -> str:
    """The key in the environment variable ``env`` (a placeholder without one)."""
    if env is None:
        return NO_KEY
    key = os.environ.get(env)
    if not key:
        raise ParamsError(f"environment variable '{env}' (api_key_env) is not set")
    return key


def scrub(message: str, env: str | None) -> str:
    """``message`` with the API key (if any) replaced by ``***``."""
    key = os.environ.get(env) if env else None
    return message.replace(key, "***") if key else message


@dataclass(frozen=True)
class Reply:
    """A judge's reply text (and its tokens' log-probabilities when asked), or why there is none."""

    text: str | None = None
    logprobs: list[dict[str, Any]] | None = None
    error: str = ""


class LoopResources:
    """What one event loop's calls share: the client, the call semaphore, the rate limiters."""

    def __init__(self, settings: "ClientSettings") -> None:
        openai = import_openai()
        self.client = openai.AsyncOpenAI(
            base_url=settings.base_url,
            api_key=api_key(settings.api_key_env),
            timeout=settings.timeout,
            max_retries=settings.max_retries,
            # The client's own connection pool closes itself when garbage-collected, by a task on
            # whatever loop runs then: after this loop has ended (TRL's, asyncio.run's), that is
            # another loop, and the close fails there. This one is left to be dropped with its loop.
            http_client=openai.DefaultAsyncHttpxClient(),
        )
        self.calls = asyncio.Semaphore(settings.concurrency)
        self.requests = _limiter(settings.requests_per_minute)
        self.tokens = _limiter(settings.tokens_per_minute)
        self.in_flight: dict[str, asyncio.Future] = {}


def _limiter(per_minute: float | None) -> Any:
    if per_minute is None:
        return None
    try:  # imported on first use, like openai
        from aiolimiter import AsyncLimiter
    except ImportError:
        raise MissingDependencyError("judge rate limits need aiolimiter: pip install 'rewardkit[judge]'") from None
    return AsyncLimiter(per_minute, 60)


@dataclass(frozen=True)
class ClientSettings:
    """The endpoint and limits a :class:`JudgeClient` calls with (from the reward's parameters)."""

    base_url: str
    model: str
    api_key_env: str | None
    concurrency: int
    timeout: float
    max_retries: int
    requests_per_minute: float | None
    tokens_per_minute: float | None
    sampling: tuple[tuple[str, Any], ...]  # temperature, max_tokens, ...: sent with every request
    max_reply_chars: int


class JudgeClient:
    """Chat completions for one reward: :meth:`complete` gives a :class:`Reply`, never raises for
    what a server does, and counts what it did in the batch's :class:`CallStats`."""

    def __init__(self, settings: ClientSettings, cache: ReplyCache | None) -> None:
        self.settings = settings
        self.cache = cache
        self.resources: PerLoop[LoopResources] = PerLoop(functools.partial(LoopResources, settings))
        self.structured = True  # False once the server refused response_format (structured: auto)

    async def complete(
        self,
        messages: list[dict[str, str]],
        stats: CallStats,
        schema: dict[str, Any] | None = None,
        logprobs: int = 0,
    ) -> Reply:
        """The reply to ``messages``; ``schema`` asks for structured output (JSON schema),
        ``logprobs`` for that many alternatives per token."""
        s = self.settings
        request = {
            "base_url": s.base_url, "model": s.model, "messages": messages, "sampling": dict(s.sampling),
            "schema": schema, "logprobs": logprobs,
        }  # fmt: skip
        key = request_key(request)
        loop = self.resources.get()
        while True:
            cached = self.cache.get(key) if self.cache is not None else None
            if cached is not None:
                stats.cache_hits += 1
                return Reply(cached["text"], cached.get("logprobs"))
            if key not in loop.in_flight:
                break
            shared = await asyncio.shield(loop.in_flight[key])  # the same request is being made: share its reply
            if shared is not None:
                stats.cache_hits += 1
                return shared
        future: asyncio.Future = asyncio.get_running_loop().create_future()
        loop.in_flight[key] = future
        reply = None
        try:
            reply = await self._call(loop, messages, schema, logprobs, stats)
        finally:
            del loop.in_flight[key]
            future.set_result(reply)  # None when this call was cancelled: whoever waited on it calls again
        if reply.text is not None and self.cache is not None:
            self.cache.put(key, {"text": reply.text, "logprobs": reply.logprobs})
        return reply

    async def _call(
        self, loop: LoopResources, messages: list[dict[str, str]], schema: dict[str, Any] | None, logprobs: int,
        stats: CallStats,
    ) -> Reply:  # fmt: skip
        s = self.settings
        kwargs: dict[str, Any] = {"model": s.model, "messages": messages, **dict(s.sampling)}
        if logprobs:
            kwargs.update(logprobs=True, top_logprobs=logprobs)
        if schema is not None and self.structured:
            kwargs["response_format"] = {"type": "json_schema", "json_schema": {"name": "judgement", "schema": schema}}
        async with loop.calls:
            if loop.requests is not None:
                await loop.requests.acquire()
            if loop.tokens is not None:
                estimate = sum(len(m["content"]) for m in messages) / 4 + kwargs.get("max_tokens", 0)
                await loop.tokens.acquire(min(estimate, loop.tokens.max_rate))
            reply, status = await self._send(loop, kwargs, stats)
            if status in (400, 422) and "response_format" in kwargs:  # structured: auto, and the server refuses it
                self.structured = False
                del kwargs["response_format"]
                reply, status = await self._send(loop, kwargs, stats)
        if reply.error:
            stats.failures += 1
        return reply

    async def _send(self, loop: LoopResources, kwargs: dict[str, Any], stats: CallStats) -> tuple[Reply, int | None]:
        """One call (the client's retries within it): the reply, and the HTTP status it failed with."""
        openai = import_openai()
        s = self.settings
        stats.calls += 1
        started = time.perf_counter()
        try:
            raw = await asyncio.wait_for(loop.client.chat.completions.with_raw_response.create(**kwargs), self.call_limit())
            completion = raw.parse()
        except openai.APIStatusError as exc:
            return self._error(stats, f"HTTP {exc.status_code}: {_body(exc)}", exc), exc.status_code
        except openai.APITimeoutError as exc:
            return self._error(stats, f"timed out ({s.timeout:g} s per attempt)", exc), None
        except openai.APIConnectionError as exc:
            return self._error(stats, f"connection failed: {exc.__cause__ or exc}", exc), None
        except asyncio.TimeoutError:
            return self._error(stats, f"no reply within {self.call_limit():g} s (retries included)", None), None
        except (openai.APIError, ValueError) as exc:  # a body that is not a chat completion
            return self._error(stats, f"malformed response: {type(exc).__name__}: {exc}", None), None
        stats.retries += raw.retries_taken
        return self._read(completion, time.perf_counter() - started, stats), None

    def _read(self, completion: Any, latency: float, stats: CallStats) -> Reply:
        """The reply in a parsed chat completion (usage and latency counted)."""
        usage = getattr(completion, "usage", None)
        stats.prompt_tokens += int(getattr(usage, "prompt_tokens", 0) or 0)
        stats.completion_tokens += int(getattr(usage, "completion_tokens", 0) or 0)
        choices = getattr(completion, "choices", None)
        if not choices or getattr(choices[0], "message", None) is None:
            return self._error(stats, f"malformed response: no choices in {str(completion)[:ERROR_CHARS]!r}", None)
        stats.latencies.append(latency)
        text = choices[0].message.content
        if not isinstance(text, str):
            return self._error(stats, "the reply has no text content", None)
        if len(text) > self.settings.max_reply_chars:
            return self._error(stats, f"reply of {len(text)} characters is longer than max_reply_chars", None)
        tokens = getattr(choices[0], "logprobs", None)
        content = getattr(tokens, "content", None) if tokens is not None else None
        logprobs = [entry.model_dump() for entry in content] if content else None
        return Reply(text, logprobs)

    def _error(self, stats: CallStats, reason: str, exc: Any) -> Reply:
        """A failed call's reply (``exc``: the openai error, which carries its retries)."""
        retries = _retries(exc)
        stats.retries += retries
        if retries:
            reason += f" (after {retries} retries)"
        return Reply(error=scrub(reason, self.settings.api_key_env))

    def call_limit(self) -> float:
        """Seconds one call may take in all, its retries and the waits between them included."""
        s = self.settings
        backoff = sum(min(FIRST_BACKOFF * 2**n, MAX_BACKOFF) for n in range(s.max_retries))
        return s.timeout * (s.max_retries + 2) + backoff


def _retries(exc: Any) -> int:
    """Retries the openai client made before giving up (it sends the count with each attempt)."""
    request = getattr(exc, "request", None) if exc is not None else None
    try:
        return int(request.headers.get("x-stainless-retry-count", 0)) if request is not None else 0
    except (TypeError, ValueError):
        return 0


def _body(exc: Any) -> str:
    message = getattr(exc, "message", None) or str(exc)
    return " ".join(str(message).split())[:ERROR_CHARS]
