"""One composition under other trainers: each module translates one calling convention into ``Composition.score``.

- :mod:`.server`: the HTTP app behind ``rewardkit serve`` (``/score``, OpenRLHF's ``/get_reward``,
  ``rm_remote``'s protocol);
- :mod:`.verl`: verl's ``custom_reward_function`` (``compute_score`` and the batched form);
- :mod:`.openrlhf`: OpenRLHF's ``reward_func(queries, prompts, labels)`` file;
- :mod:`.compositions`: what they share (one composition per process, the gold column, numbers
  for trainers that cannot take ``None``).
"""
