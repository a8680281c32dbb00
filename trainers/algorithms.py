"""The policy-gradient algorithms a train run can use, and TRL's trainer and config class for each.

- ``grpo``: TRL's ``GRPOTrainer``: advantages are the rewards normalised within each prompt's group
  of ``num_generations`` completions (Shao et al., 2024).
- ``rloo``: TRL's ``RLOOTrainer``: REINFORCE with a leave-one-out baseline, each completion's
  advantage its reward minus the mean reward of the other completions of its prompt
  (Ahmadian et al., 2024).

Both take the composition the same way (one reward function per component, ``reward_weights``)
and log the same per-component metrics. The trainer classes returned here carry rewardkit's
advantage-shaping hook (:mod:`rewardkit.trainers.advantage_shaping`). trl is imported on use.
"""

from __future__ import annotations

from functools import lru_cache

ALGORITHMS = ("grpo", "rloo")
_CLASSES = {"grpo": ("GRPOTrainer", "GRPOConfig"), "rloo": ("RLOOTrainer", "RLOOConfig")}


def _check(algorithm: str) -> None:
    if algorithm not in _CLASSES:
        raise ValueError(f"unknown algorithm '{algorithm}' (valid: {', '.join(ALGORITHMS)})")


def config_class_name(algorithm: str) -> str:
    """``GRPOConfig`` or ``RLOOConfig``, without importing trl."""
    _check(algorithm)
    return _CLASSES[algorithm][1]


def config_class(algorithm: str) -> type:
    """``GRPOConfig`` or ``RLOOConfig``."""
    _check(algorithm)
    import trl

    return getattr(trl, _CLASSES[algorithm][1])


@lru_cache(maxsize=None)
def trainer_class(algorithm: str) -> type:
    """``GRPOTrainer`` or ``RLOOTrainer`` with the advantage-shaping hook mixed in (one class per algorithm)."""
    _check(algorithm)
    import trl

    from .advantage_shaping import ShapedAdvantages

    base = getattr(trl, _CLASSES[algorithm][0])
    return type(f"Shaped{base.__name__}", (ShapedAdvantages, base), {"__doc__": base.__doc__})
