"""A persistent pool of worker processes with a hard time limit on every task.

Why not ``signal.alarm`` or ``concurrent.futures``: a signal-based timeout works only in the main
thread of the main interpreter (TRL calls async rewards from an event-loop thread), and it cannot
interrupt C code such as sympy's big-integer arithmetic (``9^{9^{9^9}}``). A thread or a
``ProcessPoolExecutor`` task cannot be stopped at all. Here a task that runs past its limit has its
worker process killed (SIGKILL) and replaced; the caller gets an :class:`Outcome` saying it timed
out, on time, from any thread or event loop.

Design:

- one dispatcher thread per pool owns the workers; callers only queue tasks and wait on futures,
  so any number of threads (or ``asyncio`` via :meth:`TimeLimitedPool.amap`) can share a pool;
- a worker takes one task at a time, and its clock starts when the task is sent to it (time
  spent queued does not count); a worker counts as ready only after it has started up, so a
  slow start never eats into a task's time;
- a task's ``timeout`` is CPU time: the seconds its worker process spends on it (user and
  system, from ``/proc/<pid>/stat``), so that an answer scores the same on a busy machine as on a
  quiet one (a reasoning-gym ``codeio`` answer that needs 3.6 CPU-seconds passed a 5-s wall-clock
  limit on a quiet machine and failed it at load average 14). The dispatcher looks at the
  worker's CPU time when the task's wall-clock time reaches its timeout (a single thread cannot
  use more CPU-seconds than seconds pass), then again when the CPU time left could have run out,
  and kills the worker once the CPU time is spent. So a task ends when both its wall-clock time
  and its CPU time have passed its timeout: one whose threads use more CPU-seconds than that in
  parallel (numpy's BLAS threads) within its timeout of wall-clock time is not cut short, as
  before. A wall-clock backstop,
  :func:`wall_backstop` (``BACKSTOP_FACTOR`` x timeout + ``BACKSTOP_SECONDS``), ends a task that
  waits without using CPU (sleeps, blocks) or that the machine starves. Where a worker's CPU time
  cannot be read (no ``/proc``: not Linux), the timeout is wall-clock time, as it was. An
  :class:`Outcome` that timed out says which limit ended it (``ended_by``);
- a batch (:meth:`TimeLimitedPool.map`) can have a total time ``budget`` besides each task's
  limit: its clock starts when its first task is sent to a worker, and when it runs out the
  batch's queued tasks are cancelled and its running ones killed (their workers replaced), each
  reported as timed out and ``over_budget``. So n slow tasks hold the workers for the budget,
  not for n x timeout / workers, and the pool is free for the next batch. The budget is
  wall-clock time, not CPU time: it exists so that a batch never holds the trainer waiting for
  its rewards longer than that, however busy the machine;
- tasks can carry an ``affinity`` key (rewardkit uses the gold answer): a free worker takes a task
  with the key of its previous task first (its caches, the parsed gold, serve it), else one from a
  group no other worker is busy with, else the oldest. Groups stay on one worker while every
  worker keeps busy, and two slow tasks of one group never wait for each other;
- workers come from the ``forkserver`` start method (``spawn`` where there is none), never from
  a bare ``fork`` of a threaded trainer; the modules in ``preload`` are imported once in the fork
  server, so replacing a killed worker takes milliseconds, not a fresh ``import sympy``;
- each worker can get an address-space limit (``memory_limit_mb``), so a runaway computation
  hits MemoryError instead of the machine's memory;
- a worker that dies (segfault, MemoryError in the C stack) is replaced and its task reported as
  an error; a pool whose workers cannot start at all raises :class:`WorkerPoolError`;
- a pool's default size is this process's share of the machine (:func:`default_pool_size`):
  ``$REWARDKIT_POOL_SIZE``, else the CPUs divided among the processes started together on this
  machine (``LOCAL_WORLD_SIZE``, set by torchrun and ``accelerate launch``), so eight training
  ranks on one node do not start eight pools of every core;
- workers die with the process that owns the pool within a second, even when it is killed
  (SIGKILL, SIGTERM) in the middle of C code that holds the GIL (0.25 s at most on a busy 2-core
  machine, was 3-5 s: bench/results/pool_lifetime_bench.md); see :func:`_die_with_owner` and
  :mod:`rewardkit.fork_server`. :func:`close_shared_pools` (run at exit) also stops the fork
  server and resource tracker that the pools started.

Unlike plain ``multiprocessing``, workers do not re-import the caller's ``__main__`` module: a
training script without an ``if __name__ == "__main__":`` guard is not re-run in every worker.
Tasks must therefore be functions of importable modules (the math verifier's ``_check_in_worker``).
"""

from __future__ import annotations

