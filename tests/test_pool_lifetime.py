"""Worker processes never outlive the process that owns them.

A real owner process verifies answers that take minutes of big-integer arithmetic (C code that
holds the GIL), is killed mid-verification, and every process it had started must be gone:
the verification workers, the fork server and the resource tracker. The same for the code
sandbox's sessions (the runner, its zygote, a program and what the program forked in a session of
its own), with and without bubblewrap.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import psutil
import pytest

OWNER = textwrap.dedent(
    """
    import json, threading, time
    from multiprocessing import forkserver, resource_tracker
    from rewardkit import get_reward
    from rewardkit.pool import shared_pools

    def report():
        while len([pid for pool in shared_pools() for pid in pool.pids()]) < 2:
            time.sleep(0.05)
        helpers = [forkserver._forkserver._forkserver_pid, resource_tracker._resource_tracker._pid]
        workers = [pid for pool in shared_pools() for pid in pool.pids()]
        print(json.dumps({"workers": workers, "helpers": helpers}), flush=True)

    threading.Thread(target=report, daemon=True).start()
    reward = get_reward("math_correctness", timeout=600, workers=2)
    reward([r"\\boxed{9^{9^{9^{9^9}}}}", r"\\boxed{8^{8^{8^{8^8}}}}"], answer=["#### 1", "#### 2"])
    """
)


# An owner scoring a program that spins and forks a spinner in a session of its own (test time
# limit 600 s); it prints every process below it once their number has held for a second.
CODE_OWNER = textwrap.dedent(
    """
    import json, sys, threading, time
    import psutil
    from rewardkit import get_reward

    PROGRAM = "import os\\nif os.fork() == 0:\\n    os.setsid()\\nwhile True:\\n    pass\\n"

    def report():
        seen = set()
        while True:
            time.sleep(1.0)
            now = {p.pid for p in psutil.Process().children(recursive=True)}
            if now == seen and len(now) >= 4:  # the runner, its zygote, the program, its spinner
                print(json.dumps(sorted(now)), flush=True)
                return
            seen = now

    threading.Thread(target=report, daemon=True).start()
    reward = get_reward("code_passed", sandbox=sys.argv[1], limits={"timeout": 600.0, "problem_timeout": 1200.0})
    reward.evaluate(["```python\\n" + PROGRAM + "```"], input_output=[{"inputs": ["1\\n"], "outputs": ["1\\n"]}])
    """
)


def _living(pids: list[int]) -> list[int]:
    alive = []
    for pid in pids:
        try:
            if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                alive.append(pid)
        except psutil.NoSuchProcess:
            pass
    return alive


def _wait_until_gone(pids: list[int], seconds: float = 20.0) -> list[int]:
    deadline = time.monotonic() + seconds
    while _living(pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    return _living(pids)


def _assert_all_die_with(owner: subprocess.Popen, signum: int, started: list[int]) -> None:
    owner.send_signal(signum)
    owner.wait(timeout=30)
    left = _wait_until_gone(started)
    assert not left, [psutil.Process(p).cmdline() for p in left]


def _clean_up(owner: subprocess.Popen, started: list[int]) -> None:
    owner.kill()
    for pid in _living(started):
        psutil.Process(pid).kill()


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_workers_fork_server_and_tracker_die_with_a_killed_owner(signum):
    owner = subprocess.Popen([sys.executable, "-c", OWNER], stdout=subprocess.PIPE, text=True)
    started: list[int] = []
    try:
        line = owner.stdout.readline()
        assert line, "the owner exited before its workers started"
        started = [pid for pids in json.loads(line).values() for pid in pids]
        workers = json.loads(line)["workers"]
        busy = psutil.Process(workers[0]).cpu_times()
        time.sleep(1.0)
        assert psutil.Process(workers[0]).cpu_times().user > busy.user  # mid-verification
        _assert_all_die_with(owner, signum, started)
    finally:
        _clean_up(owner, started)


def test_a_busy_worker_dies_with_its_killed_owner_however_slowly_the_fork_server_would_exit():
    """The fork server's workers die when it exits (their parent-death signal): a worker busy in
    C code that holds the GIL has no other way. The server used to exit only after tearing down
    what it preloaded (sympy: 3-4 s on a busy machine, the workers spinning meanwhile); here a
    preloaded module's exit handler never returns, and the worker must still die with its owner."""
    owner_script = textwrap.dedent(
        """
        import json, threading, time
        from multiprocessing import forkserver
        from rewardkit.pool import TimeLimitedPool

        pool = TimeLimitedPool(1, preload=("_hangs_at_exit",))

        def report():
            while not pool.pids() or pool.stats["tasks"] < 1:
                time.sleep(0.05)
            time.sleep(0.5)  # the task has reached the worker
            print(json.dumps({"workers": pool.pids(), "server": forkserver._forkserver._forkserver_pid}), flush=True)

        threading.Thread(target=report, daemon=True).start()
        pool.map(sum, [(range(10**15),)], timeout=600)  # C code that never releases the GIL
        """
    )
    tests = str(Path(__file__).parent)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([tests, os.environ.get("PYTHONPATH", "")])}
    owner = subprocess.Popen([sys.executable, "-c", owner_script], stdout=subprocess.PIPE, text=True, env=env)
    started: list[int] = []
    try:
        line = owner.stdout.readline()
        assert line, "the owner exited before its worker started"
        found = json.loads(line)
        started = [*found["workers"], found["server"]]
        busy = psutil.Process(found["workers"][0]).cpu_times().user
        time.sleep(0.5)
        assert psutil.Process(found["workers"][0]).cpu_times().user > busy  # spinning in sum()
        _assert_all_die_with(owner, signal.SIGKILL, started)
    finally:
        _clean_up(owner, started)


def test_close_shared_pools_leaves_no_process_behind():
    script = textwrap.dedent(
        """
        import json, psutil
        from rewardkit import verify_answer
        from rewardkit.pool import close_shared_pools, shared_pools
        assert verify_answer("x + 1", "1 + x")
        before = [p.pid for p in psutil.Process().children(recursive=True)]
        close_shared_pools()
        print(json.dumps({"before": before, "after": [p.pid for p in psutil.Process().children(recursive=True)]}))
        assert verify_answer("y + 2", "2 + y")  # the pools start again on demand
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr
    children = json.loads(result.stdout)
    assert len(children["before"]) >= 3  # workers, fork server, resource tracker
    assert children["after"] == []


@pytest.mark.parametrize("sandbox", ["local", "unsafe_local"])
def test_a_code_session_and_what_its_program_forked_die_with_a_killed_owner(sandbox):
    if sandbox == "local":
        from _code import require_local_sandbox

        require_local_sandbox()
    owner = subprocess.Popen([sys.executable, "-c", CODE_OWNER, sandbox], stdout=subprocess.PIPE, text=True)
    started: list[int] = []
    try:
        line = owner.stdout.readline()
        assert line, "the owner exited before its session started"
        started = json.loads(line)
        _assert_all_die_with(owner, signal.SIGKILL, started)
    finally:
        _clean_up(owner, started)
