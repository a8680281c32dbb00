"""Answers in words and relations, compared by their structure without sympy.

What math-verify does with them (its ``verify`` on latex2sympy's reading, after its normalisation),
and so what is decided here:

- **Words**: ``\\text{Evelyn}`` (``\\textbf``, ``\\textit``, ``\\textrm``, ``\\textnormal``,
  ``\\mathrm``, ``\\mathit``, ``\\mathbf``, ``\\mbox``; spaces and a pair of parentheses inside dropped,
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

- **Linear equations** ``5x - 7y + 11z + 4 = 0`` (neither an assignment; both sides sums of
  rational multiples of variables and a constant): math-verify calls two equal when the
  differences of their sides are equal or opposite, or when ``solve`` gives both the same
  solutions. Two linear equations in the same variables have the same solutions exactly when one
  is a multiple of the other; when neither is, none of the three holds (a linear equation in a
  variable always has solutions, so two empty lists never meet): they differ. Multiples are left
  to sympy (``2x + 3y = 6`` and ``4x + 6y = 12`` are equal to it, ``2x = 4`` and ``x = 2`` not).
- **Containers plus a term**: ``(3, 4) + 37``, ``[2, 5) - x``, a set, a union or a matrix with a
  term added is no expression to latex2sympy (math-verify keeps only its text); against a gold
  that can never equal a number (a tuple, an interval, ...) it is wrong, see :func:`container_plus_term`.

A word inside an expression (``864 \\mbox{ inches}^2 + 37``) is a symbol the expression reader reads
(:mod:`.expressions`). Everything else (``2x + 1 = 5``, inequalities) is left to sympy.
"""

from __future__ import annotations

import re

from fractions import Fraction

from .expressions import (
    WORD_COMMAND,
    Bracket,
    Collection,
    Interval,
    IntervalUnion,
    Matrix,
    Tree,
    cut_as_unit,
    read_form,
    rewritten,
    variables,
    word,
)
from .exact import Value, exact_form
from .numerals import parse_numeral

_LEADING_WORD = re.compile(WORD_COMMAND + r"\{[^{}]*\}")
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
    if found is None or not _UNIT.fullmatch(found.group(1)) or rewritten(found.group(1)):
        return answer
    stripped = text[: found.start()].strip()
    return stripped or answer


def _word_and_number(answer: str) -> bool:
    """A word, then plus or minus a non-zero plain number (``\\text{Evelyn}+37``; the other way
    round the word would be dropped as a unit, and math-verify would not read the rest)."""
    found = _LEADING_WORD.match(answer.lstrip())
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
    if answer.count("=") != 1 or "," in answer or ";" in answer or cut_as_unit(answer):
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


def compare_linear_equations(gold: str, pred: str) -> bool | None:
    """False where ``gold`` and ``pred`` are linear equations in the same variables, neither a
    multiple of the other (see the module docstring); None otherwise."""
    if assignment(gold) is not None or assignment(pred) is not None:
        return None
    forms = [_linear_equation(gold), _linear_equation(pred)]
    if forms[0] is None or forms[1] is None:
        return None
    g, p = forms
    if set(g) != set(p) or len(g) < 2:  # the same variables (and the constant, None, in both)
        return None
    first = next(v for v in g if v is not None)
    ratio = p[first] / g[first]
    return None if all(p[v] == ratio * g[v] for v in g) else False


def _linear_equation(answer: str) -> dict[str | None, Fraction] | None:
    """``L = R`` as the coefficients of ``L - R`` (variable names, the constant under None; zero
    coefficients dropped but the constant's), or None where it is not a linear equation."""
    if answer.count("=") != 1 or len(_RELATION.findall(answer)) != 1 or cut_as_unit(answer):
        return None
    left, right = (read_form(side) for side in answer.split("="))
    if not isinstance(left, tuple) or not isinstance(right, tuple):
        return None
    coefficients: dict[str | None, Fraction] = {None: Fraction(0)}
    try:
        for tree, sign in ((left, 1), (right, -1)):
            for name, c in _linear(tree).items():
                coefficients[name] = coefficients.get(name, Fraction(0)) + sign * c
    except _NotLinear:
        return None
    out = {v: c for v, c in coefficients.items() if c or v is None}
    named = {v for v in out if v is not None}
    if named != variables(left) | variables(right):
        return None  # a variable that cancels: its symbol is still there to sympy's solve
    return out


