"""Reading a judge's reply: a score on a scale, a verdict, or one score (or a rank) per candidate.

Before anything is read, ``<think>…</think>`` blocks are blanked (an unclosed ``<think>`` hides
the rest of the reply) and so is any quoted block the judge echoed back (:mod:`.quoting`). Then,
first that answers wins:

1. a JSON object in the reply holding the expected key (``score``, ``verdict``, ``scores``,
   ``ranking``); the last such object counts, so a judge that reasons first and answers last is
   read right. This is what structured output (``response_format``) produces.
2. the patterns judges write, the last one in the reply: ``Score: 7`` (also ``Rating``,
   ``Grade``, ``**Score:** 7``, ``score of 7``), ``7/10`` and ``7 out of 10`` (only when the
   denominator is the top of the scale), ``[[7]]`` (MT-Bench), ``\\boxed{7}``, or a reply that is
   nothing but the number; for verdicts ``Verdict: same``, ``[[same]]``, ``\\boxed{same}`` or a
   reply that is only a verdict word.

Only the expected format is read: a number or word elsewhere in the reasoning never counts, and a
number outside the scale is refused rather than clipped. Every refusal says why (it becomes the
sample's ``judge_error`` note).
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any, Iterator, Sequence

NUMBER = r"[-+]?\d+(?:\.\d+)?"
JSON_TRIES = 64  # opening braces tried, from the end of the reply (each try is linear in the reply)

_THINK = re.compile(r"<think>.*?</think>", re.DOTALL | re.IGNORECASE)
_THINK_OPEN = re.compile(r"<think>", re.IGNORECASE)
_THINK_CLOSE = re.compile(r"</think>", re.IGNORECASE)
_MARKUP = r"(?:\*\*|__|\*|`)?"
_SCORE_PATTERNS = (
    re.compile(
        rf"\b(?:score|rating|grade)\b{_MARKUP}\s*(?::|=|is|of)?\s*{_MARKUP}\s*(?P<n>{NUMBER})"
        rf"(?:\s*(?:/|out\s+of)\s*(?P<d>{NUMBER}))?",
        re.IGNORECASE,
    ),
    re.compile(rf"\[\[\s*(?P<n>{NUMBER})\s*\]\]"),
    re.compile(rf"\\boxed\{{\s*(?P<n>{NUMBER})\s*\}}"),
    re.compile(rf"(?<![\w.])(?P<n>{NUMBER})\s*(?:/|out\s+of)\s*(?P<d>{NUMBER})(?!\w|\.\d)", re.IGNORECASE),
    re.compile(rf"\A\s*{_MARKUP}(?P<n>{NUMBER}){_MARKUP}\s*\.?\s*\Z"),
)
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
    """The outermost JSON objects in ``text``, last first, with where each starts (decoding is
    tried from the last JSON_TRIES opening braces only, so a hostile reply costs linear time)."""
    decoder = json.JSONDecoder()
    found: list[tuple[int, int, dict[str, Any]]] = []
    for match in list(re.finditer(r"\{", text))[-JSON_TRIES:]:
        try:
            value, end = decoder.raw_decode(text, match.start())
        except ValueError:
            continue
        if isinstance(value, dict):
            found.append((match.start(), end, value))
    for start, end, value in reversed(found):
        if not any(s < start and end <= e for s, e, _ in found):
            yield value, start


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
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, str) and re.fullmatch(rf"\s*{NUMBER}\s*", value):
        return float(value)
    return None


def _on_scale(value: float, scale: Sequence[float]) -> str:
    low, high = scale
    return "" if low <= value <= high else f"{value:g} is outside the scale [{low:g}, {high:g}]"


def parse_score(text: str, scale: Sequence[float], key: str = "score") -> Parsed:
    """The score in a (cleaned) reply: from a JSON object's ``key``, else the last score pattern."""
    for obj, start in json_objects(text):
        has, raw = find_key(obj, key)
        if has:
            value = _number(raw)
            if value is None:
                return Parsed(reason=f"'{key}' in the reply's JSON is {raw!r}, not a number")
            problem = _on_scale(value, scale)
            found = re.compile(rf'"{re.escape(key)}"\s*:\s*"?(?P<n>{NUMBER})').search(text, start)
            return Parsed(reason=problem) if problem else Parsed(value, span=found.span("n") if found else None)
    best = None
    for pattern in _SCORE_PATTERNS:
        for match in pattern.finditer(text):
            if best is None or match.start("n") > best.start("n"):
                best = match
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
    """A same/different verdict (True/False) from a JSON ``key`` or the last verdict pattern."""
    for obj, _ in json_objects(text):
        has, value = find_key(obj, key)
        if has:
            verdict = value if isinstance(value, bool) else verdict_word(value) if isinstance(value, str) else None
            if verdict is None:
                return Parsed(reason=f"'{key}' in the reply's JSON is {value!r}, not a verdict")
            return Parsed(verdict)
    best = None
    for pattern in _VERDICT_PATTERNS:
        for match in pattern.finditer(text):
            if best is None or match.start("w") > best.start("w"):
                best = match
    if best is None:
        return Parsed(reason="no verdict in the reply")
    return Parsed(verdict_word(best.group("w")))


def parse_scores(text: str, count: int, scale: Sequence[float]) -> Parsed:
    """One score per candidate (``count`` of them, in order), from JSON ``scores`` (a list, or a
    mapping from candidate number to score) or from lines ``Response 3: 7``."""
    for obj, _ in json_objects(text):
        has, raw = find_key(obj, "scores")
        if has:
            if isinstance(raw, dict):
                raw = [raw.get(str(i + 1), raw.get(f"response_{i + 1}")) for i in range(count)]
            if not isinstance(raw, list):
                return Parsed(reason=f"'scores' in the reply's JSON is {type(raw).__name__}, not a list")
            return _checked_scores([_number(v) for v in raw], count, scale)
    by_candidate: dict[int, float] = {}
    for match in _LABELLED_SCORE.finditer(text):
        by_candidate[int(match.group("i"))] = float(match.group("n"))
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
    """A best-to-worst order of candidates 1..``count`` from JSON ``ranking`` or ``3 > 1 > 2``."""
    order = None
    for obj, _ in json_objects(text):
        has, order = find_key(obj, "ranking")
        if has:
            break
        order = None
    if order is None:
        found = None
        for found in _ORDER.finditer(text):
            pass
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
