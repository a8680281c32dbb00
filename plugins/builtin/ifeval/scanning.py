"""IFEval's line-based patterns, found in linear time.

IFEval states bullets, placeholders and titles as regular expressions (``^\\s*\\*[^\\*].*$``,
``\\[.*?\\]``, ``<<[^\\n]+>>``) which Python's backtracking engine runs in quadratic time on
hostile text (a megabyte of ``[`` on one line, or of blank lines). Each function here returns
what ``re.findall`` with that pattern would count or find, by one pass over the text.
"""

from __future__ import annotations


def _line_end(text: str, pos: int) -> int:
    """The end of the line holding ``pos`` (its newline, or the end of the text)."""
    newline = text.find("\n", pos)
    return len(text) if newline < 0 else newline


def count_marked_lines(text: str, marker: str, next_differs: bool) -> int:
    """How many times ``^\\s*M.*$`` (MULTILINE) matches, M the ``marker`` character; with
    ``next_differs`` the pattern is ``^\\s*M[^M].*$`` (the character after M, which may be a
    newline, must not be M, and the match then runs to the end of that character's line).

    ``\\s*`` crosses newlines, so a marker is reached from a line start when the whitespace
    right before it holds a newline (or reaches the start of the text, or of the unmatched
    rest). Only the markers are visited, each looking back over its own whitespace.
    """
    count, pos, n = 0, 0, len(text)
    while True:
        q = text.find(marker, pos)
        if q < 0:
            return count
        r = q
        while r > pos and text[r - 1].isspace():
            r -= 1
        reached = r == 0 or (r == pos and text[pos - 1] == "\n") or text.find("\n", r, q) >= 0
        if reached and (not next_differs or (q + 1 < n and text[q + 1] != marker)):
            count += 1
            pos = _line_end(text, q + 2 if next_differs else q + 1)
        else:
            pos = q + 1


def count_bullets(text: str) -> int:
    """IFEval's bullet count: lines matching ``^\\s*\\*[^\\*].*$`` plus lines matching ``^\\s*-.*$``."""
    return count_marked_lines(text, "*", next_differs=True) + count_marked_lines(text, "-", next_differs=False)


def count_placeholders(text: str) -> int:
    """Matches of ``\\[.*?\\]``: a ``[`` and the first ``]`` after it on the same line."""
    count, pos = 0, 0
    while True:
        opening = text.find("[", pos)
        if opening < 0:
            return count
        end = _line_end(text, opening)
        closing = text.find("]", opening + 1, end)
        if closing < 0:
            pos = end  # no later '[' on this line can close either
        else:
            count += 1
            pos = closing + 1


def titles(text: str) -> list[str]:
    """Matches of ``<<[^\\n]+>>``: on a line, its first ``<<`` through the last ``>>`` after it
    with at least one character between them (so at most one match per line)."""
    found = []
    pos = 0
    while True:
        opening = text.find("<<", pos)
        if opening < 0:
            return found
        end = _line_end(text, opening)
        closing = text.rfind(">>", opening + 3, end)
        if closing >= 0:
            found.append(text[opening : closing + 2])
        pos = end + 1
