"""One run per distinct program and tests: the rewards of a composition share their runs.

``code_pass_rate`` and ``code_passed`` in one composition are scored concurrently on the same
rows, and a GRPO group often holds the same program several times. A run is keyed by the
backend's :meth:`~.sandbox.Sandbox.key` and the whole request; a run in flight is awaited by
every caller that asks for it (and cancelled when the last of them is:
:class:`rewardkit.concurrency.InFlight`), and the last :data:`KEPT` results are kept (a
backend's failure is not).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from typing import Awaitable, Callable

from rewardkit.cache import LRUCache
from rewardkit.concurrency import InFlight

from .sandbox import CodeRequest, CodeResult, Sandbox

KEPT = 2048

_done = LRUCache(KEPT)
_in_flight: InFlight[CodeResult] = InFlight()


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
    result, shared = await _in_flight.run(key, lambda: run(request))
    _done.put(key, result)  # a failure raised above: never kept
    return result, shared
