"""The time-limited worker pool: hard limits from any thread or event loop, recovery, shutdown."""

import asyncio
import math
import os
import pickle
import signal
import subprocess
import sys
import textwrap
import threading
import time

import pytest

from rewardkit import pool as pool_module
from rewardkit.pool import (
    TimeLimitedPool, WorkerPoolError, cpu_count, default_pool_size, open_stat, process_cpu_seconds,
)  # fmt: skip

# Tasks run in the workers, which import this module by name: keep them at module level.


def square(x):
    return x * x


def sleep_then(seconds, value):
    time.sleep(seconds)
    return value


def burn_then(cpu_seconds, value):
    """Use ``cpu_seconds`` of CPU time (math.inf: forever), however long that takes on the clock."""
    end = time.process_time() + cpu_seconds
    while time.process_time() < end:
        pass
    return value


def note_then_burn(path, cpu_seconds, value):
    note_then_sleep(path, 0)
    return burn_then(cpu_seconds, value)


def huge_power():
    return pow(9, 9**9) % 7  # minutes of big-integer arithmetic in C: no signal can interrupt it


def fail():
    raise ValueError("bad input")


def die():
    os._exit(3)


def unpicklable():
    return threading.Lock()


def allocate(megabytes):
    return len(bytearray(megabytes * 1024 * 1024))


def my_pid():
    return os.getpid()


def note_then_sleep(path, seconds):
    with open(path, "a") as handle:
        handle.write("started\n")
    time.sleep(seconds)
    return "done"


def note_then_wait_for(path, notes, seconds):
    """Note this task's start, then wait up to ``seconds`` for ``notes`` starts in all: whether they came."""
    note_then_sleep(path, 0)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if len(open(path).read().splitlines()) >= notes:
            return True
        time.sleep(0.01)
    return False


@pytest.fixture(scope="module")
def pool():
    # Workers import this module before they report ready, so unpickling the first task does not
    # spend its time limit on importing pytest.
    with TimeLimitedPool(2, preload=[__name__]) as pool:
        yield pool


def test_results_come_back_in_order(pool):
    outcomes = pool.map(square, [(i,) for i in range(20)], timeout=5)
    assert [o.value for o in outcomes] == [i * i for i in range(20)]
    assert all(o.ok for o in outcomes)


def test_an_exception_is_the_tasks_outcome_not_the_callers(pool):
    (outcome,) = pool.map(fail, [()], timeout=5)
    assert not outcome.ok and outcome.error == "ValueError: bad input"


def test_an_unpicklable_result_is_an_error_outcome(pool):
    (outcome,) = pool.map(unpicklable, [()], timeout=5)
    assert outcome.error and "could not be sent" in outcome.error


def test_a_task_past_its_limit_is_killed_and_its_worker_replaced(pool):
    before = set(pool.pids())
    slow, fast = pool.map(burn_then, [(math.inf, "late"), (0, "ok")], timeout=0.5)
    assert slow.timed_out and slow.value is None
    assert fast.ok and fast.value == "ok"
    assert pool.map(square, [(3,)], timeout=5)[0].value == 9
    assert set(pool.pids()) != before
    assert pool.stats["timeouts"] >= 1


def test_each_affinity_group_stays_on_one_worker(pool):
    keys = ["g", "h"] * 6
    pids = [o.value for o in pool.map(my_pid, [()] * len(keys), timeout=5, affinity=keys)]
    assert len({p for p, k in zip(pids, keys) if k == "g"}) == 1
    assert len({p for p, k in zip(pids, keys) if k == "h"}) == 1


def test_slow_tasks_of_one_group_do_not_wait_for_each_other(pool, tmp_path):
    notes = tmp_path / "started"
    # each slow task waits for the other to start: only tasks running at once both see it
    outcomes = pool.map(note_then_wait_for, [(notes, 2, 60)] * 2, timeout=120, affinity=["g", "g"])
    assert [o.value for o in outcomes] == [True, True]
    outcomes = pool.map(burn_then, [(math.inf, "late"), (math.inf, "later"), (0, "a")], timeout=0.5, affinity=["g"] * 3)
    assert [o.timed_out for o in outcomes] == [True, True, False] and outcomes[2].value == "a"