import atexit
import collections
import ctypes
import heapq
import importlib
import itertools
import multiprocessing
import os
import signal
import sys
import threading
import time
import weakref
from concurrent.futures import Future
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any, Callable, Iterable, Sequence

from .errors import RewardkitError, shown
from .once import Once

AFFINITY_SCAN = 256  # queued tasks looked at when choosing one for a worker by affinity
START_TIMEOUT = 120.0  # seconds a new worker may take to start before the pool gives up on it
MAX_START_FAILURES = 3  # consecutive workers that die while starting before the pool fails
STOP_WAIT = 5.0  # seconds close_shared_pools waits for the fork server and resource tracker to exit (2 s was short on a loaded machine)
PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
# The wall-clock backstop of a task whose timeout is CPU time (see wall_backstop): a worker still
# gets its whole CPU allowance while it has a tenth of a CPU or more (the codeio answer that failed
# a wall-clock limit ran at load average 14 on 2 CPUs: 7 runnable processes per CPU), and 5 s more,
# which weighs where timeouts are short and a start-up cost (a first import, memory paged back in)
# is larger than the task.
BACKSTOP_FACTOR = 10.0
BACKSTOP_SECONDS = 5.0
CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100  # the unit of /proc/<pid>/stat's times
FORK_SERVER_MODULE = "rewardkit.fork_server"  # preloaded in the fork server: it exits at once with its owner


class WorkerPoolError(RewardkitError, RuntimeError):
    """The pool's worker processes cannot be started (or the pool was closed)."""


@dataclass(frozen=True)
class Outcome:
    """What became of one task: its value, or that it timed out, or the error it raised."""

    value: Any = None
    timed_out: bool = False
    error: str | None = None
    seconds: float = 0.0
    fatal: bool = False  # the pool failed or closed: map() raises WorkerPoolError
    over_budget: bool = False  # timed out because its batch's budget ran out (queued or running)
    # what ended a task that timed out: "cpu_time" (its timeout), "wall_clock" (the backstop, or the
    # timeout itself where CPU time cannot be read), "budget" (its batch's); None if it did not time out
    ended_by: str | None = None

    @property
    def ok(self) -> bool:
        return not self.timed_out and self.error is None


def cpu_count() -> int:
    """CPUs this process may run on (the affinity mask where the platform has one)."""
    if hasattr(os, "process_cpu_count"):
        return os.process_cpu_count() or 1
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


POOL_SIZE_ENV = "REWARDKIT_POOL_SIZE"


