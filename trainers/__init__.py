"""The TRL side of rewardkit: GRPO adapter and training commands. The only package that imports trl.

Modules (each imports trl/transformers/torch lazily, so ``rewardkit --help`` stays fast):

- ``grpo``: a Composition as GRPOTrainer reward functions, reward weights and the timing callback;
- ``train``: ``rewardkit train`` (``add_parser``), the run, dry run and first/last summary;
- ``evaluate``: ``rewardkit eval`` (``add_parser``): generate for a split and score per component;
- ``config``: the train YAML; ``data``: datasets and prompts; ``plot``: the reward-curve PNG;
- ``default_model``: ``resolve_model_path`` (local directory, .gguf, or the bundled SmolLM2);
- ``callbacks``: the metrics JSONL writer and the progress display.
"""
