"""Hostile programs against the real local sandbox.

Each program tries one thing a model-written program must not do. Each test checks that the
program scores 0 (its expected output is what it could only print if the attack worked, or
what it never prints), that the test process and the machine stay healthy (it can still start
processes), that no file of the host changed, and that no process of the sandbox outlives the
call.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from pathlib import Path

import psutil
import pytest

from _code import fenced, require_local_sandbox
from rewardkit import get_reward

BOOTSTRAP_SIGNATURE = "marshal.loads(_part())"  # in the command line of every sandboxed runner
LIMITS = {"timeout": 2.0, "problem_timeout": 30.0}


@pytest.fixture(scope="module", autouse=True)
def local_sandbox():
    require_local_sandbox()


def sandbox_processes(marker: str) -> list[int]:
    found = []
    for process in psutil.process_iter(["cmdline"]):
        command = " ".join(process.info["cmdline"] or [])
        if BOOTSTRAP_SIGNATURE in command or marker in command:
            found.append(process.pid)
    return found


@pytest.fixture
def host(tmp_path):
    """A planted host directory and checks, after the test, that the machine is as it was."""
    marker = f"rewardkit-hostile-{uuid.uuid4().hex}"
    (tmp_path / "victim.txt").write_text("original")
    (tmp_path / "home" / ".ssh").mkdir(parents=True)
    (tmp_path / "home" / ".ssh" / "id_rsa").write_text(f"-----BEGIN KEY----- {marker}")
    before = {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*")}
    children = {p.pid for p in psutil.Process().children(recursive=True)}
    yield {"dir": tmp_path, "marker": marker}
    deadline = time.monotonic() + 10  # a killed PID namespace empties asynchronously
    while sandbox_processes(marker) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert sandbox_processes(marker) == [], "a sandbox process outlived the call"
    assert {p.pid for p in psutil.Process().children(recursive=True)} - children == set()
    assert {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*")} == before, "a host file changed"
    assert (tmp_path / "victim.txt").read_text() == "original"
    assert not Path(f"/tmp/{marker}").exists()
    assert os.system("true") == 0  # this process can still start processes


def run(program: str, outputs: list[str], inputs: list[str] | None = None, **limits):
    spec = {"inputs": inputs or ["\n"] * len(outputs), "outputs": outputs}
    reward = get_reward("code_pass_rate", limits={**LIMITS, **limits})
    return reward.evaluate([fenced(program)], input_output=[spec])


def test_reading_the_home_ssh_keys_and_etc_shadow_finds_nothing(host):
    key = host["dir"] / "home" / ".ssh" / "id_rsa"
    secrets = [key.read_text(), str(sorted(os.listdir(Path.home())))]
    paths = [str(key), str(Path.home())]
    if os.access("/etc/shadow", os.R_OK):
        secrets.append(Path("/etc/shadow").read_text()[:200])
        paths.append("/etc/shadow")
    program = (
        "import os, sys\n"
        f"path = {paths!r}[int(input())]\n"
        "print(open(path).read()[:200] if os.path.isfile(path) else sorted(os.listdir(path)))\n"
    )
    out = run(program, secrets, [f"{i}\n" for i in range(len(paths))])
    assert out.scores == [0.0]
    assert out.extra["failed"] == [len(paths)]
    assert "No such file or directory" in out.extra["first_failure"][0]


def test_writing_outside_the_working_directory_changes_nothing_on_the_host(host):
    targets = [host["dir"] / "victim.txt", host["dir"] / "new.txt", f"/tmp/{host['marker']}", "/usr/local/evil", "/etc/evil"]
    program = (
        f"for path in {[str(t) for t in targets]!r}:\n"
        "    try:\n"
        "        open(path, 'w').write('changed')\n"
        "        print('wrote')\n"
        "    except OSError as exc:\n"
        "        print('refused', type(exc).__name__)\n"
    )
    out = run(program, ["wrote\n" * len(targets)])
    assert out.scores == [0.0]
    assert "refused" in out.extra["first_failure"][0]


def test_no_network_connection_reaches_the_host_or_beyond(host):
    token = host["marker"]
    connections = []
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]

    def answer():
        server.settimeout(15)
        try:
            connection, _ = server.accept()
        except OSError:
            return
        connections.append(connection)
        connection.sendall(token.encode())
        connection.close()

    thread = threading.Thread(target=answer, daemon=True)
    thread.start()
    program = (
        "import socket\n"
        f"for address in [('127.0.0.1', {port}), ('1.1.1.1', 53)]:\n"
        "    try:\n"
        "        print(socket.create_connection(address, timeout=1).recv(100).decode())\n"
        "    except OSError as exc:\n"
        "        print(type(exc).__name__)\n"
    )
    try:
        out = run(program, [f"{token}\n"])
    finally:
        server.close()
        thread.join(timeout=20)
    assert out.scores == [0.0]
    assert connections == []
    assert "ConnectionRefusedError" in out.extra["first_failure"][0]


def test_a_fork_bomb_is_contained_and_the_next_test_still_runs(host):
    program = "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n"
    out = run(program, ["1\n", "2\n"])
    assert out.scores == [0.0]
    assert out.extra["failed"] == [2]
    assert out.extra["timed_out"] == [2]  # each test ran into its own limit, not the problem's


@pytest.mark.parametrize(
    "program",
    [
        "x = bytearray(1 << 40)",  # more than the address space allowed at once
        "import os, time\nfor _ in range(16):\n    if os.fork() == 0:\n        x = bytearray(700 << 20)\n        time.sleep(60)\ntime.sleep(60)",
    ],
    ids=["one-allocation", "many-processes"],
)
def test_allocating_all_memory_fails_the_test(host, program):
    before = psutil.virtual_memory().available
    out = run(program, ["1\n"], timeout=25.0)  # time enough to fill memory on a slow machine
    assert out.scores == [0.0]
    assert "MemoryError" in out.extra["first_failure"][0] or "memory limit" in out.extra["first_failure"][0]
    assert psutil.virtual_memory().available > before - (2 << 30)


def test_an_infinite_loop_times_out(host):
    out = run("while True:\n    pass", ["1\n"])
    assert out.scores == [0.0]
    assert out.extra["first_failure"][0].startswith("test 0 timeout")


def test_printing_gigabytes_is_cut_off(host):
    before = psutil.Process().memory_info().rss
    out = run("import sys\nwhile True:\n    sys.stdout.write('x' * (1 << 20))\n    sys.stderr.write('y' * (1 << 20))", ["1\n"])
    assert out.scores == [0.0]
    assert out.extra["first_failure"][0].startswith("test 0 output_limit")
    assert psutil.Process().memory_info().rss < before + (256 << 20)


def test_killing_the_parent_the_runner_or_the_trainer_fails(host):
    program = (
        "import os, signal\n"
        f"for pid in (os.getppid(), 1, -1, {os.getpid()}, {os.getppid()}):\n"
        "    try:\n"
        "        os.kill(pid, signal.SIGKILL)\n"
        "    except OSError as exc:\n"
        "        pass\n"
        "print('still here')\n"
    )
    out = run(program, ["killed\n", "killed\n"])
    assert out.scores == [0.0]
    assert out.extra["failed"] == [2] and out.extra["timed_out"] == [0]  # both tests ran to the end
    assert psutil.pid_exists(os.getppid())


def test_a_background_process_does_not_survive(host):
    marker = host["marker"]
    program = (
        "import os, subprocess, sys, time\n"
        f"subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)', {marker!r}], start_new_session=True)\n"
        "if os.fork() == 0:\n"
        "    os.setsid()\n"
        "    if os.fork() == 0:\n"
        f"        os.execv(sys.executable, [sys.executable, '-c', 'import time; time.sleep(600)', {marker!r}])\n"
        "    os._exit(0)\n"
        "time.sleep(0.5)\n"
        "print('started')\n"
    )
    out = run(program, ["daemon\n"])
    assert out.scores == [0.0]
    assert "got 'started\\n'" in out.extra["first_failure"][0]  # it did start them


def test_the_runner_and_the_expected_answers_are_out_of_reach(host):
    secret = host["marker"]
    program = (
        "import gc, os\n"
        "def answer(x):\n"
        "    found = [o for o in gc.get_objects() if isinstance(o, dict) and 'output' in o]\n"
        "    for path in ('/proc/1/mem', '/proc/1/environ', '/proc/1/fd/0', '/proc/1/fd/1'):\n"
        "        try:\n"
        "            open(path, 'rb').read(1)\n"
        "            found.append(path)\n"
        "        except OSError:\n"
        "            pass\n"
        "    return found[0]['output'] if found and isinstance(found[0], dict) else str(found)\n"
    )
    spec = {"fn_name": "answer", "inputs": [[1]], "outputs": [secret]}
    out = get_reward("code_pass_rate", limits=LIMITS).evaluate([fenced(program)], input_output=[spec])
    assert out.scores == [0.0]
    assert "got '\"[]\"'" in out.extra["first_failure"][0]


def session(programs: list[str], outputs: list[str]):
    """Score ``programs`` one after another in one sandbox session (concurrency 1)."""
    reward = get_reward("code_pass_rate", concurrency=1, limits=LIMITS)
    spec = {"inputs": ["\n"], "outputs": outputs}
    return reward([fenced(p) for p in programs], input_output=[{**spec, "outputs": [o]} for o in outputs])


@pytest.mark.parametrize("attack", ["SIGKILL", "SIGSTOP"])
def test_a_program_that_kills_or_stops_the_zygote_does_not_fail_the_next_problem(host, attack):
    zygote_attack = f"import os, signal\nos.kill(os.getppid(), signal.{attack})\nfor pid in range(2, 64):\n    try:\n        os.kill(pid, signal.{attack}) if pid != os.getpid() else None\n    except OSError:\n        pass\nprint('done')"
    scores = session([zygote_attack, "print(6 * 7)", "print(6 * 7)  # again"], ["never\n", "42\n", "42\n"])
    assert scores == [0.0, 1.0, 1.0]


def test_what_a_program_leaves_behind_is_gone_for_the_next_problem(host):
    marker = host["marker"]
    leaves = (
        "import ctypes, os, subprocess, sys\n"
        f"os.makedirs('/tmp/left/inside')\nopen('/tmp/left/inside/{marker}', 'w').write('{marker}')\n"
        "os.chmod('/tmp/left/inside', 0)\nos.chmod('/tmp/left', 0)\n"
        "ctypes.CDLL(None).shmget(0x5EED, 1 << 20, 0o1600)\n"
        f"subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)', '{marker}'], start_new_session=True)\n"
        "os.chmod('/tmp', 0)\n"
        "print('left')\n"
    )
    looks = (
        "import os\n"
        "found = [name for name in os.listdir('/tmp') if name != 'prog.py']\n"
        "found += open('/proc/sysvipc/shm').read().splitlines()[1:]\n"
        f"found += [p for p in os.listdir('/proc') if p.isdigit() and '{marker}'.encode() in open(f'/proc/{{p}}/cmdline', 'rb').read()]\n"
        "print(found)\n"
    )
    assert session([leaves, looks], ["left\n", "[]\n"]) == [1.0, 1.0]


def test_memory_no_process_holds_cannot_be_made(host):
    # detached System V segments, memfd files, POSIX shared memory and message queues hold memory
    # that no process's resident size shows: each is refused (the seccomp filter, a read-only /dev/shm)
    program = (
        "import ctypes, os\n"
        "libc = ctypes.CDLL(None, use_errno=True)\n"
        "libc.shmat.restype = ctypes.c_void_p\n"
        "libc.shmat.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_int]\n"
        "libc.shmdt.argtypes = [ctypes.c_void_p]\n"
        "held = 0\n"
        "for _ in range(8):\n"
        "    shmid = libc.shmget(0, 128 << 20, 0o1600)\n"
        "    addr = libc.shmat(shmid, None, 0) if shmid >= 0 else None\n"
        "    if addr in (None, ctypes.c_void_p(-1).value):\n"
        "        break\n"
        "    ctypes.memset(addr, 1, 128 << 20)\n"
        "    libc.shmdt(addr)\n"
        "    held += 128\n"
        "for i in range(64):\n"
        "    try:\n"
        "        fd = os.memfd_create(f'm{i}')\n"
        "        for _ in range(16):\n"
        "            os.write(fd, b'x' * (1 << 20))\n"
        "        held += 16\n"
        "    except OSError:\n"
        "        break\n"
        "for path in ('/dev/shm/x', '/dev/mqueue/x'):\n"
        "    try:\n"
        "        with open(path, 'wb') as f:\n"
        "            f.write(b'x' * (64 << 20))\n"
        "        held += 64\n"
        "    except OSError:\n"
        "        pass\n"
        "held += 16 * sum(libc.msgget(0, 0o1600) >= 0 for _ in range(4))\n"
        "print(held, 'MB held')\n"
    )
    out = run(program, ["0 MB held\n"], memory_mb=256, timeout=20.0)
    assert out.scores == [1.0], out.extra["first_failure"]


def test_a_socket_buffer_cannot_be_grown(host):
    # a socket's queued bytes are memory no process's resident size shows, up to
    # net.core.[rw]mem_max per buffer (4 MB here: one process held 235 MB in 64 sockets under a
    # 256 MB cap); resizing is refused, other socket options are not
    program = (
        "import socket\n"
        "a, b = socket.socketpair()\n"
        "for name in ('SO_SNDBUF', 'SO_RCVBUF', 'SO_SNDBUFFORCE', 'SO_RCVBUFFORCE'):\n"
        "    try:\n"
        "        a.setsockopt(socket.SOL_SOCKET, getattr(socket, name, {'SO_SNDBUFFORCE': 32, 'SO_RCVBUFFORCE': 33}.get(name)), 1 << 24)\n"
        "        print(name, 'set')\n"
        "    except PermissionError:\n"
        "        print(name, 'refused')\n"
        "a.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)\n"
        "print(a.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE))\n"
    )
    expected = "".join(f"{name} refused\n" for name in ("SO_SNDBUF", "SO_RCVBUF", "SO_SNDBUFFORCE", "SO_RCVBUFFORCE")) + "1\n"
    out = run(program, [expected], timeout=20.0)
    assert out.scores == [1.0], out.extra["first_failure"]


def test_tmp_is_bounded_by_tmp_mb(host):
    program = "try:\n    open('/tmp/big', 'wb').write(b'x' * (96 << 20))\n    print('wrote')\nexcept OSError as exc:\n    print(exc.strerror)\n"
    out = run(program, ["No space left on device\n"], tmp_mb=32, file_size_mb=128, timeout=20.0)
    assert out.scores == [1.0], out.extra["first_failure"]


def test_what_a_call_test_started_ends_with_the_test(host):
    # the first call leaves a spinning child in a session of its own; the second counts the
    # program's live children (the killed one stays a zombie until the program waits for it)
    program = (
        "import os\n"
        "def f(x):\n"
        "    if x == 0 and os.fork() == 0:\n"
        "        os.setsid()\n"
        "        while True:\n"
        "            pass\n"
        "    stats = [open(f'/proc/{p}/stat').read().rpartition(')')[2].split() for p in os.listdir('/proc') if p.isdigit()]\n"
        "    return sum(s[0] != 'Z' and int(s[1]) == os.getpid() for s in stats)\n"
    )
    spec = {"fn_name": "f", "inputs": [[0], [1]], "outputs": [0, 0]}
    out = get_reward("code_pass_rate", limits=LIMITS).evaluate([fenced(program)], input_output=[spec])
    assert out.extra["passed"] == [1], out.extra["first_failure"]  # the first returned 1


def test_a_program_that_forks_spinners_does_not_make_its_neighbour_time_out(host):
    # 25 spinning children, each in a session of its own, beside a correct program that needs CPU:
    # a test's time is the CPU time of its own processes, and what a program forked runs at nice 19
    spinners = (
        "import os, time\n"
        "for _ in range(25):\n"
        "    if os.fork() == 0:\n"
        "        os.setsid()\n"
        "        while True:\n"
        "            pass\n"
        "time.sleep(60)\n"
    )
    correct = "n = int(input())\nprint(sum(i * i % 7 for i in range(n)))"
    n = 8_000_000  # about 0.4 s of CPU
    expected = f"{sum(i * i % 7 for i in range(n))}\n"
    spec = {"inputs": [f"{n}\n"] * 4, "outputs": [expected] * 4}
    # the wall clock is only a backstop, generous here: the machine's own load (other jobs) is not a neighbour
    limits = {"timeout": 3.0, "wall_timeout": 60.0, "problem_timeout": 600.0}
    reward = get_reward("code_pass_rate", concurrency=2, limits=limits)
    for _ in range(3):
        out = reward.evaluate([fenced(spinners + f"# {_}\n"), fenced(correct + f"  # {_}")], input_output=[spec, spec])
        assert out.scores == [0.0, 1.0], out.extra["first_failure"]
        assert out.extra["timed_out"][0] == 4
