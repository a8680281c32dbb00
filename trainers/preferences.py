"""Preference pairs: plain pairs, conversational chats, Anthropic HH dialogues, from rows or JSONL; held-out splits.

Shared by both kinds of training: reward-model training learns from the pairs, and a policy run
on a preference dataset without prompts trains on the turns each pair's two chats share.
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path
from typing import Any, Literal, Mapping

from pydantic import Field

from rewardkit.errors import ConfigError
from rewardkit.jsonl import iter_jsonl

from .run_config import Strict

_HH_TURN = re.compile(r"\n\n(Human|Assistant):")
_HH_ROLES = {"Human": "user", "Assistant": "assistant"}


class PairColumns(Strict):
    """How a row holds its pair: the format and the columns (the rm-train config's ``data:`` extends it)."""

    format: Literal["auto", "pairs", "hh", "conversational"] = Field("auto", description="see to_pair")
    prompt_key: str = Field("prompt", description="column of the prompt (pairs format)")
    chosen_key: str = Field("chosen", description="column of the preferred response")
    rejected_key: str = Field("rejected", description="column of the other response")


def parse_hh(text: str) -> list[dict[str, str]]:
    """``"\\n\\nHuman: hi\\n\\nAssistant: hello"`` -> user/assistant messages."""
    parts = _HH_TURN.split(text)
    if parts[0].strip():
        raise ValueError(f"HH dialogue does not start with '\\n\\nHuman:': {text[:60]!r}")
    return [{"role": _HH_ROLES[role], "content": content.strip()} for role, content in zip(parts[1::2], parts[2::2])]


def split_shared_prefix(chosen: list[dict], rejected: list[dict]) -> dict[str, Any] | None:
    """Prompt (the shared first turns) and the two differing continuations; None when unusable.

    Unusable: identical chats, or continuations that do not start with an assistant turn.
    """
    k = 0
    while k < min(len(chosen), len(rejected)) and chosen[k] == rejected[k]:
        k += 1
    # the continuations start at the first differing assistant turn
    while k > 0 and (k >= len(chosen) or chosen[k].get("role") != "assistant"):
        k -= 1
    if k == 0 and chosen and chosen[0].get("role") != "assistant":
        return None
    rest_c, rest_r = chosen[k:], rejected[k:]
    if not rest_c or not rest_r or rest_c == rest_r or rest_r[0].get("role") != "assistant":
        return None
    return {"prompt": chosen[:k] or None, "chosen": rest_c, "rejected": rest_r}


def _detect_format(row: Mapping[str, Any], spec: PairColumns) -> str:
    if spec.format != "auto":
        return spec.format
    chosen = row.get(spec.chosen_key)
    if spec.prompt_key in row:
        return "pairs"
    if isinstance(chosen, str) and chosen.startswith("\n\nHuman:"):
        return "hh"
    if isinstance(chosen, list):
        return "conversational"
    return "pairs"


def to_pair(row: Mapping[str, Any], spec: PairColumns | None = None) -> dict[str, Any] | None:
    """One row as ``{prompt, chosen, rejected}``; None when the row has no preference signal.

    Formats: ``pairs`` (a prompt and two responses, each text or chat messages), ``conversational``
    (two whole chats; the turns they share become the prompt), ``hh`` (Anthropic HH-RLHF dialogues,
    ``"\\n\\nHuman: …\\n\\nAssistant: …"``, parsed into chat turns and split the same way); ``auto``
    tells them apart by the row; ``spec`` None: ``auto`` with the default columns. Raises
    ValueError (or TypeError, AttributeError) on a row it cannot read.
    """
    spec = spec or PairColumns()
    fmt = _detect_format(row, spec)
    for key in (spec.chosen_key, spec.rejected_key):
        if key not in row:
            raise ValueError(f"missing '{key}' (keys: {', '.join(sorted(row))})")
    chosen, rejected = row[spec.chosen_key], row[spec.rejected_key]
    if fmt == "hh":
        return split_shared_prefix(parse_hh(chosen), parse_hh(rejected))
    if fmt == "conversational":
        return split_shared_prefix(list(chosen), list(rejected))
    if chosen == rejected:
        return None
    return {"prompt": row.get(spec.prompt_key), "chosen": chosen, "rejected": rejected}


def load_pairs(path: str, spec: PairColumns, limit: int | None = None) -> tuple[list[dict[str, Any]], int]:
    """Usable pairs of a JSONL file (the first ``limit``) and how many rows were skipped as unusable."""
    if not Path(path).is_file():
        raise ConfigError(f"preference data '{path}' does not exist (relative paths resolve against the YAML's folder)")
    pairs: list[dict[str, Any]] = []
    skipped = 0
    for lineno, row in iter_jsonl(path):
        try:
            pair = to_pair(row, spec)
        except (ValueError, TypeError, AttributeError) as exc:
            raise ConfigError(f"{path}:{lineno}: {exc}") from None
        if pair is None:
            skipped += 1
            continue
        pairs.append(pair)
        if limit is not None and len(pairs) >= limit:
            break
    if not pairs:
        raise ConfigError(f"{path}: no usable preference pairs")
    return pairs, skipped


def conversation_key(pair: Mapping[str, Any]) -> str:
    """What pairs from one conversation share: the prompt's opening turn (the pair itself when it has no prompt)."""
    prompt = pair.get("prompt")
    if isinstance(prompt, list) and prompt:
        return json.dumps(prompt[0], sort_keys=True, default=str)
    if prompt:
        return json.dumps(prompt, default=str)
    return json.dumps([pair.get("chosen"), pair.get("rejected")], sort_keys=True, default=str)


def split_pairs(pairs: list[dict], fraction: float, seed: int) -> tuple[list[dict], list[dict]]:
    """A seeded held-out split by conversation: about ``fraction`` of the pairs, whole conversations at a time.

    Pairs that open with the same turn (several continuations of one HH-RLHF conversation, several
    responses to one prompt) all land on one side, so the held-out accuracy is never measured on a
    conversation the model was trained on. Each side gets at least one conversation.
    """
    groups: dict[str, list[int]] = {}
    for i, pair in enumerate(pairs):
        groups.setdefault(conversation_key(pair), []).append(i)
    if len(groups) < 2:
        raise ConfigError("every pair opens with the same turn, so no held-out split is disjoint: give data.eval_path")
    keys = list(groups)
    random.Random(seed).shuffle(keys)
    target = max(1, round(len(pairs) * fraction))
    held: set[int] = set()
    for key in keys[:-1]:  # the last conversation always trains
        if len(held) >= target:
            break
        held.update(groups[key])
    return [p for i, p in enumerate(pairs) if i not in held], [p for i, p in enumerate(pairs) if i in held]
