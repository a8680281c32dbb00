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
    """The names of TRL's trainer and config class of an algorithm, and whether its trainer writes
    the logged completions to files itself (else :mod:`.completion_files` does)."""

    trainer: str
    config: str
    writes_completions: bool


_CLASSES = {
    "grpo": TRLClasses("GRPOTrainer", "GRPOConfig", writes_completions=True),
    "rloo": TRLClasses("RLOOTrainer", "RLOOConfig", writes_completions=False),  # TRL 1.16 keeps them in memory
}
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
    """``GRPOTrainer`` or ``RLOOTrainer`` with the advantage-shaping hook mixed in (one class per
    algorithm), and the completion files where TRL's trainer does not write them."""
    names = class_names(algorithm)
    import trl

    from .advantage_shaping import ShapedAdvantages
    from .completion_files import CompletionFiles

    base = getattr(trl, names.trainer)
    mixins = (ShapedAdvantages,) if names.writes_completions else (ShapedAdvantages, CompletionFiles)
    return type(f"Shaped{base.__name__}", (*mixins, base), {"__doc__": base.__doc__})
