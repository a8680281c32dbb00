"""The runner: inside the sandbox, runs the problems sent to it one after another and judges them.

This file runs as a script in the sandbox, so it imports only the standard library and works on
Python 3.9+; the host imports its comparison functions (:func:`same_output`, :func:`same_value`)
so that every backend judges the same way.

A session: stdin carries length-prefixed frames (``<length>\\n<bytes>``): the setup (the
harness's source), then for each problem a header (the program, its kind, limits...) and its
tests. Stdout carries one JSON line per event: ``ready`` once, then per problem ``compile`` (only
when the program does not compile), one ``test`` per test in order and ``done``; ``retired`` when
the session cannot go on. End of stdin ends the session.

The program never runs in this process. A zygote, forked at the start before any problem
arrived, forks every Python program process (in a millisecond, where a new interpreter takes
tens), so no program process ever holds an expected answer; compiled programs are started
directly. A stdio test runs the program once; call and assert tests run in one harness process
per problem (a new one after a test that timed out or killed it). Outputs and return values are
judged here, where the program cannot reach them; only assert tests judge themselves inside the
program's process, as every HumanEval harness does.

As the sandbox's PID 1 (bubblewrap's ``--as-pid-1``) the runner is not dumpable, so a program
cannot read its memory, open its pipes through ``/proc`` or signal it. After every stdio test
and after every problem each process but the zygote is killed; after every problem ``/tmp`` is
emptied and System V IPC objects removed, and the zygote is checked (a program that killed or
stopped it retires the session, so the next problem gets a fresh sandbox). Without the sandbox
(``unsafe_local``) none of that holds: it is then a plain subprocess with resource limits.
"""

from __future__ import annotations

import _socket
import array
import builtins
import fcntl
import json
import math
import os
import resource
import selectors
import shutil
import signal
import sys
import time

PASSED, FAILED, ERROR, TIMEOUT, OUTPUT_LIMIT = "passed", "failed", "error", "timeout", "output_limit"
STDERR_BYTES = 65536  # stderr kept per process (the rest is read and dropped)
CHUNK = 65536
EXIT_GRACE = 0.1  # seconds a finished process's pipes may stay open (held by a process it left behind)
MEMORY_CHECK = 0.05  # seconds between two sums of the sandbox's resident memory
ZYGOTE_ANSWER = 2.0  # seconds the zygote has to answer between problems
PAGE = os.sysconf("SC_PAGE_SIZE")
PR_SET_DUMPABLE, PR_SET_CHILD_SUBREAPER = 4, 36
IPC_RMID = 0
FIRST_FREE_FD = 5  # a forked program's pipes are moved past 0-4 before taking their places there


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


# -- processes -----------------------------------------------------------------------------------


def _limit(limits: dict, cpu_seconds: int, memory_bytes: int) -> None:
    """The limits of the calling process (a child, before it runs the program). The process count
    is per user: only in the sandbox (a user namespace of its own) does it count this sandbox's
    processes alone, so it is set only there."""
    settings = [
        (resource.RLIMIT_CPU, cpu_seconds, cpu_seconds + 1),
        (resource.RLIMIT_AS, memory_bytes, memory_bytes),
        (resource.RLIMIT_FSIZE, limits["file_bytes"], limits["file_bytes"]),
        (resource.RLIMIT_NOFILE, limits["open_files"], limits["open_files"]),
        (resource.RLIMIT_CORE, 0, 0),
    ]
    if limits.get("processes"):
        settings.append((resource.RLIMIT_NPROC, limits["processes"], limits["processes"]))
    for which, soft, hard in settings:
        resource.setrlimit(which, (soft, hard))


class Child:
    """A process the runner waits for: its pid, the runner's ends of its pipes, its exit code."""

    def __init__(self, pid: int, stdin: int, stdout: int, stderr: int, requests: int = -1, replies: int = -1) -> None:
        self.pid, self.stdin, self.stdout, self.stderr = pid, stdin, stdout, stderr
        self.requests, self.replies = requests, replies
        self.returncode = None

    def poll(self):
        if self.returncode is None:
            try:
                pid, status = os.waitpid(self.pid, os.WNOHANG)
            except ChildProcessError:  # reaped by a sweep: it was killed
                self.returncode = -signal.SIGKILL
            else:
                if pid:
                    self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def kill(self) -> None:
        """Kill it and its process group before reaping it (so the ID cannot be reused meanwhile)."""
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        if self.returncode is None:
            try:
                self.returncode = os.waitstatus_to_exitcode(os.waitpid(self.pid, 0)[1])
            except ChildProcessError:
                self.returncode = -signal.SIGKILL
        for fd in (self.stdin, self.stdout, self.stderr, self.requests, self.replies):
            if fd >= 0:
                try:
                    os.close(fd)
                except OSError:
                    pass


