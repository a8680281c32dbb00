"""rewardkit's rewards in your own TRL script: ``from rewardkit.trl import trl_rewards``.

::

    from trl import GRPOConfig, GRPOTrainer
    from rewardkit.trl import trl_rewards

    rewards = trl_rewards("gsm8k")            # a preset, a YAML file, a list of entries or a Composition
    args = GRPOConfig(output_dir="out", reward_weights=rewards.weights)
    trainer = GRPOTrainer(model, reward_funcs=rewards.funcs, args=args,
                          train_dataset=dataset, callbacks=rewards.callbacks)

The adapter lives with the trainers (:mod:`rewardkit.trainers.policy.trl_rewards`, which imports
transformers); this is its public name. Like ``rewardkit.verify_answer``, it looks the module up
by name when called: the core never depends on the trainers, and ``import rewardkit.trl`` imports
neither transformers nor TRL.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .trainers.policy.trl_rewards import TRLRewards

__all__ = ["trl_rewards"]
ADAPTER = "rewardkit.trainers.policy.trl_rewards"


def trl_rewards(spec: Any) -> TRLRewards:
    """A composition as TRL takes it: ``funcs`` (one reward function per component, named after it),
    ``weights`` (``GRPOConfig``/``RLOOConfig``'s ``reward_weights``) and ``callbacks`` (reward time
    per step and live diagnostics). ``spec`` is anything :func:`rewardkit.load_composition` reads."""
    from .composition import Composition
    from .composition_loader import load_composition
    from .errors import import_optional

    import_optional("transformers", "train", "rewardkit.trl")
    adapter = importlib.import_module(ADAPTER).trl_rewards
    return adapter(spec if isinstance(spec, Composition) else load_composition(spec))
