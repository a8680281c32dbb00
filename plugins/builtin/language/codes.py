"""Language codes: ISO 639-1 with an optional region, compared the way the reward needs."""

from __future__ import annotations


def normalize_code(code: str) -> str:
    """``zh_CN`` -> ``zh-cn``; ``EN`` -> ``en``."""
    return code.strip().lower().replace("_", "-")


def code_matches(detected: str, target: str) -> bool:
    """Whether a detected code counts as the target.

    A target with a region (``zh-tw``) needs that exact code; a bare target (``zh``) matches every
    region of its language (``zh-cn``, ``zh-tw``).
    """
    detected, target = normalize_code(detected), normalize_code(target)
    if "-" in target:
        return detected == target
    return detected.split("-", 1)[0] == target


def primary_code(code: str) -> str:
    """``zh-cn`` -> ``zh``."""
    return normalize_code(code).split("-", 1)[0]
