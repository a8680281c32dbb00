"""The TRL side of rewardkit: training with rewardkit's rewards, and training the reward models they use.

- ``policy/``: fine-tuning a language model against a composition (GRPO, RLOO): the reward
  adapter, run configs, data and prompts, the run, its callbacks, reports and evaluation;
- ``reward_model/``: training a reward model on preference pairs, for ``rm_score``;
- ``commands/``: ``rewardkit train``, ``eval`` and ``rm-train``.

What both kinds of training share lives here: ``run_config`` (the base of both YAML configs,
LoRA, loading with readable errors), ``default_model`` (where a run's model comes from) and
``preferences`` (preference pairs, which reward models learn from and a policy run can take its
prompts from). ``policy`` and ``reward_model`` never import each other. Every module imports trl,
transformers and torch lazily or only where it must, so that ``rewardkit --help`` and the config
checks stay fast.
"""
