"""The runner: runs every test of one problem, inside the sandbox, and judges the outputs.

This file runs as a script in the sandbox (``python3 -I -S -c <this source>``), so it imports
only the standard library and works on Python 3.8+; the host imports its comparison functions
(:func:`same_output`, :func:`same_value`) so that every backend judges the same way.

It reads the job from stdin (a header line, then a tests line), checks or compiles the program
and writes one JSON line per event to stdout: ``start``, ``compile`` (only when the program does
not compile), one ``test`` per test in order, then ``done``. The program never runs in this
process: a stdio test runs it as a child process; call and assert tests run in one harness
child per problem (a new one after a test that timed out or killed it). Outputs and return
values are judged here, where the program cannot reach them; only assert tests judge themselves
inside the program's process, as every HumanEval harness does.

As the sandbox's PID 1 (bubblewrap's ``--as-pid-1``) the runner is not dumpable, so a program
cannot read its memory, open its pipes through ``/proc`` or signal it, and every process a test
leaves behind is killed before the next test. Without the sandbox (``unsafe_local``) none of
that holds: it is then a plain subprocess with resource limits.
"""

from __future__ import annotations

import json
import math
import os
import resource
import selectors
import signal
import subprocess
import sys
import time

PASSED, FAILED, ERROR, TIMEOUT, OUTPUT_LIMIT = "passed", "failed", "error", "timeout", "output_limit"
STDERR_BYTES = 65536  # stderr kept per process (the rest is read and dropped)
CHUNK = 65536
EXIT_GRACE = 0.1  # seconds a finished process's pipes may stay open (held by a process it left behind)


# -- judging (also imported by the host) ------------------------------------------------------


def same_output(expected: str, actual: str, compare: str = "lines", float_tolerance: float = 0.0) -> bool:
    """Whether a program's stdout ``actual`` answers ``expected`` the way judges compare.

    ``lines``: line by line, each line stripped, trailing blank lines ignored (APPS, TACO,
    LiveCodeBench); ``tokens``: the whitespace-separated words in order (Codeforces' default
    checker); ``exact``: byte for byte. With ``float_tolerance`` > 0 two words that both read as
    numbers are equal when they differ by at most that much, absolutely or relative to the
    expected one (testlib's double comparison).
    """
    if compare == "exact":
        return actual == expected
    if compare == "tokens":
        return _same_words(expected.split(), actual.split(), float_tolerance)
    want, got = _lines(expected), _lines(actual)
    if len(want) != len(got):
        return False
    if float_tolerance <= 0:
        return want == got
    return all(_same_words(w.split(), g.split(), float_tolerance) for w, g in zip(want, got))


def _lines(text: str) -> list:
    lines = [line.strip() for line in text.splitlines()]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def _same_words(want: list, got: list, tolerance: float) -> bool:
    if len(want) != len(got):
        return False
    return all(w == g or (tolerance > 0 and _close_numbers(w, g, tolerance)) for w, g in zip(want, got))


def _close_numbers(want: str, got: str, tolerance: float) -> bool:
    try:
        a, b = float(want), float(got)
    except ValueError:
        return False
    if math.isnan(a) or math.isnan(b):
        return False
    return abs(a - b) <= tolerance * max(1.0, abs(a))


def same_value(expected, actual, float_tolerance: float = 0.0) -> bool:
    """Whether a function's return value ``actual`` (decoded from JSON) answers ``expected``.

    Tuples arrive as lists; an expected one-element list also accepts its element (APPS and TACO
    store a call's output as ``[value]``); numbers within ``float_tolerance`` (when > 0) are equal.
    """
    if _equal(expected, actual, float_tolerance):
        return True
    return isinstance(expected, list) and len(expected) == 1 and _equal(expected[0], actual, float_tolerance)


def _equal(a, b, tolerance: float) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        if a == b:
            return True
        return tolerance > 0 and abs(a - b) <= tolerance * max(1.0, abs(a))
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_equal(x, y, tolerance) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_equal(a[k], b[k], tolerance) for k in a)
    return type(a) is type(b) and a == b


# -- running a process under limits --------------------------------------------------------------


def _child_limits(cpu_seconds: int, memory_bytes: int):
    def apply() -> None:  # runs in the child between fork and exec (the runner has one thread)
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))

    return apply


