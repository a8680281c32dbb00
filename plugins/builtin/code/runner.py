"""The runner: inside the sandbox, runs the problems sent to it one after another and judges them.

This file runs as a script in the sandbox, so it imports only the standard library and works on
Python 3.9+; the host imports its stdout comparison (:func:`same_output`) so that every backend
judges the same way.

A session: stdin carries length-prefixed frames (``<length>\\n<bytes>``): the setup (the sources
of :mod:`.plain`, :mod:`.harness` and :mod:`.checker`), then for each problem a header (the
program, its kind, limits...) and its tests. Stdout carries one JSON line per event: ``ready``
once, then per problem ``compile`` (only when the program does not compile), one ``test`` per
test in order and ``done``; ``retired`` when the session cannot go on. End of stdin ends the
session.

The program never runs in this process. A zygote, forked at the start before any problem
arrived, forks every Python process (in a millisecond, where a new interpreter takes tens), so
no program process ever holds an expected answer; compiled programs are started directly. A
stdio test runs the program once and the runner compares what it printed. Call and assert tests
of a problem run in two processes (new ones after a test that timed out or ended one): the
program's, loaded by :mod:`.harness`, which only receives call arguments and sends back plain
data; and a checker (:mod:`.checker`), which holds the tests, calls the program's functions
through a pipe and sends the runner its verdict on a pipe of its own. Neither the verdicts nor
the expected values are ever in a process the program controls; only a test the checker cannot
run outside is run in the program's process, and its verdict is marked unchecked.

As the sandbox's PID 1 (bubblewrap's ``--as-pid-1``) the runner is not dumpable, nor are the
zygote and the checkers it forks, so a program cannot read their memory, open their pipes
through ``/proc`` or ptrace them. After every stdio test and after every problem each process
but the zygote is killed; after every problem ``/tmp`` is emptied and System V IPC objects
removed, and the zygote is checked (a program that killed or stopped it retires the session, so
the next problem gets a fresh sandbox). Without the sandbox (``unsafe_local``) none of that
holds: it is then a plain subprocess with resource limits.

Every process of a session dies with the process that started it (killed or not): in the sandbox
bubblewrap kills its PID 1, and with it the whole sandbox (``--die-with-parent``); without it a
thread of the runner sees it re-parented and kills every process below it (programs in sessions
of their own included: orphans come back to the runner, their child subreaper), then itself.
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
MEMORY_CHECK = 0.05  # seconds between two sums of the sandbox's resident memory and CPU time
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
NICEST = 19  # the priority of a test's processes other than its own (what a program forked)
ZYGOTE_ANSWER = 2.0  # seconds the zygote has to answer between problems
PAGE = os.sysconf("SC_PAGE_SIZE")
PR_SET_DUMPABLE, PR_SET_CHILD_SUBREAPER = 4, 36
IPC_RMID = 0
FIRST_FREE_FD = 5  # a forked program's pipes are moved past 0-4 before taking their places there
OWNER_CHECK = 0.05  # seconds between two looks at whether the runner's owner is alive (without the sandbox)


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

    def __init__(self, pid: int, stdin: int, stdout: int, stderr: int) -> None:
        self.pid, self.stdin, self.stdout, self.stderr = pid, stdin, stdout, stderr
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
        for fd in (self.stdin, self.stdout, self.stderr):
            if fd >= 0:
                try:
                    os.close(fd)
                except OSError:
                    pass


def harm(process) -> str:
    """'killed' or 'stopped' when ``process`` (a Child or the Zygote) was, by a signal, which
    only a program sends; else ''."""
    deadline = time.monotonic() + 1.0
    while True:
        code = process.poll()
        if code is not None:
            return "killed" if code < 0 else ""
        state = _state(process.pid)
        if state in (b"T", b"t"):
            return "stopped"
        dying = state in (b"Z", b"X") or _exiting(process.pid)  # its pipes close before it is a zombie
        if not dying or time.monotonic() > deadline:  # running, or dying: wait to reap it
            return ""
        time.sleep(0.001)


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
    processes that run Python programs and checkers. A forked process is handed to the runner (its
    new parent: the runner is the sandbox's PID 1, or a child subreaper) so the runner reaps and
    kills it."""

    def __init__(self, sources: dict) -> None:
        ours, theirs = _socket.socketpair(_socket.AF_UNIX, _socket.SOCK_SEQPACKET)
        self.pid = os.fork()
        if self.pid == 0:
            ours.close()
            _zygote(theirs, sources)
        theirs.close()
        self.socket = ours
        self.returncode = None

    def poll(self):
        """Its exit code once it has ended (a program killed it), else None."""
        return Child.poll(self)

    def start(self, mode: str, job: dict, problem: int, cpu_seconds: int, handed: tuple = ()) -> Child:
        """A process for problem ``problem`` (``script``: its program as ``__main__`` on its stdin;
        ``harness``: its program serving calls; ``checker``: judging its tests), with pipes to its
        stdin, stdout and stderr. ``handed`` fds become its fds 3 and 4 (and are closed here)."""
        pipes = [os.pipe() for _ in range(3)]
        theirs = [pipes[0][0], pipes[1][1], pipes[2][1], *handed]
        ours = [pipes[0][1], pipes[1][0], pipes[2][0]]
        request = {
            "mode": mode, "problem": problem, "source": job["source"], "limits": job["limits"],
            "cpu_seconds": cpu_seconds,
        }  # fmt: skip
        try:
            os.kill(self.pid, signal.SIGCONT)  # a program may have stopped it
            self.socket.settimeout(ZYGOTE_ANSWER)
            _send_fds(self.socket, json.dumps(request).encode(), theirs)
            reply = self.socket.recv(4096)
            if not reply:
                raise OSError("the zygote is gone (a program killed it)")
            if b'"error"' in reply:
                raise OSError(json.loads(reply)["error"])
        except OSError:  # socket.timeout too: the zygote does not answer
            for fd in ours:
                os.close(fd)
            raise
        finally:
            self.socket.settimeout(None)
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


