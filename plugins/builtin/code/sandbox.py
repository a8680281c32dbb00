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

from .runner import ERROR, FAILED, OUTPUT_LIMIT, PASSED, TIMEOUT, same_output, same_value

COMPILE_ERROR = "compile_error"
DETAIL_CHARS = 300  # characters of an input, expected or actual output kept in a sample's detail


class Limits(BaseModel):
    """What one problem may use. Every backend honours the time limits; the others as far as it can."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    timeout: float = Field(5.0, gt=0, description="wall-clock seconds per test (CPU seconds too, rounded up)")
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
    test's arguments) or ``assert``; ``compare`` and ``float_tolerance`` are as in
    :func:`~rewardkit.plugins.code.runner.same_output`."""

    code: str
    language: str
    kind: str
    tests: tuple[TestCase, ...]
    fn_name: str | None = None
    limits: Limits = field(default_factory=Limits)
    compare: str = "lines"
    float_tolerance: float = 0.0


@dataclass(frozen=True)
class TestOutcome:
    """How one test ended: ``passed``, ``failed`` (wrong answer or assertion), ``error`` (the
    program crashed), ``timeout``, ``output_limit`` or ``compile_error``."""

    __test__: ClassVar[bool] = False

    status: str
    actual: str = ""
    error: str = ""
    seconds: float | None = None


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
    one run: a stdio test runs the program itself; a call or assert test (Python) runs the
    program inside :mod:`.harness`'s driver, which prints the reply after a random marker. All
    tests of a problem are sent at once; the backend bounds how many runs are in flight."""

    async def run(self, program: Program) -> Execution:
        raise NotImplementedError(f"{type(self).__name__} must implement run")

    async def run_tests(self, request: CodeRequest) -> CodeResult:
        marker = f"rewardkit-reply-{secrets.token_hex(8)}"
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
        payload = {"call": test.input} if request.kind == "call" else {"exec": test.input}
        return Program(driver(request.code, request.fn_name, payload, marker), "python", "", request.limits)


@functools.lru_cache(maxsize=None)
def source_of(script: str) -> str:
    """The text of this package's stand-alone script ``script`` (``runner``, ``harness``)."""
    return (Path(__file__).parent / f"{script}.py").read_text(encoding="utf-8")


def driver(code: str, fn_name: str | None, request: dict[str, Any], marker: str) -> str:
    """A stand-alone Python script that loads ``code`` with :mod:`.harness`, answers ``request``
    and prints the reply on the line after ``marker``."""
    lines = [
        f"_namespace, _failure = load({code!r})",
        f"_request = json.loads({json.dumps(request)!r})",
        f"_reply = {{'ok': False, 'error': _failure}} if _failure else answer(_namespace, {fn_name!r}, _request)",
        "sys.stdout.flush()",
        f"print('\\n' + {marker!r})",
        "print(json.dumps(_reply))",
    ]
    return source_of("harness") + "\n\n" + "\n".join(lines) + "\n"


def judge(request: CodeRequest, test: TestCase, execution: Execution, marker: str) -> TestOutcome:
    """The outcome of one test from one run of :meth:`ProgramSandbox.run`."""
    if execution.status == "timeout":
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
    before, found, after = execution.stdout.rpartition(marker)
    try:
        reply = json.loads(after.strip()) if found else None
    except ValueError:
        reply = None
    if not isinstance(reply, dict):
        return TestOutcome(ERROR, before[:DETAIL_CHARS], _tail(execution.stderr) or "the program ended without a reply")
    if not reply.get("ok"):
        status = FAILED if reply.get("assertion") else ERROR
        return TestOutcome(status, error=str(reply.get("error", ""))[:DETAIL_CHARS])
    if request.kind == "assert":
        return TestOutcome(PASSED)
    actual = json.dumps(reply.get("value"))
    passed = same_value(test.output, reply.get("value"), request.float_tolerance)
    return TestOutcome(PASSED if passed else FAILED, actual[:DETAIL_CHARS])


def _tail(text: str) -> str:
    return text if len(text) <= DETAIL_CHARS else "..." + text[-DETAIL_CHARS:]
