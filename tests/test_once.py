"""rewardkit.once.Once, the one helper behind the process-wide singletons: made once per key
however threads race, made again when no longer usable, forgotten in a forked child."""

from __future__ import annotations

import os
import pickle
import threading
import time

import pytest

from rewardkit.once import Once


def test_racing_threads_make_one_object_per_key():
    made = []

    def make(key):
        made.append(key)
        time.sleep(0.05)  # a slow load: every thread arrives while it runs
        return object()

    once = Once(make)
    got: list = []
    threads = [threading.Thread(target=lambda k=k: got.append((k, once.get(k % 2)))) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(made) == [0, 1]
    assert len({id(obj) for k, obj in got if k % 2 == 0}) == 1 and len(once.made()) == 2


def test_an_object_no_longer_usable_is_made_again():
    once = Once(lambda: {"open": True}, usable=lambda obj: obj["open"])
    first = once.get()
    first["open"] = False
    assert once.get() is not first and once.get() is once.get()
    assert len(once.forget()) == 1 and once.made() == []


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork here")
@pytest.mark.parametrize("after_fork, same", [("forget", False), ("keep", True)])
def test_a_forked_child_starts_with_nothing_made_unless_kept(after_fork, same):
    once = Once(object, after_fork=after_fork)
    parent = once.get()
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report whether it sees the parent's object, then leave at once
        os.write(write, b"1" if once.get() is parent else b"0")
        os._exit(0)
    os.close(write)
    os.waitpid(pid, 0)
    assert os.read(read, 1) == (b"1" if same else b"0")


def test_it_pickles_without_what_it_made():
    once = Once(dict, after_fork="keep")
    once.get()["x"] = 1
    copy = pickle.loads(pickle.dumps(once))
    assert copy.get() == {} and copy.after_fork == "keep"