def scripts(sources: dict) -> dict:
    """The namespaces of the harness and the checker, each after plain.py's (as ``{name: globals}``)."""
    plain = {"__name__": "plain"}
    exec(compile(sources["plain"], "plain.py", "exec"), plain)
    namespaces = {}
    for name in ("harness", "checker"):
        namespaces[name] = {**plain, "__name__": name}
        exec(compile(sources[name], f"{name}.py", "exec"), namespaces[name])
    return namespaces


def _zygote(sock, sources: dict) -> None:
    """The zygote's loop: fork a process per request until the runner hangs up. It compiles each
    problem's program once, from the file the runner wrote before any of that problem's
    processes ran."""
    try:
        null = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):  # never hold the runner's stdin (the tests arrive there) or stdout
            os.dup2(null, fd)
        namespaces = scripts(sources)
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
                if request["mode"] != "checker" and request["problem"] not in programs:
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
                    _worker(request, fds, programs.get(request["problem"]), namespaces)
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


def _worker(request: dict, fds: list, code, namespaces: dict) -> None:
    """In the forked process: become the program, or its checker (never returns)."""
    status = 1
    try:
        os.setsid()
        parked = [fcntl.fcntl(fd, fcntl.F_DUPFD, FIRST_FREE_FD) for fd in fds]  # out of the way of 0-4
        for target, fd in enumerate(parked):  # 0-2: stdin, stdout, stderr; 3-4: between harness and checker
            os.dup2(fd, target)
        os.closerange(len(fds), resource.getrlimit(resource.RLIMIT_NOFILE)[0])
        _limit(request["limits"], request["cpu_seconds"], request["limits"]["memory_bytes"])
        sys.stdin = sys.__stdin__ = open(0, encoding="utf-8", errors="replace", closefd=False)
        sys.stdout = sys.__stdout__ = open(1, "w", encoding="utf-8", closefd=False)
        sys.stderr = sys.__stderr__ = open(
            2, "w", encoding="utf-8", errors="backslashreplace", closefd=False, buffering=1
        )
        sys.argv = [request["source"]]
        if request["mode"] == "checker":  # its stdin brings tests, its stdout takes verdicts
            _prctl(PR_SET_DUMPABLE, 0)  # already so in the sandbox; without one (unsafe_local) too
            sys.stdout = sys.stderr  # what the test code prints must not mix with the verdicts
            namespaces["checker"]["serve"](0, 1, 3, 4)
            status = 0
        elif request["mode"] == "harness":
            namespaces["harness"]["serve"](3, 4, code)
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
    """The runner's ends of its children's pipes, pumped without blocking until a deadline: input
    is written as the child reads it, stderr beyond ``STDERR_BYTES`` is read and dropped, and more
    output than the cap ends the wait (the test is then over its limit).

    ``reads`` names each pipe read: ``out`` (the program's stdout, capped), ``err`` (its stderr,
    capped), ``verdict`` (a checker's verdicts) and ``log`` (a checker's stderr, kept for an
    error message only)."""

    def __init__(self, reads: dict) -> None:
        self.selector = selectors.DefaultSelector()
        self.data = {name: bytearray() for name in reads}
        self.err_bytes = 0
        self.pending = memoryview(b"")
        self.writing = -1
        for name, fd in reads.items():
            os.set_blocking(fd, False)
            self.selector.register(fd, selectors.EVENT_READ, name)

    def send(self, fd: int, data: bytes, close: bool) -> None:
        """Queue ``data`` for ``fd`` (replacing what was left of the last); :meth:`pump` writes it,
        then closes ``fd`` when ``close`` (a stdin, as a judge does)."""
        if self.writing >= 0 and self.writing in self.selector.get_map():
            self.selector.unregister(self.writing)
        self.pending, self.writing, self.closing = memoryview(data), fd, close
        os.set_blocking(fd, False)
        if data:
            self.selector.register(fd, selectors.EVENT_WRITE, "in")
        elif close:
            os.close(fd)
            self.writing = -1

    def pump(self, deadline: float, out_cap: int, child: Child | None = None, budget: Budget | None = None) -> str:
        """Move data until a verdict line arrived ('reply'), or (with ``child``) the child is done
        ('exited'), the verdict pipe closed ('exited'), the deadline passed ('timeout'), stdout or
        stderr outgrew ``out_cap`` ('overflow') or, with a ``budget``, the test's processes used
        its CPU time ('timeout') or the sandbox's hold more memory ('memory')."""
        exited_at = None
        checked = time.monotonic()  # the first sum after MEMORY_CHECK: a quick test never pays for one
        while True:
            if b"\n" in self.data.get("verdict", b""):
                return "reply"
            if child is not None and not any(k.data != "in" for k in self.selector.get_map().values()):
                while child.poll() is None:  # its output is closed: it is exiting
                    if time.monotonic() >= deadline:
                        return "timeout"
                    time.sleep(0.0005)
                return "exited"
            now = time.monotonic()
            if now >= deadline:
                return "timeout"
            if budget is not None and now - checked >= MEMORY_CHECK:
                checked = now
                spent = budget.spent()
                if spent:
                    return spent
            if child is not None and child.poll() is not None:
                exited_at = exited_at or now
                if now - exited_at > EXIT_GRACE:  # something it left behind holds the pipes open
                    return "exited"
            for key, _ in self.selector.select(min(deadline - now, MEMORY_CHECK if budget else EXIT_GRACE)):
                if key.data == "in":
                    self._write(key.fd)
                    continue
                try:
                    chunk = os.read(key.fd, CHUNK)
                except BlockingIOError:
                    continue
                if not chunk:
                    self.selector.unregister(key.fd)
                    if key.data == "verdict":
                        return "exited"
                    continue
                buffer = self.data[key.data]
                if key.data in ("err", "log"):
                    buffer += chunk[: max(0, STDERR_BYTES - len(buffer))]
                    if key.data == "err":
                        self.err_bytes += len(chunk)
                        if self.err_bytes > out_cap:
                            return "overflow"
                    continue
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
            self.writing = -1
            if self.closing:
                os.close(fd)

    def close(self) -> None:
        self.selector.close()