class _NotLinear(Exception):
    """The tree is not a sum of rational multiples of variables and a constant."""


def _linear(tree: Tree) -> dict[str | None, Fraction]:
    """A tree as a sum of rational multiples of variables and a rational constant (under None)."""
    if not variables(tree):
        value = exact_form(tree)  # None for decimals, e, functions, ...
        number = value.rational() if isinstance(value, Value) else None
        if number is None:
            raise _NotLinear
        return {None: number}
    op = tree[0]
    if op == "var":
        return {tree[1]: Fraction(1)}
    if op == "neg":
        return {v: -c for v, c in _linear(tree[1]).items()}
    if op == "+":
        total: dict[str | None, Fraction] = {}
        for term in tree[1]:
            for v, c in _linear(term).items():
                total[v] = total.get(v, Fraction(0)) + c
        return total
    if op == "*":
        parts = [_linear(factor) for factor in tree[1]]
        varying = [part for part in parts if set(part) != {None}]
        if len(varying) != 1:
            raise _NotLinear  # x·y, or a product with no variable (handled above)
        scale = Fraction(1)
        for part in parts:
            if part is not varying[0]:
                scale *= part[None]
        return {v: scale * c for v, c in varying[0].items()}
    raise _NotLinear  # 1/x, x^2, \sqrt{x}, \sin x


def _sides_read(answer: str) -> bool:
    """A relation with two sides that both read as expressions (so math-verify parses it)."""
    sides = _RELATION.split(answer)
    return len(sides) == 2 and not cut_as_unit(answer) and all(read_form(side) is not None for side in sides)


# What latex2sympy reads as a tuple, interval, union, set or matrix starts with one of these.
_OPENERS = ("(", "[", "\\left", "\\{", "\\lbrace", "\\begin")
# Where math-verify's extraction finds pieces of an answer it cannot parse whole: its pattern for
# a plain fraction of numbers (one is a number; two joined by a comma, "and" or "or" a set) and
# its pattern for [..] between spaces.
_FRACTION = r"\\frac\{-?\d+(?:[.,]\d+)?\}\{-?\d+(?:[.,]\d+)?\}"
_JOINED_FRACTIONS = re.compile(_FRACTION + r"\s*(?:,?and|,?or|,)\s*" + _FRACTION)
_SPACED_BRACKETS = re.compile(r"\s\[[^\n\]\[]+?\]\s")


def container_plus_term(answer: str) -> bool:
    """A tuple, interval, set, union or matrix, then ``+`` or ``-`` and an expression (``(3, 4) + 37``).

    latex2sympy cannot read it (a syntax error after the bracket; a matrix plus a number is a type
    error), and nothing in it that math-verify's extraction could parse on its own is more than a
    number (a plain ``\\frac{1}{2}`` it finds is; two joined, ``\\frac{1}{2}, \\frac{3}{4}``, are a
    set, and ``[...]`` between spaces may be one: those are not read here). So math-verify keeps
    the answer's text and at most a number, never equal to a gold that never equals a number
    (:func:`never_a_number`)."""
    if _JOINED_FRACTIONS.search(answer) or _SPACED_BRACKETS.search(answer) or "\n" in answer:
        return False
    text = answer.strip()
    if not text.startswith(_OPENERS) or "\\text" in text or "\\math" in text or "\\mbox" in text:
        return False
    depth = 0
    for i, ch in enumerate(text):
        if ch in "([{" or text.startswith("\\begin", i):
            depth += 1
        elif ch in ")]}" or text.startswith("\\end", i):
            depth -= 1
        elif ch in "+-" and depth == 0:
            form = read_form(text[:i])
            if isinstance(form, (Bracket, Collection, Matrix, IntervalUnion)):
                return isinstance(read_form(text[i + 1 :]), tuple)
    return False


def never_a_number(form: object, exact: object, numeric: object) -> bool:
    """Whether latex2sympy's object for an answer (read as ``form``, its ``exact`` and ``numeric``
    values) equals no number and no finite set of one: a tuple, an interval or a union of them, a
    matrix of two entries or more, a set of two different numbers or more."""
    if isinstance(form, Matrix):
        return sum(len(row) for row in form.rows) >= 2
    if isinstance(form, Collection) and form.kind == "tuple":
        return True
    if isinstance(numeric, (Interval, IntervalUnion)) or (isinstance(numeric, Collection) and numeric.kind == "tuple"):
        return True
    return isinstance(exact, Collection) and len(set(exact.items)) >= 2
