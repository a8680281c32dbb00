"""Instruction following (IFEval): the ``ifeval`` reward, its instruction checks and how rows name them.

The reward lives in :mod:`.reward`, the instruction table (ids, arguments, checks) in
:mod:`.instructions`, linear scanners for IFEval's line patterns in :mod:`.scanning`, word,
sentence and capital-word counts in :mod:`.counting`, and reading a row's instructions in
:mod:`.rows`.
"""

from rewardkit.hookspecs import hookimpl

from .reward import Ifeval


@hookimpl
def register_rewards(register):
    register(Ifeval)
