"""A small OpenAI-compatible chat endpoint for the judge tests, misbehaving on request.

A raw asyncio HTTP/1.1 server (not an ASGI app, so that it can also drop a connection, drip its
reply or answer with bytes that are not HTTP JSON) on a free local port, in a daemon thread.
Each request to ``.../chat/completions`` is answered by ``server.handler(body, headers, n)``
(``n``: requests so far, from 0), which returns one of the actions below. Every request's body
and headers are kept in ``server.requests``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator


@dataclass
class Reply:
    """200 with a chat completion whose message is ``content`` (and ``logprobs`` when given)."""

    content: Any
    logprobs: list[dict[str, Any]] | None = None
    usage: dict[str, int] = field(default_factory=lambda: {"prompt_tokens": 50, "completion_tokens": 5, "total_tokens": 55})

    def body(self, request: dict[str, Any]) -> bytes:
        choice: dict[str, Any] = {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": self.content}}
        if self.logprobs is not None:
            choice["logprobs"] = {"content": self.logprobs}
        completion = {
            "id": "judge-test", "object": "chat.completion", "created": 0, "model": request.get("model", ""),
            "choices": [choice], "usage": self.usage,
        }  # fmt: skip
        return json.dumps(completion).encode()


@dataclass
class Status:
    """Any status with a JSON error body (``message``) and extra headers (``Retry-After``...)."""

    code: int
    message: str = "error"
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Raw:
    """200 with these bytes as the body (garbage, a huge body, a gzip bomb with its
    ``Content-Encoding`` in ``headers``...)."""

    data: bytes
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Endless:
    """200 with a chunked body that does not end: ``chunk`` after ``chunk`` (``pause`` seconds
    apart) until the client goes away, or until ``total`` bytes when given (the bytes written
    are counted in ``server.sent``)."""

    chunk: bytes = b" " * 2**16
    pause: float = 0.0
    total: int | None = None
    status: int = 200


@dataclass
class Drop:
    """Close the connection without answering."""


@dataclass
class Slow:
    """Wait ``seconds``, then do ``then``."""

    seconds: float
    then: Any = None


@dataclass
class Gathered:
    """Wait until ``count`` requests have been in flight at once (at most ``seconds``), then do
    ``then``: concurrency shown without timing it (a loaded machine only makes it wait longer)."""

    count: int
    then: Any = None
    seconds: float = 30.0


@dataclass
class Drip:
    """Send the headers of a 200, then one byte of a valid body every ``interval`` seconds."""

    interval: float
    reply: Reply = field(default_factory=lambda: Reply("Score: 7"))


Handler = Callable[[dict[str, Any], dict[str, str], int], Any]


def user_message(body: dict[str, Any]) -> str:
    """The last user message of a chat request."""
    return [m["content"] for m in body["messages"] if m["role"] == "user"][-1]


class JudgeServer:
    """The endpoint; ``url`` is its OpenAI base URL (``http://127.0.0.1:PORT/v1``)."""

    def __init__(self, handler: Handler | None = None) -> None:
        self.handler: Handler = handler or (lambda body, headers, n: Reply("Score: 7"))
        self.requests: list[tuple[dict[str, Any], dict[str, str]]] = []
        self.connections: set[asyncio.Task] = set()
        self.in_flight = self.peak = 0  # requests being answered now, and the most at once
        self.sent = 0  # bytes of Endless bodies written
        self.stopped = threading.Event()  # an Endless body stopped being read
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="judge-test-server", daemon=True)
        self.thread.start()
        self.server = asyncio.run_coroutine_threadsafe(
            asyncio.start_server(self._serve, "127.0.0.1", 0, limit=2**24), self.loop
        ).result()
        self.url = f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}/v1"

    def close(self) -> None:
        async def stop() -> None:
            self.server.close()
            for task in list(self.connections):
                task.cancel()
            await asyncio.gather(*self.connections, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(stop(), self.loop).result(timeout=10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        self.connections.add(task)
        try:
            while await self._one(reader, writer):
                pass
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass  # a cancelled connection ends quietly (Python 3.11 logs a cancelled handler task)
        finally:
            writer.close()
            self.connections.discard(task)

    async def _one(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        """Answer one request; False when the connection is to be closed."""
        line = await reader.readline()
        if not line:
            return False
        method, path, _ = line.decode("latin-1").split(" ", 2)
        headers: dict[str, str] = {}
        while (header := await reader.readline()) not in (b"\r\n", b"\n", b""):
            key, _, value = header.decode("latin-1").partition(":")
            headers[key.strip().lower()] = value.strip()
        data = await reader.readexactly(int(headers.get("content-length", "0")))
        if method == "GET" and path.endswith("/models"):
            await self._send(writer, 200, json.dumps({"object": "list", "data": [{"id": "judge", "object": "model"}]}).encode())
            return True
        body = json.loads(data or b"{}")
        count = len(self.requests)
        self.requests.append((body, headers))
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        try:
            return await self._answer(writer, self.handler(body, headers, count), body)
        finally:
            self.in_flight -= 1

    async def _answer(self, writer: asyncio.StreamWriter, action: Any, body: dict[str, Any]) -> bool:
        while isinstance(action, (Slow, Gathered)):
            if isinstance(action, Slow):
                await asyncio.sleep(action.seconds)
            else:
                deadline = time.monotonic() + action.seconds
                while self.peak < action.count and time.monotonic() < deadline:
                    await asyncio.sleep(0.005)
            action = action.then
        if isinstance(action, Drop):
            return False
        if isinstance(action, Drip):
            payload = action.reply.body(body)
            writer.write(self._head(200, len(payload)))
            for byte in payload:
                writer.write(bytes([byte]))
                await writer.drain()
                await asyncio.sleep(action.interval)
            return True
        if isinstance(action, Status):
            error = json.dumps({"error": {"message": action.message, "type": "test", "code": action.code}}).encode()
            await self._send(writer, action.code, error, action.headers)
            return True
        if isinstance(action, Raw):
            await self._send(writer, 200, action.data, action.headers, content_type=action.content_type)
            return True
        if isinstance(action, Endless):
            writer.write(f"HTTP/1.1 {action.status} X\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n".encode())
            frame = f"{len(action.chunk):x}\r\n".encode() + action.chunk + b"\r\n"
            try:
                while action.total is None or self.sent < action.total:
                    writer.write(frame)
                    await writer.drain()
                    self.sent += len(action.chunk)
                    await asyncio.sleep(action.pause)
                writer.write(b"0\r\n\r\n")
                await writer.drain()
            finally:
                self.stopped.set()
            return True
        await self._send(writer, 200, action.body(body))
        return True

    @staticmethod
    def _head(status: int, length: int, headers: dict[str, str] | None = None, content_type: str = "application/json") -> bytes:
        lines = [f"HTTP/1.1 {status} X", f"Content-Type: {content_type}", f"Content-Length: {length}"]
        lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
        return ("\r\n".join(lines) + "\r\n\r\n").encode()

    async def _send(
        self, writer: asyncio.StreamWriter, status: int, payload: bytes, headers: dict[str, str] | None = None,
        content_type: str = "application/json",
    ) -> None:  # fmt: skip
        writer.write(self._head(status, len(payload), headers, content_type) + payload)
        await writer.drain()


@contextlib.contextmanager
def judge_server(handler: Handler | None = None) -> Iterator[JudgeServer]:
    server = JudgeServer(handler)
    try:
        yield server
    finally:
        server.close()
