"""rewardkit: pluggable, verified reward functions for GRPO fine-tuning with TRL."""

from .composition import Component, Composition, Scores
from .errors import (
    ConfigError,
    ContractError,
    DuplicateNameError,
    MissingColumnError,
    ParamsError,
    RewardkitError,
    UnknownRewardError,
)
from .hookspecs import hookimpl
from .registry import Registry, default_registry, get_reward
from .reward import Batch, Reward, RewardParams, Sample
from .spec import load_composition

__all__ = [
    "Batch",
    "Component",
    "Composition",
    "ConfigError",
    "ContractError",
    "DuplicateNameError",
    "MissingColumnError",
    "ParamsError",
    "Registry",
    "Reward",
    "RewardParams",
    "RewardkitError",
    "Sample",
    "Scores",
    "UnknownRewardError",
    "default_registry",
    "get_reward",
    "hookimpl",
    "load_composition",
    "verify_answer",
]


def __getattr__(name: str):
    # verify_answer lives in rewardkit.verify, imported on first use so that `import rewardkit`
    # stays cheap (the verifier's worker pool and sympy are never imported here).
    if name == "verify_answer":
        from .verify import verify_answer

        return verify_answer
    raise AttributeError(f"module 'rewardkit' has no attribute {name!r}")
