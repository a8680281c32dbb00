"""Math: correctness rewards, answer extractors, the paths that decide without sympy, and the bounded sympy verifier.

``math_correctness`` (alias ``accuracy``) and ``int_answer`` live in :mod:`.rewards`, the answer
extractors in :mod:`.extractors`, plain numerals in :mod:`.numerals`, LaTeX answers read into
expression trees in :mod:`.expressions`, their exact values in :mod:`.exact` and their values at
points in :mod:`.numeric`, the verdict with its cache and worker pool in :mod:`.verifier`, the
sympy/math-verify side, which only the worker processes import, in :mod:`.symbolic`, and
math-verify's default verdict as a second opinion for ``rewardkit diagnose`` in
:mod:`.second_opinion`.
"""

from rewardkit.hookspecs import hookimpl

from .extractors import EXTRACTORS
from .rewards import Accuracy, IntAnswer, MathCorrectness
from .second_opinion import second_opinion


@hookimpl
def register_rewards(register):
    for reward in (MathCorrectness, Accuracy, IntAnswer):
        register(reward)


@hookimpl
def register_extractors(register):
    for name, function in EXTRACTORS.items():
        register(name, function)


@hookimpl
def register_second_opinions(register):
    for reward in (MathCorrectness, Accuracy):
        register(reward.name, second_opinion)
