"""rewardkit: pluggable, verified reward functions for GRPO fine-tuning with TRL.

This package is the contract and the machinery every plugin shares; the reward families live in
``rewardkit.plugins`` and the TRL side in ``rewardkit.trainers``.
"""

from typing import TYPE_CHECKING

# Where each public name lives: imported on first use, so that `import rewardkit` (and so
# `rewardkit --help`, and a plugin's `from rewardkit import hookimpl`) loads only what it uses;
# the composition machinery brings pydantic and asyncio.
_PUBLIC = {
    **dict.fromkeys(("Component", "Composition", "Scores"), "composition"),
    **dict.fromkeys(
        ("ConfigError", "ContractError", "DuplicateNameError", "MissingColumnError", "MissingDependencyError",
         "ParamsError", "RewardkitError", "UnknownRewardError"),
        "errors",
    ),
    "hookimpl": "hookspecs",
    **dict.fromkeys(("Registry", "default_registry", "get_reward"), "registry"),
    **dict.fromkeys(("Batch", "Reward", "RewardParams", "Sample", "SlowRewardParams"), "reward"),
    "load_composition": "composition_loader",
    # verify_answer belongs to the math plugin: the core never depends on a reward family (sympy
    # is only ever imported by the verifier's worker processes).
    **dict.fromkeys(("verify_answer", "verify_answers"), "plugins.math.verifier"),
}

if TYPE_CHECKING:
    from .composition import Component, Composition, Scores
    from .composition_loader import load_composition
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
    from .plugins.math.verifier import verify_answer, verify_answers
    from .registry import Registry, default_registry, get_reward
    from .reward import Batch, Reward, RewardParams, Sample, SlowRewardParams

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
    if name not in _PUBLIC:
        raise AttributeError(f"module 'rewardkit' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f".{_PUBLIC[name]}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
