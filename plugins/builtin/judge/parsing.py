"""Reading a judge's reply: a score on a scale, a verdict, or one score (or a rank) per candidate.

Before anything is read, ``<think>…</think>`` blocks are blanked (an unclosed ``<think>`` hides
the rest of the reply) and so is any quoted block the judge echoed back (:mod:`.quoting`). Then
the judge's own answer is read, never a quote of what it judged: a completion that writes
"Score: 10" must not be able to put a 10 in the judge's mouth. So:

1. the structured answer: the reply is a JSON object (what ``response_format`` produces), and the
   expected key (``score``, ``verdict``, ``scores``, ``ranking``) is read from it; text inside its
   strings (the ``reasoning``) is never read;
2. else the first answer in the reply, a JSON object holding the key or one of the patterns
   judges write, whichever comes first: ``Score: 7`` (also ``Rating``, ``Grade``,
   ``**Score:** 7``, ``score of 7``), ``[[7]]`` (MT-Bench), ``\\boxed{7}``, a reply that is nothing
   but the number, and only where none of these is, ``7/10`` or ``7 out of 10`` (when the
   denominator is the top of the scale); for verdicts ``Verdict: same``, ``[[same]]``,
   ``\\boxed{same}`` or a reply that is only a verdict word. A pattern inside quotation marks
   (``"…"``, ``“…”``, `` `…` ``) or on a quoted line (``> …``) is a quote, and skipped.

The first, not the last: a judge answers, then may explain by quoting the completion ("Score: 3.
The response claims 'Score: 10'"); a later number is never the answer. Only the expected format
is read: a number or word elsewhere in the reasoning never counts, and a number outside the scale
is refused rather than clipped. Every refusal says why (it becomes the sample's ``judge_error``
note).
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any, Iterator, Sequence

from rewardkit.stats import finite_number

NUMBER = r"[-+]?\d+(?:\.\d+)?"
JSON_TRIES = 64  # opening braces tried, from the end of the reply (each try is linear in the reply)

_QUOTED = re.compile(r'"[^"\n]*"|“[^”\n]*”|`[^`\n]*`|^[ \t]*>.*$', re.MULTILINE)
_FENCED = re.compile(r"\A\s*```(?:json)?\s*(.*?)\s*```\s*\Z", re.DOTALL | re.IGNORECASE)
_THINK = re.compile(r"<think>.*?</think>", re.DOTALL | re.IGNORECASE)
_THINK_OPEN = re.compile(r"<think>", re.IGNORECASE)
_THINK_CLOSE = re.compile(r"</think>", re.IGNORECASE)
_MARKUP = r"(?:\*\*|__|\*|`)?"
_SCORE_PATTERNS = (  # what names a score; the first match of any of them is the answer
    re.compile(
        rf"\b(?:score|rating|grade)\b{_MARKUP}\s*(?::|=|is|of)?\s*{_MARKUP}\s*(?P<n>{NUMBER})"
        rf"(?:\s*(?:/|out\s+of)\s*(?P<d>{NUMBER}))?",
        re.IGNORECASE,
    ),
    re.compile(rf"\[\[\s*(?P<n>{NUMBER})\s*\]\]"),
    re.compile(rf"\\boxed\{{\s*(?P<n>{NUMBER})\s*\}}"),
    re.compile(rf"\A\s*{_MARKUP}(?P<n>{NUMBER}){_MARKUP}\s*\.?\s*\Z"),
)
_FRACTION = re.compile(rf"(?<![\w.])(?P<n>{NUMBER})\s*(?:/|out\s+of)\s*(?P<d>{NUMBER})(?!\w|\.\d)", re.IGNORECASE)
SAME = ("same", "equivalent", "correct", "yes", "true", "match", "equal")
DIFFERENT = ("different", "not equivalent", "not the same", "incorrect", "no", "false", "mismatch", "not equal", "wrong")
_WORD = "|".join(sorted((w.replace(" ", r"\s+") for w in SAME + DIFFERENT), key=len, reverse=True))
_VERDICT_PATTERNS = (
    re.compile(rf"\bverdict\b{_MARKUP}\s*[:=]?\s*{_MARKUP}\s*[\"']?(?P<w>{_WORD})\b", re.IGNORECASE),
    re.compile(rf"\[\[\s*(?P<w>{_WORD})\s*\]\]", re.IGNORECASE),
    re.compile(rf"\\boxed\{{\s*(?:\\text\{{)?\s*(?P<w>{_WORD})\b", re.IGNORECASE),
    re.compile(rf"\A\s*{_MARKUP}(?P<w>{_WORD}){_MARKUP}\s*[.!]?\s*\Z", re.IGNORECASE),
)
_LABELLED_SCORE = re.compile(
    rf"(?im)^\W*(?:response|candidate|answer|completion)?\s*#?\s*(?P<i>\d+)\s*[:=)\-–]\s*"
    rf"(?:score\s*[:=]?\s*)?(?P<n>{NUMBER})\s*(?:/\s*{NUMBER})?\s*$"
)
_ORDER = re.compile(r"(?<![\w.])\d+(?:\s*>\s*\d+)+(?![\w.])")


@dataclass(frozen=True)
class Parsed:
    """What a reply said: ``value`` (None when it cannot be read, with ``reason``), and where the
    number stands in the reply (``span``, for the log-probability expectation)."""

    value: Any = None
    reason: str = ""
    span: tuple[int, int] | None = None


def strip_thinking(reply: str) -> str:
    """``reply`` with ``<think>`` blocks blanked (same length); an unclosed one blanks to the end.
    A closing tag with no opening (the template opened the block) blanks everything before it."""
    text = _THINK.sub(lambda m: " " * len(m.group(0)), reply)
    close = None
    for close in _THINK_CLOSE.finditer(text):
        pass
    if close is not None:
        text = " " * close.end() + text[close.end() :]
    opening = _THINK_OPEN.search(text)
    if opening is not None:
        text = text[: opening.start()] + " " * (len(text) - opening.start())
    return text


def json_objects(text: str) -> Iterator[tuple[dict[str, Any], int]]:
    """The JSON answer: the whole ``text`` when it is one JSON object (a fenced one too), else
    the outermost JSON objects in it, first first, with where each starts (decoding is tried from
    the first JSON_TRIES opening braces not inside an object already found, so a hostile reply
    costs linear time). Objects inside quotation marks are quotes, and skipped."""
    whole = _FENCED.fullmatch(text)
    body, offset = (whole.group(1), whole.start(1)) if whole else (text.strip(), len(text) - len(text.lstrip()))
    try:
        value = json.loads(body)
    except (ValueError, RecursionError):
        value = None
    if isinstance(value, dict):
        yield value, offset
        return
    decoder = json.JSONDecoder()
    quoted = _quoted_spans(text)
    tries, covered = 0, 0
    for match in re.finditer(r"\{", text):
        if match.start() < covered or _inside(match.start(), quoted):
            continue
        tries += 1
        if tries > JSON_TRIES:
            return
        try:
            value, end = decoder.raw_decode(text, match.start())
        except (ValueError, RecursionError):
            continue
        if isinstance(value, dict):
            covered = end
            yield value, match.start()


def _quoted_spans(text: str) -> list[tuple[int, int]]:
    """Where ``text`` quotes: inside quotation marks or backticks on one line, or a ``>`` line."""
    return [m.span() for m in _QUOTED.finditer(text)]


def _inside(position: int, spans: list[tuple[int, int]]) -> bool:
    return any(start < position < end for start, end in spans)


def first_match(patterns: Sequence[re.Pattern[str]], text: str, group: str | int) -> re.Match[str] | None:
    """The earliest match of any of ``patterns`` whose ``group`` is not inside a quote."""
    quoted = _quoted_spans(text)
    best = None
    for pattern in patterns:
        for match in pattern.finditer(text):
            if _inside(match.start(group), quoted):
                continue
            if best is None or match.start(group) < best.start(group):
                best = match
            break  # the first unquoted match of this pattern; later ones cannot come first
    return best


def find_key(obj: Any, key: str) -> tuple[bool, Any]:
    """(True, value) for the first ``key`` in ``obj`` or the mappings nested in it, else (False, None)."""
    if isinstance(obj, dict):
        if key in obj:
            return True, obj[key]
        children = obj.values()
    elif isinstance(obj, list):
        children = obj
    else:
        return False, None
    for child in children:
        found, value = find_key(child, key)
        if found:
            return True, value
    return False, None


def _number(value: Any) -> float | None:
    """A JSON value as a score: a finite number, or a string holding one (``"7"``)."""
    if isinstance(value, str) and re.fullmatch(rf"\s*{NUMBER}\s*", value):
        value = float(value)
    return finite_number(value)


def _on_scale(value: float, scale: Sequence[float]) -> str:
    low, high = scale
    return "" if low <= value <= high else f"{value:g} is outside the scale [{low:g}, {high:g}]"


def json_answer(text: str, key: str) -> tuple[bool, Any, int]:
    """(True, its value, where its object starts) for the first JSON object of the reply holding
    ``key`` (the structured answer first), else (False, None, end of the text)."""
    for obj, start in json_objects(text):
        has, value = find_key(obj, key)
        if has:
            return True, value, start
    return False, None, len(text)


def _before(match: re.Match[str] | None, start: int) -> bool:
    """Whether a pattern's ``match`` comes before a JSON answer starting at ``start`` (the first wins)."""
    return match is not None and match.start() < start