def sandbox_usage(own: set) -> tuple:
    """The resident bytes and CPU seconds of every process in the sandbox but the runner (PID 1
    there), with the CPU of the processes they ended and waited for, and the System V shared
    memory no process holds; processes not in ``own`` are made nice 19 on the way."""
    pages, ticks = 0, 0
    for pid in _pids():
        fields = _stat(pid)  # from the state (field 3): utime 14, stime 15, cutime 16, cstime 17, nice 19, rss 24
        try:
            ticks += sum(int(fields[i]) for i in (11, 12, 13, 14))
            pages += int(fields[21])
            if pid not in own and int(fields[16]) < NICEST:
                os.setpriority(os.PRIO_PROCESS, pid, NICEST)
        except (OSError, ValueError, IndexError):  # the process is gone
            pass
    reaped = os.times()  # what the runner reaped (orphans come to it)
    seconds = ticks / CLOCK_TICKS + reaped.children_user + reaped.children_system
    return pages * PAGE + _shared_memory(), seconds


def _shared_memory() -> int:
    """Resident and swapped bytes of the System V segments (where the seccomp filter cannot refuse them)."""
    try:
        with open("/proc/sysvipc/shm", "rb") as f:
            header, *rows = f.read().splitlines()
    except OSError:
        return 0
    columns = header.split()
    try:
        at = [columns.index(b"rss"), columns.index(b"swap")]
    except ValueError:
        return 0
    return sum(int(row.split()[i]) for row in rows for i in at if len(row.split()) > i)


