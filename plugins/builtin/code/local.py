"""The local backends: ``local`` runs each problem in a bubblewrap sandbox, ``unsafe_local`` without one.

Both start :mod:`.runner` once per problem (an asyncio subprocess, so problems run in parallel up
to the reward's ``concurrency``) and hand it the whole problem; it runs every test and reports
each one. ``local`` wraps that process in bubblewrap (see :mod:`.bubblewrap` for what the sandbox
allows); ``unsafe_local`` is a plain subprocess with resource limits, the way verl's
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
from typing import Any, ClassVar

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
    source_of,
)

STDERR_BYTES = 65536  # of the runner's own stderr, kept to explain a sandbox that failed
EVENT_LINE_BYTES = 1 << 22  # the longest line the runner writes is a truncated test event
STDERR_WAIT = 5.0  # seconds to collect the runner's last words once it is killed
# The runner arrives on stdin as a code object the program interpreter compiled once (see
# compiled_runner), each part of stdin after its length: compiling it for every problem would cost
# more than starting the interpreter.
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
UNSAFE_PATH = "/usr/local/bin:/usr/bin:/bin"


@functools.lru_cache(maxsize=None)
def compiled_runner(python: str) -> bytes:
    """The runner compiled by ``python`` and marshalled (so any interpreter version works)."""
    compiling = "import marshal, sys; sys.stdout.buffer.write(marshal.dumps(compile(sys.stdin.read(), 'runner.py', 'exec')))"
    done = subprocess.run(
        [python, "-I", "-S", "-c", compiling], input=source_of("runner").encode(), capture_output=True, timeout=120
    )
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip()[-500:]
        raise bubblewrap.SandboxUnavailable(f"{python} cannot run rewardkit's runner (Python 3.9+ needed): {message}")
    return done.stdout


class LocalOptions(SandboxOptions):
    python: str | None = Field(
        None,
        description="interpreter that runs Python programs (default: this Python when the sandbox's user "
        "can read it, else /usr/bin/python3)",
    )
    cpp_compiler: str = Field("g++", description="C++ compiler (found on /usr/local/bin:/usr/bin:/bin)")
    cpp_flags: list[str] = Field(["-std=c++17", "-O2"], description="C++ compiler flags")


class RunnerSandbox(Sandbox):
    """Runs a problem with :mod:`.runner` in one subprocess: start-up is paid once per problem."""

    Options: ClassVar[type[SandboxOptions]] = LocalOptions
    sandboxed: ClassVar[bool] = False

    async def run_tests(self, request: CodeRequest) -> CodeResult:
        if not request.tests:
            return CodeResult(())
        with self.workdir() as workdir:
            header, tests = self.job(request, workdir)
            argv, spawn = self.command(header["env"], request.limits.tmp_mb << 20, workdir)
            events, timed_out, stderr = await self._run(argv, spawn, header, tests, request.limits.problem_timeout)
        return _result(request, events, timed_out, stderr)

    # -- what subclasses change ---------------------------------------------------------------

    def python(self) -> str:  # the interpreter the local sandbox would choose, so the two compare like for like
        return bubblewrap.program_python(self.options.python, bubblewrap.sandbox_user(None))

    def command(self, env: dict[str, str], tmp_bytes: int, workdir: str) -> tuple[list[str], dict[str, Any]]:
        """The runner's command line and the keyword arguments it is spawned with."""
        return [self.python(), "-I", "-c", BOOTSTRAP], {"cwd": workdir, "env": env}

    def environment(self, workdir: str) -> dict[str, str]:
        """The environment programs run with."""
        return {"PATH": UNSAFE_PATH, "HOME": workdir, "TMPDIR": workdir, "LANG": "C.UTF-8"}

    @contextlib.contextmanager
    def workdir(self):
        path = tempfile.mkdtemp(prefix="rewardkit-code-")
        try:
            yield path
        finally:
            shutil.rmtree(path, ignore_errors=True)

    # -- the job ------------------------------------------------------------------------------

    def job(self, request: CodeRequest, workdir: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """The runner's header line and tests line for ``request``."""
        t, n = request.limits, len(request.tests)
        limits = {
            "timeout": t.timeout,
            "cpu_seconds": math.ceil(t.timeout) + 1,
            "cpu_seconds_harness": math.ceil(t.timeout * n) + 2,
            "memory_bytes": t.memory_mb << 20,
            "file_bytes": t.file_size_mb << 20,
            "open_files": t.open_files,
            "processes": t.processes,
            "output_bytes": t.output_bytes,
            "compile_timeout": t.compile_timeout,
            "compile_cpu_seconds": math.ceil(t.compile_timeout) + 1,
            "compile_memory_bytes": max(t.memory_mb, 2048) << 20,
        }
        python = self.python()
        if request.language == "cpp":
            program = {
                "source": "prog.cpp",
                "compile": [self.options.cpp_compiler, *self.options.cpp_flags, "-o", "prog", "prog.cpp"],
                "run": ["./prog"],
            }
        else:
            program = {
                "source": "prog.py",
                "syntax_check": True,
                "harness_source": source_of("harness"),
            }
        header = {
            "code": request.code,
            "kind": request.kind,
            "fn_name": request.fn_name,
            "compare": request.compare,
            "float_tolerance": request.float_tolerance,
            "limits": limits,
            "env": self.environment(workdir),
            "detail_chars": DETAIL_CHARS,
            **program,
        }
        return header, [{"input": test.input, "output": test.output} for test in request.tests]

    async def _run(
        self, argv: list[str], spawn: dict[str, Any], header: dict[str, Any], tests: list[dict[str, Any]], timeout: float
    ) -> tuple[list[dict[str, Any]], bool, str]:
        """Run the runner on the job: its events, whether the problem ran out of time, its stderr."""
        process = await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            start_new_session=True,
            limit=EVENT_LINE_BYTES,
            **spawn,
        )
        events: list[dict[str, Any]] = []
        stderr = bytearray()

        async def send() -> None:
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                runner, encoded = compiled_runner(self.python()), json.dumps(header).encode()
                process.stdin.write(b"%d\n%s%d\n%s" % (len(runner), runner, len(encoded), encoded))
                process.stdin.write(json.dumps({"tests": tests}).encode())
                await process.stdin.drain()
                process.stdin.close()

        async def read_events() -> None:  # until "done": the runner's exit is not waited for
            async for line in process.stdout:
                with contextlib.suppress(ValueError):
                    events.append(json.loads(line))
                    if events[-1].get("event") == "done":
                        return

        async def read_stderr() -> None:
            while chunk := await process.stderr.read(65536):
                stderr.extend(chunk[: max(0, STDERR_BYTES - len(stderr))])

        timed_out = False
        reading_stderr = asyncio.ensure_future(read_stderr())
        try:
            await asyncio.wait_for(asyncio.gather(send(), read_events()), timeout)
        except asyncio.TimeoutError:
            timed_out = True
        finally:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)  # the runner's session; bubblewrap takes the sandbox with it
            await process.wait()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(reading_stderr, STDERR_WAIT)
        return events, timed_out, stderr.decode("utf-8", "replace")


