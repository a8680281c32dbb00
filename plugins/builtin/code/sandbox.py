"""The sandbox interface: a request in SandboxFusion's terms, the backends that run it, their results.

A request (:class:`CodeRequest`) is what a judge needs and nothing about isolation: the program,
its language, its tests (stdin and expected stdout, call arguments and expected return value, or
assert code) and the limits. A backend is a :class:`Sandbox` registered by name through the
``register_sandboxes`` hook::

    from rewardkit import hookimpl
    from rewardkit.plugins.code import Execution, Program, ProgramSandbox

    class MySandbox(ProgramSandbox):      # runs one program with one stdin per call
        name = "mine"
        async def run(self, program: Program) -> Execution:
            ...

    @hookimpl
    def register_sandboxes(register):
        register("mine", MySandbox)

A :class:`ProgramSandbox` (the service backends, most user backends) gets every test run as one
program, judged on the host; a backend that can do better (the local sandbox runs all tests of
a problem in one sandboxed process) implements :meth:`Sandbox.run_tests` itself. A backend that
cannot run a program at all (a service that is down) raises :class:`SandboxError`: the sample
then scores None, never 0.
"""

from __future__ import annotations

import contextlib
import functools
import json
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, AsyncIterator, Awaitable, Callable, ClassVar, Mapping

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from rewardkit.concurrency import gather_limited
from rewardkit.errors import ParamsError

from .runner import ERROR, OUTPUT_LIMIT, PASSED, TIMEOUT, FAILED, same_output

COMPILE_ERROR = "compile_error"
DETAIL_CHARS = 300  # characters of an input, expected or actual output kept in a sample's detail