class Budget:
    """What one test may use in the sandbox: CPU seconds, summed over all its processes (those in
    sessions of their own, those that already ended), and memory, summed over the sandbox, checked
    every MEMORY_CHECK. CPU time rather than the clock: a neighbour's program cannot eat it. The
    test's ``own`` processes keep their priority; whatever they started runs at nice 19, so a
    program that forks spinners slows itself, not the sandbox beside it."""

    def __init__(self, cpu_seconds: float, memory_bytes: int, own: set) -> None:
        self.cpu_seconds, self.memory_bytes, self.own = cpu_seconds, memory_bytes, own
        self.start = sandbox_usage(own)[1]

    def spent(self) -> str:
        """'memory' or 'timeout' when the test is over its budget, else ''."""
        memory, seconds = sandbox_usage(self.own)
        if memory > self.memory_bytes:
            return "memory"
        return "timeout" if seconds - self.start > self.cpu_seconds else ""


def run_once(child: Child, stdin: bytes, timeout: float, out_cap: int, budget: Budget | None = None) -> dict:
    """Feed ``stdin`` to a started child and collect its exit code, stdout, stderr and how it ended."""
    started = time.monotonic()
    pipes = Pipes({"out": child.stdout, "err": child.stderr})
    try:
        pipes.send(child.stdin, stdin, close=True)
        child.stdin = -1  # the pipes close it
        ended = pipes.pump(started + timeout, out_cap, child, budget)
    finally:
        pipes.close()
        child.kill()
    return {
        "ended": ended, "code": child.returncode, "out": bytes(pipes.data["out"]), "err": bytes(pipes.data["err"]),
        "seconds": time.monotonic() - started,
    }  # fmt: skip


class Pair:
    """A problem's program loaded in a harness process, and the checker process that holds its
    tests, calls the program's functions through a pipe pair and sends the runner its verdicts."""

    def __init__(self, zygote: Zygote, job: dict, problem: int) -> None:
        cpu_seconds = job["limits"]["cpu_seconds_harness"]
        requests, replies = os.pipe(), os.pipe()
        try:  # the checker first: the program then never runs without one to judge it
            self.checker = zygote.start("checker", job, problem, cpu_seconds, (requests[1], replies[0]))
        except OSError:
            for fd in (requests[0], replies[1]):
                os.close(fd)
            raise
        try:
            self.program = zygote.start("harness", job, problem, cpu_seconds, (requests[0], replies[1]))
        except OSError:
            self.checker.kill()
            raise
        os.close(self.program.stdin)  # the program reads an empty stdin
        self.program.stdin = -1
        reads = {"out": self.program.stdout, "err": self.program.stderr, "verdict": self.checker.stdout}
        self.pipes = Pipes({**reads, "log": self.checker.stderr})

    def ask(self, test: dict, timeout: float, out_cap: int, budget: Budget | None) -> tuple:
        """Send one test to the checker; returns (how it ended, its verdict or None, seconds,
        the attacks it reported)."""
        started = time.monotonic()
        self.pipes.data["out"].clear()  # the output cap is per test
        self.pipes.err_bytes = 0
        self.pipes.send(self.checker.stdin, (json.dumps(test) + "\n").encode(), close=False)
        attacks = []
        while True:
            ended = self.pipes.pump(started + timeout, out_cap, budget=budget)
            if ended != "reply":
                return ended, None, time.monotonic() - started, attacks
            line, _, rest = bytes(self.pipes.data["verdict"]).partition(b"\n")
            self.pipes.data["verdict"][:] = rest
            message = json.loads(line)
            if "attack" not in message:
                return "reply", message, time.monotonic() - started, attacks
            attacks.append(message["attack"])

    def program_exit(self):
        """The program process's exit status once it has ended (waiting up to a second: its
        pipes close before it can be reaped), else None."""
        deadline = time.monotonic() + 1.0
        while self.program.poll() is None and time.monotonic() < deadline:
            time.sleep(0.001)
        return self.program.returncode

    def stderr(self) -> str:
        return _text(self.pipes.data["err"])

    def close(self) -> None:
        self.pipes.close()
        self.program.kill()
        self.checker.kill()


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


