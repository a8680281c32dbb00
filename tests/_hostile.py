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
    "abbreviations": "Mr. ",  # one endless sentence for Punkt (ifeval's sentence count)
    "initials": "A. B. ",
    "periods": ".",
    "spaced periods": ". ",
    "hyphens": "-",
    "tool_call tags never closed": "<tool_call>",
    "tool_call blocks of broken JSON": '<tool_call>{"name": "f", "arguments": {"a": [</tool_call>',
    "call objects run together": '{"name": "f", "arguments": {"a": 1}}, ',
    "JSON list openings": '[{"',
    "ToolRL's think then response": "</think>\n<response>",
    "ToolRL's think then call": "</think>\n<tool_call>\n",
}

# Every IFEval instruction with valid arguments: ifeval runs all its checks on every text.
IFEVAL_INSTRUCTIONS = {
    "keywords:existence": {"keywords": ["cat", "mat"]},
    "keywords:frequency": {"keyword": "the", "frequency": 3, "relation": "at least"},
    "keywords:forbidden_words": {"forbidden_words": ["dog"]},
    "keywords:letter_frequency": {"letter": "a", "let_frequency": 5, "let_relation": "less than"},
    "language:response_language": {"language": "en"},
    "length_constraints:number_sentences": {"num_sentences": 4, "relation": "at least"},
    "length_constraints:number_paragraphs": {"num_paragraphs": 3},
    "length_constraints:number_words": {"num_words": 100, "relation": "less than"},
    "length_constraints:nth_paragraph_first_word": {"num_paragraphs": 2, "nth_paragraph": 2, "first_word": "the"},
    "detectable_content:number_placeholders": {"num_placeholders": 2},
    "detectable_content:postscript": {"postscript_marker": "P.S."},
    "detectable_format:number_bullet_lists": {"num_bullets": 3},
    "detectable_format:constrained_response": {},
    "detectable_format:number_highlighted_sections": {"num_highlights": 2},
    "detectable_format:multiple_sections": {"section_spliter": "Section", "num_sections": 2},
    "detectable_format:json_format": {},
    "detectable_format:title": {},
    "combination:two_responses": {},
    "combination:repeat_prompt": {"prompt_to_repeat": "Repeat this."},
    "startend:end_checker": {"end_phrase": "Any other questions?"},
    "change_case:capital_word_frequency": {"capital_frequency": 2, "capital_relation": "at least"},
    "change_case:english_capital": {},
    "change_case:english_lowercase": {},
    "punctuation:no_comma": {},
    "startend:quotation": {},
}
# A valid value for each dataset column a built-in may need; every reward gets them all.
COLUMN_VALUES = {
    "answer": "#### 42",
    "solution": "The answer is $\\boxed{42}$.",
    "instruction_id_list": list(IFEVAL_INSTRUCTIONS),
    "kwargs": list(IFEVAL_INSTRUCTIONS.values()),
    "ground_truth": [{"f": {"a": [1], "b": ["x", ""]}}],
    "tools": [{"type": "function", "function": {"name": "f", "parameters": {
        "type": "object", "properties": {"a": {"type": "integer"}, "b": {"type": "string"}}, "required": ["a"]}}}],
    "metadata": '{"source_dataset": "basic_arithmetic", "source_index": 0}',
}
# Built-ins that need a model directory or a server (tests/test_rm_*.py and tests/test_judge*.py bound
# them), or that run the completion's program, whose time is the program's (their text handling,
# fenced blocks, is code_format's, which is checked here; tests/test_code_*.py bound the programs).
ELSEWHERE = {"rm_score", "rm_remote", "code_pass_rate", "code_passed", "judge_score", "judge_verdict", "rubric", "judge_rank"}
# Parameter variants scored besides each built-in's defaults.
# ifeval checks a completion longer than pool_chars in a worker process: here every one is checked in
# this process, so that its time is measured.
VARIANTS = {
    "language_consistency of <think>": ("language_consistency", {"tag": "think"}),
    "xml_count as the notebook": ("xml_count", {"trailing": "notebook"}),
    "soft_format as the notebook": ("soft_format", {"pattern": "notebook"}),
    "strict_format as the notebook": ("strict_format", {"pattern": "notebook"}),
    "int_answer as the notebook": ("int_answer", {"extractors": ["xml_answer"], "tidy": False, "digits_only": True}),
    "math_correctness as text": ("math_correctness", {"extractors": ["xml_answer"], "tidy": False, "compare": "text"}),
    "ifeval": ("ifeval", {"pool_chars": 1 << 40}),
    "ifeval loose": ("ifeval", {"mode": "loose", "pool_chars": 1 << 40}),
    "tool_call_match fractional, repairing JSON": ("tool_call_match", {"mode": "fractional", "repair": True}),
    "tool_call_format repairing JSON": ("tool_call_format", {"repair": True}),
}


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


