"""Imported in multiprocessing's fork server by the worker pools (:mod:`rewardkit.pool`), only there.

The pools' workers are forked from that server and get SIGKILL when it exits
(``PR_SET_PDEATHSIG``), which is what ends a worker stuck in C code that never releases the GIL
(sympy's big integers) when its owner is killed. The server exits when its owner does, but
Python's ordinary exit first tears down every module it preloaded (sympy, math-verify: seconds
on a busy machine), and the workers spin meanwhile. Here the server's exit skips that: nothing in
it needs a clean exit (its children are the pools' workers, its only state their sockets).
"""

import atexit
import os

atexit.register(os._exit, 0)  # imported last, so it runs first: before the preloaded modules' handlers and the teardown