def _sweep(spared: set) -> None:
    """As the sandbox's PID 1: kill every other process in it but ``spared`` (the zygote, a
    problem's harness and checker), and reap them (zombies would still count against the process
    limit): whatever a test started, in a session of its own or not, ends with the test."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        others = [p for p in _pids() if p not in spared and not (_state(p) == b"Z" and _parent(p) in spared)]
        if not others:
            return
        _kill_and_reap(others)
        time.sleep(0.0005)


def _kill_and_reap(pids: list) -> None:
    """SIGKILL each of ``pids``, then reap every child of this process that has ended."""
    for pid in pids:
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


def _die_with_owner() -> None:
    """Without the sandbox: once the process that started the runner is gone (the runner was
    re-parented), kill every process below the runner and end it. A thread, started after the
    zygote was forked (no program process inherits it), looks every ``OWNER_CHECK`` seconds."""
    import threading

    owner = os.getppid()

    def watch() -> None:
        while os.getppid() == owner:
            time.sleep(OWNER_CHECK)
        _end_descendants()
        os._exit(1)

    threading.Thread(target=watch, name="die-with-owner", daemon=True).start()


def _end_descendants() -> None:
    """Kill every process below this one, parents before their children (which then cannot fork
    more), until none is left: an orphan comes back to this process, its child subreaper."""
    for _ in range(1000):
        children: dict = {}
        for pid in _pids():
            children.setdefault(_parent(pid), []).append(pid)
        tree, below = [], children.get(os.getpid(), [])
        while below:
            tree += below
            below = [c for pid in below for c in children.get(pid, [])]
        if not tree:
            return
        _kill_and_reap(tree)
        time.sleep(0.001)


def _pids() -> list:
    """Every process of the sandbox but the runner (PID 1 there)."""
    return [int(name) for name in os.listdir("/proc") if name.isdigit() and name != "1"]


def _stat(pid: int) -> list:
    """The fields of /proc/PID/stat from the state on (field 3); [] when the process is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return f.read().rpartition(b")")[2].split()
    except OSError:
        return []


def _state(pid: int) -> bytes:
    fields = _stat(pid)
    return fields[0] if fields else b""


def _exiting(pid: int) -> bool:
    """Whether the process is on its way out (PF_EXITING in its flags, the stat's 9th field)."""
    fields = _stat(pid)
    return len(fields) > 6 and int(fields[6]) & 0x4 != 0


def _parent(pid: int) -> int:
    fields = _stat(pid)
    return int(fields[1]) if fields else 0


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


def _budget(limits: dict, own: set) -> Budget:
    return Budget(limits["timeout"], limits["memory_bytes"], own)


def _wall(limits: dict, sandboxed: bool) -> float:
    """The clock limit of a test: in the sandbox its time is CPU time and the clock only a backstop
    (a program that sleeps); without it (``unsafe_local``) the clock is the limit."""
    return limits["wall_timeout"] if sandboxed else limits["timeout"]


