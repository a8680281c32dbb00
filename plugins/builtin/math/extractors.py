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
xml_answer     the GSM8K notebook's reading: as answer_tag, or the whole text to ``</answer>`` without a tag
boxed          the content of the last complete ``\\boxed{…}`` (braces balanced); several boxes written
               together (``\\boxed{3}, \\boxed{5}``) give all their contents (``3, 5``)
gsm8k          what follows GSM8K's last ``####`` on its line (gold solutions: ``#### 1,234``)
answer_is      what "the answer is …" / "Final answer: …" / "Answer: …" / a last ``A: …`` line says,
               to the end of the sentence
bare           the whole text when it is nothing but an answer (``x = 5``, ``18 dollars``)
last_latex     the last math span (``$…$``, ``\\(…\\)``, ``\\[…\\]``) when no number follows it
last_number    the last number (``-1,234.5``, ``$18``, ``3/4``, ``50%``)
whole          the whole text (gold columns that hold only the answer)
=============  ==================================================================================

:func:`tidy` then turns what an extractor found into an answer string: the last ``\\boxed{}`` in it,
without ``$...$`` or ``\\(...\\)`` around it, without a closing full stop; and when the extractor
found prose rather than an answer (``<answer>The total is 18 apples.</answer>``, ``the smallest
$k$ is 12``), what that prose says the answer is.

