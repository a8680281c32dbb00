"""Answer extractors: find the final answer in a completion or a gold solution.

An extractor is ``fn(text: str, **options) -> str | None``: the answer it finds, or None. Rewards
take an ordered list of extractor names and use the first that finds something. Options a reward
passes (``tag``) go to every extractor, so an extractor accepts and ignores the ones it does not
use. Extractors run in the trainer's process on untrusted model text, so each is a single linear
pass: no nested quantifiers, no backtracking that grows with the input, no evaluation of anything.

=============  ==================================================================================
name           finds
=============  ==================================================================================
answer_tag     the content of the last ``<answer>`` tag (``tag`` option), to ``</answer>`` or the end
boxed          the content of the last complete ``\\boxed{…}`` (braces balanced)
gsm8k          what follows GSM8K's last ``####`` on its line (gold solutions: ``#### 1,234``)
answer_is      what "the answer is …" / "Final answer: …" / "Answer: …" says, to the end of the sentence
last_number    the last number (``-1,234.5``, ``$18``, ``3/4``, ``50%``)
whole          the whole text (gold columns that hold only the answer)
=============  ==================================================================================

:func:`tidy` then turns what an extractor found into an answer string: the last ``\\boxed{}`` in it,
without ``$...$`` or ``\\(...\\)`` around it, without a closing full stop; and when the extractor
found a sentence rather than an answer (``<answer>The total is 18 apples.</answer>``), the number
that sentence gives.
"""

from __future__ import annotations

import re

_BOXED_TOKENS = re.compile(r"\\(?:boxed|fbox)\s*\{|\\[\\{}]|[{}]")


def last_boxed(text: str) -> str | None:
    """Content of the last complete ``\\boxed{...}`` (or ``\\fbox{...}``), braces balanced.

    "Last" is the one that closes last, so ``\\boxed{\\boxed{5}}`` gives ``\\boxed{5}``. Escaped
    braces (``\\{``) do not count. An unclosed ``\\boxed{`` is ignored.

    >>> last_boxed(r"so \\boxed{\\frac{1}{2}} or \\boxed{3}")
    '3'
    """
    if "\\boxed" not in text and "\\fbox" not in text:
        return None
    depth = 0
    opened: list[tuple[int, int]] = []  # (depth outside the box, index where its content starts)
    found: tuple[int, int] | None = None
    for m in _BOXED_TOKENS.finditer(text):
        token = m.group()
        if token == "{":
            depth += 1
        elif token == "}":
            if depth == 0:
                continue  # a stray closing brace
            depth -= 1
            if opened and opened[-1][0] == depth:
                found = (opened.pop()[1], m.start())
        elif token[1] in "bf":  # \boxed{ or \fbox{
            opened.append((depth, m.end()))
            depth += 1
        # escaped braces and "\\" are skipped
    return None if found is None else text[found[0] : found[1]]


def answer_tag(text: str, tag: str = "answer", **_: object) -> str | None:
    """Content of the last ``<tag>``: up to its ``</tag>``, or to the end when it was cut off.

    This is the GSM8K recipe's ``extract_xml_answer`` (which splits on the tags), stripped.
    """
    opening, closing = f"<{tag}>", f"</{tag}>"
    start = text.rfind(opening)
    if start < 0:
        return None
    content = text[start + len(opening) :]
    end = content.find(closing)
    if end >= 0:
        content = content[:end]
    return content.strip() or None


def boxed(text: str, **_: object) -> str | None:
    """Content of the last complete ``\\boxed{}``, braces balanced."""
    found = last_boxed(text)
    if found is None:
        return None
    return found.strip() or None


def gsm8k(text: str, **_: object) -> str | None:
    """What follows GSM8K's last ``####`` marker, to the end of that line (``1,234``)."""
    start = text.rfind("####")
    if start < 0:
        return None
    line = text[start + 4 :].split("\n", 1)[0]
    return line.strip() or None


# "The answer is 18", "final answer: $\frac{1}{2}$", "Answer = 7". The lookbehind keeps "answer"
# a word; every quantifier is bounded by a literal or [^\n], so matching stays linear.
_ANSWER_IS = re.compile(
    r"(?i)(?<![a-z])answer(?:\s+(?:is|was|would\s+be|will\s+be|should\s+be)\b\s*:?|\s*[:=])[ \t]*"
)
# A math span at the start of an answer; an escaped dollar (\$18) does not close a $...$ span.
_LEADING_MATH = re.compile(
    r"\$\$(?:\\\$|[^$])+\$\$|\$(?:\\\$|[^$])+\$|\\\((?:[^\\]|\\(?!\)))+\\\)|\\\[(?:[^\\]|\\(?!\]))+\\\]"
)
_SENTENCE_END = re.compile(r"\.(?:\s|$)")


