"""The local backends: ``local`` runs problems in bubblewrap sandboxes, ``unsafe_local`` without one.

Both run :mod:`.runner` as sessions: for one batch (a reward call) up to ``concurrency`` runner
processes (asyncio subprocesses), each running the batch's problems one after another, all tests
of a problem in one go; the sessions end when the batch is scored, so no process outlives the
call. A session that overran a problem's time, or whose runner retired (see :mod:`.runner`), is
killed and replaced. ``local`` wraps each runner in bubblewrap (see :mod:`.bubblewrap` for what
the sandbox allows); ``unsafe_local`` is a plain subprocess with resource limits, the way verl's
``prime_code`` and open-instruct run code: not a sandbox, for trusted code and for measuring.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import math
import os
import shutil
import signal
import subprocess
import tempfile
from typing import Any, AsyncIterator, Awaitable, Callable, ClassVar

from pydantic import Field

from . import bubblewrap
from .runner import TIMEOUT
from .sandbox import (
    COMPILE_ERROR,
    DETAIL_CHARS,
    CodeRequest,
    CodeResult,
    Sandbox,
    SandboxError,
    SandboxOptions,
    TestOutcome,
    scripts,
    source_of,
)

STDERR_BYTES = 65536  # of a runner's own stderr, kept to explain a sandbox that failed
EVENT_LINE_BYTES = 1 << 22  # the longest line the runner writes is a truncated test event
START_TIMEOUT = 60.0  # seconds a session has to start (a loaded machine starts slowly)
UNSAFE_PATH = "/usr/local/bin:/usr/bin:/bin"
# The runner arrives on stdin as a code object the program interpreter compiled once (see
# compiled_runner), each part of stdin after its length: compiling it for every session would
# cost more than starting the interpreter.
BOOTSTRAP = """import marshal, os
def _part():
    size = b''
    while not size.endswith(b'\\n'):
        size += os.read(0, 1)
    data = b''
    while len(data) < int(size):
        data += os.read(0, int(size) - len(data))
    return data
exec(marshal.loads(_part()))
"""


@functools.lru_cache(maxsize=None)
def compiled_runner(python: str) -> bytes:
    """The runner compiled by ``python`` and marshalled (so any interpreter version works)."""
    compiling = (
        "import marshal, sys; sys.stdout.buffer.write(marshal.dumps(compile(sys.stdin.read(), 'runner.py', 'exec')))"
    )
    done = subprocess.run(
        [python, "-I", "-S", "-c", compiling], input=source_of("runner").encode(), capture_output=True, timeout=120
    )
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip()[-500:]
        raise bubblewrap.SandboxUnavailable(f"{python} cannot run rewardkit's runner (Python 3.9+ needed): {message}")
    return done.stdout


def frame(data: bytes) -> bytes:
    return b"%d\n%s" % (len(data), data)


class LocalOptions(SandboxOptions):
    python: str | None = Field(
        None,
        description="interpreter that runs Python programs (default: this Python when the sandbox's user "
        "can read it, else /usr/bin/python3)",
    )
    cpp_compiler: str = Field("g++", description="C++ compiler (found on /usr/local/bin:/usr/bin:/bin)")
    cpp_flags: list[str] = Field(["-std=c++17", "-O2"], description="C++ compiler flags")


class Session:
    """One runner process that runs problems one after another."""

    def __init__(self, process: asyncio.subprocess.Process, workdir: str | None) -> None:
        self.process = process
        self.workdir = workdir  # a host directory to delete at the end (unsafe_local), or None
        self.stderr = bytearray()
        self._reading_stderr = asyncio.ensure_future(self._read_stderr())

    @classmethod
    async def start(cls, argv: list[str], spawn: dict[str, Any], python: str, workdir: str | None) -> Session:
        process = await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            start_new_session=True,
            limit=EVENT_LINE_BYTES,
            **spawn,
        )
        session = cls(process, workdir)
        try:
            setup = json.dumps({"sources": scripts()}).encode()
            process.stdin.write(frame(compiled_runner(python)) + frame(setup))
            await asyncio.wait_for(session.ready(), START_TIMEOUT)
        except BaseException:
            await session.close()
            raise
        return session

    async def _read_stderr(self) -> None:
        while chunk := await self.process.stderr.read(65536):
            self.stderr.extend(chunk[: max(0, STDERR_BYTES - len(self.stderr))])

    async def ready(self) -> None:
        """Wait for the runner to say it is ready for a problem; SandboxError if it never will."""
        with contextlib.suppress(ConnectionResetError, BrokenPipeError):
            await self.process.stdin.drain()
        line = await self.process.stdout.readline()
        event = json.loads(line) if line.strip() else {}
        if event.get("event") != "ready":
            await self.close()
            why = event.get("why") or self.stderr.decode("utf-8", "replace").strip()[-1000:] or "no message"
            raise SandboxError(f"the sandbox is not ready: {why}")

    async def run(self, header: dict[str, Any], tests: list[dict[str, Any]], timeout: float) -> tuple[list[dict], bool]:
        """Send one problem and collect its events until ``done``: (events, whether it ran out of time)."""
        events: list[dict[str, Any]] = []

        async def exchange() -> None:
            self.process.stdin.write(frame(json.dumps(header).encode()) + frame(json.dumps({"tests": tests}).encode()))
            await self.process.stdin.drain()
            async for line in self.process.stdout:
                with contextlib.suppress(ValueError):
                    events.append(json.loads(line))
                    if events[-1].get("event") == "done":
                        return

        try:
            await asyncio.wait_for(exchange(), timeout)
        except asyncio.TimeoutError:
            return events, True
        except (ConnectionResetError, BrokenPipeError):
            pass
        return events, False

    async def close(self) -> None:
        """End the runner (its sandbox goes with it) and delete its working directory."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)
        await self.process.wait()
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._reading_stderr, 5)
        if self.workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)


