"""The TRL side of rewardkit: GRPO adapter and training commands. The only package that imports trl."""
