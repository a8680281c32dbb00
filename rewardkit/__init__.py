"""rewardkit: pluggable, verified reward functions for GRPO fine-tuning with TRL."""

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

__all__ = [
    "Batch",
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
    "UnknownRewardError",
    "default_registry",
    "get_reward",
    "hookimpl",
]
