"""One run per distinct program and tests: the rewards of a composition share their runs.

``code_pass_rate`` and ``code_passed`` in one composition are scored concurrently on the same
rows, and a GRPO group often holds the same program several times. A run is keyed by the
backend's :meth:`~.sandbox.Sandbox.key` and the whole request; a run in flight is awaited by
every caller that asks for it (and cancelled when the last of them is), and the last
:data:`KEPT` results are kept (a backend's failure is not).
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import json
from dataclasses import dataclass
from typing import Awaitable, Callable

from rewardkit.cache import LRUCache
from rewardkit.concurrency import PerLoop

from .sandbox import CodeRequest, CodeResult, Sandbox

KEPT = 2048

_done = LRUCache(KEPT)


@dataclass
class _Run:
    task: asyncio.Task
    waiters: int = 0


_in_flight: PerLoop[dict[str, _Run]] = PerLoop(dict)


def forget() -> None:
    """Drop the kept results (a benchmark timing the same programs again needs real runs)."""
    global _done
    _done = LRUCache(KEPT)


def run_key(sandbox: Sandbox, request: CodeRequest) -> str:
    described = json.dumps(dataclasses.asdict(request), sort_keys=True, default=str)
    return hashlib.sha256(f"{sandbox.key()}\0{described}".encode()).hexdigest()


async def shared_run(
    sandbox: Sandbox, request: CodeRequest, run: Callable[[CodeRequest], Awaitable[CodeResult]]
) -> tuple[CodeResult, bool]:
    """The result of running ``request`` on ``sandbox`` (with ``run``, from its session), and
    whether another caller ran it."""
    key = run_key(sandbox, request)
    kept = _done.get(key)
    if kept is not None:
        return kept, True
    in_flight = _in_flight.get()
    shared = key in in_flight
    if not shared:
        flight = in_flight[key] = _Run(asyncio.ensure_future(run(request)))
        flight.task.add_done_callback(lambda task: _finished(in_flight, key, task))
    flight = in_flight[key]
    flight.waiters += 1
    try:
        return await asyncio.shield(flight.task), shared
    finally:
        flight.waiters -= 1
        if flight.waiters == 0 and not flight.task.done():
            flight.task.cancel()  # nobody waits for it any more (a batch deadline cancelled its callers)


def _finished(in_flight: dict[str, _Run], key: str, task: asyncio.Task) -> None:
    in_flight.pop(key, None)
    if not task.cancelled() and task.exception() is None:
        _done.put(key, task.result())