def test_a_batch_budget_cancels_the_queued_tasks_and_kills_the_running_ones(pool, tmp_path):
    notes = tmp_path / "started"
    before = pool.stats["over_budget"]
    outcomes = pool.map(note_then_sleep, [(notes, 60)] * 12, timeout=120, budget=0.5)
    assert all(o.timed_out and o.over_budget and o.ended_by == "budget" and o.value is None for o in outcomes)
    assert 1 <= len(notes.read_text().splitlines()) <= pool.size  # at most one per worker: the rest never ran
    assert pool.stats["over_budget"] - before == 12
    assert pool.map(square, [(3,)], timeout=5)[0].value == 9  # the pool is free for the next batch


def test_a_batch_keeps_what_finished_within_its_budget(pool):
    outcomes = pool.map(sleep_then, [(0, "a"), (0, "b"), (60, "late"), (60, "later"), (0, "c")], timeout=120, budget=1)
    assert [o.value for o in outcomes[:2]] == ["a", "b"]
    assert all(o.over_budget for o in outcomes[2:])  # the two slow ones hold both workers past the budget


def test_a_batch_budget_starts_when_its_first_task_does(pool):
    """A batch queued behind another is not charged for the wait: its budget is pool time."""
    first = {}
    thread = threading.Thread(target=lambda: first.update(out=pool.map(sleep_then, [(2, "x")] * 2, timeout=30)))
    thread.start()
    while not any(w.task for w in pool._workers):
        time.sleep(0.01)
    queued = pool.map(square, [(i,) for i in range(4)], timeout=30, budget=1)  # waits about 2 s for a worker
    thread.join(timeout=60)
    assert [o.value for o in queued] == [0, 1, 4, 9] and [o.value for o in first["out"]] == ["x", "x"]


def test_a_task_that_burns_cpu_past_its_timeout_is_ended_by_its_cpu_time():
    # a backstop of minutes: however busy the machine, the CPU time runs out first
    with TimeLimitedPool(1, preload=[__name__], backstop_factor=1000) as pool:
        (outcome,) = pool.map(burn_then, [(math.inf, "late")], timeout=0.3)
    assert outcome.timed_out and outcome.ended_by == "cpu_time" and not outcome.over_budget
    assert pool.stats["timeouts"] == 1


def test_a_task_starved_of_cpu_past_its_timeout_still_finishes(tmp_path):
    """The limit is CPU time: a worker stopped (as a machine at load 100 would all but stop it) for
    twice its task's timeout of wall-clock time finishes the task when it runs again."""
    notes = tmp_path / "started"
    with TimeLimitedPool(1, preload=[__name__], backstop_factor=100) as pool:
        future = pool.submit(note_then_burn, (notes, 0.05, "done"), timeout=1)
        deadline = time.monotonic() + 120
        while not notes.exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        (pid,) = pool.pids()
        os.kill(pid, signal.SIGSTOP)
        try:
            time.sleep(2)
        finally:
            os.kill(pid, signal.SIGCONT)
        outcome = future.result(timeout=300)
        assert pool.pids() == [pid]  # not killed and replaced
    assert outcome.ok and outcome.value == "done" and outcome.ended_by is None
    assert outcome.seconds > 1  # it did run past its timeout of wall-clock time


def test_a_task_that_waits_without_cpu_ends_at_the_wall_clock_backstop():
    with TimeLimitedPool(1, preload=[__name__], backstop_factor=2, backstop_seconds=0.5) as pool:
        waiting, after = pool.map(sleep_then, [(600, "late"), (0, "ok")], timeout=0.2)
    assert waiting.timed_out and waiting.ended_by == "wall_clock" and not waiting.over_budget
    assert waiting.seconds >= 0.89  # not at its timeout (0.2 s): at the backstop, 2 x 0.2 + 0.5 s
    assert after.value == "ok"


def test_where_cpu_time_cannot_be_read_the_timeout_is_wall_clock_time(monkeypatch):
    monkeypatch.setattr(pool_module, "process_cpu_seconds", lambda stat: None)  # as where there is no /proc
    with TimeLimitedPool(1, preload=[__name__], backstop_factor=1000) as pool:
        (outcome,) = pool.map(sleep_then, [(600, "late")], timeout=0.3)
    assert outcome.timed_out and outcome.ended_by == "wall_clock"