def answer_is(text: str, **_: object) -> str | None:
    """What the last "the answer is …" / "final answer: …" / "Answer: …" says, to the end of its sentence.

    When the answer starts with a math span (``$…$``, ``\\(…\\)``), that span is the answer.
    """
    last = None
    for last in _ANSWER_IS.finditer(text):
        pass
    if last is None:
        return None
    answer = text[last.end() :].split("\n", 1)[0].strip()
    math = _LEADING_MATH.match(answer)
    if math is not None:
        return math.group()
    end = _SENTENCE_END.search(answer)
    if end is not None:
        answer = answer[: end.start()]
    return answer.strip() or None


# A number: optional sign and currency, digits with optional thousands commas, decimals, a simple
# fraction, a percent sign. Not part of a word or of a longer number (x2, 3.14.15).
_NUMBER = re.compile(
    r"(?<![\w.])(?:[-\u2212]\s?)?(?:\\?\$\s?)?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:/\d+)?(?:\s?\\?%)?(?![\w])"
)


def last_number(text: str, **_: object) -> str | None:
    """The last number in the text (``-1,234.5``, ``$18``, ``3/4``, ``50%``)."""
    last = None
    for last in _NUMBER.finditer(text):
        pass
    return None if last is None else last.group().strip()


def whole(text: str, **_: object) -> str | None:
    """The whole text, stripped: for gold columns that hold just the answer (MATH's ``answer``)."""
    return text.strip() or None


_DELIMITERS = (("$$", "$$"), ("\\[", "\\]"), ("\\(", "\\)"), ("$", "$"))
_WORD = re.compile(r"(?<![\\A-Za-z])[A-Za-z]{2,}")
_TEXT_GROUP = re.compile(r"\\(?:text|textbf|textit|mathrm|mbox|operatorname)\s*\{[^{}]*\}")
PROSE_WORDS = 4


def strip_delimiters(answer: str) -> str:
    """``answer`` without math delimiters around all of it (``$x$``, ``$$x$$``, ``\\(x\\)``, ``\\[x\\]``)."""
    answer = answer.strip()
    if not answer.startswith(("$", "\\(", "\\[")):
        return answer
    for _ in range(3):
        answer = answer.strip()
        for left, right in _DELIMITERS:
            inner = answer[len(left) : len(answer) - len(right)]
            unescaped = inner.replace("\\$", "")
            if (
                len(answer) >= len(left) + len(right) + 1
                and answer.startswith(left)
                and answer.endswith(right)
                and not answer.endswith("\\" + right)  # an escaped \$ does not close
                and "$" not in unescaped
                and left not in unescaped
            ):
                answer = inner
                break
        else:
            return answer
    return answer.strip()


def _words(text: str) -> int:
    """Words of prose in ``text`` (LaTeX commands and \\text{...} groups do not count)."""
    return len(_WORD.findall(_TEXT_GROUP.sub(" ", text)))


def tidy(answer: str | None) -> str | None:
    """Turn what an extractor found into an answer string, or None when nothing is left.

    >>> tidy(r"$\\boxed{\\frac{1}{2}}$.")
    '\\\\frac{1}{2}'
    >>> tidy("The total cost is 18 dollars per week.")
    '18'
    """
    if answer is None:
        return None
    for _ in range(3):
        inner = last_boxed(answer)
        if inner is None:
            break
        answer = inner
    answer = strip_delimiters(answer)
    if answer.endswith(".") and not answer.endswith(".."):
        answer = strip_delimiters(answer[:-1])  # a closing full stop: "$\frac{1}{2}$."
    if _words(answer) >= PROSE_WORDS:
        # A sentence, not an answer: take what it says the answer is, else its last number.
        stated = answer_is(answer)
        if stated is not None and _words(stated) < PROSE_WORDS:
            return tidy(stated)
        number = last_number(answer)
        if number is not None:
            return number
    return answer.strip() or None


EXTRACTORS = {
    "answer_tag": answer_tag,
    "boxed": boxed,
    "gsm8k": gsm8k,
    "answer_is": answer_is,
    "last_number": last_number,
    "whole": whole,
}
