"""trainers/heap.py: freed blocks of a few MB go back to the system (what keeps a CPU run's memory down)."""

import os
import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux") or not os.confstr("CS_GNU_LIBC_VERSION").startswith("glibc"),
    reason="glibc's heap only: other C libraries are left alone (runs on Linux with glibc)",
)

# Blocks of 4-10 MB allocated and freed after a 30 MB one was (glibc then serves them from its
# heap), one kept at the end: what is still resident, in MB, after the others are freed.
PROGRAM = textwrap.dedent("""
    import sys
    from rewardkit.trainers.heap import map_large_blocks
    def rss():
        return next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmRSS:")) >> 10
    if sys.argv[1] == "mapped":
        assert map_large_blocks()
    start = rss()
    big = bytearray(30 << 20); del big
    blocks = [bytearray(((i % 7) + 4) << 20) for i in range(20)]
    keep = blocks[-1]
    del blocks
    print(rss() - start)
""")


def retained_mb(mode: str, **env: str) -> int:
    environ = {k: v for k, v in os.environ.items() if k != "MALLOC_MMAP_THRESHOLD_"} | env
    done = subprocess.run([sys.executable, "-c", PROGRAM, mode], capture_output=True, text=True, env=environ, timeout=120)
    assert done.returncode == 0, done.stderr
    return int(done.stdout)


def test_freed_blocks_of_a_few_mb_are_returned_to_the_system():
    assert retained_mb("plain") > 100  # glibc's heap keeps ~130 MB of the freed blocks
    assert retained_mb("mapped") < 20  # the kept block (at most 10 MB) and little else


def test_a_threshold_the_user_set_wins():
    code = "import sys; from rewardkit.trainers.heap import map_large_blocks; sys.exit(map_large_blocks())"
    done = subprocess.run([sys.executable, "-c", code], env={**os.environ, "MALLOC_MMAP_THRESHOLD_": "65536"})
    assert done.returncode == 0  # not set: the user's value stays