def spawn(argv: list, job: dict, cpu_seconds: int, memory_bytes: int) -> Child:
    """Start an executable (the compiler, a compiled program) in a session of its own, under limits."""
    import subprocess  # imported here: a Python program never needs it, and it costs start-up time

    process = subprocess.Popen(
        argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=job["env"],
        start_new_session=True, preexec_fn=lambda: _limit(job["limits"], cpu_seconds, memory_bytes),
    )  # fmt: skip
    fds = [os.dup(stream.fileno()) for stream in (process.stdin, process.stdout, process.stderr)]
    for stream in (process.stdin, process.stdout, process.stderr):
        stream.close()
    process.returncode = 0  # the Child reaps it, not Popen
    return Child(process.pid, *fds)


class Zygote:
    """A copy of the runner forked at the start, before any problem arrived, which forks the
    processes that run Python programs. A forked process is handed to the runner (its new parent:
    the runner is the sandbox's PID 1, or a child subreaper) so the runner reaps and kills it."""

    def __init__(self, harness_source: str) -> None:
        ours, theirs = _socket.socketpair(_socket.AF_UNIX, _socket.SOCK_SEQPACKET)
        self.pid = os.fork()
        if self.pid == 0:
            ours.close()
            _zygote(theirs, harness_source)
        theirs.close()
        self.socket = ours

    def start(self, mode: str, job: dict, problem: int, cpu_seconds: int) -> Child:
        """A process running problem ``problem``'s program (``script``: as ``__main__`` on its
        stdin; ``harness``: serving call and assert requests), with pipes to it."""
        pipes = [os.pipe() for _ in range(5 if mode == "harness" else 3)]
        theirs = [pipes[0][0], pipes[1][1], pipes[2][1]] + ([pipes[3][0], pipes[4][1]] if mode == "harness" else [])
        ours = [pipes[0][1], pipes[1][0], pipes[2][0]] + ([pipes[3][1], pipes[4][0]] if mode == "harness" else [])
        request = {
            "mode": mode, "problem": problem, "source": job["source"], "fn_name": job.get("fn_name"),
            "limits": job["limits"], "cpu_seconds": cpu_seconds,
        }  # fmt: skip
        try:
            _send_fds(self.socket, json.dumps(request).encode(), theirs)
            reply = self.socket.recv(4096)
            if not reply:
                raise OSError("the zygote is gone (a program killed it)")
            if b'"error"' in reply:
                raise OSError(json.loads(reply)["error"])
        except OSError:
            for fd in ours:
                os.close(fd)
            raise
        finally:
            for fd in theirs:
                os.close(fd)
        return Child(json.loads(reply)["pid"], *ours)

    def answers(self) -> bool:
        """Whether the zygote still answers (a program may have killed or stopped it)."""
        try:
            os.kill(self.pid, signal.SIGCONT)
            self.socket.settimeout(ZYGOTE_ANSWER)
            self.socket.send(b'{"mode": "ping"}')
            return self.socket.recv(256) == b"pong"
        except OSError:
            return False
        finally:
            self.socket.settimeout(None)


def _send_fds(sock, message: bytes, fds: list) -> None:
    sock.sendmsg([message], [(_socket.SOL_SOCKET, _socket.SCM_RIGHTS, array.array("i", fds))])


def _receive_fds(sock, size: int, most: int) -> tuple:
    fds = array.array("i")
    message, ancillary, _, _ = sock.recvmsg(size, _socket.CMSG_SPACE(most * fds.itemsize))
    for level, kind, data in ancillary:
        if level == _socket.SOL_SOCKET and kind == _socket.SCM_RIGHTS:
            fds.frombytes(data[: len(data) - len(data) % fds.itemsize])
    return message, list(fds)


