"""Two answer extractors for procedurally generated tasks: reasoning-gym's closed ``<answer>`` tags, and the last line.

``closed_answer_tag`` reads what reasoning-gym's own ``extract_answer`` reads: the content of the
last complete ``<answer>…</answer>`` pair (pairs never overlap: each starts after the previous one
closed), stripped; an empty pair gives ``""`` (reasoning-gym scores that, as it does); a tag the
completion never closed gives nothing, so a completion cut off by the length limit earns no
answer. rewardkit's ``answer_tag`` (the math family's) differs there: it reads an unclosed tag to
the end of the text. ``last_line`` gives the last line that is not blank, stripped (the answer of
a completion that ends with it, as many few-shot prompts ask).

Both are single passes of ``str.find``/``str.rfind``: linear in the text, whatever it holds.
"""

from __future__ import annotations


def closed_answer_tag(text: str, tag: str = "answer", **_: object) -> str | None:
    """The content of the last closed ``<tag>…</tag>`` pair, stripped (reasoning-gym's ``extract_answer``).

    >>> closed_answer_tag("<answer> 3 </answer> then <answer>4</answer>")
    '4'
    >>> closed_answer_tag("<answer>3</answer> <answer>4")
    '3'
    """
    opening, closing = f"<{tag}>", f"</{tag}>"
    found = None
    start = text.find(opening)
    while start >= 0:
        end = text.find(closing, start + len(opening))
        if end < 0:
            break
        found = (start + len(opening), end)
        start = text.find(opening, end + len(closing))
    return None if found is None else text[found[0] : found[1]].strip()


def last_line(text: str, **_: object) -> str | None:
    """The last line that is not blank, stripped.

    >>> last_line("work\\n\\n  42  \\n\\n")
    '42'
    """
    end = len(text)
    while end > 0:
        start = text.rfind("\n", 0, end) + 1
        line = text[start:end].strip()
        if line:
            return line
        end = start - 1
    return None


EXTRACTORS = {"closed_answer_tag": closed_answer_tag, "last_line": last_line}
