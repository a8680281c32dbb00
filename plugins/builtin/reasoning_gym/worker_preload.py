"""Imported by the fork server and the workers that score reasoning-gym answers.

Importing it loads reasoning-gym (every family's module, sympy and numpy with them, about a
second) and builds every task's verifier with its default settings (:func:`.scoring.build_defaults`,
a few seconds), so that a worker forked from the server, or one that replaces a worker killed at
its time limit, starts with them; where the fork server is another's, each worker does this
before it counts as ready, so an answer's time limit never pays for it. The guards (:mod:`.guard`)
are not installed here (the fork server may serve other ``multiprocessing`` users of this
process); each worker installs them in :func:`worker_setup`.
"""

import reasoning_gym  # noqa: F401 - every family's module
import sympy.physics.units  # noqa: F401 - sympy's simplify() imports it lazily (the integration verifiers)

from . import scoring
from .guard import install

scoring.build_defaults()


def worker_setup() -> None:
    install()
