"""The one HTTP transport of the rewards that call services (rewardkit.http), against a server of
the tests' own that misbehaves on request: retries and Retry-After, the time and size bounds
(decompression bombs, an endless chunked body), the key kept out of everything it returns."""

from __future__ import annotations

import asyncio
import email.utils
import functools
import struct
import time
import tracemalloc
import zlib

import pytest

from _judge_server import Drop, Endless, Gathered, Raw, Reply, Status, judge_server
from rewardkit.errors import ParamsError
from rewardkit.http import Exchange, HttpClient, HttpParams, ServiceError, check_url, counted

MIB = 2**20


def call(url: str, payload=None, **params) -> tuple[object, Exchange]:
    """POST ``payload`` through a fresh client with ``params``; the reply (or the ServiceError) and the counts."""
    params.setdefault("backoff", 0.01)
    client = HttpClient(HttpParams(**params).http(in_flight=params.pop("in_flight", None)))
    exchange = Exchange()

    async def go():
        with counted(exchange):
            try:
                return await client.post_json(url, payload if payload is not None else {"q": 1})
            except ServiceError as exc:
                return exc

    return asyncio.run(go()), exchange


def bomb(encoding: str, prefix: bytes, mib: int) -> bytes:
    """``prefix`` and then ``mib`` MiB of spaces, compressed the way bombs are made: one MiB
    deflated once and its blocks repeated (so the test does not compress half a gigabyte)."""
    if encoding == "br":
        return _brotli_bomb(prefix, mib)
    raw = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    head = raw.compress(prefix) + raw.flush(zlib.Z_FULL_FLUSH)
    block = raw.compress(b" " * MIB) + raw.flush(zlib.Z_FULL_FLUSH)  # no reference outside itself: repeatable
    body = head + block * mib + raw.flush()
    check = zlib.crc32 if encoding == "gzip" else zlib.adler32
    value = check(prefix)
    for _ in range(mib):
        value = check(b" " * MIB, value)
    if encoding == "gzip":
        return b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff" + body + struct.pack("<II", value, (len(prefix) + mib * MIB) % 2**32)
    return b"\x78\xda" + body + struct.pack(">I", value)


@functools.lru_cache(maxsize=None)
def _brotli_bomb(prefix: bytes, mib: int) -> bytes:
    brotli = pytest.importorskip("brotli")
    compressor = brotli.Compressor(quality=5)
    parts = [compressor.process(prefix)] + [compressor.process(b" " * MIB) for _ in range(mib)]
    return b"".join(parts) + compressor.finish()


def completion(content: str) -> bytes:
    return Reply(content).body({"model": "m"})


class TestRetries:
    @pytest.mark.parametrize("status", [408, 429, 500, 503])
    def test_transient_statuses_are_retried_and_counted(self, status):
        with judge_server(lambda body, headers, n: Status(status) if n < 2 else Raw(b'{"ok": 1}')) as server:
            reply, exchange = call(server.url, max_retries=3)
        assert reply == {"ok": 1} and (exchange.requests, exchange.retries) == (3, 2)

    def test_a_lost_connection_is_retried(self):
        with judge_server(lambda body, headers, n: Drop() if n == 0 else Raw(b"[1]")) as server:
            reply, exchange = call(server.url)
        assert reply == [1] and exchange.retries == 1

    def test_retries_give_up_with_the_status_and_the_attempts(self):
        with judge_server(lambda body, headers, n: Status(502, "bad gateway")) as server:
            reply, exchange = call(server.url, max_retries=2)
        assert isinstance(reply, ServiceError) and str(reply).startswith("HTTP 502") and "after 3 attempts" in str(reply)
        assert exchange.requests == 3

    def test_a_client_error_is_not_retried(self):
        with judge_server(lambda body, headers, n: Status(400)) as server:
            reply, exchange = call(server.url, max_retries=5)
        assert str(reply).startswith("HTTP 400") and exchange.requests == 1

    @pytest.mark.parametrize("form", ["seconds", "date"])
    def test_retry_after_is_honoured_in_seconds_or_as_a_date(self, form):
        arrived: list[float] = []

        def handler(body, headers, n):
            arrived.append(time.monotonic())
            if n:
                return Raw(b"{}")
            when = "2" if form == "seconds" else email.utils.formatdate(time.time() + 3, usegmt=True)
            return Status(429, headers={"Retry-After": when})

        with judge_server(handler) as server:
            reply, _ = call(server.url, backoff=0.0, backoff_max=10.0)
        assert reply == {} and arrived[1] - arrived[0] >= 1.5  # an HTTP date has whole seconds

    def test_retry_after_is_capped_by_backoff_max(self):
        with judge_server(lambda body, headers, n: Status(503, headers={"Retry-After": "3600"}) if n == 0 else Raw(b"{}")) as server:
            reply, exchange = call(server.url, backoff_max=0.05)
        assert reply == {} and exchange.retries == 1

    def test_requests_in_flight_are_bounded_per_event_loop(self):
        with judge_server(lambda body, headers, n: Gathered(3, Raw(b"{}"))) as server:  # waits for 3 at once
            client = HttpClient(HttpParams().http(in_flight=3))

            async def many():
                return await asyncio.gather(*(client.post_json(server.url, {}) for _ in range(12)))

            assert asyncio.run(many()) == [{}] * 12
        assert server.peak == 3


