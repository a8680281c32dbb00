"""Answers in words and relations, compared by their structure without sympy.

What math-verify does with them (its ``verify`` on latex2sympy's reading, after its normalisation),
and so what is decided here:

- **Words**: ``\\text{Evelyn}`` (``\\textbf``, ``\\textit``, ``\\textrm``, ``\\textnormal``,
  ``\\mathrm``, ``\\mathit``, ``\\mathbf``; spaces and a pair of parentheses inside dropped,
  lower-cased: ``\\text{(C)}`` is ``c``) is one symbol, and a symbol is compared with another
  symbol by name, with a number or a sum by its printed form (``evelyn + 37`` is not
  ``evelyn``). So two words are equal when their names are, and a word is never a plain number,
  nor itself plus or minus a non-zero number. Words that the normalisation rewrites (``and``,
  ``or``, ``percent``, anything with ``inf`` in it, ...) are not read here.
- **Assignments** ``x = R`` (one variable on the left, as the expression reader reads it):
  compared with an answer that is not a relation, math-verify compares ``R``; two assignments
  to the same variable compare their values, and two numbers assigned to different variables
  differ. A relation whose two sides both read as expressions equals itself written the same way.

- **Units**: a trailing ``\\text{...}`` or ``\\mbox{...}`` (with a ``^2``) after something else is
  dropped (``864 \\mbox{ inches}^2`` is ``864``, ``\\frac{270}7\\text{ degrees}`` is ``\\frac{270}7``),
  as math-verify's normalisation drops it, before the answer is read.

Everything else (``2x + 1 = 5``, inequalities, a word inside an expression) is left to sympy.
"""

from __future__ import annotations

import re

from .expressions import read_form
from .numerals import parse_numeral

_WORD_COMMAND = r"\\(?:text|textbf|textit|textrm|textnormal|mathrm|mathit|mathbf)\s*"
_WORD = re.compile(_WORD_COMMAND + r"\{\s*(\(\s*)?([A-Za-z](?:[A-Za-z ]*[A-Za-z])?)\s*(?(1)\))\s*\}")
# Words math-verify's normalisation rewrites before parsing (connectives, percent, infinity, units
# after \mathrm, square roots): these are not read as words here.
_REWRITTEN = frozenset({"and", "or", "percent", "percentage", "pct", "th", "sqrt"})
_RELATION = re.compile(r"=|<|>|\\(?:le|ge|leq|geq|ne|neq|lt|gt|approx)(?![A-Za-z])")


# math-verify's normalisation: these commands become \text, then a trailing \text{...} or \mbox{...}
# (and a ^digit after it) is removed where something is left (its unit_superscript_regex).
_AS_TEXT = re.compile(r"\\math(?:rm|it|bf)|\\text(?:normal|bf|it|rm)")
_TRAILING_TEXT = re.compile(r"(\\(?:text|mbox){.*?})(\^\d|\{\^\d\})?$")
_UNIT = re.compile(r"\\(?:text|mbox)\{\s*[A-Za-z][A-Za-z ]*[A-Za-z]\s*\}")


def without_unit(answer: str) -> str:
    """``answer`` without the trailing unit in ``\\text{...}``/``\\mbox{...}`` (two letters or more)
    that math-verify drops; ``answer`` itself where it has none."""
    if "\\text" not in answer and "\\mbox" not in answer and "\\math" not in answer:
        return answer
    text = _AS_TEXT.sub(r"\\text", answer)
    found = _TRAILING_TEXT.search(text)
    if found is None or not _UNIT.fullmatch(found.group(1)) or _rewritten(found.group(1)):
        return answer
    stripped = text[: found.start()].strip()
    return stripped or answer


def _rewritten(text: str) -> bool:
    """Words in ``text`` that math-verify's normalisation rewrites (``percent`` is ``%``, ...)."""
    lowered = text.lower()
    return "inf" in lowered or any(w in _REWRITTEN for w in re.findall(r"[a-z]+", lowered))


def word(answer: str) -> str | None:
    """The symbol name math-verify gives a word answer (``\\text{Eve lyn}``: ``evelyn``), or None."""
    found = _WORD.fullmatch(answer.strip())
    if found is None:
        return None
    letters = found.group(2)
    if _rewritten(letters):
        return None
    if answer.lstrip().startswith("\\mathrm") and len(letters) == 1:
        return None  # \mathrm{T}, \mathrm{d} are rewritten to other symbols
    return "".join(letters.lower().split())


def _word_and_number(answer: str) -> bool:
    """A word, then plus or minus a non-zero plain number (``\\text{Evelyn}+37``; the other way
    round the word would be dropped as a unit, and math-verify would not read the rest)."""
    found = _WORD.match(answer.lstrip())
    if found is None or word(found.group()) is None:
        return False
    rest = answer.lstrip()[found.end() :].strip()
    number = parse_numeral(rest[1:]) if rest[:1] in "+-" else None
    return number is not None and number.value != 0 and not number.percent


def compare_words(gold: str, pred: str) -> bool | None:
    """math-verify's verdict where the gold is a word answer, or None where sympy must decide."""
    name = word(gold)
    if name is None:
        return False if word(pred) is not None and parse_numeral(gold) is not None else None
    other = word(pred)
    if other is not None:
        return name == other
    if parse_numeral(pred) is not None or _word_and_number(pred):
        return False
    return None


def assignment(answer: str) -> tuple[str, str] | None:
    """``(variable, right side)`` of ``x = R`` where R reads as an expression, or None."""
    if answer.count("=") != 1 or "," in answer or ";" in answer:
        return None
    left, right = answer.split("=")
    if _RELATION.search(left) or _RELATION.search(right) or not right.strip():
        return None
    variable = read_form(left)
    if not (isinstance(variable, tuple) and variable[0] == "var") or read_form(right) is None:
        return None
    return variable[1], right.strip()


def is_relation(answer: str) -> bool:
    """``=``, ``<``, ``>``, ``\\le``, ... anywhere in the answer."""
    return _RELATION.search(answer) is not None


def unwrap_assignments(gold: str, pred: str) -> tuple[str, str, bool | None]:
    """The pair as math-verify compares it when one side is an assignment: ``(gold, pred, verdict)``,
    with the assignment replaced by its right side (the other side not a relation), or a verdict
    on two assignments of different variables (False) or written the same way (True)."""
    gold_assigns, pred_assigns = assignment(gold), assignment(pred)
    if gold_assigns is not None and pred_assigns is not None:
        if gold_assigns[0] == pred_assigns[0]:
            return gold_assigns[1], pred_assigns[1], None
        numbers = parse_numeral(gold_assigns[1]) is not None and parse_numeral(pred_assigns[1]) is not None
        return gold, pred, False if numbers else None  # x = 5 is not y = 5 (other values: sympy's solve decides)
    if gold_assigns is not None and not is_relation(pred):
        return gold_assigns[1], pred, None
    if pred_assigns is not None and not is_relation(gold):
        return gold, pred_assigns[1], None
    if "".join(gold.split()) == "".join(pred.split()) and _sides_read(gold):
        return gold, pred, True
    return gold, pred, None


def _sides_read(answer: str) -> bool:
    """A relation with two sides that both read as expressions (so math-verify parses it)."""
    sides = _RELATION.split(answer)
    return len(sides) == 2 and all(read_form(side) is not None for side in sides)
