"""rewardkit: pluggable, verified reward functions for GRPO fine-tuning with TRL.

This package is the contract and the machinery every plugin shares; the reward families live in
``rewardkit.plugins`` and the TRL side in ``rewardkit.trainers``.
"""

from .composition import Component, Composition, Scores
from .errors import (
    ConfigError,
    ContractError,
    DuplicateNameError,
    MissingColumnError,
    MissingDependencyError,
    ParamsError,
    RewardkitError,
    UnknownRewardError,
)
from .hookspecs import hookimpl
from .registry import Registry, default_registry, get_reward
from .reward import Batch, Reward, RewardParams, Sample, SlowRewardParams
from .composition_loader import load_composition

__all__ = [
    "Batch",
    "Component",
    "Composition",
    "ConfigError",
    "ContractError",
    "DuplicateNameError",
    "MissingColumnError",
    "MissingDependencyError",
    "ParamsError",
    "Registry",
    "Reward",
    "RewardParams",
    "RewardkitError",
    "Sample",
    "Scores",
    "SlowRewardParams",
    "UnknownRewardError",
    "default_registry",
    "get_reward",
    "hookimpl",
    "load_composition",
    "verify_answer",
    "verify_answers",
]


def __getattr__(name: str):
    # verify_answer belongs to the math plugin, imported on first use so that `import rewardkit`
    # stays cheap and the core never depends on a reward family (sympy is only ever imported by
    # the verifier's worker processes).
    if name in ("verify_answer", "verify_answers"):
        from .plugins.math import verifier

        return getattr(verifier, name)
    raise AttributeError(f"module 'rewardkit' has no attribute {name!r}")
