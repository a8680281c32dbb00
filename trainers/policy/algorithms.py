"""The policy-gradient algorithms a train run can use, and TRL's trainer and config class for each.

- ``grpo``: TRL's ``GRPOTrainer``: advantages are the rewards normalised within each prompt's group
  of ``num_generations`` completions (Shao et al., 2024).
- ``rloo``: TRL's ``RLOOTrainer``: REINFORCE with a leave-one-out baseline, each completion's
  advantage its reward minus the mean reward of the other completions of its prompt
  (Ahmadian et al., 2024).

Both take the composition the same way (one reward function per component, ``reward_weights``)
and log the same per-component metrics. The trainer classes returned here carry rewardkit's
advantage-shaping hook (:mod:`rewardkit.trainers.policy.advantage_shaping`). trl is imported on use.
"""

from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple


class TRLClasses(NamedTuple):
    """The names of TRL's trainer and config class of an algorithm."""

    trainer: str
    config: str


_CLASSES = {"grpo": TRLClasses("GRPOTrainer", "GRPOConfig"), "rloo": TRLClasses("RLOOTrainer", "RLOOConfig")}
ALGORITHMS = tuple(_CLASSES)  # what a train config's `algorithm` and --algorithm accept


def class_names(algorithm: str) -> TRLClasses:
    """``GRPOTrainer``/``GRPOConfig`` or ``RLOOTrainer``/``RLOOConfig``, without importing trl."""
    if algorithm not in _CLASSES:
        raise ValueError(f"unknown algorithm '{algorithm}' (valid: {', '.join(ALGORITHMS)})")
    return _CLASSES[algorithm]


def config_class(algorithm: str) -> type:
    """``GRPOConfig`` or ``RLOOConfig``."""
    name = class_names(algorithm).config
    import trl

    return getattr(trl, name)


@lru_cache(maxsize=None)
def trainer_class(algorithm: str) -> type:
    """``GRPOTrainer`` or ``RLOOTrainer`` with the advantage-shaping hook mixed in (one class per algorithm)."""
    name = class_names(algorithm).trainer
    import trl

    from .advantage_shaping import ShapedAdvantages

    base = getattr(trl, name)
    return type(f"Shaped{base.__name__}", (ShapedAdvantages, base), {"__doc__": base.__doc__})
