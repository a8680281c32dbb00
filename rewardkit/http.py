"""Calling an HTTP service from a reward: the one transport of ``rm_remote``, the judges and the code services.

Every request goes through :class:`BoundedTransport`, an ``httpx`` transport under an
``httpx.AsyncClient`` (the judges' ``openai`` client gets that client as its ``http_client``).
It owns, for each request:

- **time**: one attempt, from connecting to the response's last byte, takes at most ``timeout``
  seconds however the server sends (dripped headers, an endless chunked body); waiting for one
  of the ``in_flight`` slots does not count;
- **size**: a body is read, and decompressed (gzip, deflate, br), a chunk at a time into at most
  ``max_response_bytes`` decoded bytes; a larger one fails the request without being read on,
  so a small gzip bomb or an endless body costs that bound in memory and ``timeout`` in time.
  An error status's body is kept only up to :data:`ERROR_BODY_BYTES` (it is only quoted);
- **retries**: a lost connection, a timed-out attempt, 408, 429 or 5xx are tried again up to
  ``max_retries`` times after ``backoff`` seconds, doubling, at most ``backoff_max`` each (with
  10% jitter), or after the server's ``Retry-After`` (seconds or a date) up to ``backoff_max``.
  So a call takes at most ``(max_retries + 1) × timeout + max_retries × backoff_max`` seconds;
- **the key**: read from the environment variable named by ``api_key_env`` when a client is
  made (never stored in parameters), sent as ``Authorization: Bearer``, and replaced by ``***`` in
  every response body and error message (:func:`rewardkit.errors.scrub`);
- **counts**: the attempts and retries of the calls made under :func:`counted` add up in its
  :class:`Exchange`.

``httpx`` is imported when the first client is made: rewardkit imports every built-in plugin at
start, and most runs call no service.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import email.utils
import functools
import os
import random
import time
import zlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterator
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, model_validator

from .concurrency import PerLoop
from .errors import ParamsError, scrub, shown

if TYPE_CHECKING:
    import httpx

RETRY_STATUS = frozenset({408, 429}) | frozenset(range(500, 600))
ERROR_BODY_BYTES = 4096  # of an error status's body kept for its message
QUOTED_CHARS = 300  # of a body quoted in an error message


class HttpParams(BaseModel):
    """The parameters of a reward (or sandbox backend) that calls a service; see the module docstring."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    timeout: float = Field(30.0, gt=0, description="seconds one attempt may take, from connecting to the response's last byte")
    max_retries: int = Field(3, ge=0, description="retries after a lost connection, a timeout, 408, 429 or 5xx")
    backoff: float = Field(0.5, ge=0, description="seconds before the first retry; doubles each retry")
    backoff_max: float = Field(8.0, ge=0, description="longest wait between tries, Retry-After included")
    max_response_bytes: int = Field(
        8 * 2**20, gt=0, description="a larger response body (after decompression) fails the request, unread"
    )
    headers: dict[str, str] = Field({}, description="extra HTTP headers (the key goes in api_key_env, not here)")
    api_key_env: str | None = Field(
        None, description="environment variable holding the API key, sent as a bearer token (never the key itself)"
    )

    @model_validator(mode="after")
    def _check_key(self):
        if self.api_key_env is not None:
            api_key(self.api_key_env)  # raises naming the variable when it is not set
        return self

    def http(self, in_flight: int | None = None) -> HttpSettings:
        """The transport's settings from these parameters, ``in_flight`` requests at once per event loop."""
        return HttpSettings(
            timeout=self.timeout, max_retries=self.max_retries, backoff=self.backoff, backoff_max=self.backoff_max,
            max_response_bytes=self.max_response_bytes, headers=tuple(sorted(self.headers.items())),
            api_key_env=self.api_key_env, in_flight=in_flight,
        )  # fmt: skip