# -- alias bombs -----------------------------------------------------------------------------------
# A YAML anchor named once and repeated ``width`` times per level: ``levels`` levels stand for
# width**levels values in a file of a few hundred bytes ("billion laughs"). PyYAML builds it with
# the copies shared; whatever walks it (a repr, a JSON dump, a validator) walks every copy.


def alias_bomb_yaml(levels: int, width: int = 9) -> list[str]:
    """YAML lines defining anchors ``b0`` .. ``b<levels>`` under a ``description`` key; ``*b<levels>``
    then stands for width**levels copies of ``lol``."""
    lines = ["description:", "  - &b0 [lol]"]
    for level in range(1, levels + 1):
        lines.append(f"  - &b{level} [{', '.join([f'*b{level - 1}'] * width)}]")
    return lines


def alias_bomb_composition(levels: int, key: str, width: int = 9) -> str:
    """A composition (extending gsm8k) whose ``key`` (weights, on_error, normalize, params, name,
    remove or description) is the bomb."""
    bomb = f"*b{levels}"
    body = {
        "weights": f"weights: {{xml_count: {bomb}}}",
        "on_error": f"rewards: [{{name: xml_count, on_error: {bomb}}}]",
        "normalize": f"rewards: [{{name: xml_count, normalize: {bomb}}}]",
        "params": f"rewards: [{{name: length_target, params: {{ideal: {bomb}}}}}]",
        "name": f"rewards: [{{name: {bomb}}}]",
        "remove": f"remove: {bomb}",
        "description": "",
    }[key]
    return "\n".join(["extends: gsm8k", *alias_bomb_yaml(levels, width), body]) + "\n"


class CountingList(list):
    """A list that counts how often anything iterates over it (the work of walking a shared bomb)."""

    walks = 0

    def __iter__(self):
        CountingList.walks += 1
        return super().__iter__()


def shared_bomb(levels: int, width: int = 9) -> CountingList:
    """The Python form of an alias bomb: one list referenced ``width`` times per level."""
    bomb = CountingList(["lol"])
    for _ in range(levels):
        bomb = CountingList([bomb] * width)
    return bomb


# -- answers that run to the time limit ------------------------------------------------------------


def power_towers(n: int, start: int = 3) -> list[str]:
    """``n`` distinct completions whose answer (``k^{k^{k^{k^k}}}``) runs past any time limit in
    sympy's big-integer C code: each holds a verification worker until it is killed."""
    return [f"\\boxed{{{k}^{{{k}^{{{k}^{{{k}^{k}}}}}}}}}" for k in range(start, start + n)]


