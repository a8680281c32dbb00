"""Math: correctness rewards, answer extractors, the numeral fast path and the bounded sympy verifier.

``math_correctness`` (alias ``accuracy``) and ``int_answer`` live in :mod:`.rewards`, the answer
extractors in :mod:`.extractors`, plain numerals in :mod:`.numerals`, the verdict with its cache
and worker pool in :mod:`.verifier`, and the sympy/math-verify side, which only the worker
processes import, in :mod:`.symbolic`.
"""

from rewardkit.hookspecs import hookimpl

from .extractors import EXTRACTORS
from .rewards import Accuracy, IntAnswer, MathCorrectness


@hookimpl
def register_rewards(register):
    for reward in (MathCorrectness, Accuracy, IntAnswer):
        register(reward)


@hookimpl
def register_extractors(register):
    for name, function in EXTRACTORS.items():
        register(name, function)
