"""The ``tool_use`` reward: what an agent's trajectory cost, as configurable penalties, and its counts as detail."""

from __future__ import annotations

import re
from functools import lru_cache

from pydantic import Field, field_validator

from rewardkit.reward import Batch, Reward

from .params import CallReading
from .trajectory import ERROR_PATTERN, read_trajectory

COUNTS = ("turns", "calls", "failed_calls", "repeated_calls", "unparseable_calls")


class ToolUseParams(CallReading):
    call_penalty: float = Field(0.0, ge=0, description="penalty per call")
    failed_call_penalty: float = Field(0.25, ge=0, description="penalty per tool result that reports an error")
    repeated_call_penalty: float = Field(0.25, ge=0, description="penalty per call identical to an earlier one")
    unparseable_call_penalty: float = Field(0.25, ge=0, description="penalty per call that cannot be read")
    turn_penalty: float = Field(0.0, ge=0, description="penalty per agent turn after the first")
    no_call_penalty: float = Field(0.0, ge=0, description="penalty when the trajectory makes no call at all")
    max_penalty: float = Field(1.0, gt=0, description="the penalties are capped here (the worst score is -max_penalty)")
    error_pattern: str = Field(
        ERROR_PATTERN, description="regex (case-insensitive) matched at the start of a tool result that failed"
    )

    @field_validator("error_pattern")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"not a regular expression: {exc}") from None
        return value


@lru_cache(maxsize=32)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


class ToolUse(Reward):
    """How an agent used its tools: 0 minus penalties for calls, failed calls (tool results that
    report errors), repeated identical calls, unparseable calls, extra turns and making no call,
    capped at ``max_penalty`` (so the score is in [-max_penalty, 0]). Meant beside a reward of the
    outcome (``tool_call_match``, ``math_correctness`` on the final answer), or at weight 0 as metrics.

    Reads a trajectory in any shape :mod:`.trajectory` reads. Reported per sample and counted per
    batch: ``turns``, ``calls``, ``failed_calls``, ``repeated_calls``, ``unparseable_calls``.

    >>> ToolUse()([[{"role": "assistant", "tool_calls": [{"type": "function", "function": {"name": "f", "arguments": {}}}]},
    ...             {"role": "tool", "content": "{'error': 'Tool f not found.'}"},
    ...             {"role": "assistant", "content": "Sorry."}]])
    [-0.25]
    """

    name = "tool_use"
    description = "penalties for calls, failed calls, repeated calls, unparseable calls and turns of an agent's trajectory"
    Params = ToolUseParams

    def error_value(self) -> float | None:
        return super().error_value() if self.on_error is not None else -self.params.max_penalty

    def score_batch(self, batch: Batch) -> list[float | None]:
        return [self.guarded(batch, i, self._score_one, batch, i) for i in range(len(batch))]

    def _score_one(self, batch: Batch, i: int) -> float:
        p: ToolUseParams = self.params  # type: ignore[assignment]
        sample = batch.samples[i]
        completion = sample.completion if sample.raw_completion is None else sample.raw_completion
        trajectory = read_trajectory(completion, p.read_options(), _compiled(p.error_pattern))
        counts = {name: getattr(trajectory, name) if name != "calls" else len(trajectory.calls) for name in COUNTS}
        for name, value in counts.items():
            batch.note(name, i, value)
            batch.count(name, value)
        penalty = (
            p.call_penalty * counts["calls"]
            + p.failed_call_penalty * counts["failed_calls"]
            + p.repeated_call_penalty * counts["repeated_calls"]
            + p.unparseable_call_penalty * counts["unparseable_calls"]
            + p.turn_penalty * max(0, counts["turns"] - 1)
            + (p.no_call_penalty if not trajectory.calls else 0.0)
        )
        return 0.0 - min(p.max_penalty, penalty)