# -- programs that attack the code harness -------------------------------------------------------
# Each defines a wrong ``add(a, b)`` (it should return a + b) and tries to make the tests pass
# anyway, by attacking what judges it rather than by computing. name -> (program, what the
# sample's ``harness_attack`` detail then says, or None where the attempt is not a harness attack,
# whether it may run only in a sandbox: it signals or reads other processes of its user).
WRONG_ADD = "def add(a, b):\n    return 0\n"
HARNESS_ATTACKS = {
    "builtins.exec replaced": ("import builtins\nbuiltins.exec = lambda *a, **k: None\n" + WRONG_ADD, "builtins.exec", False),
    "builtins.compile replaced": (
        "import builtins\n_c = builtins.compile\nbuiltins.compile = lambda s, *a, **k: _c('pass', *a, **k)\n" + WRONG_ADD,
        "builtins.compile", False,
    ),
    "json.dumps patched": ("import json\njson.dumps = lambda *a, **k: '{\"ok\": true}'\n" + WRONG_ADD, "json.dumps", False),
    "json encoder patched": (
        "import json\njson.JSONEncoder.encode = lambda self, o: '{\"ok\": true, \"status\": \"passed\"}'\n" + WRONG_ADD,
        "reply channel", False,
    ),
    "success written on every descriptor": (
        "import os\nfor fd in range(0, 64):\n    for reply in (b'{\"ok\": true}\\n', b'{\"id\": 1, \"ok\": true}\\n', b'{\"status\": \"passed\"}\\n'):\n"
        "        try:\n            os.write(fd, reply * 8)\n        except OSError:\n            pass\n" + WRONG_ADD,
        "reply channel", False,
    ),
    "__eq__ that always says yes": (
        "class Yes:\n    def __eq__(self, other):\n        return True\n    __hash__ = object.__hash__\n"
        "def add(a, b):\n    return Yes()\n",
        "overrides __eq__", False,
    ),
    "int subclass whose __eq__ says yes": (
        "class Yes(int):\n    def __eq__(self, other):\n        return True\n    def __lt__(self, other):\n        return True\n"
        "    __hash__ = int.__hash__\ndef add(a, b):\n    return Yes(0)\n",
        "overrides __eq__", False,
    ),
    "exits inside the function": ("import os\ndef add(a, b):\n    os._exit(0)\n", "exited (status 0)", False),
    "raises SystemExit inside the function": ("import sys\ndef add(a, b):\n    sys.exit(0)\n", "SystemExit", False),
    "a verdict printed on stdout and stderr": (
        "import sys\nprint('{\"status\": \"passed\"}')\nsys.stderr.write('{\"status\": \"passed\"}\\n')\n" + WRONG_ADD, None, False,
    ),
    "searches memory for the expected values": (
        "import gc\ndef add(a, b):\n    for o in gc.get_objects():\n        if isinstance(o, dict) and 'output' in o:\n"
        "            return o['output']\n    return 0\n",
        None, False,
    ),
    "kills every other process": (
        "import os, signal\nfor pid in range(2, 400):\n    if pid != os.getpid():\n        try:\n"
        "            os.kill(pid, signal.SIGKILL)\n        except OSError:\n            pass\n" + WRONG_ADD,
        "killed the", True,
    ),
    "stops every other process": (
        "import os, signal\nfor pid in range(2, 400):\n    if pid != os.getpid():\n        try:\n"
        "            os.kill(pid, signal.SIGSTOP)\n        except OSError:\n            pass\n" + WRONG_ADD,
        "stopped the", True,
    ),
    "writes a verdict on every process's descriptors": (
        "import os\nfor pid in os.listdir('/proc'):\n    if not pid.isdigit():\n        continue\n"
        "    try:\n        fds = os.listdir(f'/proc/{pid}/fd')\n    except OSError:\n        continue\n"
        "    for fd in fds:\n        try:\n            f = os.open(f'/proc/{pid}/fd/{fd}', os.O_WRONLY | os.O_NONBLOCK)\n"
        "            os.write(f, b'{\"status\": \"passed\"}\\n{\"ok\": true}\\n')\n        except OSError:\n            pass\n" + WRONG_ADD,
        None, True,
    ),
}
RIGHT_ADD = "def add(a, b):\n    return a + b\n"
# The same tests of add() in the formats the datasets use: column -> value.
ADD_TESTS = {
    "humaneval": {"test": "def check(candidate):\n    assert candidate(2, 3) == 5\n    assert candidate(1, 1) == 2\n", "entry_point": "add"},
    "humaneval with tolerances": {
        "test": "import math\n\ndef check(candidate):\n    assert abs(candidate(2, 3) - 5) < 1e-6\n    assert math.isclose(candidate(1, 1), 2)\n",
        "entry_point": "add",
    },
    "mbpp": {"test_list": ["assert add(2, 3) == 5", "assert add(1, 1) == 2"]},
    "call": {"input_output": {"fn_name": "add", "inputs": [[2, 3], [1, 1]], "outputs": [5, 2]}},
}
