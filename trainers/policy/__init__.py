"""Fine-tuning a policy against a composition with TRL: GRPO and RLOO runs.

- ``algorithms``: the algorithms, and TRL's trainer and config class for each (a new TRL
  algorithm is one entry there); ``advantage_shaping``: the hook mixed into those trainers;
- ``trl_rewards``: a composition as TRL reward functions, reward weights and the timing callback;
- ``config``: the train YAML and its command-line overrides; ``reward_options``: ``--rewards``;
- ``data``: datasets and the prompts built from them;
- ``training``: a run, planned, built, dry-run or trained; ``callbacks``: the metrics JSONL,
  progress display and checkpoints; ``diagnostics_callback``: live reward diagnostics;
  ``tracking``: ``report_to`` and its packages;
- ``model_card``, ``plot``, ``report``: what a run leaves behind (card, reward curves, summaries);
- ``generation``, ``evaluation``: completions outside a trainer, and scoring a model on a split.
"""