@dataclass(frozen=True)
class HttpSettings:
    timeout: float = 30.0
    max_retries: int = 3
    backoff: float = 0.5
    backoff_max: float = 8.0
    max_response_bytes: int = 8 * 2**20
    headers: tuple[tuple[str, str], ...] = ()
    api_key_env: str | None = None
    in_flight: int | None = None  # requests at once per event loop (None: no bound)


def check_url(value: str) -> str:
    """``value`` if it is an http(s) URL with a host and no credentials in it, else ValueError."""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"must be an http:// or https:// URL with a host, got {shown(value)}")
    if parts.username or parts.password:
        raise ValueError("must not hold credentials (put the key in an environment variable named by api_key_env)")
    return value


def api_key(env: str) -> str:
    """The key in the environment variable ``env``; ParamsError naming it when it is not set."""
    key = os.environ.get(env)
    if not key:
        raise ParamsError(f"environment variable '{env}' (api_key_env) is not set")
    return key


# -- counts ---------------------------------------------------------------------------------------


@dataclass
class Exchange:
    """What the calls made under :func:`counted` cost: attempts sent and the retries among them."""

    requests: int = 0
    retries: int = 0


_counting: contextvars.ContextVar[Exchange | None] = contextvars.ContextVar("rewardkit_http_exchange", default=None)


@contextlib.contextmanager
def counted(exchange: Exchange) -> Iterator[Exchange]:
    """Count the requests this task (and the tasks it starts) sends into ``exchange``."""
    token = _counting.set(exchange)
    try:
        yield exchange
    finally:
        _counting.reset(token)


def _count(requests: int = 0, retries: int = 0) -> None:
    exchange = _counting.get()
    if exchange is not None:
        exchange.requests += requests
        exchange.retries += retries


# -- errors ---------------------------------------------------------------------------------------


class ServiceError(Exception):
    """A call that failed for good (the service's status, a timeout, a body too large or not
    JSON, a lost connection); the message says which, after how many attempts."""


@functools.lru_cache(maxsize=None)
def transport_errors() -> tuple[type, type]:
    """The transport's own exceptions, ``(AttemptTimeout, BodyRefused)``: subclasses of httpx's
    (so ``openai`` maps a timeout to its ``APITimeoutError``), made once httpx is imported; their
    messages say what happened."""
    httpx = _httpx()

    class AttemptTimeout(httpx.TimeoutException):
        """An attempt ran past ``timeout`` (connecting, sending, waiting or reading the body)."""

    class BodyRefused(httpx.TransportError):
        """A body larger than ``max_response_bytes``, or one that cannot be decoded: not retried."""

    return AttemptTimeout, BodyRefused


@functools.lru_cache(maxsize=None)
def _httpx() -> Any:
    # Imported on first use (about 90 ms): every built-in plugin is imported at start.
    import httpx

    return httpx


# -- reading a body -------------------------------------------------------------------------------


def _decoder(encoding: str) -> Any:
    """A bounded decoder for a Content-Encoding, or None for one not asked for: ``decode(data,
    room)`` inflates at most ``room + 1`` bytes (one more than room: the body is too large)."""
    encoding = encoding.strip().lower()
    if encoding in ("", "identity"):
        return _Identity()
    if encoding in ("gzip", "x-gzip"):
        return _Zlib(zlib.MAX_WBITS | 16)
    if encoding == "deflate":
        return _Zlib(zlib.MAX_WBITS, raw_fallback=True)
    if encoding == "br" and _brotli() is not None:
        return _Brotli()
    return None


ACCEPTED = "gzip, deflate"  # plus br where brotli bounds its output (see _brotli)


class _Identity:
    def decode(self, data: bytes, room: int) -> bytes:
        return data


class _Zlib:
    def __init__(self, wbits: int, raw_fallback: bool = False) -> None:
        self.inflate = zlib.decompressobj(wbits)
        self.raw_fallback = raw_fallback  # "deflate" is zlib-wrapped by the RFC, raw by some servers
        self.first = True

    def decode(self, data: bytes, room: int) -> bytes:
        try:
            out = self.inflate.decompress(data, room + 1)
        except zlib.error:
            if not (self.raw_fallback and self.first):
                raise
            self.inflate = zlib.decompressobj(-zlib.MAX_WBITS)
            out = self.inflate.decompress(data, room + 1)
        self.first = False
        return out  # room + 1 bytes: too large (the rest stays in unconsumed_tail, never inflated)


