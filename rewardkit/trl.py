"""rewardkit's rewards in your own TRL script: ``from rewardkit.trl import trl_rewards``.

::

    from trl import GRPOConfig, GRPOTrainer
    from rewardkit.trl import trl_rewards

    rewards = trl_rewards("gsm8k")            # a preset, a YAML file, a list of entries or a Composition
    args = GRPOConfig(output_dir="out", reward_weights=rewards.weights)
    trainer = GRPOTrainer(model, reward_funcs=rewards.funcs, args=args,
                          train_dataset=dataset, callbacks=rewards.callbacks)

The adapter lives with the trainers (:mod:`rewardkit.trainers.policy.trl_rewards`, which imports
transformers); this is its public name, and it imports the adapter when called, so that
``import rewardkit`` never imports transformers or TRL.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .trainers.policy.trl_rewards import TRLRewards

__all__ = ["trl_rewards"]


def trl_rewards(spec: Any) -> TRLRewards:
    """A composition as TRL takes it: ``funcs`` (one reward function per component, named after it),
    ``weights`` (``GRPOConfig``/``RLOOConfig``'s ``reward_weights``) and ``callbacks`` (reward time
    per step and live diagnostics). ``spec`` is anything :func:`rewardkit.load_composition` reads."""
    from .composition import Composition
    from .composition_loader import load_composition
    from .errors import import_optional

    import_optional("transformers", "train", "rewardkit.trl")
    from .trainers.policy.trl_rewards import trl_rewards as adapter

    return adapter(spec if isinstance(spec, Composition) else load_composition(spec))