def _kill_group(process: subprocess.Popen) -> None:
    """Kill the process and what it started in its group, before it is reaped (so its ID is not reused)."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    process.wait()


class Pipes:
    """A child's stdin, stdout, stderr and (harness) reply pipe, pumped without blocking until a
    deadline: input is written as the child reads it, stderr beyond ``STDERR_BYTES`` is dropped,
    stdout or a reply beyond its cap ends the wait (the child is then over its output limit)."""

    def __init__(self, process: subprocess.Popen, reply_fd: int | None = None) -> None:
        self.process = process
        self.selector = selectors.DefaultSelector()
        self.out, self.err, self.reply = bytearray(), bytearray(), bytearray()
        self.pending = memoryview(b"")
        for stream, name in ((process.stdout, "out"), (process.stderr, "err")):
            if stream is not None:
                os.set_blocking(stream.fileno(), False)
                self.selector.register(stream.fileno(), selectors.EVENT_READ, name)
        if reply_fd is not None:
            os.set_blocking(reply_fd, False)
            self.selector.register(reply_fd, selectors.EVENT_READ, "reply")
        self.stdin_fd: int | None = None

    def send(self, fd: int, data: bytes) -> None:
        """Queue ``data`` for ``fd`` (the child's stdin or request pipe); :meth:`pump` writes it."""
        self.pending = memoryview(data)
        self.stdin_fd = fd
        os.set_blocking(fd, False)
        if data:
            self.selector.register(fd, selectors.EVENT_WRITE, "in")

    def pump(self, deadline: float, out_cap: int, until_reply: bool) -> str:
        """Move data until the child is done ('exited'), a reply line arrived ('reply'), the
        deadline passed ('timeout') or stdout/the reply outgrew ``out_cap`` ('overflow')."""
        exited_at = None
        while True:
            if until_reply and b"\n" in self.reply:
                return "reply"
            reading = [k for k in self.selector.get_map().values() if k.data != "in"]
            if not until_reply and not reading:
                return "exited"
            now = time.monotonic()
            if now >= deadline:
                return "timeout"
            if self.process.poll() is not None:
                exited_at = exited_at or now
                if now - exited_at > EXIT_GRACE:  # something it left behind holds the pipes open
                    return "exited"
            for key, _ in self.selector.select(min(deadline - now, EXIT_GRACE)):
                if key.data == "in":
                    self._write(key.fd)
                    continue
                try:
                    chunk = os.read(key.fd, CHUNK)
                except BlockingIOError:
                    continue
                if not chunk:
                    self.selector.unregister(key.fd)
                    if key.data == "reply" and until_reply:
                        return "exited"
                    continue
                if key.data == "err":
                    self.err += chunk[: max(0, STDERR_BYTES - len(self.err))]
                    continue
                buffer = self.out if key.data == "out" else self.reply
                buffer += chunk
                if len(buffer) > out_cap:
                    return "overflow"

    def _write(self, fd: int) -> None:
        try:
            written = os.write(fd, self.pending[:CHUNK])
        except BrokenPipeError:  # the child stopped reading: what it got is what it gets
            written = len(self.pending)
        self.pending = self.pending[written:]
        if not self.pending:
            self.selector.unregister(fd)
            if fd == (self.process.stdin.fileno() if self.process.stdin else None):
                self.process.stdin.close()

    def close(self) -> None:
        self.selector.close()


def run_once(argv: list, stdin: bytes, timeout: float, out_cap: int, limits: dict, env: dict) -> dict:
    """Run ``argv`` once with ``stdin``: its exit code, stdout, stderr and how it ended."""
    started = time.monotonic()
    process = subprocess.Popen(
        argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
        start_new_session=True, preexec_fn=_child_limits(limits["cpu_seconds"], limits["memory_bytes"]),
    )  # fmt: skip
    pipes = Pipes(process)
    pipes.send(process.stdin.fileno(), stdin)
    if not stdin:
        process.stdin.close()
    try:
        ended = pipes.pump(started + timeout, out_cap, until_reply=False)
    finally:
        pipes.close()
        _kill_group(process)
    return {
        "ended": ended, "code": process.returncode, "out": bytes(pipes.out), "err": bytes(pipes.err),
        "seconds": time.monotonic() - started,
    }  # fmt: skip


# -- the harness child (call and assert tests) ---------------------------------------------------


class Harness:
    """The program loaded once in a child Python process that answers one request per test."""

    def __init__(self, job: dict, env: dict) -> None:
        self.requests_r, self.requests_w = os.pipe()
        self.replies_r, self.replies_w = os.pipe()
        limits = job["limits"]
        argv = list(job["harness"]) + [str(self.requests_r), str(self.replies_w)]
        self.process = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
            pass_fds=(self.requests_r, self.replies_w), start_new_session=True,
            preexec_fn=_child_limits(limits["cpu_seconds_harness"], limits["memory_bytes"]),
        )  # fmt: skip
        os.close(self.requests_r)
        os.close(self.replies_w)
        self.pipes = Pipes(self.process, self.replies_r)
        setup = {"code": job["code"], "fn_name": job.get("fn_name")}
        self.queued = (json.dumps(setup) + "\n").encode()

    def ask(self, request: dict, timeout: float, out_cap: int) -> tuple:
        """Send one request; returns (how it ended, the decoded reply or None, seconds)."""
        started = time.monotonic()
        self.pipes.reply.clear()
        self.pipes.send(self.requests_w, self.queued + (json.dumps(request) + "\n").encode())
        self.queued = b""
        ended = self.pipes.pump(started + timeout, out_cap, until_reply=True)
        seconds = time.monotonic() - started
        if ended != "reply":
            return ended, None, seconds
        line, _, rest = bytes(self.pipes.reply).partition(b"\n")
        self.pipes.reply[:] = rest
        try:
            return "reply", json.loads(line), seconds
        except ValueError:
            return "reply", {"ok": False, "error": "the program wrote on the harness's reply pipe"}, seconds

    def stderr(self) -> str:
        return _text(self.pipes.err)

    def close(self) -> None:
        self.pipes.close()
        _kill_group(self.process)
        for fd in (self.requests_w, self.replies_r):
            try:
                os.close(fd)
            except OSError:
                pass


