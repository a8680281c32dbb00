"""What rewardkit found reading every reasoning-gym family's verifier (reasoning-gym 0.1.25), and what it does about it.

:data:`EVALUATES` lists the verifiers that hand text to Python's ``eval`` or to sympy's
``parse_expr`` (``eval`` underneath); run as reasoning-gym ships them, an answer such as
``__import__('os').system(...)`` runs as code. In rewardkit's workers :mod:`.guard` reads such
text as data or sympy arithmetic and refuses code. ``bench/reasoning_gym_bench.py`` checks the
list: it hands live payloads to every family's verifier, unguarded in a process of its own and
through the reward.

:data:`FORGEABLE` lists verifiers that give full marks to a wrong answer. The reward scores them
as reasoning-gym does (its scores are the contract) and warns once per process; ``rewardkit
train`` refuses to build prompts from them unless the task says ``allow_forgeable: true``.
"""

from __future__ import annotations

EVALUATES = {
    "binary_matrix": "eval(answer): a Python list of lists earns partial credit",
    "n_queens": "eval(answer): a Python list of rows earns partial credit",
    "spiral_matrix": "eval(answer): a Python list earns partial credit",
    "string_insertion": "eval(answer): a Python list of characters earns partial credit",
    "number_sorting": "eval(gold answer) when it is not JSON (the row's answer, not the model's)",
    "bitwise_arithmetic": "eval(metadata['problem']) to compute the gold value (the row's metadata)",
    "countdown": "sympy parse_expr(answer)",
    "puzzle24": "sympy parse_expr(answer)",
    "simple_integration": "sympy parse_expr(answer)",
    "intermediate_integration": "sympy parse_expr(answer)",
    "polynomial_multiplication": "sympy parse_expr(answer) and parse_expr(gold answer)",
}

FORGEABLE = {
    "game_of_life_halting": "compares bool(answer) with bool(gold answer): every non-empty answer, "
    "'False' included, gets 1.0 whatever the gold",
}
