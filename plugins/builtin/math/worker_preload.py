"""Imported by the fork server that starts the math verification workers.

Importing it loads sympy and math-verify and runs one comparison of each kind, once, so that every
worker forked from the server starts warm. The parse guard is not installed here (the fork server
may also serve other ``multiprocessing`` users of this process); each worker installs it in
:func:`worker_setup`.
"""

from . import verifier  # noqa: F401 - the module of the task function, so unpickling it costs nothing
from .symbolic import warm_up, worker_setup

warm_up()

__all__ = ["worker_setup"]