class TestBounds:
    @pytest.mark.parametrize("encoding", ["gzip", "deflate", "br"])
    def test_a_decompression_bomb_is_refused_holding_the_bound_in_memory(self, encoding):
        """0.5 MB on the wire that unpacks to 500 MB (a valid chat completion padded with spaces,
        so a client that unpacks it all also parses it)."""
        data = bomb(encoding, completion("Score: 10"), 500)
        assert len(data) < 600_000
        with judge_server(lambda body, headers, n: Raw(data, headers={"Content-Encoding": encoding})) as server:
            tracemalloc.start()
            try:
                reply, exchange = call(server.url, max_response_bytes=MIB)
                _, peak = tracemalloc.get_traced_memory()
            finally:
                tracemalloc.stop()
        assert isinstance(reply, ServiceError) and "larger than max_response_bytes (1048576)" in str(reply)
        assert exchange.retries == 0  # a body too large is not asked for again
        assert peak < 8 * MIB

    def test_a_compressed_body_within_the_bound_is_decoded(self):
        data = bomb("gzip", b'{"scores": [1, 2]}', 1)  # 1 MiB of spaces after it: JSON still
        with judge_server(lambda body, headers, n: Raw(data, headers={"Content-Encoding": "gzip"})) as server:
            reply, _ = call(server.url)
        assert reply == {"scores": [1, 2]}

    def test_an_encoding_not_asked_for_is_refused(self):
        with judge_server(lambda body, headers, n: Raw(b"(.\xb5/\xfd", headers={"Content-Encoding": "zstd"})) as server:
            reply, exchange = call(server.url)
        assert "Content-Encoding 'zstd' is not one asked for" in str(reply) and exchange.requests == 1

    def test_an_endless_chunked_body_ends_at_the_attempts_time_limit(self):
        """A body that keeps coming: one attempt ends at ``timeout`` however fast the bytes arrive,
        long before the size bound (which would otherwise end it, with another message)."""
        with judge_server(lambda body, headers, n: Endless(b" " * 2**16, pause=0.01, total=64 * MIB)) as server:
            reply, exchange = call(server.url, timeout=0.5, max_retries=1, max_response_bytes=48 * MIB)
            assert server.stopped.wait(10)
        assert isinstance(reply, ServiceError)
        assert "timed out: no complete response within 0.5 s (after 2 attempts)" in str(reply)
        assert server.sent < 48 * MIB and exchange.requests == 2

    def test_an_endless_body_stops_at_the_size_bound(self):
        with judge_server(lambda body, headers, n: Endless()) as server:
            reply, _ = call(server.url, timeout=60, max_response_bytes=4 * MIB)
            assert server.stopped.wait(10)
        assert "larger than max_response_bytes" in str(reply) and server.sent < 64 * MIB

    def test_an_endless_error_body_is_quoted_not_read(self):
        with judge_server(lambda body, headers, n: Endless(b"x" * 2**16, status=500)) as server:
            reply, _ = call(server.url, max_retries=0, max_response_bytes=64 * MIB)
            assert server.stopped.wait(10)
        assert str(reply).startswith("HTTP 500: xxx") and server.sent < 16 * MIB


class TestKeysAndUrls:
    def test_the_key_is_sent_and_never_returned_even_when_the_server_echoes_it(self, monkeypatch):
        monkeypatch.setenv("RK_HTTP_KEY", "sk-live-0123456789")
        echo = lambda body, headers, n: Raw(('{"echo": "%s"}' % headers["authorization"]).encode())  # noqa: E731
        with judge_server(echo) as server:
            reply, _ = call(server.url, api_key_env="RK_HTTP_KEY")
            assert server.requests[0][1]["authorization"] == "Bearer sk-live-0123456789"
        assert reply == {"echo": "Bearer ***"}

    def test_the_key_is_scrubbed_from_an_error_too(self, monkeypatch):
        monkeypatch.setenv("RK_HTTP_KEY", "sk-live-0123456789")
        with judge_server(lambda body, headers, n: Status(401, f"bad key {headers['authorization']}")) as server:
            reply, _ = call(server.url, api_key_env="RK_HTTP_KEY")
        assert "sk-live" not in str(reply) and "bad key Bearer ***" in str(reply)

    def test_a_missing_key_variable_is_named_when_the_parameters_are_read(self, monkeypatch):
        monkeypatch.delenv("RK_HTTP_KEY", raising=False)
        with pytest.raises(ValueError, match="RK_HTTP_KEY"):
            HttpParams(api_key_env="RK_HTTP_KEY")

    @pytest.mark.parametrize(
        "url, why",
        [("ftp://host/x", "http:// or https://"), ("http:///path", "with a host"), ("https://user:pw@host/", "credentials")],
    )
    def test_urls_are_checked(self, url, why):
        with pytest.raises(ValueError, match=why):
            check_url(url)
        assert check_url("https://judge.example:8443/v1") == "https://judge.example:8443/v1"


def test_params_errors_name_the_variable(monkeypatch):
    monkeypatch.delenv("RK_NOPE", raising=False)
    from rewardkit import get_reward

    with pytest.raises(ParamsError, match="RK_NOPE"):
        get_reward("rm_remote", url="http://127.0.0.1:1/", api_key_env="RK_NOPE")
