"""Give the memory of freed tensors back to the system during a CPU training run (glibc's heap).

glibc serves a request below its mmap threshold from its heaps, and raises that threshold to the
size of every mapped block freed, up to 32 MB. A CPU training step allocates and frees activation
tensors of a few MB to a few tens of MB (generation, the loss's forward, the backward pass) in
ever-different sizes and from several threads, so after a step or two they all come from the
heaps, which fragment and keep the freed memory: the process's resident memory grows to well
above what its tensors hold. Fixing the threshold at 1 MB (which also stops glibc raising it)
makes each larger block its own mapping, returned to the system when it is freed. A value the
user set with ``MALLOC_MMAP_THRESHOLD_`` wins; other C libraries are left alone.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys

M_MMAP_THRESHOLD = -3  # mallopt's parameter number (malloc.h)
THRESHOLD = 1 << 20


def map_large_blocks() -> bool:
    """Fix glibc's mmap threshold at 1 MB for this process; whether it was set."""
    if not sys.platform.startswith("linux") or "MALLOC_MMAP_THRESHOLD_" in os.environ:
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # no C library found, or one without mallopt
        return False
    if not hasattr(libc, "gnu_get_libc_version"):  # musl and others: mallopt means something else or nothing
        return False
    return bool(mallopt(M_MMAP_THRESHOLD, THRESHOLD))