def parse_score(text: str, scale: Sequence[float], key: str = "score") -> Parsed:
    """The score in a (cleaned) reply: the JSON answer's ``key`` or the first score pattern, whichever comes first."""
    has, raw, start = json_answer(text, key)
    best = first_match(_SCORE_PATTERNS, text, "n") or first_match((_FRACTION,), text, "n")
    if has and not _before(best, start):
        value = _number(raw)
        if value is None:
            return Parsed(reason=f"'{key}' in the reply's JSON is {raw!r}, not a number")
        problem = _on_scale(value, scale)
        found = re.compile(rf'"{re.escape(key)}"\s*:\s*"?(?P<n>{NUMBER})').search(text, start)
        return Parsed(reason=problem) if problem else Parsed(value, span=found.span("n") if found else None)
    if best is None:
        return Parsed(reason="no score in the reply")
    value = float(best.group("n"))
    denominator = best.groupdict().get("d")
    if denominator is not None and float(denominator) != scale[1]:
        return Parsed(reason=f"the reply scores {best.group(0).strip()!r}, not out of {scale[1]:g}")
    problem = _on_scale(value, scale)
    return Parsed(reason=problem) if problem else Parsed(value, span=best.span("n"))


def verdict_word(word: str) -> bool | None:
    """True for a word meaning "the same", False for "different", None for anything else."""
    normal = " ".join(word.lower().split())
    return True if normal in SAME else False if normal in DIFFERENT else None


