"""Reading a row's instructions the way IFEval-style datasets store them.

- IFEval (``google/IFEval``), NeMo Gym: ``instruction_id_list`` (a list of ids) and ``kwargs`` (one
  mapping per id; datasets libraries fill every key of every instruction, absent ones with None,
  and some rows give None for an instruction without arguments);
- open-instruct's multi-constraint ``ground_truth``: one column holding
  ``{"instruction_id": [...], "kwargs": [...]}`` (or a one-element list of it);
- either stored as a JSON string instead of a list or mapping (CSV and JSONL exports do that).
"""

from __future__ import annotations

import json
from typing import Any, Mapping

from .instructions import InstructionError, read_instruction


def _decoded(value: Any, what: str) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            raise InstructionError(f"{what} is a string but not JSON: {value[:80]!r}") from None
    return value


def row_instructions(row: Mapping[str, Any], ids_column: str, kwargs_column: str) -> list[tuple[str, dict[str, Any]]]:
    """``(instruction id, validated arguments)`` for each instruction of the row."""
    ids = _decoded(row.get(ids_column), f"column '{ids_column}'")
    if isinstance(ids, list) and len(ids) == 1 and isinstance(ids[0], Mapping):
        ids = ids[0]
    if isinstance(ids, Mapping):  # open-instruct's ground_truth
        ids, kwargs = ids.get("instruction_id"), ids.get("kwargs")
    else:
        kwargs = _decoded(row.get(kwargs_column), f"column '{kwargs_column}'")
    if not isinstance(ids, (list, tuple)) or not all(isinstance(i, str) for i in ids):
        raise InstructionError(f"column '{ids_column}' must hold a list of instruction ids, got {type(ids).__name__}")
    if kwargs is None:
        kwargs = [None] * len(ids)
    if not isinstance(kwargs, (list, tuple)) or len(kwargs) != len(ids):
        got = f"{len(kwargs)} entries" if isinstance(kwargs, (list, tuple)) else type(kwargs).__name__
        raise InstructionError(f"column '{kwargs_column}' must hold one mapping per instruction ({len(ids)}), got {got}")
    return [(i, read_instruction(i, k)) for i, k in zip(ids, kwargs)]