def _zygote(sock, harness_source: str) -> None:
    """The zygote's loop: fork a program process per request until the runner hangs up. It
    compiles each problem's program once, from the file the runner wrote before any of that
    problem's processes ran."""
    try:
        null = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):  # never hold the runner's stdin (the tests arrive there) or stdout
            os.dup2(null, fd)
        harness = {"__name__": "harness"}
        exec(compile(harness_source, "harness.py", "exec"), harness)
        import atexit  # noqa: F401 - imported once here, not in every program process
        import gc
        import traceback  # noqa: F401

        gc.freeze()  # forked processes then leave the zygote's objects' pages shared
        programs: dict = {}
        while True:
            message, fds = _receive_fds(sock, 65536, 5)
            if not message:
                break
            request = json.loads(message)
            if request["mode"] == "ping":
                sock.send(b"pong")
                continue
            try:
                if request["problem"] not in programs:
                    programs.clear()
                    with open(request["source"], encoding="utf-8") as f:
                        programs[request["problem"]] = compile(f.read(), request["source"], "exec")
            except Exception as exc:  # noqa: BLE001 - told to the runner, which fails the test
                for fd in fds:
                    os.close(fd)
                sock.send(json.dumps({"error": f"{type(exc).__name__}: {exc}"}).encode())
                continue
            found_r, found_w = os.pipe()
            middle = os.fork()
            if middle == 0:  # fork twice, so the program's process is handed to the runner
                worker = os.fork()
                if worker == 0:
                    sock.close()
                    os.close(found_r)
                    os.close(found_w)
                    _worker(request, fds, programs[request["problem"]], harness)
                os.write(found_w, str(worker).encode())
                os._exit(0)
            os.close(found_w)
            worker_pid = int(os.read(found_r, 32))
            os.close(found_r)
            os.waitpid(middle, 0)
            for fd in fds:
                os.close(fd)
            sock.send(json.dumps({"pid": worker_pid}).encode())
    finally:
        os._exit(0)


def _worker(request: dict, fds: list, code, harness: dict) -> None:
    """In the forked process: become the program (never returns)."""
    status = 1
    try:
        os.setsid()
        parked = [fcntl.fcntl(fd, fcntl.F_DUPFD, FIRST_FREE_FD) for fd in fds]  # out of the way of 0-4
        for target, fd in enumerate(parked):  # 0-2: stdin, stdout, stderr; 3-4: the harness's pipes
            os.dup2(fd, target)
        os.closerange(len(fds), resource.getrlimit(resource.RLIMIT_NOFILE)[0])
        _limit(request["limits"], request["cpu_seconds"], request["limits"]["memory_bytes"])
        sys.stdin = sys.__stdin__ = open(0, encoding="utf-8", errors="replace", closefd=False)
        sys.stdout = sys.__stdout__ = open(1, "w", encoding="utf-8", closefd=False)
        sys.stderr = sys.__stderr__ = open(
            2, "w", encoding="utf-8", errors="backslashreplace", closefd=False, buffering=1
        )
        sys.argv = [request["source"]]
        if request["mode"] == "harness":
            harness["serve"](3, 4, code, request["fn_name"])
            status = 0
        else:
            status = _run_script(code, request["source"])
    except BaseException:  # noqa: BLE001 - whatever happens, this process must not return into the zygote
        import traceback

        traceback.print_exc()
    finally:
        os._exit(status)


def _run_script(code, source: str) -> int:
    """Run the program as ``python prog.py`` would: its exit status."""
    import atexit  # already imported by the zygote
    import traceback

    try:
        exec(code, {"__name__": "__main__", "__file__": source, "__builtins__": builtins})
        status = 0
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):
            status = exc.code or 0
        else:
            print(exc.code, file=sys.stderr)
            status = 1
    except BaseException as exc:  # noqa: BLE001 - reported as the program's own traceback
        traceback.print_exception(type(exc), exc, exc.__traceback__.tb_next)  # without this frame
        status = 1
    if "threading" in sys.modules:  # like the interpreter's exit: wait for the threads it started
        sys.modules["threading"]._shutdown()
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    return status


# -- moving data ----------------------------------------------------------------------------------


