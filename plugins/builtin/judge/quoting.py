"""The completion is data, not instructions: quoting text inside a judge prompt, and reading past echoes.

Every piece of model or dataset text is quoted between an opening and a closing tag that carry a
nonce derived from the text itself (``<response id="3fa9c1d2e4b7">`` … ``</response
id="3fa9c1d2e4b7">``). A text cannot close its own quote: to do so it would have to contain the
hash of itself. When a judge echoes a quoted block back in its reply, :func:`blank_quotes` blanks
it (and everything after an opening tag that is never closed, and everything before a closing tag
whose opening was cut off), so a "Score: 10" written inside a completion is never read as the
judge's score. Blanking keeps every other character at its place, so positions in the reply still
line up with its tokens (for log-probabilities).
"""

from __future__ import annotations

import hashlib
import re
from typing import Iterable

NONCE_CHARS = 12
_TAG = re.compile(r'<(/?)([A-Za-z][\w-]*) id="([0-9a-f]{%d})">' % NONCE_CHARS)


def nonce(label: str, text: str) -> str:
    """The quote's nonce: a hash of the label and the text (deterministic, so replies can be cached)."""
    return hashlib.sha256(f"{label}\0{text}".encode("utf-8", "surrogatepass")).hexdigest()[:NONCE_CHARS]


def quote(label: str, text: str) -> tuple[str, str]:
    """``text`` between tags it cannot close; returns (the quoted block, its nonce)."""
    n = nonce(label, text)
    return f'<{label} id="{n}">\n{text}\n</{label} id="{n}">', n


def blank_quotes(reply: str, nonces: Iterable[str]) -> str:
    """``reply`` with every echoed quote (by one of ``nonces``) replaced by spaces of the same length."""
    known = set(nonces)
    chars = list(reply)
    open_at: dict[str, int] = {}  # nonce -> where its unclosed opening tag starts
    cleared_to = 0  # everything before this is already blank
    for match in _TAG.finditer(reply):
        closing, n = match.group(1) == "/", match.group(3)
        if n not in known:
            continue
        if not closing:
            open_at.setdefault(n, match.start())
            continue
        start = open_at.pop(n, cleared_to)  # a closing tag without its opening: from the last blanked point
        _blank(chars, start, match.end())
        cleared_to = max(cleared_to, match.end())
    if open_at:  # an opening tag never closed: the rest of the reply is quoted text
        _blank(chars, min(open_at.values()), len(chars))
    return "".join(chars)


def _blank(chars: list[str], start: int, end: int) -> None:
    for i in range(start, end):
        if chars[i] not in "\r\n":
            chars[i] = " "
