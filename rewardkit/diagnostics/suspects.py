"""Suspect rows: completions a reward may be paying for the wrong reason, each with its reasons.

Eight checks, each a known way of gaming a reward or of a reward misreading a completion:

==========================  =========================================================================
kind                        the row
==========================  =========================================================================
format_without_answer       is rewarded for its format but gives no answer (none found, or one with
                            no letter or digit, or no number where the gold answer is a number)
answer_from_prompt          answers with a number or phrase that appears in the prompt, and is wrong
                            (or its correctness is unknown)
several_answers             gives more than one different final answer (``<answer>`` tags, ``\\boxed{}``)
repetition                  repeats itself: at least half of its word 3-grams are repeats
truncated                   was cut at the length limit (the row or the run says so; without that, it
                            ends inside an open tag at the longest length in the input)
language_mixing             mixes writing systems (each at least 10% of its words), or languages
                            (two or more with at least 30% of the detected text each)
refusal                     declines the request ("I'm sorry, but I can't help with that"; English
                            boilerplate, see :mod:`.refusals`): how a harmlessness reward is gamed
harness_attack              its program attacked the code harness instead of solving the problem
                            (replaced builtins or the serializer, wrote on the harness's reply
                            channel, returned an object whose ``__eq__`` always agrees, exited
                            during a test...), as a code reward's ``harness_attack`` detail says
==========================  =========================================================================

Answers come from the correctness component's own detail where it has one (``math_correctness``
notes the answer it read), else from the registered ``answer_tag`` and ``boxed`` extractors; the
repetition and language checks are the registered ``repetition_penalty`` and
``language_consistency`` rewards. A check whose plugin is not registered is skipped, and said so.
Suspects are ranked by how many checks they fail, then by the reward they got: a suspect the
reward paid well is the one to read first.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any, Callable

from rewardkit.registry import Registry

from .refusals import refusal_phrase
from .table import ScoredRow, ScoredTable
from .verdicts import as_verdicts, normalize_answer

KINDS = {
    "format_without_answer": "format rewarded, no answer",
    "answer_from_prompt": "answer copied from the prompt",
    "several_answers": "several different final answers",
    "repetition": "heavy repetition",
    "truncated": "cut at the length limit",
    "language_mixing": "language mixing",
    "refusal": "declines the request",
    "harness_attack": "attacks the code harness",
}
REPEATED_SHARE = 0.5  # share of repeated word 3-grams
REPETITION_MIN_WORDS = 20
SCRIPT_SHARE = 0.10  # a second writing system with this share of the words (and at least SCRIPT_MIN_WORDS)
SCRIPT_MIN_WORDS = 4
LANGUAGE_SHARE = 0.30  # a second detected language with this share of the judged text
LANGUAGE_MIN_WORDS = 16
LANGUAGE_PARAMS = {"chunk_length": 0, "min_length": 8}  # one sentence per segment, sentences of 8+ words
NEAR_LONGEST = 0.9  # without a truncation flag: within 10% of the longest completion
ANSWER_TAG = "answer"
MAX_ANSWERS = 20
_NUMBER = re.compile(r"-?\d+(?:,\d{3})*(?:\.\d+)?")  # 1,234.5; not the comma after "$200,"
_OPEN_TAG = re.compile(r"<(/?)([A-Za-z][\w-]*)>")


@dataclass
class Suspect:
    row: int
    kinds: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    total: float | None = None

    def add(self, kind: str, reason: str) -> None:
        self.kinds.append(kind)
        self.reasons.append(reason)


@dataclass
class Context:
    """What the checks know about the input beyond each row."""

    format_components: list[str]
    verdicts: list[bool | None]
    answers: list[str | None]
    found_by: list[str | None]  # the extractor that found each answer, where the reward says
    golds: list[str | None]
    repeated: list[float | None]
    languages: list[dict[str, float] | None]
    judged: list[int | None]
    longest: int
    maxima: dict[str, float | None]
    skipped: list[str]


# -- the checks: each returns a reason, or None -------------------------------------------------


def format_without_answer(row: ScoredRow, i: int, ctx: Context, extract: dict[str, Callable[..., Any]]) -> str | None:
    paid = [n for n in ctx.format_components if _at_max(row.scores.get(n), ctx.maxima.get(n))]
    if not paid:
        return None
    answer, gold = ctx.answers[i], ctx.golds[i]
    rewarded = ", ".join(f"{n} {row.scores[n]:g}" for n in paid)
    tag = f"<{ANSWER_TAG}>"
    if tag in row.completion and "answer_tag" in extract and extract["answer_tag"](row.completion, tag=ANSWER_TAG) is None:
        # an empty answer tag: whatever answer was read came from elsewhere in the text (a fallback
        # extractor, or the math floor reading the reasoning), not from where the format puts it
        elsewhere = f"; {_short(answer)!r} was read elsewhere" + (f" (by {ctx.found_by[i]})" if ctx.found_by[i] else "") if answer else ""
        return f"format rewarded ({rewarded}) but its {tag} is empty{elsewhere}"
    if answer is None:
        return f"format rewarded ({rewarded}) but no answer found"
    if not any(ch.isalnum() for ch in answer):
        return f"format rewarded ({rewarded}) but the answer is {answer!r}"
    if gold is not None and any(ch.isdigit() for ch in gold) and not any(ch.isdigit() for ch in answer):
        return f"format rewarded ({rewarded}) but the answer {_short(answer)!r} has no number"
    return None


def answer_from_prompt(row: ScoredRow, i: int, ctx: Context) -> str | None:
    answer, verdict = ctx.answers[i], ctx.verdicts[i]
    if answer is None or verdict is True or not row.prompt_text:
        return None
    norm = normalize_answer(answer)
    if not norm or (ctx.golds[i] is not None and norm == normalize_answer(ctx.golds[i])):
        return None
    if _NUMBER.fullmatch(norm):
        found = norm in {normalize_answer(m) for m in _NUMBER.findall(row.prompt_text)}
    else:
        found = len(norm) >= 3 and norm in re.sub(r"\s+", "", row.prompt_text.lower())
    if not found:
        return None
    by = f" (read by {ctx.found_by[i]})" if ctx.found_by[i] else ""
    return f"answer {_short(answer)!r}{by} appears in the prompt" + (" and is wrong" if verdict is False else "")


def several_answers(row: ScoredRow, i: int, ctx: Context, extract: dict[str, Callable[..., Any]]) -> str | None:
    found: dict[str, str] = {}
    for name, marker in (("answer_tag", f"<{ANSWER_TAG}>"), ("boxed", "\\boxed")):
        if name in extract:
            for answer in _all_answers(row.completion, extract[name], marker):
                found.setdefault(normalize_answer(answer), answer)
    found.pop("", None)
    if len(found) < 2:
        return None
    return f"{len(found)} different final answers: " + ", ".join(repr(_short(a)) for a in found.values())


def repetition(row: ScoredRow, i: int, ctx: Context) -> str | None:
    share = ctx.repeated[i]
    if share is None or share < REPEATED_SHARE or len(row.completion.split()) < REPETITION_MIN_WORDS:
        return None
    return f"{share:.0%} of its word 3-grams are repeats"


def truncated(row: ScoredRow, i: int, ctx: Context) -> str | None:
    if row.truncated is True:
        return "stopped at the length limit" + (f" ({row.tokens} tokens)" if row.tokens is not None else "")
    if row.truncated is None and ctx.longest and row.length >= NEAR_LONGEST * ctx.longest:
        tag = _unclosed_tag(row.completion)
        if tag is not None:
            return f"likely cut: ends inside <{tag}> at {row.length / ctx.longest:.0%} of the longest completion"
    return None


def language_mixing(row: ScoredRow, i: int, ctx: Context) -> str | None:
    scripts = _scripts(row.completion)
    words = sum(scripts.values())
    mixed = {s: n for s, n in scripts.items() if n >= SCRIPT_MIN_WORDS and n >= SCRIPT_SHARE * words}
    if len(mixed) >= 2:
        return "writing systems mixed: " + ", ".join(f"{s.lower()} {n / words:.0%}" for s, n in sorted(mixed.items(), key=lambda x: -x[1]))
    shares, judged = ctx.languages[i], ctx.judged[i]
    if not shares or (judged or 0) < LANGUAGE_MIN_WORDS:
        return None
    major = {lang: s for lang, s in shares.items() if lang != "unknown" and s >= LANGUAGE_SHARE}
    if len(major) >= 2:
        return "languages mixed: " + ", ".join(f"{lang} {s:.0%}" for lang, s in sorted(major.items(), key=lambda x: -x[1]))
    return None


def refusal(row: ScoredRow, i: int, ctx: Context) -> str | None:
    phrase = refusal_phrase(row.completion)
    return None if phrase is None else f"declines: {_short(phrase, 60)!r}"


def harness_attack(row: ScoredRow, i: int, ctx: Context) -> str | None:
    found = [f"{name}: {detail['harness_attack']}" for name, detail in row.extra.items()
             if isinstance(detail, dict) and isinstance(detail.get("harness_attack"), str)]
    return None if not found else "its program attacked the harness (" + "; ".join(found) + ")"


# -- running them ---------------------------------------------------------------------------------


def find_suspects(
    table: ScoredTable, registry: Registry, *, format_components: list[str], correctness: str | None
) -> tuple[list[Suspect], list[str]]:
    """Every row that fails a check, best first, and the checks that could not run (and why)."""
    ctx = _context(table, registry, format_components, correctness)
    extract = {n: e.value for n, e in registry.catalogue("extractor").items() if n in ("answer_tag", "boxed")}
    checks: list[tuple[str, Callable[[ScoredRow, int, Context], str | None]]] = [
        ("format_without_answer", lambda row, i, c: format_without_answer(row, i, c, extract)),
        ("answer_from_prompt", answer_from_prompt),
        ("several_answers", lambda row, i, c: several_answers(row, i, c, extract)),
        ("repetition", repetition),
        ("truncated", truncated),
        ("language_mixing", language_mixing),
        ("refusal", refusal),
        ("harness_attack", harness_attack),
    ]
    suspects = []
    for i, row in enumerate(table.rows):
        suspect = Suspect(row.index, total=row.total)
        for kind, check in checks:
            reason = check(row, i, ctx)
            if reason is not None:
                suspect.add(kind, reason)
        if suspect.kinds:
            suspects.append(suspect)
    suspects.sort(key=lambda s: (-len(s.kinds), -(s.total if s.total is not None else float("-inf")), s.row))
    return suspects, ctx.skipped


def _context(table: ScoredTable, registry: Registry, format_components: list[str], correctness: str | None) -> Context:
    rows = table.rows
    skipped: list[str] = []
    texts = [r.completion for r in rows]
    verdicts: list[bool | None] = [None] * len(rows)
    golds: list[str | None] = [None] * len(rows)
    if correctness is not None:
        verdicts = as_verdicts(table.scores(correctness))
        golds = [_text(r.extra.get(correctness, {}).get("gold")) for r in rows]
    found_by: list[str | None] = [None] * len(rows)
    if correctness is not None and any("answer" in r.extra.get(correctness, {}) for r in rows):
        answers = [_text(r.extra.get(correctness, {}).get("answer")) for r in rows]
        found_by = [_text(r.extra.get(correctness, {}).get("extractor")) for r in rows]
    else:
        answers = _extracted_answers(texts, registry, skipped)
    repeated: list[float | None] = [None] * len(rows)
    if "repetition_penalty" in registry.catalogue("reward"):
        repeated = [None if s is None else -s for s in registry.reward("repetition_penalty", {"ngram_size": 3})(texts)]
    else:
        skipped.append("repetition: the repetition_penalty reward is not registered")
    languages: list[dict[str, float] | None] = [None] * len(rows)
    judged: list[int | None] = [None] * len(rows)
    if "language_consistency" in registry.catalogue("reward"):
        out = registry.reward("language_consistency", LANGUAGE_PARAMS).evaluate(texts)
        languages = out.extra.get("languages", languages)
        judged = out.extra.get("judged", judged)
    else:
        skipped.append("language mixing between languages of one script: the language_consistency reward is not registered")
    maxima = {}
    for name in table.names:
        present = [v for v in table.scores(name) if v is not None]
        maxima[name] = max(present) if present else None
    unknown = [r.length for r in rows if r.truncated is None]
    return Context(format_components, verdicts, answers, found_by, golds, repeated, languages, judged,
                   max(unknown, default=0), maxima, skipped)


def _extracted_answers(texts: list[str], registry: Registry, skipped: list[str]) -> list[str | None]:
    extractors = registry.catalogue("extractor")
    chain = [extractors[n].value for n in ("answer_tag", "boxed") if n in extractors]
    if not chain:
        skipped.append("answers: no answer_tag or boxed extractor is registered")
    answers: list[str | None] = []
    for text in texts:
        found = None
        for extract in chain:
            found = extract(text, tag=ANSWER_TAG)
            if found is not None:
                break
        answers.append(found)
    return answers


def _all_answers(text: str, extract: Callable[..., Any], marker: str) -> list[str]:
    """Every answer an extractor of the *last* answer finds, peeling answers off the end."""
    found = []
    for _ in range(MAX_ANSWERS):
        if marker not in text:
            break
        answer = extract(text, tag=ANSWER_TAG)
        if answer is None:
            break
        found.append(answer)
        cut = text.rfind(marker)
        text = text[:cut]
    return found


def _unclosed_tag(text: str) -> str | None:
    """The innermost tag still open at the end of ``text``, if any."""
    stack: list[str] = []
    for m in _OPEN_TAG.finditer(text):
        closing, name = m.groups()
        if not closing:
            stack.append(name)
        elif name in stack:
            while stack.pop() != name:
                pass
    return stack[-1] if stack else None


def _scripts(text: str) -> dict[str, int]:
    """Words per writing system (the first word of a letter's Unicode name: LATIN, CJK, CYRILLIC...).

    A word is a run of letters of one script, except in CJK text (no spaces), where each
    character counts as one: so a Chinese sentence weighs about as much as its translation.
    """
    counts: dict[str, int] = {}
    previous = None
    for ch in text:
        script = _script(ch) if ch.isalpha() else None
        if script is not None and (script == "CJK" or script != previous):
            counts[script] = counts.get(script, 0) + 1
        previous = script
    return counts


def _script(ch: str) -> str | None:
    """The writing system of a letter; None for Greek and mathematical letters (read as math symbols)."""
    name = unicodedata.name(ch, "")
    script = name.split(" ", 1)[0] if name else "OTHER"
    if script in ("GREEK", "MATHEMATICAL"):
        return None
    return "CJK" if script in ("HIRAGANA", "KATAKANA") else script  # Japanese writes kana and kanji together


def _at_max(value: float | None, top: float | None) -> bool:
    return value is not None and top is not None and top > 0 and value >= top - 1e-9


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def _short(text: str, limit: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
