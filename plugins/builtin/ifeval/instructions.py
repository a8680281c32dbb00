"""The IFEval instructions: each one's arguments and its check, by instruction id.

The ids, argument names and verdicts are those of Google's IFEval (Zhou et al. 2023,
"Instruction-Following Evaluation for Large Language Models"), as its checker in ``lm-eval``
decides them; ``docs/ifeval.md`` lists where rewardkit deliberately decides otherwise (a keyword
is a literal, not a regular expression; a missing argument is an error, not a random value).
Every check is linear in the response.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from .counting import count_capital_words, count_sentences, count_words
from .scanning import count_bullets, count_placeholders, titles

RELATIONS = ("less than", "at least")
CONSTRAINED_OPTIONS = ("My answer is yes.", "My answer is no.", "My answer is maybe.")


class InstructionError(ValueError):
    """A row names an unknown instruction or gives it unusable arguments."""


@dataclass(frozen=True)
class Args:
    """An instruction's arguments, read from the row's kwargs, and what checks need besides."""

    values: Mapping[str, Any]
    language_of: Callable[[str], str | None]  # the detected language of a text (None: cannot tell)

    def __getitem__(self, key: str) -> Any:
        return self.values[key]


# -- reading arguments -----------------------------------------------------------------------------


def _number(instruction: str, kwargs: Mapping[str, Any], key: str, minimum: int = 0) -> int:
    value = kwargs.get(key)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise InstructionError(f"instruction '{instruction}' needs '{key}': an integer >= {minimum}, got {value!r}")
    return value


def _text(instruction: str, kwargs: Mapping[str, Any], key: str) -> str:
    value = kwargs.get(key)
    if not isinstance(value, str) or not value.strip():
        raise InstructionError(f"instruction '{instruction}' needs '{key}': a non-empty string, got {value!r}")
    return value.strip()


def _words(instruction: str, kwargs: Mapping[str, Any], key: str) -> list[str]:
    value = kwargs.get(key)
    if not isinstance(value, (list, tuple)) or not value or not all(isinstance(w, str) and w for w in value):
        raise InstructionError(f"instruction '{instruction}' needs '{key}': a list of strings, got {value!r}")
    return list(value)


def _relation(instruction: str, kwargs: Mapping[str, Any], key: str) -> str:
    value = kwargs.get(key)
    if value not in RELATIONS:
        raise InstructionError(f"instruction '{instruction}' needs '{key}': 'less than' or 'at least', got {value!r}")
    return value


def _compare(count: int, relation: str, threshold: int) -> bool:
    return count < threshold if relation == "less than" else count >= threshold


def _literal(word: str) -> re.Pattern[str]:
    return re.compile(re.escape(word), re.IGNORECASE)


# -- the checks ------------------------------------------------------------------------------------


def keywords_existence(text: str, a: Args) -> bool:
    return all(p.search(text) for p in a["patterns"])


def keywords_frequency(text: str, a: Args) -> bool:
    return _compare(sum(1 for _ in a["pattern"].finditer(text)), a["relation"], a["frequency"])


def forbidden_words(text: str, a: Args) -> bool:
    return not any(p.search(text) for p in a["patterns"])


def letter_frequency(text: str, a: Args) -> bool:
    return _compare(text.lower().count(a["letter"]), a["relation"], a["frequency"])


def _in_language(text: str, a: Args, target: str) -> bool:
    detected = a.language_of(text)
    if detected is None:
        return True  # IFEval passes a text its detector cannot tell
    # a bare code accepts every region of its language (zh: zh-cn, zh-tw)
    return detected == target or ("-" not in target and detected.partition("-")[0] == target)


def response_language(text: str, a: Args) -> bool:
    return _in_language(text, a, a["language"])


def number_sentences(text: str, a: Args) -> bool:
    return _compare(count_sentences(text), a["relation"], a["num_sentences"])


def number_paragraphs(text: str, a: Args) -> bool:
    paragraphs = re.split(r"\s?\*\*\*\s?", text)
    count = len(paragraphs)
    for i, paragraph in enumerate(paragraphs):
        if not paragraph.strip():
            if 0 < i < len(paragraphs) - 1:
                return False  # an empty paragraph between two dividers
            count -= 1
    return count == a["num_paragraphs"]


def number_words(text: str, a: Args) -> bool:
    return _compare(count_words(text), a["relation"], a["num_words"])


def nth_paragraph_first_word(text: str, a: Args) -> bool:
    paragraphs = text.split("\n\n")
    count = sum(1 for p in paragraphs if p.strip())
    nth = a["nth_paragraph"]
    # IFEval indexes the split as it is, blank paragraphs included, but counts only non-blank ones.
    if nth > count:
        return False
    paragraph = paragraphs[nth - 1].strip()
    if not paragraph:
        return False
    word = paragraph.split()[0].lstrip("'").lstrip('"')
    first = "".join(ch.lower() for ch in re.match(r"[^.,?!'\"]*", word).group(0))  # IFEval lowers letter by letter
    return count == a["num_paragraphs"] and first == a["first_word"]


def number_placeholders(text: str, a: Args) -> bool:
    return count_placeholders(text) >= a["num_placeholders"]


def postscript(text: str, a: Args) -> bool:
    return a["pattern"].search(text.lower()) is not None


def number_bullet_lists(text: str, a: Args) -> bool:
    return count_bullets(text) == a["num_bullets"]


def constrained_response(text: str, a: Args) -> bool:
    return any(option in text for option in CONSTRAINED_OPTIONS)


def number_highlighted_sections(text: str, a: Args) -> bool:
    single = sum(1 for m in re.finditer(r"\*[^\n*]*\*", text) if m.group(0).strip("*").strip())
    double = sum(1 for m in re.finditer(r"\*\*[^\n*]*\*\*", text) if m.group(0)[2:-2].strip())
    return single + double >= a["num_highlights"]


def multiple_sections(text: str, a: Args) -> bool:
    return sum(1 for _ in a["pattern"].finditer(text)) >= a["num_sections"]


def json_format(text: str, a: Args) -> bool:
    value = text.strip()
    for prefix in ("```json", "```Json", "```JSON", "```"):
        value = value.removeprefix(prefix)
    value = value.removesuffix("```").strip()
    try:
        json.loads(value)
    except (ValueError, RecursionError):  # RecursionError: nesting deeper than Python's stack
        return False
    return True


def title(text: str, a: Args) -> bool:
    return any(t.lstrip("<").rstrip(">").strip() for t in titles(text))


def two_responses(text: str, a: Args) -> bool:
    parts = text.split("******")
    answers = []
    for i, part in enumerate(parts):
        if part.strip():
            answers.append(part.strip())
        elif 0 < i < len(parts) - 1:
            return False
    return len(answers) == 2 and answers[0] != answers[1]


def repeat_prompt(text: str, a: Args) -> bool:
    return text.strip().lower().startswith(a["prompt_to_repeat"].lower())


def end_checker(text: str, a: Args) -> bool:
    return text.strip().strip('"').lower().endswith(a["end_phrase"].lower())


def english_capital(text: str, a: Args) -> bool:
    return text.isupper() and _in_language(text, a, "en")


def english_lowercase(text: str, a: Args) -> bool:
    return text.islower() and _in_language(text, a, "en")


def capital_word_frequency(text: str, a: Args) -> bool:
    return _compare(count_capital_words(text), a["relation"], a["frequency"])


def no_comma(text: str, a: Args) -> bool:
    return "," not in text


def quotation(text: str, a: Args) -> bool:
    text = text.strip()
    return len(text) > 1 and text[0] == '"' and text[-1] == '"'


# -- arguments per instruction ---------------------------------------------------------------------


def _no_args(i: str, k: Mapping[str, Any]) -> dict[str, Any]:
    return {}


def _postscript_pattern(marker: str) -> re.Pattern[str]:
    # IFEval's two markers are matched with optional spaces between their letters.
    if marker == "P.P.S":
        return re.compile(r"p\.\s?p\.\s?s")
    if marker == "P.S.":
        return re.compile(r"p\.\s?s\.")
    return re.compile(re.escape(marker.lower()))


def _letter(i: str, k: Mapping[str, Any]) -> str:
    letter = _text(i, k, "letter").lower()
    if len(letter) != 1 or not "a" <= letter <= "z":
        raise InstructionError(f"instruction '{i}' needs 'letter': one letter a-z, got {k.get('letter')!r}")
    return letter


def _paragraph_args(i: str, k: Mapping[str, Any]) -> dict[str, Any]:
    paragraphs = _number(i, k, "num_paragraphs", 1)
    nth = _number(i, k, "nth_paragraph", 1)
    _text(i, k, "first_word")
    return {"num_paragraphs": paragraphs, "nth_paragraph": nth, "first_word": k["first_word"].lower()}


ArgReader = Callable[[str, Mapping[str, Any]], dict[str, Any]]

# instruction id -> (check, argument reader). The reader validates the row's kwargs once.
INSTRUCTIONS: dict[str, tuple[Callable[[str, Args], bool], ArgReader]] = {
    "keywords:existence": (
        keywords_existence, lambda i, k: {"patterns": [_literal(w) for w in _words(i, k, "keywords")]}
    ),
    "keywords:frequency": (
        keywords_frequency,
        lambda i, k: {
            "pattern": _literal(_text(i, k, "keyword")),
            "frequency": _number(i, k, "frequency"),
            "relation": _relation(i, k, "relation"),
        },
    ),
    "keywords:forbidden_words": (
        forbidden_words,
        lambda i, k: {"patterns": [re.compile(rf"\b{re.escape(w)}\b", re.IGNORECASE) for w in _words(i, k, "forbidden_words")]},
    ),
    "keywords:letter_frequency": (
        letter_frequency,
        lambda i, k: {"letter": _letter(i, k), "frequency": _number(i, k, "let_frequency"), "relation": _relation(i, k, "let_relation")},
    ),
    "language:response_language": (response_language, lambda i, k: {"language": _text(i, k, "language").lower()}),
    "length_constraints:number_sentences": (
        number_sentences, lambda i, k: {"num_sentences": _number(i, k, "num_sentences"), "relation": _relation(i, k, "relation")}
    ),
    "length_constraints:number_paragraphs": (number_paragraphs, lambda i, k: {"num_paragraphs": _number(i, k, "num_paragraphs")}),
    "length_constraints:number_words": (
        number_words, lambda i, k: {"num_words": _number(i, k, "num_words"), "relation": _relation(i, k, "relation")}
    ),
    "length_constraints:nth_paragraph_first_word": (nth_paragraph_first_word, _paragraph_args),
    "detectable_content:number_placeholders": (
        number_placeholders, lambda i, k: {"num_placeholders": _number(i, k, "num_placeholders")}
    ),
    "detectable_content:postscript": (
        postscript, lambda i, k: {"pattern": _postscript_pattern(_text(i, k, "postscript_marker"))}
    ),
    "detectable_format:number_bullet_lists": (number_bullet_lists, lambda i, k: {"num_bullets": _number(i, k, "num_bullets")}),
    "detectable_format:constrained_response": (constrained_response, _no_args),
    "detectable_format:number_highlighted_sections": (
        number_highlighted_sections, lambda i, k: {"num_highlights": _number(i, k, "num_highlights")}
    ),
    "detectable_format:multiple_sections": (
        multiple_sections,
        lambda i, k: {
            "pattern": re.compile(rf"\s?{re.escape(_text(i, k, 'section_spliter'))}\s?\d+\s?"),
            "num_sections": _number(i, k, "num_sections"),
        },
    ),
    "detectable_format:json_format": (json_format, _no_args),
    "detectable_format:title": (title, _no_args),
    "combination:two_responses": (two_responses, _no_args),
    "combination:repeat_prompt": (repeat_prompt, lambda i, k: {"prompt_to_repeat": _text(i, k, "prompt_to_repeat")}),
    "startend:end_checker": (end_checker, lambda i, k: {"end_phrase": _text(i, k, "end_phrase")}),
    "change_case:capital_word_frequency": (
        capital_word_frequency,
        lambda i, k: {"frequency": _number(i, k, "capital_frequency"), "relation": _relation(i, k, "capital_relation")},
    ),
    "change_case:english_capital": (english_capital, _no_args),
    "change_case:english_lowercase": (english_lowercase, _no_args),
    "punctuation:no_comma": (no_comma, _no_args),
    "startend:quotation": (quotation, _no_args),
}


def read_instruction(instruction: str, kwargs: Any) -> dict[str, Any]:
    """The validated arguments of one instruction from its kwargs (None values are absent keys)."""
    if instruction not in INSTRUCTIONS:
        raise InstructionError(f"unknown IFEval instruction '{instruction}' (known: {', '.join(INSTRUCTIONS)})")
    if kwargs is None:
        kwargs = {}
    if not isinstance(kwargs, Mapping):
        raise InstructionError(f"instruction '{instruction}': kwargs must be a mapping, got {type(kwargs).__name__}")
    present = {key: value for key, value in kwargs.items() if value is not None}
    return INSTRUCTIONS[instruction][1](instruction, present)