class Sessions:
    """Up to ``size`` sessions for one batch: a problem takes an idle one or starts one."""

    def __init__(self, sandbox: RunnerSandbox, size: int) -> None:
        self.sandbox = sandbox
        self.slots = asyncio.Semaphore(size)
        self.idle: list[Session] = []
        self.busy: set[Session] = set()

    async def run(self, request: CodeRequest) -> CodeResult:
        if not request.tests:
            return CodeResult(())
        async with self.slots:
            session = await self._take(request)
            reusable = False
            try:
                header, tests = self.sandbox.job(request, session.workdir)
                events, timed_out = await session.run(header, tests, request.limits.problem_timeout)
                reusable = not timed_out and events[-1:] == [{"event": "done"}]
                return _result(request, events, timed_out, session.stderr.decode("utf-8", "replace"))
            finally:
                self.busy.discard(session)
                if reusable:
                    self.idle.append(session)
                else:
                    await session.close()

    async def _take(self, request: CodeRequest) -> Session:
        while self.idle:
            session = self.idle.pop()
            try:
                await asyncio.wait_for(session.ready(), START_TIMEOUT)  # it cleaned up after its last problem
            except (SandboxError, asyncio.TimeoutError):
                await session.close()
                continue
            self.busy.add(session)
            return session
        session = await self.sandbox.start_session(request.limits.tmp_mb << 20)
        self.busy.add(session)
        return session

    async def close(self) -> None:
        for session in [*self.idle, *self.busy]:
            await session.close()
        self.idle.clear()
        self.busy.clear()


def _result(request: CodeRequest, events: list[dict[str, Any]], timed_out: bool, stderr: str) -> CodeResult:
    for event in events:
        if event.get("event") == "compile":
            message = str(event.get("error", ""))
            return CodeResult(tuple(TestOutcome(COMPILE_ERROR) for _ in request.tests), message)
    if not timed_out and not any(e.get("event") == "done" for e in events):
        raise SandboxError(f"the runner failed: {stderr.strip()[-1000:] or 'no message'}")
    reported = {e["i"]: e for e in events if e.get("event") == "test"}
    outcomes = []
    for i in range(len(request.tests)):
        event = reported.get(i)
        if event is None:
            message = f"not run: the problem ran out of time ({request.limits.problem_timeout:g} s)"
            outcomes.append(TestOutcome(TIMEOUT, error=message))
        else:
            outcomes.append(
                TestOutcome(
                    event["status"], event.get("actual", ""), event.get("error", ""), event.get("seconds"),
                    unchecked=bool(event.get("unchecked")), attacks=tuple(event.get("attacks", ())),
                )  # fmt: skip
            )
    return CodeResult(tuple(outcomes))


