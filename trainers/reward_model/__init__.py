"""Training a reward model on preference pairs, for the ``rm_score`` reward.

- ``config``: the rm-train YAML (head, data, sequences, ``RewardConfig`` options);
- ``training``: tokenizing pairs as ``rm_score`` renders them, the trainer, held-out reports, saving;
- ``distribution``: the 1..K rating-distribution head's preference loss and its trainer.
"""