class Pipes:
    """A child's stdin (or request pipe), stdout, stderr and reply pipe, pumped without blocking
    until a deadline: input is written as the child reads it, stderr beyond ``STDERR_BYTES`` is
    read and dropped, and more output than the cap ends the wait (the test is then over its limit)."""

    def __init__(self, child: Child) -> None:
        self.child = child
        self.selector = selectors.DefaultSelector()
        self.out, self.err, self.reply = bytearray(), bytearray(), bytearray()
        self.err_bytes = 0
        self.pending = memoryview(b"")
        for fd, name in ((child.stdout, "out"), (child.stderr, "err"), (child.replies, "reply")):
            if fd >= 0:
                os.set_blocking(fd, False)
                self.selector.register(fd, selectors.EVENT_READ, name)

    def send(self, fd: int, data: bytes) -> None:
        """Queue ``data`` for ``fd`` (stdin or the request pipe); :meth:`pump` writes it. Sending
        on stdin closes it after the data, as a judge does."""
        self.pending = memoryview(data)
        os.set_blocking(fd, False)
        if data:
            self.selector.register(fd, selectors.EVENT_WRITE, "in")
        elif fd == self.child.stdin:
            self._close_stdin()

    def _close_stdin(self) -> None:
        os.close(self.child.stdin)
        self.child.stdin = -1

    def pump(self, deadline: float, out_cap: int, until_reply: bool, memory_cap: int = 0) -> str:
        """Move data until the child is done ('exited'), a reply line arrived ('reply'), the
        deadline passed ('timeout'), stdout, stderr or the reply outgrew ``out_cap`` ('overflow')
        or, with ``memory_cap``, the sandbox's processes hold more memory than that ('memory')."""
        exited_at = None
        checked = time.monotonic()  # the first sum after MEMORY_CHECK: a quick test never pays for one
        while True:
            if until_reply and b"\n" in self.reply:
                return "reply"
            if not until_reply and not any(k.data != "in" for k in self.selector.get_map().values()):
                while self.child.poll() is None:  # its output is closed: it is exiting
                    if time.monotonic() >= deadline:
                        return "timeout"
                    time.sleep(0.0005)
                return "exited"
            now = time.monotonic()
            if now >= deadline:
                return "timeout"
            if memory_cap and now - checked >= MEMORY_CHECK:
                checked = now
                if _sandbox_memory() > memory_cap:
                    return "memory"
            if self.child.poll() is not None:
                exited_at = exited_at or now
                if now - exited_at > EXIT_GRACE:  # something it left behind holds the pipes open
                    return "exited"
            for key, _ in self.selector.select(min(deadline - now, MEMORY_CHECK if memory_cap else EXIT_GRACE)):
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
                    self.err_bytes += len(chunk)
                    self.err += chunk[: max(0, STDERR_BYTES - len(self.err))]
                    if self.err_bytes > out_cap:
                        return "overflow"
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
            if fd == self.child.stdin:
                self._close_stdin()

    def close(self) -> None:
        self.selector.close()


def _sandbox_memory() -> int:
    """Resident bytes of every process in the sandbox but the runner (it is PID 1 there)."""
    pages = 0
    for name in os.listdir("/proc"):
        if name.isdigit() and name != "1":
            try:
                with open(f"/proc/{name}/statm", "rb") as f:
                    pages += int(f.read().split()[1])
            except (OSError, ValueError, IndexError):  # the process is gone
                pass
    return pages * PAGE


def run_once(child: Child, stdin: bytes, timeout: float, out_cap: int, memory_cap: int = 0) -> dict:
    """Feed ``stdin`` to a started child and collect its exit code, stdout, stderr and how it ended."""
    started = time.monotonic()
    pipes = Pipes(child)
    try:
        pipes.send(child.stdin, stdin)
        ended = pipes.pump(started + timeout, out_cap, until_reply=False, memory_cap=memory_cap)
    finally:
        pipes.close()
        child.kill()
    return {
        "ended": ended, "code": child.returncode, "out": bytes(pipes.out), "err": bytes(pipes.err),
        "seconds": time.monotonic() - started,
    }  # fmt: skip


class Harness:
    """The program loaded once in a process that answers one request per test (see harness.py)."""

    def __init__(self, zygote: Zygote, job: dict, problem: int) -> None:
        self.child = zygote.start("harness", job, problem, job["limits"]["cpu_seconds_harness"])
        self.pipes = Pipes(self.child)

    def ask(self, request: dict, timeout: float, out_cap: int, memory_cap: int) -> tuple:
        """Send one request; returns (how it ended, the decoded reply or None, seconds)."""
        started = time.monotonic()
        self.pipes.send(self.child.requests, (json.dumps(request) + "\n").encode())
        ended = self.pipes.pump(started + timeout, out_cap, until_reply=True, memory_cap=memory_cap)
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
        self.child.kill()


# -- the session --------------------------------------------------------------------------------


def _text(data: bytes, limit: int = 0) -> str:
    text = bytes(data).decode("utf-8", "replace")
    return text if not limit or len(text) <= limit else text[:limit] + "..."


