"""The completion is data, not instructions: quoting text inside a judge prompt, and reading past echoes.

Every piece of model or dataset text is quoted between an opening and a closing tag that carry a
random nonce, new for every call (``<response id="3fa9c1d2e4b7">`` … ``</response
id="3fa9c1d2e4b7">``). A text cannot close its own quote, nor write another quote's tags: no text
written before the call can know the call's nonces (a nonce derived from the text, or from the
prompt the policy saw, could be computed by the policy). When a judge echoes a quoted block back in
its reply, :func:`blank_quotes` blanks it (and everything after an opening tag that is never
closed, and everything before a closing tag whose opening was cut off), so a "Score: 10" written
inside a completion is never read as the judge's score. Blanking keeps every other character at
its place, so positions in the reply still line up with its tokens (for log-probabilities).

Replies are cached by request, and requests differ only by their nonces: :func:`canonical` writes
a request or reply with each nonce replaced by a placeholder of the same length (its position
among the call's nonces), and :func:`with_nonces` puts a later call's own nonces back.
"""

from __future__ import annotations

import re
import secrets
from typing import Iterable, Sequence

NONCE_CHARS = 12
_TAG = re.compile(r'<(/?)([A-Za-z][\w-]*) id="([0-9a-f]{%d})">' % NONCE_CHARS)


def quote(label: str, text: str) -> tuple[str, str]:
    """``text`` between tags it cannot close (a random nonce); returns (the quoted block, its nonce)."""
    n = secrets.token_hex(NONCE_CHARS // 2)
    return f'<{label} id="{n}">\n{text}\n</{label} id="{n}">', n


def placeholder(k: int) -> str:
    """What the ``k``-th nonce of a call reads as in :func:`canonical` text (as long as a nonce)."""
    return f"@nonce{k:0{NONCE_CHARS - 7}d}@"


def canonical(text: str, nonces: Sequence[str]) -> str:
    """``text`` (a request, a reply) with each of ``nonces`` replaced by its placeholder."""
    for k, n in enumerate(nonces):
        text = text.replace(n, placeholder(k))
    return text


def with_nonces(text: str, nonces: Sequence[str]) -> str:
    """:func:`canonical` text with the placeholders replaced by ``nonces``."""
    for k, n in enumerate(nonces):
        text = text.replace(placeholder(k), n)
    return text


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
