"""Procedural reasoning tasks: the ``reasoning_gym`` reward, scoring with reasoning-gym's own verifiers.

The reward lives in :mod:`.reward`; reading a row's item (task, metadata, generator settings) in
:mod:`.rows`; the worker side that builds and calls the task's verifier in :mod:`.scoring`, with
:mod:`.guard` keeping model text from being run as code there; the audit of every family's
verifier in :mod:`.families`; the ``closed_answer_tag`` and ``last_line`` extractors in
:mod:`.extractors`. reasoning-gym itself is imported only by the worker processes.
"""

from rewardkit.hookspecs import hookimpl

from .extractors import EXTRACTORS
from .reward import ReasoningGym


@hookimpl
def register_rewards(register):
    register(ReasoningGym)


@hookimpl
def register_extractors(register):
    for name, function in EXTRACTORS.items():
        register(name, function)
