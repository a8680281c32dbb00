"""Hostile completions and work measurement, shared by the tests and bench/linear_bench.py.

A fragment repeated to any length is a completion that a backtracking pattern may rescan from
every occurrence (quadratic or worse in the length). Work is measured as CPU time of this
process (other jobs on the machine do not count) and judged by how it grows with the input: a
4x longer input may cost at most 8x the time, where quadratic work costs 16x. This is a ratio,
so it holds on a slow or busy machine; the floor keeps timer noise on microsecond calls out.
"""

from __future__ import annotations

import gc
import time
from functools import lru_cache
from typing import Any, Callable

# name -> fragment; each is repeated to the wanted length
FRAGMENTS = {
    "reasoning tags": "<reasoning>\n",
    "reasoning blocks, answer never closed": "<reasoning>\nx\n</reasoning>\n<answer>\n",
    "answer blocks, reasoning never closed": "<reasoning>\n<answer>\nx\n</answer>\n",
    "closing answer tags": "\n</answer>\n ",
    "think tags": "<think>",
    "think blocks, answer never closed": "<think>a</think><answer>b",
    "closing think tags": "</think> ",
    "code fences on one line": "```",
    "unclosed code fences": "```py\nx = 1\n```py\n",
    "\\( never closed": "\\( x ",
    "\\[ never closed": "\\[ x ",
    "$$ never closed": "$$ x ",
    "$ signs": "$a ",
    "\\begin never ended": "\\begin{x} ",
    "\\command{ never closed": "\\a{b ",
    "dotted words": "a.",
    "underscored words": "a_",
    "e-mail look-alikes": "a@b.",
    "tags never closed": "<a b ",
    "urls": "http://x.y/z ",
    "backticks": "`x",
    "numbers": "1,2.",
    "indented lines": "    x\n",
    "boxed never closed": "\\boxed{",
    "braces": "{",
    "hashes": "#### ",
    "cyrillic and latin": "Решим the ",
    "prose": "The cat sat on the mat. ",
}

# A valid value for each dataset column a built-in may need; every reward gets them all.
COLUMN_VALUES = {"answer": "#### 42", "solution": "The answer is $\\boxed{42}$."}
# Built-ins that need a model directory or a server: tests/test_rm_*.py and tests/test_judge*.py bound them.
ELSEWHERE = {"rm_score", "rm_remote", "judge_score", "judge_verdict", "rubric", "judge_rank"}
# Parameter variants scored besides each built-in's defaults.
VARIANTS = {"language_consistency of <think>": ("language_consistency", {"tag": "think"})}


@lru_cache(maxsize=None)
def builtin_rewards() -> dict[str, tuple[str, dict[str, Any]]]:
    """key -> (name, params): every model-free built-in of the registry's catalogue with its
    defaults, plus :data:`VARIANTS`."""
    from rewardkit.registry import Registry

    registry = Registry(autoload=False)
    names = sorted(
        name for name, entry in registry.catalogue("reward").items()
        if entry.provider.startswith("rewardkit.") and name not in ELSEWHERE
    )  # fmt: skip
    return {name: (name, {}) for name in names} | VARIANTS


GROWTH = 4  # the larger input is this many times the smaller
MAX_RATIO = 8  # linear work grows GROWTH times; quadratic GROWTH**2 times
FLOOR = 0.002  # seconds: calls faster than this are timer noise


def hostile(fragment: str, chars: int) -> str:
    """``fragment`` repeated to about ``chars`` characters."""
    return fragment * max(1, chars // len(fragment))


@lru_cache(maxsize=None)
def reward(key: str):
    from rewardkit.registry import Registry

    name, params = builtin_rewards()[key]
    return Registry(autoload=False).reward(name, params)


def score(key: str, text: str) -> list[Any]:
    """Score ``text`` with the reward ``key`` of :func:`builtin_rewards` (given every column)."""
    columns = {k: [v] for k, v in COLUMN_VALUES.items()}
    return reward(key)([text], **columns)


def cpu_seconds(fn: Callable[[], Any], repeat: int = 3) -> float:
    """The least CPU time of this process over ``repeat`` calls of ``fn`` (garbage collection off)."""
    best = float("inf")
    enabled = gc.isenabled()
    gc.disable()
    try:
        for _ in range(repeat):
            start = time.process_time()
            fn()
            best = min(best, time.process_time() - start)
    finally:
        if enabled:
            gc.enable()
    return best


def growth(key: str, fragment: str, chars: int) -> tuple[float, float, float]:
    """CPU seconds for ``chars`` and ``GROWTH * chars`` of the fragment, and their ratio (floored)."""
    small = cpu_seconds(lambda: score(key, hostile(fragment, chars)))
    large = cpu_seconds(lambda: score(key, hostile(fragment, GROWTH * chars)))
    return small, large, large / max(small, FLOOR)