class _Brotli:
    def __init__(self) -> None:
        self.inflate = _brotli().Decompressor()

    def decode(self, data: bytes, room: int) -> bytes:
        return self.inflate.process(data, output_buffer_limit=room + 1)


@functools.lru_cache(maxsize=None)
def _brotli() -> Any:
    """The brotli module where its decompressor can bound its output (1.1+), else None."""
    try:
        import brotli

        brotli.Decompressor().process(b"", output_buffer_limit=1)
    except (ImportError, TypeError, AttributeError):
        return None
    return brotli


# -- the transport --------------------------------------------------------------------------------


class BoundedTransport:
    """An ``httpx`` async transport (what ``httpx.AsyncBaseTransport`` asks, without importing
    httpx to subclass it) wrapping httpx's own: it retries, bounds time and size, adds the key
    and scrubs it. One per event loop. Proxies from the environment are not used."""

    def __init__(self, settings: HttpSettings, inner: Any) -> None:
        self.settings = settings
        self.inner = inner
        self.slots = asyncio.Semaphore(settings.in_flight) if settings.in_flight else None
        self.key = api_key(settings.api_key_env) if settings.api_key_env else None
        self.AttemptTimeout, self.BodyRefused = transport_errors()
        self.accepted = ACCEPTED + (", br" if _brotli() is not None else "")

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        s = self.settings
        for name, value in s.headers:
            request.headers[name] = value
        if self.key is not None:
            request.headers["Authorization"] = f"Bearer {self.key}"
        request.headers["Accept-Encoding"] = self.accepted
        attempt = 0
        while True:
            _count(requests=1, retries=int(attempt > 0))
            retry_after = None
            try:
                response = await self._attempt(request)
            except self.BodyRefused as exc:
                raise type(exc)(self._scrub(str(exc)), request=request) from None
            except _httpx().TransportError as exc:  # a lost connection, a timeout
                if attempt >= s.max_retries:
                    raise type(exc)(self._scrub(_tried(str(exc) or type(exc).__name__, attempt)), request=request) from None
            else:
                if response.status_code not in RETRY_STATUS or attempt >= s.max_retries:
                    response.extensions["rewardkit_attempts"] = attempt + 1
                    return response
                retry_after = _retry_after(response.headers.get("Retry-After"))
            delay = min(s.backoff_max, max(s.backoff * 2**attempt * (1 + 0.1 * random.random()), retry_after or 0))
            await asyncio.sleep(delay)
            attempt += 1

    async def _attempt(self, request: httpx.Request) -> httpx.Response:
        async with self.slots or contextlib.nullcontext():  # waiting for a slot is not the attempt's time
            try:
                return await asyncio.wait_for(self._exchange(request), self.settings.timeout)
            except asyncio.TimeoutError:
                raise self.AttemptTimeout(
                    f"timed out: no complete response within {self.settings.timeout:g} s", request=request
                ) from None

    async def _exchange(self, request: httpx.Request) -> httpx.Response:
        """One request and its whole body, read bounded and decoded."""
        httpx = _httpx()
        response = await self.inner.handle_async_request(request)
        try:
            ok = response.status_code < 400
            limit = self.settings.max_response_bytes if ok else ERROR_BODY_BYTES
            body = await self._read(response, request, limit, refuse=ok)
        finally:
            await response.aclose()  # a body not read to its end closes the connection
        headers = [(k, v) for k, v in response.headers.multi_items() if k.lower() not in _BODY_HEADERS]
        extensions = {k: v for k, v in response.extensions.items() if k in ("http_version", "reason_phrase")}
        return httpx.Response(response.status_code, headers=headers, content=body, extensions=extensions, request=request)

    async def _read(self, response: httpx.Response, request: httpx.Request, limit: int, refuse: bool) -> bytes:
        """At most ``limit`` decoded bytes of the body; more is refused (``refuse``) or cut off."""
        encoding = response.headers.get("Content-Encoding", "")
        decoder = _decoder(encoding)
        if decoder is None:
            raise self.BodyRefused(f"the response's Content-Encoding {shown(encoding)} is not one asked for", request=request)
        declared = response.headers.get("Content-Length", "")
        if refuse and isinstance(decoder, _Identity) and declared.isdigit() and int(declared) > limit:
            raise self.BodyRefused(f"response of {int(declared)} bytes is larger than max_response_bytes ({limit})", request=request)
        body = bytearray()
        async for chunk in response.stream:
            try:
                body += decoder.decode(chunk, limit - len(body))
            except Exception as exc:  # noqa: BLE001 - zlib.error, brotli.error: not the encoding it says
                raise self.BodyRefused(f"the {encoding} body cannot be decoded: {exc}", request=request) from None
            if len(body) > limit:
                if refuse:
                    raise self.BodyRefused(f"response is larger than max_response_bytes ({limit})", request=request)
                del body[limit:]
                break
        return self._scrub(bytes(body))

    def _scrub(self, data: Any) -> Any:
        if self.key is None:
            return data
        if isinstance(data, bytes):
            return data.replace(self.key.encode(), b"***")
        return scrub(data, [self.key])

    async def aclose(self) -> None:
        await self.inner.aclose()