``last_latex`` and ``last_number`` guess; the others find an answer the text marks as one.
"""

from __future__ import annotations

import functools
import re
from array import array
from typing import Any, Callable, Iterable, Iterator, NamedTuple, Sequence

from .numerals import parse_numeral

_BOX_OPENING = re.compile(r"\\(?:boxed|fbox)\s*\{")
_BOXED_TOKENS = re.compile(r"\\(?:boxed|fbox)\s*\{|\\[\\{}]|[{}]")
JOIN_BLOCK = 4096  # pieces joined at a time: a long answer costs its own size, not a list of pieces


def _boxes(text: str) -> Iterator[tuple[int, int, int, int, bool]]:
    """Complete ``\\boxed{}`` / ``\\fbox{}`` in the order they close: (start, content start, content end,
    end, outermost). Braces balanced, escaped braces ignored, an unclosed box skipped.

    A box still open costs two machine integers (a completion of a million unclosed boxes costs
    about twice its own size, not a tuple per box)."""
    if "\\boxed" not in text and "\\fbox" not in text:
        return
    depth = 0
    open_depths, open_starts = array("q"), array("q")  # depth outside each open box, and its start
    for m in _BOXED_TOKENS.finditer(text):
        token = m.group()
        if token == "{":
            depth += 1
        elif token == "}":
            if depth == 0:
                continue  # a stray closing brace
            depth -= 1
            if open_depths and open_depths[-1] == depth:
                open_depths.pop()
                start = open_starts.pop()
                content = _BOX_OPENING.match(text, start).end()  # type: ignore[union-attr]
                yield start, content, m.start(), m.end(), not open_depths
        elif token[1] in "bf":  # \boxed{ or \fbox{
            open_depths.append(depth)
            open_starts.append(m.start())
            depth += 1
        # escaped braces and "\\" are skipped


def _join(pieces: Iterable[str], separator: str = ", ") -> str:
    """``separator.join(pieces)`` without holding every piece at once."""
    blocks: list[str] = []
    block: list[str] = []
    for piece in pieces:
        block.append(piece)
        if len(block) == JOIN_BLOCK:
            blocks.append(separator.join(block))
            block = []
    if block or not blocks:
        blocks.append(separator.join(block))
    return separator.join(blocks)


def last_boxed(text: str) -> str | None:
    """Content of the last complete ``\\boxed{...}`` (or ``\\fbox{...}``), braces balanced.

    "Last" is the one that closes last, so ``\\boxed{\\boxed{5}}`` gives ``\\boxed{5}``. Escaped
    braces (``\\{``) do not count. An unclosed ``\\boxed{`` is ignored.

    >>> last_boxed(r"so \\boxed{\\frac{1}{2}} or \\boxed{3}")
    '3'
    """
    last = None
    for last in _boxes(text):
        pass
    return None if last is None else text[last[1] : last[2]]


# Between boxes that together are the answer: delimiters, spacing, \text{} wrappers, punctuation,
# and "and"/"or" with at most one other word ("\boxed{1} papers and \boxed{2} bins"; not ", then").
_SEPARATOR_NOISE = re.compile(r"\\(?:text|mathrm|textbf|mbox)\s*\{|\\q?quad|\\[,;:! (){}\[\]$]|\$|[\s{}&~.,;:*+=|\-]")
_JOINERS = frozenset({"and", "or"})
MAX_SEPARATOR_CHARS = 60


def _joins(separator: str) -> bool:
    """Whether the text between two boxes leaves them one answer (``, ``, `` and ``, ``$ $``)."""
    if len(separator) > MAX_SEPARATOR_CHARS:
        return False
    if not separator or separator.isspace():
        return True
    words = _SEPARATOR_NOISE.sub(" ", separator).split()
    others = sum(w.lower() not in _JOINERS for w in words)
    return all(w.isalpha() for w in words) and (others == 0 or (others == 1 and len(words) > 1))


def answer_tag(text: str, tag: str = "answer", **_: object) -> str | None:
    """Content of the last ``<tag>``: up to its ``</tag>``, or to the end when it was cut off.

    This is the GSM8K recipe's ``extract_xml_answer`` (which splits on the tags), stripped.
    """
    opening, closing = f"<{tag}>", f"</{tag}>"
    start = text.rfind(opening)
    if start < 0:
        return None
    end = text.find(closing, start + len(opening))
    return text[start + len(opening) : end if end >= 0 else len(text)].strip() or None


def xml_answer(text: str, tag: str = "answer", **_: object) -> str | None:
    """The GSM8K notebook's ``extract_xml_answer``: after the last ``<tag>`` (the whole text when
    there is none) up to the first ``</tag>``, stripped; None when that is empty."""
    opening, closing = f"<{tag}>", f"</{tag}>"
    start = text.rfind(opening)
    start = 0 if start < 0 else start + len(opening)
    end = text.find(closing, start)
    return text[start : end if end >= 0 else len(text)].strip() or None


def boxed_run(text: str) -> tuple[str | None, bool]:
    """The boxed answer (see :func:`boxed`), and whether it holds every box of the text."""
    total = 0
    run = array("q")  # content start and end of each box in the run that ends at the last box
    previous_end = 0
    for start, content, content_end, end, outermost in _boxes(text):
        if not outermost:
            continue
        total += 1
        if not (run and start - previous_end <= MAX_SEPARATOR_CHARS and _joins(text[previous_end:start])):
            run = array("q")
        run.extend((content, content_end))
        previous_end = end
    if not total:
        return None, False
    contents = (text[run[i] : run[i + 1]].strip() for i in range(0, len(run), 2))
    return _join(c for c in contents if c) or None, len(run) == 2 * total


def boxed(text: str, **_: object) -> str | None:
    """Content of the last complete ``\\boxed{}``, braces balanced; when boxes are written together
    (``\\boxed{3}, \\boxed{5}``, ``\\boxed{(1, 2)} \\text{ and } \\boxed{(3, 4)}``) their contents
    joined with commas, as one answer."""
    return boxed_run(text)[0]


def gsm8k(text: str, **_: object) -> str | None:
    """What follows GSM8K's last ``####`` marker, to the end of that line (``1,234``)."""
    start = text.rfind("####")
    if start < 0:
        return None
    end = text.find("\n", start + 4)
    return text[start + 4 : end if end >= 0 else len(text)].strip() or None


# "The answer is 18", "final answer: $\frac{1}{2}$", "Answer = 7". The lookbehind keeps "answer"
# a word (it follows the first letter, so that the search skips to each "a" rather than trying
# every position); every quantifier is bounded by a literal or [^\n], so matching stays linear.
_ANSWER_IS = re.compile(
    r"(?i)a(?<![a-z]a)nswer(?:\s+(?:is|was|would\s+be|will\s+be|should\s+be)\b\s*:?|\**\s*[:=])[ \t*]*"
)
# The last line of a "Q: … A: …" few-shot solution: "A: 42".
_A_LINE = re.compile(r"(?m)^[ \t]*\**A\**[ \t]*:[ \t*]*")
# A math span at the start of an answer; an escaped dollar (\$18) does not close a $...$ span.
_LEADING_MATH = re.compile(
    r"\$\$(?:\\\$|[^$])+\$\$|\$(?:\\\$|[^$])+\$|\\\((?:[^\\]|\\(?!\)))+\\\)|\\\[(?:[^\\]|\\(?!\]))+\\\]"
)
_SENTENCE_END = re.compile(r"\.(?:\s|$)")


_NSWER = re.compile("n[s\u017f]wer")  # in lowercased text: "nswer" in any case, as IGNORECASE reads it


def _last_answer_is(text: str) -> re.Match[str] | None:
    """The last match of ``_ANSWER_IS``, tried only where the text says "nswer" (found in the
    lowercased text: re's IGNORECASE reads the long s, U+017F, as an s). Its matches cannot
    overlap one another, so the last place it matches is the last match of a search."""
    lowered = text.lower()
    if len(lowered) != len(text):  # a character lowercased to two (İ): positions would not line up
        last = None
        for last in _ANSWER_IS.finditer(text):
            pass
        return last
    for said in reversed([m.start() for m in _NSWER.finditer(lowered)]):
        found = _ANSWER_IS.match(text, said - 1) if said else None
        if found is not None:
            return found
    return None


def answer_is(text: str, **_: object) -> str | None:
    """What the last "the answer is …" / "final answer: …" / "Answer: …" says, to the end of its sentence.

    When the answer starts with a math span (``$…$``, ``\\(…\\)``), that span is the answer.
    """
    last = _last_answer_is(text)
    if ":" in text:  # each pattern needs one; most texts have neither, and are not searched
        for line in _A_LINE.finditer(text, last.end() if last is not None else 0):
            last = line
    if last is None:
        return None
    end = text.find("\n", last.end())
    answer = text[last.end() : end if end >= 0 else len(text)].strip()
    math = _LEADING_MATH.match(answer)
    if math is not None:
        return math.group()
    end = _SENTENCE_END.search(answer)
    if end is not None:
        answer = answer[: end.start()]
    return answer.strip() or None


# A number: optional sign and currency, digits with optional thousands commas or spaces (12 500),
# decimals (a point or a comma: 8,00), a simple or mixed fraction (2 3/4), a percent sign. Not part of a word or of a longer number
# (x2, 3.14.15).
_NUMBER = re.compile(  # the lookahead first: a position that cannot start a number fails at once
    r"(?=[-\u2212\\$\d])(?<![\w.])(?:[-\u2212]\s?)?(?:\\?\$\s?)?(?:\d+ \d+/\d+|\d{1,3}(?:,\d{3})+|\d{1,3}(?: \d{3})+(?![\d/])|\d+)(?:[.,]\d+)?(?:/\d+)?(?:\s?\\?%)?(?![\w])"
)


def last_number(text: str, **_: object) -> str | None:
    """The last number in the text (``-1,234.5``, ``$18``, ``3/4``, ``50%``).

    Searched from a window at the end, widened until it holds a number: a window starts right
    after a letter, which no number holds, starts after or ends before, so the numbers found
    in it are the text's own (the same as a search of the whole text, in time independent of
    the text's length when the last number is near its end)."""
    size, end = LAST_NUMBER_WINDOW, len(text)
    while True:
        start = _after_letter(text, end - size)
        last = None
        for last in _NUMBER.finditer(text, start):
            pass
        if last is not None:
            return last.group().strip()
        if start == 0:
            return None
        size *= 8


LAST_NUMBER_WINDOW = 64
MAX_LETTER_STEPS = 64


def _after_letter(text: str, at: int) -> int:
    """The position just after the last letter at or before ``at`` (within a few characters;
    else 0, the whole text)."""
    for i in range(at, max(at - MAX_LETTER_STEPS, 0), -1):
        if text[i - 1].isalpha():
            return i
    return 0


def whole(text: str, **_: object) -> str | None:
    """The whole text, stripped: for gold columns that hold just the answer (MATH's ``answer``)."""
    return text.strip() or None


_DELIMITERS = (("$$", "$$"), ("\\[", "\\]"), ("\\(", "\\)"), ("$", "$"))
_WORD = re.compile(r"(?<![\\A-Za-z])[A-Za-z]{2,}")
_TEXT_GROUP = re.compile(r"\\(?:text|textbf|textit|mathrm|mbox|operatorname|begin|end)\s*\{[^{}]*\}")
PROSE_WORDS = 4
MAX_BARE_CHARS = 2000


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
    return sum(1 for _ in _WORD.finditer(_TEXT_GROUP.sub(" ", text)))


def bare(text: str, **_: object) -> str | None:
    """The whole text when it is nothing but an answer: math without prose (``x = 5``,
    ``\\frac{1}{2}``, a matrix), or one line with at most one word (``18 dollars``, ``Evelyn``)."""
    answer = text.strip()
    if not answer or len(answer) > MAX_BARE_CHARS:
        return None
    inner = strip_delimiters(answer)
    if "\n" in inner and "\\begin" not in inner:
        return None  # lines of working, not an answer
    words = _words(inner)
    if words == 0 or (words == 1 and "$" not in inner.replace("\\$", "")[1:]):
        return answer
    return None


# Math spans: $…$ (one line; \$ does not open or close one), $$…$$, \(…\), \[…\].
_SPAN_TOKENS = re.compile(r"\\\$|\$\$|\$|\\\(|\\\)|\\\[|\\\]|\n")
_CLOSERS = {"$": "$", "$$": "$$", "\\(": "\\)", "\\[": "\\]"}


def _spans(text: str) -> Iterator[tuple[int, int, int, int]]:
    """(start, content start, content end, end) of each math span, in one pass.

    An inline ``$…$`` span that starts with a number and holds prose (``costs $5 and $6``:
    currency, not math) is not one.
    """
    opener: tuple[str, int, int] | None = None
    for m in _SPAN_TOKENS.finditer(text):
        token = m.group()
        if token == "\\$":
            continue
        if opener is None:
            if token in _CLOSERS:
                opener = (token, m.start(), m.end())
            continue
        kind, begin, start = opener
        if token == "\n":
            if kind == "$":
                opener = None  # inline math does not cross lines
            continue
        if kind == "$" and token == "$$":  # "$a$$b$": a closing and an opening dollar
            token, opener = "$", ("$", m.start() + 1, m.start() + 2)
        elif token == _CLOSERS[kind]:
            opener = None
        else:
            continue
        content = text[start : m.start()].lstrip()
        if token == "$" and content[:1].isdigit() and _words(content) > 0:
            continue  # "costs $5 and $6": currency around prose
        yield begin, start, m.start(), m.end()


def _last_span(text: str) -> tuple[int, int, int] | None:
    """(content start, content end, span end) of the last math span."""
    last = None
    for last in _spans(text):
        pass
    return None if last is None else last[1:]


def last_latex(text: str, **_: object) -> str | None:
    """The last math span of the text (``so the area is $\\frac{25}{2}$.`` gives ``\\frac{25}{2}``),
    unless a number follows it (then the answer is more likely that number)."""
    span = _last_span(text)
    if span is None or _NUMBER.search(text, span[2]) is not None:
        return None
    return text[span[0] : span[1]].strip() or None


# After a leading number: prose or a parenthesis, not a list ("3 and 5") or more math.
_LEADING_NUMBER_THEN = re.compile(r"\s*\(|\s+(?!(?:and|or)\b)[A-Za-z]{2,}")
# A word that links a subject to its value: "the smallest $k$ is 12".
_CONNECTOR = re.compile(r"(?i)(?<![A-Za-z\\])(?:is|are|was|were|equals|becomes)(?![A-Za-z])")
_MATHLIKE = re.compile(r"[\d\\$]")


def _stated(answer: str) -> str | None:
    """What prose around an answer says the answer is, or None when it says nothing more."""
    stated = answer_is(answer)
    if stated is not None and stated != answer:
        return stated
    connector = None
    for connector in _CONNECTOR.finditer(answer):
        pass
    if connector is not None:
        after, before = answer[connector.end() :].strip(), answer[: connector.start()].strip()
        for side in (after, before):
            if _MATHLIKE.search(side):
                return side
    lead = _NUMBER.match(answer)
    if lead is not None and parse_numeral(answer) is None:
        # "5 (five) apples", "5 because 2+3=5": the number it starts with, unless the next word
        # changes its value ("18 million": parse_numeral knows those words).
        after = _LEADING_NUMBER_THEN.match(answer, lead.end())
        if after is not None and (after.group().endswith("(") or parse_numeral(answer[: after.end()]) is not None):
            return lead.group()
    count, together, last = 0, True, None
    for span in _spans(answer):
        if last is not None and together:
            together = span[0] - last[3] <= MAX_SEPARATOR_CHARS and _joins(answer[last[3] : span[0]])
        count, last = count + 1, span
    if count > 1 and together:  # "$1$ and $2$ and $3$"
        return _join(answer[s[1] : s[2]].strip() for s in _spans(answer))
    if last is not None and (last[1] > 2 or last[3] < len(answer)):
        return answer[last[1] : last[2]]
    if _words(answer) >= PROSE_WORDS:
        return last_number(answer)
    return None


def tidy(answer: str | None) -> str | None:
    """Turn what an extractor found into an answer string, or None when nothing is left.

    >>> tidy(r"$\\boxed{\\frac{1}{2}}$.")
    '\\\\frac{1}{2}'
    >>> tidy("Final answer: the smallest $k$ is 12.")
    '12'
    """
    if answer is None:
        return None
    if _PLAIN_NUMBER.fullmatch(answer):  # nothing to tidy: no box, delimiter, closing stop or word
        return answer
    return _tidy(answer) if len(answer) > MAX_CACHED_CHARS else _tidy_short(answer)


_PLAIN_NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?")


MAX_CACHED_CHARS = 200


@functools.lru_cache(maxsize=65536)
def _tidy_short(answer: str) -> str | None:
    """Cached :func:`_tidy` of a short answer: a GRPO batch gives the same few answers many times,
    and two math rewards of one preset tidy the same answers."""
    return _tidy(answer)


def _tidy(answer: str) -> str | None:
    for _ in range(PROSE_WORDS):
        for _ in range(3):
            inner = last_boxed(answer)
            if inner is None:
                break
            answer = inner
        answer = strip_delimiters(answer)
        if answer.endswith(".") and not answer.endswith(".."):
            answer = strip_delimiters(answer[:-1])  # a closing full stop: "$\\frac{1}{2}$."
        if _words(answer) == 0:
            break
        stated = _stated(answer)  # prose around the answer: "The total is 18 apples."
        if stated is None:
            break
        answer = stated
    return answer.strip() or None


EXTRACTORS = {
    "answer_tag": answer_tag,
    "xml_answer": xml_answer,
    "boxed": boxed,
    "gsm8k": gsm8k,
    "answer_is": answer_is,
    "bare": bare,
    "last_latex": last_latex,
    "last_number": last_number,
    "whole": whole,
}
# Extractors that guess where the answer is (the others find one the text marks as such).
GUESSING_EXTRACTORS = frozenset({"last_latex", "last_number"})
DEFAULT_EXTRACTORS = ["answer_tag", "boxed", "gsm8k", "answer_is", "bare", "last_latex", "last_number"]


class Found(NamedTuple):
    """The tidied answer a completion gives, which extractor found it, and whether the text marks it
    as the answer (``sure``: a tag, the only box or boxes, ``####``, "the answer is", nothing else)
    or an extractor had to guess (the last math span or number, one box of several, none found).
    A named tuple: a batch makes one per completion."""

    answer: str | None
    extractor: str | None
    sure: bool


NOT_FOUND = Found(None, None, False)


def find_answer(
    text: str, chain: Sequence[tuple[str, Callable[..., str | None]]], *, tidied: bool = True, **options: object
) -> Found:
    """The first answer the extractors of ``chain`` (name, function) find in ``text``, tidied
    (``tidied`` false: as the extractor found it)."""
    for name, extract in chain:
        found = answer_by(text, name, extract, options, tidied)
        if found is not NOT_FOUND:
            return found
    return NOT_FOUND


def answer_by(text: str, name: str, extract: Callable[..., str | None], options: dict[str, object], tidied: bool) -> Found:
    """What one extractor finds, tidied unless not ``tidied`` (NOT_FOUND: nothing)."""
    if extract is boxed:  # sure only when the run holds every box of the text
        answer, sure = boxed_run(text)
    else:
        answer, sure = extract(text, **options), name not in GUESSING_EXTRACTORS
    if tidied:
        answer = tidy(answer)
    return Found(answer, name, sure) if answer else NOT_FOUND


DEFAULT_CHAIN = [(name, EXTRACTORS[name]) for name in DEFAULT_EXTRACTORS]
