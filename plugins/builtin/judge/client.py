"""Calling an OpenAI-compatible chat endpoint for the judges: bounded, rate-limited, retried, cached.

One :class:`JudgeClient` per reward. Per event loop it keeps an ``openai.AsyncOpenAI`` client
(the protocol) over the ``httpx`` client of :mod:`rewardkit.http` (the transport every reward that
calls a service shares), the requests- and tokens-per-minute limiters (``aiolimiter``; each loop
has its own, and a process normally awaits its judges from one loop) and the requests in flight
by key (:class:`rewardkit.concurrency.InFlight`), so identical requests made at once share one call.

The transport does what ``openai``'s own client would do, and what it would not: ``concurrency``
calls in flight, retries with backoff on 408/429/5xx, timeouts and lost connections (``openai``'s
own retries are off), ``Retry-After``, one attempt bounded to ``timeout`` seconds from connecting
to the last byte (a server that drips its reply cannot stretch it), a body bounded to
``max_response_bytes`` after decompression, the key from ``api_key_env`` scrubbed from every
body and error. A call that fails gives a :class:`Reply` with ``error`` set and is counted;
nothing here raises for a server's misbehaviour.
"""

from __future__ import annotations

import functools
import os
import time
from dataclasses import dataclass, replace
from typing import Any, Sequence

from rewardkit.concurrency import InFlight, PerLoop
from rewardkit.errors import MissingDependencyError, scrub
from rewardkit.http import Exchange, HttpClient, HttpSettings, api_key, counted, transport_errors

from .quoting import canonical, with_nonces
from .reply_cache import ReplyCache, request_key
from .stats import CallStats

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


@dataclass(frozen=True)
class Reply:
    """A judge's reply text (and its tokens' log-probabilities when asked), or why there is none."""

    text: str | None = None
    logprobs: list[dict[str, Any]] | None = None
    error: str = ""


class LoopResources:
    """What one event loop's calls share: the client and the rate limiters."""

    def __init__(self, settings: "ClientSettings", http: HttpClient) -> None:
        openai = import_openai()
        s = settings.http
        self.client = openai.AsyncOpenAI(
            base_url=settings.base_url,
            api_key=api_key(s.api_key_env) if s.api_key_env else NO_KEY,
            timeout=s.timeout,
            max_retries=0,  # the transport retries
            # A plain httpx client, not openai's default one, which closes its pool when
            # garbage-collected by a task on whatever loop runs then (after TRL's or asyncio.run's
            # loop has ended, another one, where the close fails): this one is dropped with its loop.
            http_client=http.client(),
        )
        self.requests = _limiter(settings.requests_per_minute)
        self.tokens = _limiter(settings.tokens_per_minute)


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
    http: HttpSettings  # the transport's: concurrency as its requests in flight, timeout, retries, bounds, key
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
        self.http = HttpClient(settings.http)
        self.resources: PerLoop[LoopResources] = PerLoop(functools.partial(LoopResources, settings, self.http))
        self.in_flight: InFlight[Reply] = InFlight()
        self.structured = True  # False once the server refused response_format (structured: auto)

    async def complete(
        self,
        messages: list[dict[str, str]],
        stats: CallStats,
        schema: dict[str, Any] | None = None,
        logprobs: int = 0,
        nonces: Sequence[str] = (),
    ) -> Reply:
        """The reply to ``messages``; ``schema`` asks for structured output (JSON schema),
        ``logprobs`` for that many alternatives per token. ``nonces`` are the quotes' nonces in
        ``messages`` (new for every call): requests that differ only by them share one reply,
        cached or in flight, with the nonces it echoes rewritten to this call's."""
        s = self.settings
        request = {
            "base_url": s.base_url, "model": s.model, "sampling": dict(s.sampling), "schema": schema, "logprobs": logprobs,
            "messages": [{**m, "content": canonical(m["content"], nonces)} for m in messages],
        }  # fmt: skip
        key = request_key(request)
        cached = self.cache.get(key) if self.cache is not None else None
        if cached is not None:
            stats.cache_hits += 1
            return Reply(with_nonces(cached["text"], nonces), cached.get("logprobs"))

        async def call() -> Reply:
            reply = await self._call(self.resources.get(), messages, schema, logprobs, stats)
            if reply.text is None:
                return reply
            reply = replace(reply, text=canonical(reply.text, nonces))  # what every caller of this request shares
            if self.cache is not None:
                self.cache.put(key, {"text": reply.text, "logprobs": reply.logprobs})
            return reply

        reply, shared = await self.in_flight.run(key, call)  # the same request being made: its reply is shared
        stats.cache_hits += int(shared)
        return reply if reply.text is None else replace(reply, text=with_nonces(reply.text, nonces))

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
        """One call (the transport's retries within it): the reply, and the HTTP status it failed with."""
        openai = import_openai()
        stats.calls += 1
        started = time.perf_counter()
        exchange = Exchange()
        try:
            with counted(exchange):
                completion = await loop.client.chat.completions.create(**kwargs)
        except openai.APIStatusError as exc:
            attempts = exc.response.extensions.get("rewardkit_attempts", 1)
            retried = f" (after {attempts} attempts)" if attempts > 1 else ""
            return self._error(stats, f"HTTP {exc.status_code}: {_body(exc)}{retried}"), exc.status_code
        except (openai.APITimeoutError, openai.APIConnectionError) as exc:
            cause = exc.__cause__ or exc
            own = isinstance(cause, transport_errors())  # timed out, or a body refused: the reason says so
            return self._error(stats, str(cause) if own else f"connection failed: {cause}"), None
        except (openai.APIError, ValueError) as exc:  # a body that is not a chat completion
            return self._error(stats, f"malformed response: {type(exc).__name__}: {exc}"), None
        finally:
            stats.retries += exchange.retries
        return self._read(completion, time.perf_counter() - started, stats), None

    def _read(self, completion: Any, latency: float, stats: CallStats) -> Reply:
        """The reply in a parsed chat completion (usage and latency counted)."""
        usage = getattr(completion, "usage", None)
        stats.prompt_tokens += int(getattr(usage, "prompt_tokens", 0) or 0)
        stats.completion_tokens += int(getattr(usage, "completion_tokens", 0) or 0)
        choices = getattr(completion, "choices", None)
        if not choices or getattr(choices[0], "message", None) is None:
            return self._error(stats, f"malformed response: no choices in {str(completion)[:ERROR_CHARS]!r}")
        stats.latencies.append(latency)
        text = choices[0].message.content
        if not isinstance(text, str):
            return self._error(stats, "the reply has no text content")
        if len(text) > self.settings.max_reply_chars:
            return self._error(stats, f"reply of {len(text)} characters is longer than max_reply_chars")
        text = scrub(text, self.secrets())  # an echo the transport could not see (JSON-escaped), before it is cached
        tokens = getattr(choices[0], "logprobs", None)
        content = getattr(tokens, "content", None) if tokens is not None else None
        logprobs = [entry.model_dump() for entry in content] if content else None
        return Reply(text, logprobs)

    def _error(self, stats: CallStats, reason: str) -> Reply:
        """A failed call's reply, the key scrubbed from its reason."""
        return Reply(error=scrub(reason, self.secrets()))

    def secrets(self) -> list[str]:
        env = self.settings.http.api_key_env
        return [os.environ[env]] if env and os.environ.get(env) else []


def _body(exc: Any) -> str:
    message = getattr(exc, "message", None) or str(exc)
    return " ".join(str(message).split())[:ERROR_CHARS]
