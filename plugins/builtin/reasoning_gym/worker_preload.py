"""Imported by the fork server and the workers that score reasoning-gym answers.

Importing it loads reasoning-gym (every family's module, sympy and numpy with them, about a
second), so that a worker forked from the server, or one that replaces a worker killed at its
time limit, starts without that import. The guards (:mod:`.guard`) are not installed here (the
fork server may serve other ``multiprocessing`` users of this process); each worker installs them
in :func:`worker_setup`.
"""

import reasoning_gym  # noqa: F401 - every family's module
import sympy.physics.units  # noqa: F401 - sympy's simplify() imports it lazily (the integration verifiers)

from . import scoring  # noqa: F401 - the module of the task function, so unpickling it costs nothing
from .guard import install


def worker_setup() -> None:
    install()
