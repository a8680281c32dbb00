"""Running async rewards: from synchronous code, concurrently, under a limit and a deadline.

Async is the real path for slow rewards (a judge over HTTP, code in a sandbox); the synchronous
API drives it. :func:`run_sync` runs a coroutine to completion from any thread: a plain script,
a thread that already runs an event loop (Jupyter, an async server, TRL's reward loop thread),
or a worker thread. It uses one event loop per process in a daemon thread, so loop-bound
resources an async reward keeps (HTTP connection pools) live across synchronous calls; a caller
that *is* that loop's thread gets a fresh loop in another thread instead of a deadlock.

:func:`gather_limited` is the one place that bounds how many coroutines run at once and cancels
what is left at a deadline (cancelled, not abandoned: their ``finally`` blocks run).
"""

from __future__ import annotations

import asyncio
import threading
import weakref
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Awaitable, Callable, Coroutine, Generic, Sequence, TypeVar

from .once import Once

T = TypeVar("T")


def _start_loop() -> tuple[asyncio.AbstractEventLoop, threading.Thread]:
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="rewardkit-async", daemon=True)
    thread.start()
    return loop, thread


_background = Once(_start_loop, usable=lambda made: made[1].is_alive())  # the thread is not in a forked child


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """The result of ``coro``, run to completion from synchronous code in any thread."""
    loop, thread = _background.get()
    if threading.current_thread() is thread:  # called from inside an async reward: no deadlock
        with ThreadPoolExecutor(1, thread_name_prefix="rewardkit-nested") as pool:
            return pool.submit(asyncio.run, coro).result()
    return asyncio.run_coroutine_threadsafe(coro, loop).result()


async def gather_limited(
    factories: Sequence[Callable[[], Awaitable[T]]], limit: int, deadline: float | None
) -> tuple[list[T | None], int]:
    """Await ``factory()`` for each factory, at most ``limit`` at once, for at most ``deadline`` seconds.

    Returns the results in order (``None`` for those cancelled at the deadline) and how many were
    cancelled. An exception a coroutine raises propagates (after the others are cancelled).
    """
    semaphore = asyncio.Semaphore(max(1, limit))

    async def bounded(factory: Callable[[], Awaitable[T]]) -> T:
        async with semaphore:
            return await factory()

    tasks = [asyncio.ensure_future(bounded(f)) for f in factories]
    if not tasks:
        return [], 0
    try:
        # Returns when all are done, one raised, or the deadline passed (then ``pending`` is what is left).
        done, _ = await asyncio.wait(tasks, timeout=deadline, return_when=asyncio.FIRST_EXCEPTION)
    finally:
        leftover = [t for t in tasks if not t.done()]
        for task in leftover:
            task.cancel()
        if leftover:
            await asyncio.gather(*leftover, return_exceptions=True)
    failures = [t.exception() for t in done if not t.cancelled() and t.exception() is not None]
    if failures:  # each retrieved (an unretrieved one is logged when collected, wherever that happens)
        raise failures[0]
    results = [t.result() if t in done and not t.cancelled() else None for t in tasks]
    return results, sum(1 for t in tasks if t not in done)


class InFlight(Generic[T]):
    """One run per key at a time within an event loop: a caller asking for a key that is being
    run awaits the same run (identical judge requests, identical programs of a GRPO group), which
    is cancelled only when the last caller waiting for it is (a batch deadline cancelled them)."""

    def __init__(self) -> None:
        self._runs: PerLoop[dict[Any, list[Any]]] = PerLoop(dict)  # key -> [task, callers waiting]

    async def run(self, key: Any, start: Callable[[], Awaitable[T]]) -> tuple[T, bool]:
        """The result of ``start()`` for ``key``, and whether another caller started it."""
        runs = self._runs.get()
        shared = key in runs and not runs[key][0].cancelled()  # (a run just cancelled is not joined)
        if not shared:
            flight = runs[key] = [asyncio.ensure_future(start()), 0]
            flight[0].add_done_callback(lambda task: runs.pop(key) if runs.get(key, [None])[0] is task else None)
        flight = runs[key]
        flight[1] += 1
        try:
            return await asyncio.shield(flight[0]), shared
        finally:
            flight[1] -= 1
            if flight[1] == 0 and not flight[0].done():
                flight[0].cancel()  # nobody waits for it any more

    def __getstate__(self) -> dict[str, Any]:  # runs are loop-bound
        return {}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__()


class PerLoop(Generic[T]):
    """One object per running event loop, made on first use (``openai``/``httpx`` async clients are
    bound to the loop that created them, and a reward is awaited from several loops: TRL's,
    a server's, :func:`run_sync`'s)."""

    def __init__(self, factory: Callable[[], T]) -> None:
        self.factory = factory
        self._objects: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, T] = weakref.WeakKeyDictionary()

    def get(self) -> T:
        loop = asyncio.get_running_loop()
        if loop not in self._objects:
            self._objects[loop] = self.factory()
        return self._objects[loop]

    def __getstate__(self) -> dict[str, Any]:  # the objects are loop-bound: an unpickled copy makes its own
        return {"factory": self.factory}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["factory"])
