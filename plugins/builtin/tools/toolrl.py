"""The ``toolrl`` reward: ToolRL's format and tool-call correctness reward, as verl ships it (``rlla.py``).

ToolRL (Qian et al. 2025, "ToolRL: Reward is All Tool Learning Needs") answers in
``<think>...</think>`` then ``<tool_call>`` (one JSON call per line) and/or ``<response>``; its
ground truth is such a text too. The format reward (0..1) asks for the layout the ground truth
has; the correctness reward (-3..3) compares the first ``<tool_call>`` block's calls with the
ground truth's: names by multiset overlap, then each expected call's parameter names (overlap)
and values (exact equality) against its best unused call of the same name, scaled to the range.
Scores equal verl's ``compute_score`` to 1e-9 on generated cases (tests/test_tools_toolrl.py),
with two differences of purpose: rewardkit gets the completion already cut from the chat
template (verl cuts it by the experiment's name), and a ground truth that cannot be read makes the
row unscorable (None) where verl raises. verl's patterns are checked after the tag counts they are
paired with, which gives the same verdict in linear time.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from typing import Any, Literal

from pydantic import Field

from rewardkit.reward import Batch, Reward, RewardParams

_DOTALL = re.DOTALL
RESPONSE_LAYOUT = re.compile(r"^<think>.*?</think>\n<response>.*?</response>$", _DOTALL)
CALL_LAYOUT = re.compile(r"^<think>.*?</think>\n<tool_call>\n.*?\n</tool_call>$", _DOTALL)
BOTH_LAYOUT = re.compile(r"^<think>.*?</think>\n<tool_call>\n.*?\n</tool_call>\n<response>.*?</response>$", _DOTALL)
THINK_LAYOUT = re.compile(r"^<think>.*?</think>$", _DOTALL)


class ToolRLParams(RewardParams):
    part: Literal["both", "format", "correctness"] = Field(
        "both", description="the sum of both rewards (verl's score), or one of them"
    )
    answer_column: str = Field("answer", description="column of the ground truth, in ToolRL's text format")
    format_max: float = Field(1.0, description="format reward when the layout is right")
    format_min: float = Field(0.0, description="format reward otherwise")
    correctness_max: float = Field(3.0, description="correctness reward of exactly the expected calls")
    correctness_min: float = Field(-3.0, description="correctness reward of no or unreadable calls")


class ToolRL(Reward):
    """ToolRL's reward (verl's ``rlla.compute_score``): format (0..1) plus call correctness (-3..3).

    Reported per sample: ``format_reward`` and ``accuracy_reward`` (verl's names). A ground truth
    that is not text, or whose calls are not JSON: None, counted as ``bad_answer``.

    >>> answer = '<tool_call>\\n{"name": "f", "parameters": {"x": 1}}\\n</tool_call>'
    >>> ToolRL()(['<think>ok</think>\\n' + answer], answer=[answer])
    [4.0]
    """

    name = "toolrl"
    description = "ToolRL's format (0..1) plus tool-call correctness (-3..3) reward, as verl's rlla.py"
    Params = ToolRLParams

    def required_columns(self) -> tuple[str, ...]:
        return (self.params.answer_column,)

    def error_value(self) -> float | None:
        if self.on_error is not None:
            return super().error_value()
        p: ToolRLParams = self.params  # type: ignore[assignment]
        worst = {"format": p.format_min, "correctness": p.correctness_min}
        return worst.get(p.part, p.format_min + p.correctness_min)

    def score_batch(self, batch: Batch) -> list[float | None]:
        return [self.guarded(batch, i, self._score_one, batch, i) for i in range(len(batch))]

    def _score_one(self, batch: Batch, i: int) -> float | None:
        p: ToolRLParams = self.params  # type: ignore[assignment]
        sample = batch.samples[i]
        answer = sample.row.get(p.answer_column)
        if not isinstance(answer, str):
            batch.count("bad_answer")
            return None
        response = sample.completion.strip()  # verl strips the response it cuts from the chat template
        try:
            expected = _expected_calls(answer)
        except (ValueError, RecursionError):
            batch.count("bad_answer")
            return None
        format_reward = p.format_max if layout_ok(response, answer) else p.format_min
        accuracy_reward = 0.0 if expected is None else _correctness(response, expected, p.correctness_max, p.correctness_min)
        batch.note("format_reward", i, format_reward)
        batch.note("accuracy_reward", i, accuracy_reward)
        return {"format": format_reward, "correctness": accuracy_reward}.get(p.part, format_reward + accuracy_reward)


def layout_ok(response: str, answer: str) -> bool:
    """ToolRL's format check: the response has the layout of the answer (think, then call and/or response)."""
    wants_response, wants_call = "<response>" in answer, "<tool_call>" in answer
    if wants_response and not wants_call:
        return _once(response, "<response>", "</response>") and bool(RESPONSE_LAYOUT.search(response))
    if wants_call and not wants_response:
        return _once(response, "<tool_call>", "</tool_call>") and bool(CALL_LAYOUT.search(response))
    if wants_call and wants_response:
        tags = ("<tool_call>", "</tool_call>", "<response>", "</response>")
        return _once(response, *tags) and bool(BOTH_LAYOUT.search(response))
    return bool(THINK_LAYOUT.search(response))


def _once(text: str, *tags: str) -> bool:
    """Each tag occurs exactly once (checked before the pattern, which is then linear)."""
    return all(text.count(tag) == 1 for tag in tags)


def _block_lines(text: str) -> list[str]:
    """The lines of the first ``<tool_call>`` block, as ToolRL cuts them."""
    return text.split("<tool_call>")[1].split("</tool_call>")[0].strip().split("\n")


def _expected_calls(answer: str) -> list[Any] | None:
    """The ground truth's calls (None: it expects none); a line that is not JSON raises ValueError."""
    if "<tool_call>" not in answer:
        return None
    return [json.loads(line) for line in _block_lines(answer)]


def _correctness(response: str, expected: list[Any], best: float, worst: float) -> float:
    """ToolRL's correctness reward: ``worst`` for a missing or unreadable block, else the scaled match."""
    try:
        if "<tool_call>" not in response or "</tool_call>" not in response:
            return worst
        made = [json.loads(line) for line in _block_lines(response)]
        return _call_reward(expected, made, best, worst)
    except Exception:  # noqa: BLE001 - ToolRL gives any unreadable call (not JSON, no name, ...) the lowest score
        return worst


def overlap(first: list[Any], second: list[Any]) -> float:
    """ToolRL's similarity of two lists as multisets: shared items over the items of either (1.0 if equal)."""
    if first == second:
        return 1.0
    if not first or not second:
        return 0.0
    a, b = Counter(first), Counter(second)
    shared = sum(min(a[k], b[k]) for k in a.keys() & b.keys())
    union = len(first) + len(second) - shared
    return shared / union if union > 0 else 0.0


def _call_reward(expected: list[Any], made: list[Any], best: float, worst: float) -> float:
    if expected == made:
        return best
    score = overlap([call["name"] for call in expected], [call["name"] for call in made])
    possible = 1.0
    used: set[int] = set()
    for want in expected:
        params = want["parameters"]
        possible += 1.0 + len(params)
        best_index, best_score = -1, 0.0
        for j, call in enumerate(made):
            if j in used or call["name"] != want["name"]:
                continue
            given = call["parameters"]
            total = overlap(list(params.keys()), list(given.keys()))
            total += sum(1.0 for k, v in params.items() if k in given and given[k] == v)
            if total > best_score:
                best_index, best_score = j, total
        if best_index >= 0 and made[best_index]:
            used.add(best_index)
            score += best_score
    return (best - worst) * score / possible + worst
