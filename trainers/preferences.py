"""Preference pairs from JSONL: plain pairs, conversational chats, Anthropic HH dialogues; held-out splits."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path
from typing import Any, Mapping

from rewardkit.errors import ConfigError
from rewardkit.jsonl import iter_jsonl

from .rm_config import DataSpec

_HH_TURN = re.compile(r"\n\n(Human|Assistant):")
_HH_ROLES = {"Human": "user", "Assistant": "assistant"}


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


def _detect_format(row: Mapping[str, Any], spec: DataSpec) -> str:
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


def to_pair(row: Mapping[str, Any], spec: DataSpec) -> dict[str, Any] | None:
    """One JSONL row as ``{prompt, chosen, rejected}``; None when the row has no preference signal."""
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


def load_pairs(path: str, spec: DataSpec, limit: int | None = None) -> tuple[list[dict[str, Any]], int]:
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
