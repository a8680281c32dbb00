"""Parameters every tool-call reward takes: how calls are read, and where the row's schemas are."""

from __future__ import annotations

from typing import Any, Collection, Mapping

from pydantic import Field

from rewardkit.reward import RewardParams

from .calls import ReadOptions
from .schemas import FunctionSpec, read_tools


class CallReading(RewardParams):
    repair: bool = Field(
        False, description="repair JSON that does not parse with the json-repair library ([tools] extra)"
    )
    repair_max_chars: int = Field(100_000, ge=1, description="longer JSON is not repaired (stays unparseable)")
    max_depth: int = Field(32, ge=1, description="arguments nested deeper than this are unparseable")
    max_calls: int = Field(256, ge=1, description="a completion with more calls than this is scored as extra calls")

    def read_options(self) -> ReadOptions:
        return ReadOptions(repair=self.repair, repair_max_chars=self.repair_max_chars, max_depth=self.max_depth)


class ToolSchemas(CallReading):
    tools_column: str = Field("tools", description="column of the row's function schemas (OpenAI/TRL, Responses or BFCL)")
    tools: list[dict[str, Any]] | None = Field(
        None, description="function schemas for rows without a tools column (the tools= of a TRL run)"
    )

    def specs(self, row: Mapping[str, Any], only: Collection[str] | None = None) -> dict[str, FunctionSpec]:
        """The row's declared functions (``only`` those names): its tools column, else the
        ``tools`` parameter, else none."""
        value = row.get(self.tools_column)
        if value is None:
            value = self.tools or []
        return read_tools(value, only)