def test_a_process_cpu_time_is_read_from_proc():
    stat = open_stat(os.getpid())
    try:
        before = process_cpu_seconds(stat)
        burn_then(0.2, None)
        used = process_cpu_seconds(stat) - before
        assert 0.15 <= used and abs(process_cpu_seconds(stat) - sum(os.times()[:4])) < 0.1
    finally:
        os.close(stat)
    assert open_stat(2**22 + 1) is None and process_cpu_seconds(None) is None  # past the largest pid Linux gives


def test_a_process_that_is_gone_has_no_cpu_time():
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    stat = open_stat(child.pid)
    try:
        assert process_cpu_seconds(stat) is not None
        child.wait()
        assert process_cpu_seconds(stat) is None  # reaped: its id may be another's now
    finally:
        os.close(stat)


def test_a_backstop_below_the_timeout_is_refused():
    with pytest.raises(ValueError, match="backstop_factor must be at least 1"):
        TimeLimitedPool(1, backstop_factor=0.5)


def test_amap_takes_a_budget_too(pool):
    outcomes = asyncio.run(pool.amap(sleep_then, [(60, "late")] * 3, timeout=120, budget=0.5))
    assert all(o.over_budget for o in outcomes)


def test_c_level_computation_is_stopped_on_time(pool):
    start = time.monotonic()
    (outcome,) = pool.map(huge_power, [()], timeout=0.5)
    assert outcome.timed_out
    assert time.monotonic() - start < 30  # not the minutes the computation would take


def test_time_limit_holds_from_another_thread(pool):
    results = {}

    def call():
        results["outcomes"] = pool.map(burn_then, [(math.inf, "late"), (0, "ok")], timeout=0.5)

    thread = threading.Thread(target=call)
    thread.start()
    thread.join(timeout=60)
    assert not thread.is_alive()
    slow, fast = results["outcomes"]
    assert slow.timed_out and fast.value == "ok"


def test_time_limit_holds_in_an_event_loop(pool):
    async def main():
        # amap awaits without blocking the loop: a ticker keeps running meanwhile.
        ticks = 0

        async def ticker():
            nonlocal ticks
            while True:
                await asyncio.sleep(0.05)
                ticks += 1

        task = asyncio.create_task(ticker())
        outcomes = await pool.amap(burn_then, [(math.inf, "late"), (0, "ok")], timeout=1)
        task.cancel()
        return outcomes, ticks

    (slow, fast), ticks = asyncio.run(main())
    assert slow.timed_out and fast.value == "ok"
    assert ticks > 3