# -- the job ------------------------------------------------------------------------------------


def _text(data: bytes, limit: int = 0) -> str:
    text = bytes(data).decode("utf-8", "replace")
    return text if not limit or len(text) <= limit else text[:limit] + "..."


def _emit(event: dict) -> None:
    sys.stdout.write(json.dumps(event) + "\n")
    sys.stdout.flush()


def _make_undumpable() -> None:
    """Refuse ptrace and /proc access to same-user processes (the program runs as our user)."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(4, 0, 0, 0, 0) != 0:  # PR_SET_DUMPABLE = 4
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_DUMPABLE, 0) failed")


def _sweep() -> None:
    """As the sandbox's PID 1: kill every other process in it and reap them."""
    try:
        os.kill(-1, signal.SIGKILL)
    except ProcessLookupError:
        pass
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            time.sleep(0.001)


def _limit_self(limits: dict, sandboxed: bool) -> None:
    """Limits every process started from here inherits. The process count is per user: only in
    the sandbox (a user namespace of its own) does it count this problem's processes alone."""
    settings = [
        (resource.RLIMIT_FSIZE, limits["file_bytes"]),
        (resource.RLIMIT_NOFILE, limits["open_files"]),
        (resource.RLIMIT_CORE, 0),
    ]
    if sandboxed:
        settings.append((resource.RLIMIT_NPROC, limits["processes"]))
    for which, value in settings:
        resource.setrlimit(which, (value, value))


def _compile(job: dict, env: dict) -> str | None:
    """The compile error of the program, or None when it compiles (or needs no compiling)."""
    if job.get("syntax_check"):
        try:
            compile(job["code"], job["source"], "exec")
        except SyntaxError as exc:
            return f"SyntaxError: {exc.msg} (line {exc.lineno})"
        except (ValueError, MemoryError, RecursionError) as exc:
            return f"{type(exc).__name__}: {exc}"
        return None
    if not job.get("compile"):
        return None
    limits = job["limits"]
    compile_limits = {"cpu_seconds": limits["compile_cpu_seconds"], "memory_bytes": limits["compile_memory_bytes"]}
    done = run_once(job["compile"], b"", limits["compile_timeout"], STDERR_BYTES, compile_limits, env)
    if done["ended"] == "timeout":
        return f"the compiler ran out of time ({limits['compile_timeout']:g} s)"
    if done["code"] != 0:
        return _text(done["err"] or done["out"], job["detail_chars"] * 4) or f"the compiler exited with {done['code']}"
    return None