_BODY_HEADERS = frozenset({"content-encoding", "content-length", "transfer-encoding"})  # of the body as sent


def _tried(message: str, retries: int) -> str:
    return f"{message} (after {retries + 1} attempts)" if retries else message


def _retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header: a number of seconds or an HTTP date; None if neither."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, email.utils.parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError, OverflowError):
        return None


def make_client(settings: HttpSettings) -> httpx.AsyncClient:
    """An ``httpx.AsyncClient`` whose every request goes through a :class:`BoundedTransport`
    (for the running event loop: clients are bound to the loop that made them)."""
    httpx = _httpx()
    inner = httpx.AsyncHTTPTransport(limits=httpx.Limits(max_connections=None, max_keepalive_connections=64))
    # httpx's own timeouts per operation are the attempt's (the transport bounds the whole attempt).
    return httpx.AsyncClient(transport=BoundedTransport(settings, inner), timeout=settings.timeout)


class HttpClient:
    """JSON calls to a service with the transport's bounds; one per reward or backend, a client per event loop."""

    def __init__(self, settings: HttpSettings) -> None:
        self.settings = settings
        self.clients: PerLoop[httpx.AsyncClient] = PerLoop(functools.partial(make_client, settings))

    def client(self) -> httpx.AsyncClient:
        """The ``httpx.AsyncClient`` of the running event loop (for ``openai``'s ``http_client``)."""
        return self.clients.get()

    async def post_json(self, url: str, payload: Any) -> Any:
        """The decoded JSON reply of a 2xx response to ``payload`` POSTed to ``url``; anything else
        raises :class:`ServiceError` with what went wrong (the key scrubbed)."""
        httpx = _httpx()
        try:
            response = await self.client().post(url, json=payload)
        except httpx.HTTPError as exc:
            own = isinstance(exc, transport_errors())  # timed out, or a body refused: the message says so
            raise ServiceError(str(exc) if own else f"connection failed: {type(exc).__name__}: {exc}") from None
        if response.status_code >= 300:
            attempts = response.extensions.get("rewardkit_attempts", 1)
            detail = " ".join(response.text.split())[:QUOTED_CHARS]
            raise ServiceError(_tried(f"HTTP {response.status_code}: {detail}".strip(), attempts - 1))
        try:
            return response.json()
        except ValueError:
            raise ServiceError(f"response is not JSON: {response.content[:QUOTED_CHARS]!r}") from None