def default_pool_size() -> int:
    """Workers of a pool created without a size: ``$REWARDKIT_POOL_SIZE``, else the CPU count
    divided by ``$LOCAL_WORLD_SIZE`` (the processes torchrun started on this machine), at least 1."""
    value = os.environ.get(POOL_SIZE_ENV, "").strip()
    if value:
        if not value.isdigit() or int(value) < 1:
            raise WorkerPoolError(f"{POOL_SIZE_ENV} must be a whole number of at least 1, got {shown(value)}")
        return int(value)
    local = os.environ.get("LOCAL_WORLD_SIZE", "").strip()
    share = int(local) if local.isdigit() and int(local) > 0 else 1
    return max(1, cpu_count() // share)


_forked = False  # this process is a fork of the one that imported this module


def default_start_method() -> str:
    """``forkserver`` where there is one, else ``spawn``; ``spawn`` too in a forked child whose
    parent already ran a fork server (the child cannot use or restart the parent's)."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return "spawn"
    if _forked:
        from multiprocessing import forkserver

        if getattr(getattr(forkserver, "_forkserver", None), "_forkserver_pid", None) is not None:
            return "spawn"
    return "forkserver"


def wall_backstop(timeout: float, factor: float = BACKSTOP_FACTOR, seconds: float = BACKSTOP_SECONDS) -> float:
    """Wall-clock seconds after which a task whose ``timeout`` is CPU time ends even with CPU time
    left: ``factor`` x ``timeout`` + ``seconds`` (see BACKSTOP_FACTOR)."""
    return factor * timeout + seconds


def open_stat(pid: int) -> int | None:
    """A descriptor of ``/proc/<pid>/stat``, for :func:`process_cpu_seconds`; None where there is none.

    Kept open and read again with ``pread`` (a third of the cost of opening the file per reading,
    which the dispatcher does for every task); it reads nothing once the process is gone, even if
    another takes its id."""
    try:
        return os.open(f"/proc/{pid}/stat", os.O_RDONLY)
    except OSError:
        return None


def process_cpu_seconds(stat: int | None) -> float | None:
    """CPU seconds (user and system) the process of ``stat`` (:func:`open_stat`) has used, with
    those of the children it waited for; None where they cannot be read (no ``/proc``, or the
    process is gone)."""
    if stat is None:
        return None
    try:
        # after the command name (in parentheses, which may hold anything): the state (field 3),
        # then utime, stime, cutime, cstime are fields 14-17
        fields = os.pread(stat, 4096, 0).rpartition(b")")[2].split()
        return sum(int(fields[i]) for i in (11, 12, 13, 14)) / CLOCK_TICKS
    except (OSError, ValueError, IndexError):
        return None


# -- the worker side ----------------------------------------------------------------------------


def _die_with_owner(lifeline: Connection) -> None:
    """Make this worker exit when the process that owns the pool does, however that one ends.

    A killed owner runs no cleanup, and a worker busy in a task does not read its pipe, so:

    - Linux: the kernel sends SIGKILL when the worker's parent exits (``PR_SET_PDEATHSIG``). The
      parent is the fork server, which exits when every holder of its "alive" pipe has: the owner,
      and each worker, which is why the worker closes its copy here; and it exits at once, its
      modules not torn down (:mod:`rewardkit.fork_server`). This holds even in C code that never
      releases the GIL (sympy's big integers).
    - Everywhere: a thread waits on ``lifeline``, a pipe whose only write end the owner holds,
      and exits the process when it closes (at the next GIL switch).
    """
    from multiprocessing import forkserver

    server = forkserver._forkserver
    if getattr(server, "_forkserver_alive_fd", None) is not None:  # a fork-server child holds a copy
        os.close(server._forkserver_alive_fd)
        server._forkserver_alive_fd = None
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        except (OSError, AttributeError):  # pragma: no cover - no prctl in this libc
            pass
    threading.Thread(target=_exit_when_closed, args=(lifeline,), name="rewardkit-lifeline", daemon=True).start()


def _exit_when_closed(lifeline: Connection) -> None:
    try:
        lifeline.recv_bytes()  # the owner never writes: this returns when its end closes
    except (EOFError, OSError):
        pass
    os._exit(0)


def _worker_main(
    conn: Connection, lifeline: Connection, preload: Sequence[str], memory_limit_mb: int | None
) -> None:
    """Run tasks from ``conn`` until it closes: receive ``(fn, args)``, send ``(ok, value)``."""
    _die_with_owner(lifeline)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    if memory_limit_mb:
        try:
            import resource

            limit = memory_limit_mb * 1024 * 1024
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        except (ImportError, ValueError, OSError):  # pragma: no cover - platform without it
            pass
    try:
        for name in preload:
            module = importlib.import_module(name)
            setup = getattr(module, "worker_setup", None)
            if callable(setup):
                setup()
    except BaseException as exc:  # noqa: BLE001 - reported to the parent, which fails the pool
        try:
            conn.send(("failed", f"{type(exc).__name__}: {exc}"))
        except OSError:
            pass
        return
    try:
        conn.send(("ready", os.getpid()))
    except OSError:  # the parent is gone
        return
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError, KeyboardInterrupt):
            return
        if task is None:
            return
        fn, args = task
        try:
            reply = (True, fn(*args))
        except BaseException as exc:  # noqa: BLE001 - any failure is the task's outcome
            reply = (False, f"{type(exc).__name__}: {exc}")
        try:
            conn.send(reply)
        except OSError:  # the parent is gone
            return
        except Exception as exc:  # noqa: BLE001 - an unpicklable result
            conn.send((False, f"result could not be sent: {type(exc).__name__}: {exc}"))


# -- the parent side ----------------------------------------------------------------------------

_spawning = threading.local()
_original_preparation_data = None


def _preparation_data(name: str) -> dict[str, Any]:
    """``multiprocessing.spawn.get_preparation_data`` that, for our workers only, leaves out the
    main module: a forkserver or spawn child would otherwise re-run the caller's script."""
    data = _original_preparation_data(name)
    if getattr(_spawning, "active", False):
        data.pop("init_main_from_path", None)
        data.pop("init_main_from_name", None)
    return data


def _install_preparation_hook() -> None:
    global _original_preparation_data
    from multiprocessing import spawn

    if _original_preparation_data is None:
        _original_preparation_data = spawn.get_preparation_data
        spawn.get_preparation_data = _preparation_data


@dataclass(eq=False)
class _Batch:
    """Tasks submitted together under one time budget."""

    budget: float
    expires: float | None = None  # monotonic time: set when the first of its tasks is sent to a worker

    def over(self, now: float) -> bool:
        return self.expires is not None and now >= self.expires


@dataclass
class _Task:
    fn: Callable[..., Any]
    args: tuple[Any, ...]
    timeout: float
    future: Future
    affinity: Any = None
    attempts: int = 0
    batch: _Batch | None = None


class _Worker:
    def __init__(self, process: Any, conn: Connection) -> None:
        self.process = process
        self.conn = conn
        self.ready = False
        self.started = time.monotonic()
        self.task: _Task | None = None
        self.affinity: Any = None  # the key of its last task
        self.sent_at = 0.0
        self.stat: int | None = None  # its /proc/<pid>/stat, opened on first use (open_stat)
        self.cpu_at_send: float | None = None  # its CPU seconds when the task was sent (None: unknown)
        self.deadline = 0.0  # when the dispatcher next looks at the task
        self.backstop = 0.0  # when the task ends whatever its CPU time
        self.budget_cut = False  # the deadline is the batch's, not the task's own

    def cpu_seconds(self) -> float | None:
        """The process's CPU seconds so far (None: unknown)."""
        if self.stat is None and self.process.pid is not None:
            self.stat = open_stat(self.process.pid)
        return process_cpu_seconds(self.stat)

    def kill(self) -> None:
        if self.process.exitcode is None:
            try:
                self.process.kill()
            except Exception:  # noqa: BLE001 - already gone
                pass
            self.process.join(timeout=5)
        self.conn.close()
        if self.stat is not None:
            os.close(self.stat)
            self.stat = None


class TimeLimitedPool:
    """Worker processes that run module-level functions, each call with a hard time limit.

    Args:
        size: number of worker processes (default: :func:`default_pool_size`).
        preload: modules imported in the fork server and in every worker before it takes tasks;
            a module's ``worker_setup()`` function, if it has one, runs in each worker.
        start_method: ``forkserver`` (default where available) or ``spawn``.
        memory_limit_mb: address-space limit of each worker (None: no limit).
        backstop_factor, backstop_seconds: a task ends at ``backstop_factor`` x its timeout +
            ``backstop_seconds`` of wall-clock time whatever CPU time it has left
            (:func:`wall_backstop`).

    >>> pool = TimeLimitedPool(1)
    >>> pool.map(pow, [(2, 10)], timeout=5)[0].value
    1024
    >>> pool.close()
    """

    def __init__(
        self,
        size: int | None = None,
        *,
        preload: Sequence[str] = (),
        start_method: str | None = None,
        memory_limit_mb: int | None = None,
        backstop_factor: float = BACKSTOP_FACTOR,
        backstop_seconds: float = BACKSTOP_SECONDS,
    ) -> None:
        if not (backstop_factor >= 1 and backstop_seconds >= 0):
            raise ValueError(
                f"backstop_factor must be at least 1 and backstop_seconds at least 0, got "
                f"{shown(backstop_factor)} and {shown(backstop_seconds)}"
            )
        self.size = max(1, size or default_pool_size())
        self.backstop_factor, self.backstop_seconds = float(backstop_factor), float(backstop_seconds)
        self.preload = tuple(preload)
        self.start_method = start_method or default_start_method()
        self.memory_limit_mb = memory_limit_mb
        self.stats = collections.Counter()  # tasks, timeouts, over_budget, errors, crashes, restarts
        self._ctx = multiprocessing.get_context(self.start_method)
        self._lock = threading.Lock()
        self._pending: collections.deque[_Task] = collections.deque()
        self._expiries: list[tuple[float, int, _Batch]] = []  # a heap: when started batches run out
        self._batch_order = itertools.count()  # ties in the heap
        self._workers: list[_Worker] = []
        self._wake_r, self._wake_w = multiprocessing.Pipe(duplex=False)
        self._lifeline_r, self._lifeline_w = multiprocessing.Pipe(duplex=False)  # see _die_with_owner
        self._thread: threading.Thread | None = None
        self._closed = False
        self._failure: str | None = None
        self._start_failures = 0
        _open_pools.add(self)

    # -- public API ------------------------------------------------------------------------------

    def submit(
        self, fn: Callable[..., Any], args: Iterable[Any] = (), *, timeout: float = 1.0, affinity: Any = None
    ) -> Future:
        """Queue ``fn(*args)``; the future's result is an :class:`Outcome` (it never raises).

        ``timeout`` is in CPU seconds of the worker (see the module's docstring). Tasks with the same (not None) ``affinity`` key are preferably run by the same worker.
        """
        return self._queue([(fn, args, affinity)], timeout, None)[0]

    def map(
        self,
        fn: Callable[..., Any],
        arg_tuples: Iterable[Iterable[Any]],
        *,
        timeout: float = 1.0,
        affinity: Sequence[Any] | None = None,
        budget: float | None = None,
    ) -> list[Outcome]:
        """Run ``fn(*args)`` for every tuple; one :class:`Outcome` per tuple, in order.

        ``timeout`` is each task's limit in CPU seconds of its worker, with a wall-clock backstop
        (see the module's docstring). ``affinity`` gives each task a key; tasks with equal keys
        preferably share a worker. ``budget`` bounds the whole batch in wall-clock seconds from when
        its first task is sent to a worker (time waiting for the pool to start or for earlier
        batches does not count). What has not
        finished by then is timed out and ``over_budget``: cancelled if queued, killed if running.
        """
        futures = self._submit_all(fn, arg_tuples, timeout, affinity, budget)
        return [self._result(f) for f in futures]

    async def amap(
        self,
        fn: Callable[..., Any],
        arg_tuples: Iterable[Iterable[Any]],
        *,
        timeout: float = 1.0,
        affinity: Sequence[Any] | None = None,
        budget: float | None = None,
    ) -> list[Outcome]:
        """:meth:`map` for coroutines: waits without blocking the event loop."""
        import asyncio

        futures = self._submit_all(fn, arg_tuples, timeout, affinity, budget)
        outcomes = await asyncio.gather(*(asyncio.wrap_future(f) for f in futures))
        return [self._check(o) for o in outcomes]

    def close(self) -> None:
        """Stop the dispatcher and the workers; queued tasks fail with WorkerPoolError."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        self._wake()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=10)
        self._fail_pending("the worker pool was closed")  # queued and running tasks: nobody waits forever
        workers, self._workers = list(self._workers), []
        for worker in workers:
            try:
                worker.conn.send(None)
            except OSError:
                pass
        end = time.monotonic() + 1.0
        for worker in workers:
            worker.process.join(timeout=max(0.0, end - time.monotonic()))
            worker.kill()
        for conn in (self._wake_r, self._wake_w, self._lifeline_r, self._lifeline_w):
            conn.close()
        _open_pools.discard(self)

    @property
    def closed(self) -> bool:
        return self._closed

    def pids(self) -> list[int]:
        """Process ids of the live workers (for tests and monitoring)."""
        return [w.process.pid for w in self._workers if w.process.pid is not None]

    def __getstate__(self) -> dict[str, Any]:
        raise TypeError("a TimeLimitedPool cannot be pickled; create one in the process that uses it")

    def __enter__(self) -> "TimeLimitedPool":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # -- internals -------------------------------------------------------------------------------

    def _submit_all(
        self,
        fn: Callable[..., Any],
        arg_tuples: Iterable[Iterable[Any]],
        timeout: float,
        affinity: Sequence[Any] | None,
        budget: float | None,
    ) -> list[Future]:
        arg_list = list(arg_tuples)
        keys = list(affinity) if affinity is not None else [None] * len(arg_list)
        if len(keys) != len(arg_list):
            raise ValueError(f"got {len(keys)} affinity keys for {len(arg_list)} tasks")
        if budget is not None and not budget > 0:
            raise ValueError(f"budget must be positive or None, got {shown(budget)}")
        batch = None if budget is None else _Batch(float(budget))
        return self._queue([(fn, args, key) for args, key in zip(arg_list, keys)], timeout, batch)

    def _queue(
        self, calls: list[tuple[Callable[..., Any], Iterable[Any], Any]], timeout: float, batch: _Batch | None
    ) -> list[Future]:
        """Queue ``(fn, args, affinity)`` calls as tasks of ``batch``; their futures, in order."""
        if not timeout > 0:
            raise ValueError(f"timeout must be positive, got {shown(timeout)}")
        tasks = [_Task(fn, tuple(args), float(timeout), Future(), key, batch=batch) for fn, args, key in calls]
        with self._lock:
            if self._closed:
                raise WorkerPoolError("the worker pool is closed")
            if self._failure is not None:
                raise WorkerPoolError(self._failure)
            self._pending.extend(tasks)
            self.stats["tasks"] += len(tasks)
            self._ensure_thread()
        self._wake()
        return [task.future for task in tasks]

    def _result(self, future: Future) -> Outcome:
        return self._check(future.result())

    @staticmethod
    def _check(outcome: Outcome) -> Outcome:
        if outcome.fatal:
            raise WorkerPoolError(outcome.error)
        return outcome

    def _wake(self) -> None:
        try:
            self._wake_w.send_bytes(b"")
        except OSError:
            pass

    def _ensure_thread(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._run, name="rewardkit-pool", daemon=True)
            self._thread.start()

    def _spawn(self) -> _Worker:
        parent, child = self._ctx.Pipe(duplex=True)
        process = self._ctx.Process(
            target=_worker_main,
            args=(child, self._lifeline_r, self.preload, self.memory_limit_mb),
            name="rewardkit-worker",
            daemon=True,
        )
        _install_preparation_hook()
        _note_servers_started_here(self.start_method)
        _spawning.active = True
        try:
            process.start()
        finally:
            _spawning.active = False
            child.close()
        return _Worker(process, parent)

    def _replace(self, worker: _Worker) -> None:
        worker.kill()
        self._workers.remove(worker)
        self.stats["restarts"] += 1

    def _finish(self, worker: _Worker, outcome: Outcome) -> None:
        task, worker.task = worker.task, None
        if task is not None and not task.future.done():
            task.future.set_result(outcome)

    def _fail_pending(self, message: str) -> None:
        with self._lock:
            pending, self._pending = list(self._pending), collections.deque()
        for task in pending:
            if not task.future.done():
                task.future.set_result(Outcome(error=message, fatal=True))
        for worker in self._workers:
            if worker.task is not None:
                self._finish(worker, Outcome(error=message, fatal=True))

    def _run(self) -> None:
        try:
            self._loop()
        except BaseException as exc:  # noqa: BLE001 - never leave a caller waiting
            self._failure = f"the worker pool's dispatcher failed: {type(exc).__name__}: {exc}"
            self._fail_pending(self._failure)
            raise

    def _loop(self) -> None:
        if self.start_method == "forkserver":
            _set_preload(self.preload)
        while True:
            with self._lock:
                if self._closed:
                    return
                wanted = self._pending or self._workers
                missing = self.size - len(self._workers) if wanted and self._failure is None else 0
            for _ in range(missing):  # outside the lock: the first start waits for the fork server
                self._workers.append(self._spawn())
            with self._lock:
                now = time.monotonic()
                over = self._take_over_budget(now)
                for worker in self._workers:
                    if not self._pending:
                        break
                    if not worker.ready or worker.task is not None or worker.process.exitcode is not None:
                        continue  # (a worker that died while idle is replaced below)
                    task = self._next_for(worker, now, over)
                    if task is None:
                        break
                    try:
                        worker.conn.send((task.fn, task.args))
                    except OSError:  # the worker just died: its replacement will take the task
                        self._pending.appendleft(task)
                        continue
                    except Exception as exc:  # noqa: BLE001 - an unpicklable task
                        task.future.set_result(Outcome(error=f"task could not be sent: {type(exc).__name__}: {exc}"))
                        self.stats["errors"] += 1
                        continue
                    task.attempts += 1
                    worker.task, worker.affinity = task, task.affinity
                    worker.sent_at, worker.cpu_at_send = now, worker.cpu_seconds()
                    worker.backstop = now + (
                        task.timeout if worker.cpu_at_send is None
                        else wall_backstop(task.timeout, self.backstop_factor, self.backstop_seconds)
                    )  # fmt: skip
                    if task.batch is not None:
                        self._start_clock(task.batch, now)
                    self._look_again(worker, now + task.timeout)
            for task in over:  # outside the lock: a future's callbacks may call back into the pool
                task.future.set_result(Outcome(timed_out=True, over_budget=True, ended_by="budget"))
            deadlines = [w.deadline for w in self._workers if w.task is not None]
            if self._expiries:  # (only this thread changes the heap)
                deadlines.append(self._expiries[0][0])
            deadlines += [w.started + START_TIMEOUT for w in self._workers if not w.ready]
            wait_for = max(0.0, min(deadlines) - time.monotonic()) if deadlines else None
            handles: list[Any] = [self._wake_r]
            for worker in self._workers:
                handles += [worker.conn, worker.process.sentinel]
            ready = set(wait(handles, wait_for))
            if self._wake_r in ready:
                while self._wake_r.poll():
                    self._wake_r.recv_bytes()
            now = time.monotonic()
            for worker in list(self._workers):
                self._service(worker, ready, now)

    def _start_clock(self, batch: _Batch, now: float) -> None:
        """Start ``batch``'s budget at ``now`` if this is its first task sent (the lock is held)."""
        if batch.expires is None:
            batch.expires = now + batch.budget
            heapq.heappush(self._expiries, (batch.expires, next(self._batch_order), batch))

    def _look_again(self, worker: _Worker, when: float) -> None:
        """Set when the dispatcher next looks at ``worker``'s task: at ``when``, or at its backstop
        or its batch's end if either comes first."""
        worker.deadline, worker.budget_cut = min(when, worker.backstop), False
        batch = worker.task.batch if worker.task is not None else None
        if batch is not None and batch.expires is not None and batch.expires < worker.deadline:
            worker.deadline, worker.budget_cut = batch.expires, True

    def _limit_reached(self, worker: _Worker, now: float) -> str | None:
        """Which limit ends ``worker``'s task at its deadline ("budget", "cpu_time", "wall_clock"),
        or None, having set the next deadline, while it still has CPU time left."""
        if worker.budget_cut:
            return "budget"
        if worker.cpu_at_send is None:
            return "wall_clock"
        used = worker.cpu_seconds()
        if used is None:
            return "wall_clock"
        left = worker.task.timeout - (used - worker.cpu_at_send)
        if left <= 0:
            return "cpu_time"
        if now >= worker.backstop:
            return "wall_clock"
        self._look_again(worker, now + max(left, 1 / CLOCK_TICKS))  # CPU time grows in ticks
        return None

    def _take_over_budget(self, now: float) -> list[_Task]:
        """Remove and return the queued tasks of batches whose budget has run out (the lock is held)."""
        if not self._expiries or self._expiries[0][0] > now:
            return []
        while self._expiries and self._expiries[0][0] <= now:
            heapq.heappop(self._expiries)
        over = [t for t in self._pending if t.batch is not None and t.batch.over(now)]
        if over:
            self._pending = collections.deque(t for t in self._pending if t.batch is None or not t.batch.over(now))
            self.stats["over_budget"] += len(over)
        return over

    def _next_for(self, worker: _Worker, now: float, over: list[_Task]) -> _Task | None:
        """The task ``worker`` runs next, or None; a task whose batch ran out of budget meanwhile (a
        retry) goes to ``over`` instead (the lock is held)."""
        while self._pending:
            task = self._take_for(worker)
            if task.batch is None or not task.batch.over(now):
                return task
            over.append(task)
            self.stats["over_budget"] += 1
        return None

    def _take_for(self, worker: _Worker) -> _Task:
        """Remove and return the task ``worker`` should run next (the lock is held).

        First a task with the key of the worker's previous task, then one from a group that no
        other worker is busy with, else the oldest; only the first AFFINITY_SCAN tasks are looked at.
        """
        pending = self._pending
        if pending[0].affinity is not None or worker.affinity is not None:
            busy = {w.affinity for w in self._workers if w is not worker and w.task is not None}
            fresh = None
            for index, task in enumerate(itertools.islice(pending, AFFINITY_SCAN)):
                if task.affinity is None:
                    continue
                if task.affinity == worker.affinity:
                    del pending[index]
                    return task
                if fresh is None and task.affinity not in busy:
                    fresh = index
            if fresh is not None:
                task = pending[fresh]
                del pending[fresh]
                return task
        return pending.popleft()

    def _service(self, worker: _Worker, ready: set[Any], now: float) -> None:
        if worker.conn in ready:
            try:
                kind, value = worker.conn.recv()
            except (EOFError, OSError):
                kind, value = None, None  # died: handled below
            else:
                if not worker.ready:
                    if kind == "ready":
                        worker.ready, self._start_failures = True, 0
                    else:  # a preload module failed to import: no worker will do better
                        hint = (
                            "; a package is missing from this environment (python -m rewardkit.dependencies lists them)"
                            if "ModuleNotFoundError" in str(value) else ""
                        )
                        self._failure = f"worker processes cannot start: {value}{hint}"
                        self._fail_pending(self._failure)
                        self._replace(worker)
                    return
                elapsed = now - worker.sent_at
                if kind is True:
                    self._finish(worker, Outcome(value=value, seconds=elapsed))
                else:
                    self.stats["errors"] += 1
                    self._finish(worker, Outcome(error=value, seconds=elapsed))
                return
        if worker.conn in ready or worker.process.sentinel in ready:  # the process died
            if worker.ready:
                self.stats["crashes"] += 1
                task = worker.task
                if task is not None and task.attempts < 2:
                    # Killed from outside, or died just before the task reached it: one retry.
                    worker.task = None
                    with self._lock:
                        self._pending.appendleft(task)
                elif task is not None:
                    worker.process.join(timeout=1)
                    code = worker.process.exitcode
                    self._finish(worker, Outcome(error=f"worker process died (exit code {code})"))
            else:
                self._start_failures += 1
                if self._start_failures >= MAX_START_FAILURES:
                    self._failure = f"worker processes die while starting (exit code {worker.process.exitcode})"
                    self._fail_pending(self._failure)
            self._replace(worker)
            return
        if worker.task is not None and now >= worker.deadline:
            ended_by = self._limit_reached(worker, now)
            if ended_by is None:
                return
            over_budget = ended_by == "budget"
            self.stats["over_budget" if over_budget else "timeouts"] += 1
            self._finish(
                worker,
                Outcome(timed_out=True, seconds=now - worker.sent_at, over_budget=over_budget, ended_by=ended_by),
            )
            self._replace(worker)
        elif not worker.ready and now >= worker.started + START_TIMEOUT:
            self._failure = f"a worker process did not start within {START_TIMEOUT:.0f} s"
            self._fail_pending(self._failure)
            self._replace(worker)


# -- shared pools ---------------------------------------------------------------------------------


def start_fork_server(preload: Sequence[str]) -> None:
    """Start the fork server the pools' workers are forked from now, with the modules in
    ``preload`` imported in it, without waiting for it (nothing where there is none: ``spawn``)."""
    from multiprocessing import forkserver

    if default_start_method() == "forkserver":
        _set_preload(preload)
        _note_servers_started_here("forkserver")  # so that close_shared_pools stops it too
        forkserver.ensure_running()


def _set_preload(preload: Sequence[str]) -> None:
    """What the fork server imports when it starts: :data:`FORK_SERVER_MODULE` last, so that its
    exit handler runs before any the other modules registered."""
    multiprocessing.get_context("forkserver").set_forkserver_preload([*preload, FORK_SERVER_MODULE])


def _new_shared_pool(size: int, preload: tuple[str, ...], memory_limit_mb: int | None) -> TimeLimitedPool:
    return TimeLimitedPool(size, preload=preload, memory_limit_mb=memory_limit_mb)


_shared = Once(_new_shared_pool, usable=lambda pool: not pool.closed and pool._failure is None)


def shared_pool(
    size: int | None = None,
    *,
    preload: Sequence[str] = (),
    memory_limit_mb: int | None = None,
) -> TimeLimitedPool:
    """The process-wide pool for these settings, created on first use (and again after a fork)."""
    return _shared.get(max(1, size or default_pool_size()), tuple(preload), memory_limit_mb)


def shared_pools() -> list[TimeLimitedPool]:
    """The shared pools of this process that are open (for monitoring and benchmarks)."""
    return [p for p in _shared.made() if not p.closed]


def close_shared_pools() -> None:
    """Close every shared pool of this process (runs at interpreter exit); when no pool of this
    process is left open, also stop the fork server and resource tracker if the pools started
    them, so that nothing of rewardkit's outlives the call."""
    for pool in _shared.forget():
        pool.close()
    if not _open_pools:
        _stop_servers_started_here()


# -- the fork server and resource tracker ----------------------------------------------------------

_open_pools: weakref.WeakSet[TimeLimitedPool] = weakref.WeakSet()
_servers_started_here: set[str] = set()  # "forkserver", "resource_tracker": started by a pool


def _note_servers_started_here(start_method: str) -> None:
    """Remember which of multiprocessing's helper processes the next worker start will launch."""
    from multiprocessing import forkserver, resource_tracker

    if start_method == "forkserver":
        if getattr(forkserver._forkserver, "_forkserver_pid", 0) is None:
            _servers_started_here.add("forkserver")
        if getattr(resource_tracker._resource_tracker, "_pid", 0) is None:
            _servers_started_here.add("resource_tracker")


def _stop_servers_started_here() -> None:
    """Ask the fork server and resource tracker the pools started to exit, by closing this
    process's end of their pipes, and reap them (waiting at most STOP_WAIT seconds: a process
    forked from this one may still hold a copy of a pipe, and then it exits with that process).
    multiprocessing starts them again when something needs them."""
    from multiprocessing import forkserver, resource_tracker

    stops = {
        "forkserver": (forkserver._forkserver, "_forkserver_alive_fd", "_forkserver_pid"),
        "resource_tracker": (resource_tracker._resource_tracker, "_fd", "_pid"),
    }
    end = time.monotonic() + STOP_WAIT
    for name in sorted(_servers_started_here):
        server, fd_name, pid_name = stops[name]
        with server._lock:
            fd, pid = getattr(server, fd_name, None), getattr(server, pid_name, None)
            if fd is None or pid is None:
                continue
            os.close(fd)
            setattr(server, fd_name, None)
            setattr(server, pid_name, None)
            if name == "forkserver":
                server._forkserver_address = None  # an abstract socket on Linux: nothing to unlink
        _servers_started_here.discard(name)
        while time.monotonic() < end:
            try:
                if os.waitpid(pid, os.WNOHANG)[0]:
                    break
            except ChildProcessError:
                break
            time.sleep(0.01)


def _forget_pools_after_fork() -> None:
    # A child forked from a threaded trainer (a DataLoader worker) gets copies of the parent's
    # pools without their dispatcher threads (the shared ones are forgotten: rewardkit.once).
    # Its copies of the lifelines are closed: the parent's workers must die with the parent.
    global _forked
    for pool in list(_open_pools):
        pool._lifeline_w.close()
    _open_pools.clear()
    _servers_started_here.clear()
    _forked = True


atexit.register(close_shared_pools)
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pools_after_fork)