def _result(request: CodeRequest, events: list[dict[str, Any]], timed_out: bool, stderr: str) -> CodeResult:
    kinds = {e.get("event") for e in events}
    if "start" not in kinds:
        raise SandboxError(f"the sandbox did not start: {stderr.strip()[-1000:] or 'no message'}")
    for event in events:
        if event.get("event") == "compile":
            message = str(event.get("error", ""))
            return CodeResult(tuple(TestOutcome(COMPILE_ERROR) for _ in request.tests), message)
    if "done" not in kinds and not timed_out:
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
                TestOutcome(event["status"], event.get("actual", ""), event.get("error", ""), event.get("seconds"))
            )
    return CodeResult(tuple(outcomes))


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
    """Each problem in its own bubblewrap sandbox (``apt-get install bubblewrap``); see :mod:`.bubblewrap`."""

    name = "local"
    Options = BwrapOptions
    sandboxed = True

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

    def environment(self, workdir: str) -> dict[str, str]:
        return dict(bubblewrap.ENVIRONMENT)

    @contextlib.contextmanager
    def workdir(self):
        yield bubblewrap.WORKDIR  # a tmpfs inside the sandbox: nothing of the host is written

    def command(self, env: dict[str, str], tmp_bytes: int, workdir: str) -> tuple[list[str], dict[str, Any]]:
        prefix = bubblewrap.argv(self.executable(), self.binds(), tmp_bytes)
        return [*prefix, self.python(), "-I", "-c", BOOTSTRAP], bubblewrap.spawn_options(self.user())