def _stdio_test(job: dict, test: dict, zygote: Zygote, problem: int, sandboxed: bool) -> dict:
    limits, detail = job["limits"], job["detail_chars"]
    expected = test["output"] if isinstance(test["output"], str) else ""
    cap = max(limits["output_bytes"], 2 * len(expected.encode()) + 1024)
    if job.get("run"):
        child = spawn(job["run"], job, limits["cpu_seconds"], limits["memory_bytes"])
    else:
        child = zygote.start("script", job, problem, limits["cpu_seconds"])
    budget = _budget(limits, {zygote.pid, child.pid}) if sandboxed else None
    done = run_once(child, test["input"].encode(), _wall(limits, sandboxed), cap, budget)
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
    """Call and assert tests, judged by one checker against one harness process (new ones after a
    test that timed out or ended either)."""

    def __init__(self, job: dict, zygote: Zygote, problem: int, sandboxed: bool) -> None:
        self.job, self.zygote, self.problem, self.sandboxed = job, zygote, problem, sandboxed
        self.pair = None

    def run(self, test: dict) -> dict:
        job, limits, detail = self.job, self.job["limits"], self.job["detail_chars"]
        if self.pair is None:
            self.pair = Pair(self.zygote, job, self.problem)
        cap = limits["output_bytes"]
        if job["kind"] == "call":
            cap = max(cap, 2 * len(json.dumps(test["output"])) + 1024)
        request = {
            "kind": job["kind"], "input": test["input"], "output": test.get("output"), "fn_name": job.get("fn_name"),
            "setup": job.get("setup", ""), "float_tolerance": job["float_tolerance"], "reply_bytes": cap,
        }  # fmt: skip
        own = {self.zygote.pid, self.pair.program.pid, self.pair.checker.pid}
        budget = _budget(limits, own) if self.sandboxed else None
        ended, verdict, seconds, attacks = self.pair.ask(request, _wall(limits, self.sandboxed), cap, budget)
        event = {"seconds": round(seconds, 4)}
        if ended == "reply":
            event["status"] = verdict["status"]
            for key in ("error", "actual"):
                if verdict.get(key):
                    event[key] = _tail(str(verdict[key]), detail) if key == "error" else str(verdict[key])[:detail]
            if verdict.get("unchecked"):
                event["unchecked"] = True
            attacks += verdict.get("attacks", [])
            code = self.pair.program_exit() if "process ended" in str(verdict.get("error", "")) else None
            if code is not None and code >= 0:
                attacks.append(f"exited (status {code}) during a test")
            if code is not None or self.pair.program.poll() is not None:
                self.close()
        else:
            event["status"] = {"timeout": TIMEOUT, "overflow": OUTPUT_LIMIT}.get(ended, ERROR)
            how = harm(self.pair.checker)
            if how:
                attacks.append(f"{how} the checker")
            if ended == "memory":
                event["error"] = _memory_text(limits)
            elif event["status"] == ERROR:
                log = _text(self.pair.pipes.data["log"])
                event["error"] = _tail(("the checker's process ended\n" + (log or self.pair.stderr())).strip(), detail)
            self.close()
        if attacks:
            event["attacks"] = sorted(set(attacks))
        return event

    def close(self) -> None:
        if self.pair is not None:
            self.pair.close()
            self.pair = None


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
                how = harm(zygote)
                if how:
                    event["attacks"] = [f"{how} the zygote"]
                if harness_tests:
                    harness_tests.close()
            _emit({"event": "test", "i": i, **event})
            if sandboxed:
                pair = harness_tests.pair if harness_tests else None
                _sweep({zygote.pid} | ({pair.program.pid, pair.checker.pid} if pair else set()))
    finally:
        if harness_tests:
            harness_tests.close()


def main() -> None:
    sandboxed = os.getpid() == 1
    _prctl(PR_SET_DUMPABLE, 0) if sandboxed else _prctl(PR_SET_CHILD_SUBREAPER, 1)
    setup = json.loads(_read_frame())
    workdir = os.getcwd()
    zygote = Zygote(setup["sources"])
    if not sandboxed:
        _die_with_owner()
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
            _sweep({zygote.pid})
            _remove_ipc_objects()
        _empty(workdir)
        if not zygote.answers():
            _emit({"event": "retired", "why": "a program killed or stopped the zygote"})
            return
        _emit({"event": "ready"})


if __name__ == "__main__":
    main()