def _tail(text: str, limit: int) -> str:
    """The end of ``text`` (where a traceback names its exception), at most ``limit`` characters."""
    return text if len(text) <= limit else "..." + text[-limit:]


def _failure_text(done: dict, detail: int) -> str:
    code, err = done["code"], _tail(_text(done["err"]).strip(), detail)
    if code is not None and code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return f"killed by {name}\n{err}".strip()
    return err or f"exited with status {code}"


def _stdio_tests(job: dict, tests: list, env: dict, sandboxed: bool) -> None:
    limits, detail = job["limits"], job["detail_chars"]
    for i, test in enumerate(tests):
        expected = test["output"] if isinstance(test["output"], str) else ""
        cap = max(limits["output_bytes"], 2 * len(expected.encode()) + 1024)
        done = run_once(job["run"], test["input"].encode(), limits["timeout"], cap, limits, env)
        actual = _text(done["out"])
        event = {"event": "test", "i": i, "seconds": round(done["seconds"], 4), "actual": actual[:detail]}
        if done["ended"] == "timeout":
            event["status"] = TIMEOUT
        elif done["ended"] == "overflow":
            event["status"] = OUTPUT_LIMIT
        elif done["code"] != 0:
            event.update(status=ERROR, error=_failure_text(done, detail))
        elif same_output(expected, actual, job["compare"], job["float_tolerance"]):
            event["status"] = PASSED
        else:
            event["status"] = FAILED
        _emit(event)
        if sandboxed:
            _sweep()


def _harness_tests(job: dict, tests: list, env: dict, sandboxed: bool) -> None:
    limits, detail = job["limits"], job["detail_chars"]
    harness = None
    try:
        for i, test in enumerate(tests):
            if harness is None:
                harness = Harness(job, env)
            if job["kind"] == "call":
                request = {"call": test["input"]}
                cap = max(limits["output_bytes"], 2 * len(json.dumps(test["output"])) + 1024)
            else:
                request, cap = {"exec": test["input"]}, limits["output_bytes"]
            ended, reply, seconds = harness.ask(request, limits["timeout"], cap)
            event = {"event": "test", "i": i, "seconds": round(seconds, 4)}
            if ended == "reply" and reply.get("ok"):
                if job["kind"] == "assert":
                    event["status"] = PASSED
                else:
                    value = reply.get("value")
                    event["actual"] = json.dumps(value)[:detail]
                    passed = same_value(test["output"], value, job["float_tolerance"])
                    event["status"] = PASSED if passed else FAILED
            elif ended == "reply":
                event.update(status=FAILED if reply.get("assertion") else ERROR, error=str(reply.get("error", ""))[:detail])
            else:
                status = {"timeout": TIMEOUT, "overflow": OUTPUT_LIMIT}.get(ended, ERROR)
                event["status"] = status
                if status == ERROR:
                    event["error"] = ("the program's process ended\n" + harness.stderr()).strip()[:detail]
                harness.close()
                harness = None
                if sandboxed:
                    _sweep()
            _emit(event)
    finally:
        if harness is not None:
            harness.close()


def main() -> None:
    job = json.loads(sys.stdin.readline())
    tests = json.loads(sys.stdin.readline())["tests"]
    sandboxed = os.getpid() == 1
    if sandboxed:
        _make_undumpable()
    _emit({"event": "start"})
    _limit_self(job["limits"], sandboxed)
    env = job["env"]
    with open(job["source"], "w", encoding="utf-8") as f:
        f.write(job["code"])
    error = _compile(job, env)
    if error is not None:
        _emit({"event": "compile", "error": error})
    elif job["kind"] == "stdio":
        _stdio_tests(job, tests, env, sandboxed)
    else:
        _harness_tests(job, tests, env, sandboxed)
    _emit({"event": "done"})


if __name__ == "__main__":
    main()