class Limits(BaseModel):
    """What one problem may use. Every backend honours the time limits; the others as far as it can."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    timeout: float = Field(
        5.0, gt=0,
        description="seconds per test: CPU seconds of all its processes in the local sandbox, wall-clock seconds elsewhere",
    )
    wall_timeout: float | None = Field(
        None, gt=0, description="wall-clock seconds per test in the local sandbox (a program that sleeps); default 2 x timeout"
    )
    problem_timeout: float = Field(
        60.0, gt=0, description="wall-clock seconds for a whole problem: start, compile and every test"
    )
    compile_timeout: float = Field(30.0, gt=0, description="wall-clock seconds to compile (C++)")
    memory_mb: int = Field(1024, gt=0, description="address space per process, MB")
    processes: int = Field(32, gt=0, description="processes and threads at once in one sandbox (local sandbox)")
    file_size_mb: int = Field(16, gt=0, description="largest file a program may write, MB")
    open_files: int = Field(64, gt=0, description="open files per process")
    output_bytes: int = Field(
        1 << 20, gt=0, description="stdout per test; more fails the test (twice the expected output is always allowed)"
    )
    tmp_mb: int = Field(
        64, gt=0, description="size of the writable /tmp, the program's working directory (local sandbox)"
    )


@dataclass(frozen=True)
class TestCase:
    """One test. ``input``: stdin text (stdio), the argument list (call) or Python test code
    (assert); ``output``: the expected stdout (stdio) or return value (call)."""

    __test__: ClassVar[bool] = False  # not a pytest class, whatever its name

    input: Any
    output: Any = None


@dataclass(frozen=True)
class CodeRequest:
    """A program and its tests: ``kind`` is ``stdio``, ``call`` (``fn_name`` is called with each
    test's arguments) or ``assert``; ``setup`` is code assert tests run first (MBPP's imports and
    setup code, which the program also starts with); ``compare`` and ``float_tolerance`` are as in
    :func:`~rewardkit.plugins.code.runner.same_output`."""

    code: str
    language: str
    kind: str
    tests: tuple[TestCase, ...]
    fn_name: str | None = None
    limits: Limits = field(default_factory=Limits)
    compare: str = "lines"
    float_tolerance: float = 0.0
    setup: str = ""


@dataclass(frozen=True)
class TestOutcome:
    """How one test ended: ``passed``, ``failed`` (wrong answer or assertion), ``error`` (the
    program crashed), ``timeout``, ``output_limit`` or ``compile_error``. ``unchecked``: the verdict
    came from the program's own process (an assert test that cannot run outside it, see
    :mod:`.checker`); ``attacks``: what the program tried against the harness during the test."""

    __test__: ClassVar[bool] = False

    status: str
    actual: str = ""
    error: str = ""
    seconds: float | None = None
    unchecked: bool = False
    attacks: tuple[str, ...] = ()


@dataclass(frozen=True)
class CodeResult:
    outcomes: tuple[TestOutcome, ...]
    compile_error: str | None = None

    def count(self, *statuses: str) -> int:
        return sum(1 for o in self.outcomes if o.status in statuses)


class SandboxError(Exception):
    """The backend could not run the program (not the program's fault): its sample scores None."""


class SandboxOptions(BaseModel):
    """Base of a backend's options (``sandbox_options`` in YAML): unknown keys are refused."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Sandbox:
    """A backend that runs a :class:`CodeRequest`. Subclasses set ``name`` and ``Options`` and
    implement :meth:`run_tests` (and :meth:`session` when a batch can share set-up); they must
    pickle (a reward holding one is sent to workers)."""

    name: ClassVar[str] = ""
    Options: ClassVar[type[SandboxOptions]] = SandboxOptions

    def __init__(self, options: Mapping[str, Any] | None = None) -> None:
        try:
            self.options = self.Options.model_validate(dict(options or {}))
        except ValidationError as exc:
            problems = []
            for err in exc.errors():
                key = ".".join(str(p) for p in err["loc"]) or "(options)"
                if err["type"] == "extra_forbidden":
                    problems.append(f"unknown option '{key}' (known: {', '.join(self.Options.model_fields) or 'none'})")
                else:
                    problems.append(f"option '{key}': {err['msg']}")
            raise ParamsError(f"sandbox '{self.name}': " + "; ".join(problems)) from None

    async def run_tests(self, request: CodeRequest) -> CodeResult:
        raise NotImplementedError(f"{type(self).__name__} must implement run_tests")

    @contextlib.asynccontextmanager
    async def session(self, size: int) -> AsyncIterator[Callable[[CodeRequest], Awaitable[CodeResult]]]:
        """A function that runs one request, for the ``size`` requests at once of one batch;
        whatever it started ends when the ``async with`` block does. By default: :meth:`run_tests`."""
        yield self.run_tests

    def key(self) -> str:
        """What makes two instances run programs alike (results are shared between equal keys)."""
        return f"{self.name}:{self.options.model_dump_json()}"


@dataclass(frozen=True)
class Program:
    """One run, as SandboxFusion's ``/run_code`` takes it: code, language, stdin and limits."""

    code: str
    language: str
    stdin: str
    limits: Limits


@dataclass(frozen=True)
class Execution:
    """How one run ended: ``finished`` (``exit_code`` tells how), ``timeout`` or ``compile_error``."""

    status: str
    stdout: str = ""
    stderr: str = ""
    exit_code: int | None = None
    compile_output: str = ""


class ProgramSandbox(Sandbox):
    """A backend that runs one program with one stdin per call (:meth:`run`). Each test becomes
    one run: a stdio test runs the program itself; a call or assert test (Python) runs
    :func:`driver`, in which the checker judges the test against the program in a process of its
    own and prints its verdict after a random marker. All tests of a problem are sent at once; the
    backend bounds how many runs are in flight."""

    async def run(self, program: Program) -> Execution:
        raise NotImplementedError(f"{type(self).__name__} must implement run")

    async def run_tests(self, request: CodeRequest) -> CodeResult:
        marker = f"rewardkit-verdict-{secrets.token_hex(16)}"
        programs = [self._program(request, test, marker) for test in request.tests]
        # every test at once (the backend bounds what is in flight); one failure cancels the rest
        factories = [lambda p=p: self.run(p) for p in programs]
        executions, _ = await gather_limited(factories, len(factories), None)
        compile_errors = [e.compile_output for e in executions if e.status == "compile_error"]
        if compile_errors:
            message = compile_errors[0][:DETAIL_CHARS * 4] or "the program does not compile"
            return CodeResult(tuple(TestOutcome(COMPILE_ERROR) for _ in programs), message)
        return CodeResult(tuple(judge(request, t, e, marker) for t, e in zip(request.tests, executions)))

    @staticmethod
    def _program(request: CodeRequest, test: TestCase, marker: str) -> Program:
        if request.kind == "stdio":
            return Program(request.code, request.language, test.input, request.limits)
        job = {"marker": marker, "job": checker_job(request, test)}
        return Program(driver(request.code), "python", json.dumps(job) + "\n", request.limits)


def checker_job(request: CodeRequest, test: TestCase) -> dict[str, Any]:
    """What the checker needs to judge ``test`` (see :func:`.checker.check`)."""
    cap = request.limits.output_bytes
    if request.kind == "call":
        cap = max(cap, 2 * len(json.dumps(test.output)) + 1024)
    return {
        "kind": request.kind, "input": test.input, "output": test.output, "fn_name": request.fn_name,
        "setup": request.setup, "float_tolerance": request.float_tolerance, "reply_bytes": cap,
    }  # fmt: skip


@functools.lru_cache(maxsize=None)
def source_of(script: str) -> str:
    """The text of this package's stand-alone script ``script`` (``runner``, ``harness``...)."""
    return (Path(__file__).parent / f"{script}.py").read_text(encoding="utf-8")


def scripts() -> dict[str, str]:
    """The sources a runner or a driver needs besides its own: plain data, the harness, the checker."""
    return {name: source_of(name) for name in ("plain", "harness", "checker")}


DRIVER = """import json, os, sys, time
_CODE = {code!r}
_SOURCES = {sources!r}
_plain = {{"__name__": "plain"}}
exec(compile(_SOURCES["plain"], "plain.py", "exec"), _plain)
_harness, _checker = {{**_plain, "__name__": "harness"}}, {{**_plain, "__name__": "checker"}}
exec(compile(_SOURCES["harness"], "harness.py", "exec"), _harness)
exec(compile(_SOURCES["checker"], "checker.py", "exec"), _checker)


def _prctl(option, value):
    try:
        import ctypes
        ctypes.CDLL(None).prctl(option, value, 0, 0, 0)
    except (ImportError, OSError, AttributeError):
        pass


_prctl(4, 0)  # PR_SET_DUMPABLE 0: the program's process cannot read this one's memory or pipes
_requests, _replies = os.pipe(), os.pipe()
_child = os.fork()
if _child == 0:  # the program's process: no stdin (the test arrives there), no stdout (the verdict goes there)
    _prctl(1, 9)  # PR_SET_PDEATHSIG SIGKILL: it dies with this process (a service kills this one at its time limit)
    _null = os.open(os.devnull, os.O_RDWR)
    os.dup2(_null, 0)
    os.dup2(_null, 1)
    os.close(_requests[1])
    os.close(_replies[0])
    sys.stdin, sys.stdout = open(0), open(1, "w")
    try:
        _harness["serve"](_requests[0], _replies[1], _CODE)
    finally:
        os._exit(0)
os.close(_requests[0])
os.close(_replies[1])
_job = json.loads(sys.stdin.readline())


def _say(message):  # one line after the marker: each attack as it is seen (a test that then times out keeps them), the verdict
    sys.stdout.write("\\n" + _job["marker"] + " " + json.dumps(message) + "\\n")
    sys.stdout.flush()


_verdict = _checker["check"](_checker["Channel"](_requests[1], _replies[0], lambda what: _say({{"attack": what}})), _job["job"])
if "process ended" in str(_verdict.get("error", "")):  # how: an exit of its own is an attack
    for _ in range(100):
        _pid, _status = os.waitpid(_child, os.WNOHANG)
        if _pid:
            if os.WIFEXITED(_status):
                _verdict.setdefault("attacks", []).append(f"exited (status {{os.WEXITSTATUS(_status)}}) during a test")
            break
        time.sleep(0.01)
_say(_verdict)
os.close(_requests[1])
try:
    os.kill(_child, 9)
    os.waitpid(_child, 0)
except OSError:  # reaped above
    pass
"""


def driver(code: str) -> str:
    """A stand-alone Python script for a service: it forks the program's process (loaded by
    :mod:`.harness`) before it reads its stdin, which brings the test and a random marker; then it
    judges the test with :mod:`.checker` and prints the verdict on the line after the marker.
    The program's process never holds the test, the marker or the stdout the verdict goes to."""
    return DRIVER.format(code=code, sources=scripts())


def judge(request: CodeRequest, test: TestCase, execution: Execution, marker: str) -> TestOutcome:
    """The outcome of one test from one run of :meth:`ProgramSandbox.run`."""
    if execution.status == "timeout" and request.kind == "stdio":
        return TestOutcome(TIMEOUT)
    if request.kind == "stdio":
        if execution.exit_code != 0:
            why = _tail(execution.stderr) or f"exit status {execution.exit_code}"
            return TestOutcome(ERROR, execution.stdout[:DETAIL_CHARS], why)
        cap = max(request.limits.output_bytes, 2 * len(str(test.output).encode()) + 1024)
        if len(execution.stdout.encode()) > cap:
            return TestOutcome(OUTPUT_LIMIT, execution.stdout[:DETAIL_CHARS])
        passed = same_output(str(test.output), execution.stdout, request.compare, request.float_tolerance)
        return TestOutcome(PASSED if passed else FAILED, execution.stdout[:DETAIL_CHARS])
    verdict, attacks = None, []
    for line in execution.stdout.splitlines():
        if line.startswith(marker + " "):
            with contextlib.suppress(ValueError):
                message = json.loads(line[len(marker) + 1 :])
                if isinstance(message, dict) and isinstance(message.get("attack"), str):
                    attacks.append(message["attack"])
                elif isinstance(message, dict) and message.get("status") in (PASSED, FAILED, ERROR):
                    verdict = message
    if execution.status == "timeout":
        return TestOutcome(TIMEOUT, attacks=tuple(attacks))
    if verdict is None:
        return TestOutcome(ERROR, error=_tail(execution.stderr) or "the checker ended without a verdict")
    attacks += [str(a) for a in verdict.get("attacks", ()) if isinstance(a, str)]
    return TestOutcome(
        verdict["status"], str(verdict.get("actual", ""))[:DETAIL_CHARS], _tail(str(verdict.get("error", ""))),
        unchecked=bool(verdict.get("unchecked")), attacks=tuple(dict.fromkeys(attacks)),
    )  # fmt: skip


def _tail(text: str) -> str:
    return text if len(text) <= DETAIL_CHARS else "..." + text[-DETAIL_CHARS:]
