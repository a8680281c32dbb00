"""The TRL side of rewardkit: the reward adapter, training and evaluation runs, and their commands.

Each module imports trl, transformers and torch lazily or only where it must, so that
``rewardkit --help`` and the config checks stay fast:

- ``trl_rewards``: a composition as TRL reward functions, reward weights and the timing callback;
- ``run_config``, ``train_config``, ``rm_config``: the YAML configs of runs (shared base, GRPO, reward model);
- ``data``: datasets and the prompts built from them; ``preferences``: preference pairs;
- ``default_model``: where a run's model comes from (local directory, .gguf, the bundled SmolLM2);
- ``generation``: completions outside a trainer; ``report``: first/last summaries and score tables;
- ``callbacks``: the metrics JSONL, progress display and checkpoints; ``plot``: the reward-curve PNG;
- ``reward_options``: ``--rewards`` items as a composition; ``tracking``: ``report_to`` and its packages;
- ``training``: a GRPO run; ``model_card``: the trained model's card; ``evaluation``: scoring a model
  on a split; ``rm_training``: reward models;
- ``commands``: ``rewardkit train``, ``eval`` and ``rm-train``.
"""