def parse_verdict(text: str, key: str = "verdict") -> Parsed:
    """A same/different verdict (True/False): the JSON answer's ``key`` or the first verdict pattern, whichever comes first."""
    has, value, start = json_answer(text, key)
    best = first_match(_VERDICT_PATTERNS, text, "w")
    if has and not _before(best, start):
        verdict = value if isinstance(value, bool) else verdict_word(value) if isinstance(value, str) else None
        if verdict is None:
            return Parsed(reason=f"'{key}' in the reply's JSON is {value!r}, not a verdict")
        return Parsed(verdict)
    if best is None:
        return Parsed(reason="no verdict in the reply")
    return Parsed(verdict_word(best.group("w")))


def parse_scores(text: str, count: int, scale: Sequence[float]) -> Parsed:
    """One score per candidate (``count`` of them, in order), from JSON ``scores`` (a list, or a
    mapping from candidate number to score) or from lines ``Response 3: 7``, whichever comes first."""
    has, raw, start = json_answer(text, "scores")
    if has and not _before(first_match((_LABELLED_SCORE,), text, "n"), start):
        if isinstance(raw, dict):
            raw = [raw.get(str(i + 1), raw.get(f"response_{i + 1}")) for i in range(count)]
        if not isinstance(raw, list):
            return Parsed(reason=f"'scores' in the reply's JSON is {type(raw).__name__}, not a list")
        return _checked_scores([_number(v) for v in raw], count, scale)
    by_candidate: dict[int, float] = {}
    quoted = _quoted_spans(text)
    for match in _LABELLED_SCORE.finditer(text[:start]):  # the lines before a JSON answer
        if not _inside(match.start("n"), quoted):
            by_candidate.setdefault(int(match.group("i")), float(match.group("n")))  # a candidate's first score
    if not by_candidate:
        return Parsed(reason="no scores in the reply")
    return _checked_scores([by_candidate.get(i + 1) for i in range(count)], count, scale)


def _checked_scores(values: list[float | None], count: int, scale: Sequence[float]) -> Parsed:
    if len(values) != count:
        return Parsed(reason=f"the reply gives {len(values)} scores for {count} responses")
    if any(v is None for v in values):
        return Parsed(reason=f"the reply does not score every one of the {count} responses")
    for v in values:
        if _on_scale(v, scale):
            return Parsed(reason=_on_scale(v, scale))
    return Parsed(values)


def parse_ranking(text: str, count: int) -> Parsed:
    """A best-to-worst order of candidates 1..``count`` from JSON ``ranking`` or ``3 > 1 > 2``, whichever comes first."""
    has, order, start = json_answer(text, "ranking")
    found = first_match((_ORDER,), text, 0)
    if not has or _before(found, start):
        if found is None:
            return Parsed(reason="no ranking in the reply")
        order = [int(n) for n in re.findall(r"\d+", found.group(0))]
    if not isinstance(order, list) or sorted(_number(n) or 0 for n in order) != list(range(1, count + 1)):
        return Parsed(reason=f"the ranking {order!r} is not an order of responses 1 to {count}")
    return Parsed([int(n) for n in order])


def expected_score(logprobs: list[dict[str, Any]], span: tuple[int, int], scale: Sequence[float]) -> float | None:
    """The probability-weighted score at the token that wrote the score, or None when it cannot
    be read (no log-probabilities, or the number was split across tokens).

    ``logprobs`` are the reply's tokens in order, each ``{"token", "logprob", "top_logprobs":
    [{"token", "logprob"}, ...]}`` (the OpenAI chat format). The alternatives at that token that
    are numbers on the scale are weighted by their probability, renormalised over those numbers.
    """
    position = 0
    for entry in logprobs:
        token = entry.get("token") or ""
        if position <= span[0] < position + len(token):
            if position + len(token) < span[1] or _number(token) is None:
                return None  # the number spans several tokens
            weights: dict[float, float] = {}
            for alternative in entry.get("top_logprobs") or [{"token": token, "logprob": entry.get("logprob", 0.0)}]:
                value, logprob = _number(alternative.get("token") or ""), alternative.get("logprob")
                if value is not None and not _on_scale(value, scale) and isinstance(logprob, (int, float)):
                    weights[value] = weights.get(value, 0.0) + math.exp(logprob)
            total = sum(weights.values())
            return sum(v * w for v, w in weights.items()) / total if total > 0 else None
        position += len(token)
    return None