class RunnerSandbox(Sandbox):
    """Runs problems with :mod:`.runner` sessions: start-up is paid once per session, not per test."""

    Options: ClassVar[type[SandboxOptions]] = LocalOptions
    # The process limit counts every process of the user: only a user namespace of its own makes it
    # this sandbox's alone (without one it would count the trainer's own threads).
    limits_processes: ClassVar[bool] = False

    @contextlib.asynccontextmanager
    async def session(self, size: int) -> AsyncIterator[Callable[[CodeRequest], Awaitable[CodeResult]]]:
        sessions = Sessions(self, size)
        try:
            yield sessions.run
        finally:
            await sessions.close()

    async def run_tests(self, request: CodeRequest) -> CodeResult:
        async with self.session(1) as run:
            return await run(request)

    # -- what subclasses change ---------------------------------------------------------------

    def python(self) -> str:  # the interpreter the local sandbox would choose, so the two compare like for like
        return bubblewrap.program_python(self.options.python, bubblewrap.sandbox_user(None))

    async def start_session(self, tmp_bytes: int) -> Session:
        workdir = tempfile.mkdtemp(prefix="rewardkit-code-")
        spawn = {"cwd": workdir, "env": self.environment(workdir)}
        try:
            return await Session.start([self.python(), "-I", "-c", BOOTSTRAP], spawn, self.python(), workdir)
        except BaseException:
            shutil.rmtree(workdir, ignore_errors=True)
            raise

    def environment(self, workdir: str | None) -> dict[str, str]:
        """The environment programs run with."""
        return {"PATH": UNSAFE_PATH, "HOME": workdir, "TMPDIR": workdir, "LANG": "C.UTF-8"}

    # -- the job ------------------------------------------------------------------------------

    def job(self, request: CodeRequest, workdir: str | None) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """The runner's header and tests for ``request``."""
        t, n = request.limits, len(request.tests)
        limits = {
            "timeout": t.timeout,
            "wall_timeout": t.wall_timeout or 2 * t.timeout,
            "cpu_seconds": math.ceil(t.timeout) + 1,
            "cpu_seconds_harness": math.ceil(t.timeout * n) + 2,
            "memory_bytes": t.memory_mb << 20,
            "file_bytes": t.file_size_mb << 20,
            "open_files": t.open_files,
            "processes": t.processes if self.limits_processes else None,
            "output_bytes": t.output_bytes,
            "compile_timeout": t.compile_timeout,
            "compile_cpu_seconds": math.ceil(t.compile_timeout) + 1,
            "compile_memory_bytes": max(t.memory_mb, 2048) << 20,
        }
        if request.language == "cpp":
            compiler, flags = self.options.cpp_compiler, self.options.cpp_flags
            program = {"source": "prog.cpp", "compile": [compiler, *flags, "-o", "prog", "prog.cpp"], "run": ["./prog"]}
        else:
            program = {"source": "prog.py", "syntax_check": True}
        header = {
            "code": request.code,
            "kind": request.kind,
            "fn_name": request.fn_name,
            "setup": request.setup,
            "compare": request.compare,
            "float_tolerance": request.float_tolerance,
            "limits": limits,
            "env": self.environment(workdir),
            "detail_chars": DETAIL_CHARS,
            **program,
        }
        return header, [{"input": test.input, "output": test.output} for test in request.tests]


class UnsafeLocalSandbox(RunnerSandbox):
    """Programs run as plain subprocesses of this machine's user, with resource limits only: they can
    read and write what you can, use the network, signal your processes and leave processes behind.
    Only for code you trust, and for measuring what the sandbox costs."""

    name = "unsafe_local"


class BwrapOptions(LocalOptions):
    bwrap: str = Field("bwrap", description="the bubblewrap executable")
    user: int | None = Field(
        None,
        ge=0,
        description="host user ID bubblewrap runs as (default: 65534, nobody, when rewardkit runs as root, "
        "so that the process limit holds; else your own)",
    )


class LocalSandbox(RunnerSandbox):
    """Each session in its own bubblewrap sandbox (``apt-get install bubblewrap``); see :mod:`.bubblewrap`."""

    name = "local"
    Options = BwrapOptions
    limits_processes = True

    def __init__(self, options=None) -> None:
        super().__init__(options)
        self.check()

    def check(self) -> None:
        """Fail now, naming the fix, where bubblewrap is missing or cannot make a sandbox here."""
        bubblewrap.check(self.executable(), self.user(), self.python(), self.binds())

    def executable(self) -> str:
        return bubblewrap.find(self.options.bwrap)

    def user(self) -> int | None:
        return bubblewrap.sandbox_user(self.options.user)

    def python(self) -> str:
        return bubblewrap.program_python(self.options.python, self.user())

    def binds(self) -> tuple[str, ...]:
        return bubblewrap.python_binds(self.python())

    def environment(self, workdir: str | None) -> dict[str, str]:
        return dict(bubblewrap.ENVIRONMENT)

    async def start_session(self, tmp_bytes: int) -> Session:
        with bubblewrap.seccomp_fd() as fd:  # bubblewrap reads the filter as it starts
            argv = bubblewrap.argv(self.executable(), self.binds(), tmp_bytes, self.user(), fd)
            spawn = {**bubblewrap.SPAWN, "pass_fds": () if fd is None else (fd,)}
            return await Session.start([*argv, self.python(), "-I", "-c", BOOTSTRAP], spawn, self.python(), None)
