"""One composition under other trainers: each module translates one calling convention into ``Composition.score``.

- :mod:`.server`: the HTTP app behind ``rewardkit serve`` (``/score``, OpenRLHF's ``/get_reward``,
  NeMo Gym's ``/verify``, ``rm_remote``'s protocol);
- :mod:`.nemo_gym`: NeMo Gym's verify requests and rollout rows as a composition's inputs;
- :mod:`.verl`: verl's ``custom_reward_function`` (``compute_score`` and the batched form);
- :mod:`.openrlhf`: OpenRLHF's ``reward_func(queries, prompts, labels)`` file and its agents' step rewards;
- :mod:`.compositions`: what they share (one composition per process, the gold column, numbers
  for trainers that cannot take ``None``).
"""