def _emit(event: dict) -> None:
    sys.stdout.write(json.dumps(event) + "\n")
    sys.stdout.flush()


def _libc():
    import ctypes

    return ctypes, ctypes.CDLL(None, use_errno=True)


def _prctl(option: int, value: int) -> None:
    ctypes, libc = _libc()
    if libc.prctl(option, value, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), f"prctl({option}, {value}) failed")


def _sweep(spared: int | None) -> None:
    """As the sandbox's PID 1: kill every other process in it but the zygote, and reap them
    (zombies would still count against the process limit)."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        others = [int(n) for n in os.listdir("/proc") if n.isdigit() and int(n) not in (1, spared)]
        if not others:
            return
        for pid in others:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        while True:
            try:
                if os.waitpid(-1, os.WNOHANG)[0] == 0:
                    break
            except ChildProcessError:
                break
        time.sleep(0.0005)


def _remove_ipc_objects() -> None:
    """Remove the System V shared memory, semaphores and message queues programs left (they
    outlive processes, and would hold memory until the sandbox ends)."""
    _, libc = _libc()
    removals = {
        "shm": lambda ipc_id: libc.shmctl(ipc_id, IPC_RMID, None),
        "sem": lambda ipc_id: libc.semctl(ipc_id, 0, IPC_RMID),
        "msg": lambda ipc_id: libc.msgctl(ipc_id, IPC_RMID, None),
    }
    for table, remove in removals.items():
        try:
            with open(f"/proc/sysvipc/{table}") as f:
                rows = f.read().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            remove(int(row.split()[1]))  # the second column is the object's ID


def _empty(directory: str) -> None:
    """Delete everything in ``directory`` (programs may have written there, or locked it)."""

    def unlock(path: str) -> None:
        try:
            os.chmod(path, 0o700)
        except OSError:
            pass

    unlock(directory)
    for name in os.listdir(directory):
        path = os.path.join(directory, name)
        if os.path.isdir(path) and not os.path.islink(path):
            unlock(path)
            for root, dirs, _ in os.walk(path):  # top-down: each directory is unlocked before it is read
                for d in dirs:
                    unlock(os.path.join(root, d))
            shutil.rmtree(path, ignore_errors=True)
        else:
            try:
                os.unlink(path)
            except OSError:
                pass


def _read_frame() -> bytes:
    """One frame from stdin: its length on a line, then exactly that many bytes (nothing after
    them is read, so a process forked now holds nothing that comes later)."""
    length = bytearray()
    while not length.endswith(b"\n"):
        byte = os.read(0, 1)
        if not byte:
            raise EOFError("stdin ended")
        length += byte
    size = int(length)
    data = bytearray()
    while len(data) < size:
        chunk = os.read(0, size - len(data))
        if not chunk:
            raise EOFError("stdin ended inside a frame")
        data += chunk
    return bytes(data)


def _compile(job: dict) -> str | None:
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
    child = spawn(job["compile"], job, limits["compile_cpu_seconds"], limits["compile_memory_bytes"])
    done = run_once(child, b"", limits["compile_timeout"], STDERR_BYTES)
    if done["ended"] == "timeout":
        return f"the compiler ran out of time ({limits['compile_timeout']:g} s)"
    if done["code"] != 0:
        message = _text(done["err"] or done["out"], job["detail_chars"] * 4)
        return message or f"the compiler exited with {done['code']}"
    return None


def _memory_text(limits: dict) -> str:
    return f"memory limit: the sandbox's processes held more than {limits['memory_bytes'] >> 20} MB"


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


def _stdio_test(job: dict, test: dict, zygote: Zygote, problem: int, sandboxed: bool) -> dict:
    limits, detail = job["limits"], job["detail_chars"]
    expected = test["output"] if isinstance(test["output"], str) else ""
    cap = max(limits["output_bytes"], 2 * len(expected.encode()) + 1024)
    if job.get("run"):
        child = spawn(job["run"], job, limits["cpu_seconds"], limits["memory_bytes"])
    else:
        child = zygote.start("script", job, problem, limits["cpu_seconds"])
    memory_cap = limits["memory_bytes"] if sandboxed else 0
    done = run_once(child, test["input"].encode(), limits["timeout"], cap, memory_cap)
    actual = _text(done["out"])
    event = {"seconds": round(done["seconds"], 4), "actual": actual[:detail]}
    if done["ended"] == "timeout":
        event["status"] = TIMEOUT
    elif done["ended"] == "overflow":
        event["status"] = OUTPUT_LIMIT
    elif done["ended"] == "memory":
        event.update(status=ERROR, error=_memory_text(limits))
    elif done["code"] != 0:
        event.update(status=ERROR, error=_failure_text(done, detail))
    elif same_output(expected, actual, job["compare"], job["float_tolerance"]):
        event["status"] = PASSED
    else:
        event["status"] = FAILED
    return event


class HarnessTests:
    """Call and assert tests, answered by one harness process (a new one after a test kills it)."""

    def __init__(self, job: dict, zygote: Zygote, problem: int, sandboxed: bool) -> None:
        self.job, self.zygote, self.problem, self.sandboxed = job, zygote, problem, sandboxed
        self.harness = None

    def run(self, test: dict) -> dict:
        job, limits, detail = self.job, self.job["limits"], self.job["detail_chars"]
        if self.harness is None:
            self.harness = Harness(self.zygote, job, self.problem)
        if job["kind"] == "call":
            request = {"call": test["input"]}
            cap = max(limits["output_bytes"], 2 * len(json.dumps(test["output"])) + 1024)
        else:
            request, cap = {"exec": test["input"]}, limits["output_bytes"]
        memory_cap = limits["memory_bytes"] if self.sandboxed else 0
        ended, reply, seconds = self.harness.ask(request, limits["timeout"], cap, memory_cap)
        event = {"seconds": round(seconds, 4)}
        if ended == "reply" and reply.get("ok"):
            if job["kind"] == "assert":
                event["status"] = PASSED
            else:
                value = reply.get("value")
                event["actual"] = json.dumps(value)[:detail]
                event["status"] = PASSED if same_value(test["output"], value, job["float_tolerance"]) else FAILED
        elif ended == "reply":
            event.update(status=FAILED if reply.get("assertion") else ERROR, error=str(reply.get("error", ""))[:detail])
        else:
            event["status"] = {"timeout": TIMEOUT, "overflow": OUTPUT_LIMIT}.get(ended, ERROR)
            if ended == "memory":
                event["error"] = _memory_text(limits)
            elif event["status"] == ERROR:
                event["error"] = _tail(("the program's process ended\n" + self.harness.stderr()).strip(), detail)
            self.close()
        return event

    def close(self) -> None:
        if self.harness is not None:
            self.harness.close()
            self.harness = None


def _problem(job: dict, tests: list, zygote: Zygote, problem: int, sandboxed: bool) -> None:
    """Run and judge every test of one problem, emitting its events."""
    with open(job["source"], "w", encoding="utf-8") as f:
        f.write(job["code"])
    error = _compile(job)
    if error is not None:
        _emit({"event": "compile", "error": error})
        return
    harness_tests = HarnessTests(job, zygote, problem, sandboxed) if job["kind"] != "stdio" else None
    try:
        for i, test in enumerate(tests):
            try:
                event = harness_tests.run(test) if harness_tests else _stdio_test(job, test, zygote, problem, sandboxed)
            except OSError as exc:  # the program exhausted a limit the runner needs, or killed the zygote
                event = {"status": ERROR, "error": f"could not run the test: {exc}"}
                if harness_tests:
                    harness_tests.close()
            _emit({"event": "test", "i": i, **event})
            if sandboxed and (harness_tests is None or harness_tests.harness is None):
                _sweep(zygote.pid)
    finally:
        if harness_tests:
            harness_tests.close()


def main() -> None:
    sandboxed = os.getpid() == 1
    _prctl(PR_SET_DUMPABLE, 0) if sandboxed else _prctl(PR_SET_CHILD_SUBREAPER, 1)
    setup = json.loads(_read_frame())
    workdir = os.getcwd()
    zygote = Zygote(setup["harness_source"])
    _emit({"event": "ready"})
    problem = 0
    while True:
        try:
            job = json.loads(_read_frame())
            tests = json.loads(_read_frame())["tests"]
        except EOFError:
            return
        problem += 1
        _problem(job, tests, zygote, problem, sandboxed)
        _emit({"event": "done"})
        if sandboxed:
            _sweep(zygote.pid)
            _remove_ipc_objects()
        _empty(workdir)
        if not zygote.answers():
            _emit({"event": "retired", "why": "a program killed or stopped the zygote"})
            return
        _emit({"event": "ready"})


if __name__ == "__main__":
    main()
