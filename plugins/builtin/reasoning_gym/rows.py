"""A row's reasoning-gym item as the reward reads it: its task, its metadata and the generator settings to score it with.

reasoning-gym yields items ``{"question", "answer", "metadata"}``; ``metadata["source_dataset"]``
names the task (its family, such as ``countdown``), and the task's ``score_answer`` reads the
item's ``answer`` and ``metadata``. The ``metadata`` column may hold the dict itself or its
JSON text (:func:`metadata_text`): JSON text is what survives every way rows travel (an HF ``datasets`` column of
mixed tasks would otherwise merge every task's keys into one struct, padding the others with
None; JSONL, HTTP and verl's ``extra_info`` carry text as it is).

JSON has no tuples. A few verifiers compare the answer they parse, a tuple, with metadata that
reasoning-gym built as tuples (``arc_agi`` and ``rearc`` compare grids as tuples of tuples);
after a round trip through JSON those are lists and no answer would ever be equal.
:func:`item_metadata` turns them back into tuples (:data:`TUPLE_KEYS`; the bench checks every
family's oracle answers after such a round trip).

Some verifiers read their task's generator settings (``puzzle24``'s ``min_value``/``max_value``,
``decimal_arithmetic``'s ``max_num_decimal_places``, ``time_intervals``' tolerances,
``polynomial_equations``' penalties, ``arc_agi``'s board format), so an item generated with
other settings than the defaults must be scored by a verifier built with them. Rows that
rewardkit builds carry those settings in ``metadata["rewardkit_config"]`` (only the keys that
differ from the task's defaults); rows from elsewhere get the reward's ``configs`` parameter,
else the defaults.
"""

from __future__ import annotations

import json
from typing import Any, Mapping

TASK_KEY = "source_dataset"
CONFIG_KEY = "rewardkit_config"
# Generator settings that do not change how an answer is scored (left out of a scorer's key).
UNSCORED_SETTINGS = ("seed", "size")
# task -> metadata keys whose nested lists reasoning-gym made as tuples, and its verifier compares as such.
TUPLE_KEYS = {"arc_agi": ("input", "output"), "rearc": ("input", "output")}


def metadata_text(metadata: Mapping[str, Any]) -> str:
    """An item's metadata as the JSON text a row carries; a value JSON has no form for (``gsm_symbolic``
    keeps Fractions its verifier never reads) is written as its text."""
    return json.dumps(metadata, default=str)


class UnreadableMetadata(ValueError):
    """A row's metadata is neither a JSON object nor its text, or names no task."""


def _json_object(value: Any, what: str) -> dict[str, Any]:
    """``value`` itself when it is a mapping, or the JSON object its text holds."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except (ValueError, RecursionError) as exc:
            raise UnreadableMetadata(f"{what} is text but not JSON: {exc}") from None
    if not isinstance(value, Mapping):
        raise UnreadableMetadata(f"{what} is {type(value).__name__}, not a JSON object or its text")
    return dict(value)


def parse_metadata(value: Any) -> dict[str, Any]:
    """The row's metadata as a dict (``value`` itself or the JSON object its text holds)."""
    metadata = _json_object(value, "metadata")
    task = metadata.get(TASK_KEY)
    if not isinstance(task, str) or not task:
        raise UnreadableMetadata(f"metadata has no '{TASK_KEY}' naming the reasoning-gym task")
    return metadata


def parse_item(value: Any) -> dict[str, Any]:
    """A whole item in one value (``item_column``): ``{"answer": ..., "metadata": ...}`` or its JSON text."""
    item = _json_object(value, "the item")
    if "metadata" not in item:
        raise UnreadableMetadata('the item has no "metadata" (expected {"answer": ..., "metadata": {...}})')
    return item


def item_text(item: Mapping[str, Any]) -> str:
    """An item's answer and metadata as one JSON text (a label for trainers that take one per sample)."""
    return json.dumps({"answer": item["answer"], "metadata": item["metadata"]}, default=str)


def _tuples(value: Any) -> Any:
    return tuple(_tuples(v) for v in value) if isinstance(value, (list, tuple)) else value


def item_metadata(metadata: dict[str, Any]) -> dict[str, Any]:
    """The metadata as reasoning-gym made it: without rewardkit's settings key, tuples where JSON made lists."""
    item = {k: v for k, v in metadata.items() if k != CONFIG_KEY}
    for key in TUPLE_KEYS.get(item[TASK_KEY], ()):
        if key in item:
            item[key] = _tuples(item[key])
    return item


def settings_key(metadata: dict[str, Any], configs: Mapping[str, Mapping[str, Any]]) -> str:
    """The generator settings to build the task's verifier with, as canonical JSON (the scorer cache key):
    the row's own (``rewardkit_config``), else the reward's ``configs`` for the task, else none (defaults)."""
    own = metadata.get(CONFIG_KEY)
    settings = own if isinstance(own, Mapping) else configs.get(metadata[TASK_KEY], {})
    kept = {k: v for k, v in settings.items() if k not in UNSCORED_SETTINGS}
    return json.dumps(kept, sort_keys=True, default=str)