def test_many_threads_share_one_pool(pool):
    results = [None] * 8

    def call(i):
        results[i] = [o.value for o in pool.map(square, [(i,), (i + 1,)], timeout=5)]

    threads = [threading.Thread(target=call, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert results == [[i * i, (i + 1) * (i + 1)] for i in range(8)]


def test_a_worker_killed_while_idle_is_replaced(pool):
    pool.map(square, [(1,)], timeout=5)
    victim = pool.pids()[0]
    os.kill(victim, signal.SIGKILL)
    time.sleep(0.2)
    outcomes = pool.map(my_pid, [()] * 4, timeout=5)
    assert all(o.ok for o in outcomes)
    assert victim not in {o.value for o in outcomes}


def test_a_worker_killed_mid_task_gets_the_task_retried(pool):
    future = pool.submit(sleep_then, (0.5, "done"), timeout=10)
    deadline = time.monotonic() + 30
    busy = []
    while not busy and time.monotonic() < deadline:
        time.sleep(0.05)
        busy = [w.process.pid for w in pool._workers if w.task is not None]
    assert busy
    os.kill(busy[0], signal.SIGKILL)
    outcome = future.result(timeout=30)
    assert outcome.ok and outcome.value == "done"
    assert pool.stats["crashes"] >= 1


def test_a_task_that_kills_its_worker_is_reported_and_the_pool_goes_on(pool):
    (outcome,) = pool.map(die, [()], timeout=5)
    assert outcome.error and "died" in outcome.error
    assert pool.map(square, [(4,)], timeout=5)[0].value == 16


def test_memory_limit_turns_a_runaway_allocation_into_an_error():
    with TimeLimitedPool(1, memory_limit_mb=1024) as limited:
        small, big = limited.map(allocate, [(10,), (4096,)], timeout=30)
    assert small.value == 10 * 1024 * 1024
    assert big.error and "MemoryError" in big.error


def test_a_preload_that_cannot_import_fails_loudly_not_silently():
    with TimeLimitedPool(1, preload=["no_such_module_for_rewardkit"]) as broken:
        with pytest.raises(WorkerPoolError, match="no_such_module_for_rewardkit"):
            broken.map(square, [(2,)], timeout=5)


def test_a_closed_pool_refuses_work_and_pools_do_not_pickle():
    closed = TimeLimitedPool(1)
    closed.close()
    with pytest.raises(WorkerPoolError, match="closed"):
        closed.submit(square, (2,))
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(TimeLimitedPool(1))


def test_closing_a_pool_releases_callers_waiting_in_other_threads():
    pool = TimeLimitedPool(1, preload=[__name__])
    result = {}

    def call():
        try:
            pool.map(sleep_then, [(30, "late"), (0, "queued")], timeout=60)
        except WorkerPoolError as exc:
            result["error"] = str(exc)

    thread = threading.Thread(target=call)
    thread.start()
    deadline = time.monotonic() + 60
    while not any(w.task is not None for w in pool._workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    pool.close()
    thread.join(timeout=30)
    assert not thread.is_alive()
    assert "closed" in result["error"]


def test_a_forked_child_gets_its_own_pool():
    from rewardkit.plugins.math.verifier import verify_answer

    assert verify_answer("x + 1", "1 + x") is True  # the parent's shared pool is running
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: verify through a pool of its own, report, leave without cleanup
        try:
            ok = verify_answer("y + 2", "2 + y") is True
            os.write(write, b"1" if ok else b"0")
        finally:
            os._exit(0)
    os.close(write)
    _, status = os.waitpid(pid, 0)
    assert os.read(read, 1) == b"1" and status == 0
    assert verify_answer("z + 3", "3 + z") is True  # the parent's pool is untouched


def test_default_size_is_the_cpu_count(monkeypatch):
    monkeypatch.delenv("REWARDKIT_POOL_SIZE", raising=False)
    monkeypatch.delenv("LOCAL_WORLD_SIZE", raising=False)
    assert TimeLimitedPool().size == cpu_count()


def test_ranks_started_together_share_the_cpus(monkeypatch):
    monkeypatch.delenv("REWARDKIT_POOL_SIZE", raising=False)
    monkeypatch.setenv("LOCAL_WORLD_SIZE", "2")  # what torchrun and accelerate launch set
    assert default_pool_size() == max(1, cpu_count() // 2)
    monkeypatch.setenv("LOCAL_WORLD_SIZE", str(4 * cpu_count()))
    assert default_pool_size() == 1


def test_the_pool_size_variable_wins_and_is_checked(monkeypatch):
    monkeypatch.setenv("LOCAL_WORLD_SIZE", "8")
    monkeypatch.setenv("REWARDKIT_POOL_SIZE", "3")
    assert TimeLimitedPool().size == 3
    monkeypatch.setenv("REWARDKIT_POOL_SIZE", "zero")
    with pytest.raises(WorkerPoolError, match="REWARDKIT_POOL_SIZE must be a whole number"):
        default_pool_size()


def _run_script(body: str, tmp_path) -> subprocess.CompletedProcess:
    script = tmp_path / "script.py"
    script.write_text(textwrap.dedent(body))
    return subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=180)


def test_a_script_without_a_main_guard_is_not_rerun_in_the_workers(tmp_path):
    # Plain multiprocessing (spawn/forkserver) re-imports __main__ in every child, re-running an
    # unguarded training script; rewardkit's workers do not.
    result = _run_script(
        """
        from rewardkit import verify_answer
        print("script ran")
        print(verify_answer(r"\\frac{\\pi}{2}", r"\\dfrac{\\pi}{2}"))
        """,
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["script", "ran", "True"]


def test_workers_are_gone_after_the_interpreter_exits(tmp_path):
    result = _run_script(
        """
        from rewardkit.plugins.math.verifier import default_verifier, verify_answer
        verify_answer("x + 1", "1 + x")
        print(*default_verifier().pool().pids())
        """,
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    pids = [int(p) for p in result.stdout.split()]
    assert pids
    deadline = time.monotonic() + 10
    alive = pids
    while alive and time.monotonic() < deadline:
        alive = [p for p in pids if _alive(p)]
        time.sleep(0.1)
    assert not alive


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie still answers kill(0); it is dead for our purposes
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False
