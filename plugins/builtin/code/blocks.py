"""Fenced code blocks in a completion, and open-r1's code format check.

A block opens with a line of three or more backticks followed by an optional language tag
(```` ```python ````) and closes with a line of at least as many backticks and nothing else. A
block that never closes (a generation cut at its length limit) is not a block. Fences may be
indented (models indent them inside lists). Scanning is one pass over the lines.
"""

from __future__ import annotations

import re

LANGUAGES = {
    "python": ("python", "py", "python3", "py3"),
    "cpp": ("cpp", "c++", "cc", "cxx"),
}
_OPENING = re.compile(r"(`{3,})[ \t]*([^`\s]*)[^`]*")
_ANSWER_END = re.compile(r"\n</answer>(?=\n|\Z)")


def language_of(tag: str) -> str | None:
    """The language (``python``, ``cpp``) a fence tag or dataset language name stands for."""
    tag = tag.strip().lower()
    return next((language for language, tags in LANGUAGES.items() if tag in tags), None)


def code_blocks(text: str) -> list[tuple[str, str]]:
    """Every closed fenced block of ``text`` in order, as (lower-cased tag, code)."""
    blocks: list[tuple[str, str]] = []
    fence, tag, body = "", "", []
    for line in text.splitlines(keepends=True):
        stripped = line.strip()
        if not fence:
            opening = _OPENING.fullmatch(stripped)
            if opening:
                fence, tag, body = opening.group(1), opening.group(2).lower(), []
        elif stripped.startswith(fence) and stripped == "`" * len(stripped):
            blocks.append((tag, "".join(body)))
            fence = ""
        else:
            body.append(line)
    return blocks


def extract_code(text: str, language: str, which: str = "last", untagged: bool = False) -> str | None:
    """The ``which`` (``last`` or ``first``) block tagged as ``language`` (with ``untagged``, a block
    without a tag counts too); None when there is none."""
    tags = LANGUAGES.get(language, (language,))
    found = [code for tag, code in code_blocks(text) if tag in tags or (untagged and not tag)]
    if not found:
        return None
    return found[-1] if which == "last" else found[0]


def has_code_format(text: str, language: str) -> bool:
    """open-r1's ``code_format_reward`` verdict: the completion is ``<think>\\n...\\n</think>\\n<answer>\\n``
    then, inside the answer, a fence opening with ```` ```{language} ```` and a later ```` ``` ````,
    then ``\\n</answer>`` at the end of a line. (open-r1 writes it as one anchored regular expression
    with DOTALL and MULTILINE; each piece is searched here once, earliest first, which gives the same
    verdict in linear time.)"""
    if not text.startswith("<think>\n"):
        return False
    position = text.find("\n</think>\n<answer>\n", len("<think>\n"))
    if position < 0:
        return False
    position += len("\n</think>\n<answer>\n")
    for piece in (f"```{language}", "```"):
        found = text.find(piece, position)
        if found < 0:
            return False
        position = found + len(piece)
    return _ANSWER_END.search(text, position) is not None
