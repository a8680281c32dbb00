"""Common LaTeX answers read as exact values without sympy: integers, fractions, square roots, π,
and tuples, intervals and sets of them.

Most MATH-style answers are built from a handful of forms (``\\frac{14}{3}``, ``3\\sqrt{13}``,
``\\frac{\\pi}{2}``, ``\\left( 3, \\frac{\\pi}{2} \\right)``, ``(-\\infty, 2]``, ``\\{1, 2\\}``).
:func:`read_exact` reads exactly those into a canonical form (a sum of rational multiples of
``√m·π^k``, ``m`` square-free), and :func:`compare_exact` decides two of them: square roots of
distinct square-free numbers and the powers of π are linearly independent over the rationals, so
two canonical forms are equal exactly when the numbers are. Anything else (a decimal, a variable,
``\\sqrt[3]{}``, a division by a sum, an unknown command, a bracket form whose reading is not
certain) gives None and goes to sympy.

The readings follow latex2sympy's (what math-verify builds): ``(a, b)`` with ``a < b`` is an open
interval and otherwise a tuple, ``[a, b]`` an interval when ``a < b``, ``\\{…\\}`` and a bare
``a, b`` are sets, ``2\\frac{3}{4}`` is the mixed number 11/4. Two answers of different kinds (a
set against a tuple) are left to sympy, as are values closer than 1e-9 (where math-verify's
numeric comparison could round them together).

This runs in the caller's process on model text: one linear pass to tokenize, a recursive-descent
parse whose depth is bounded by the answer's bracket nesting (the verifier refuses more than 50),
integers capped at 300 digits, exponents at 64, square roots at 10**12; nothing is evaluated.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Union

MAX_DIGITS = 300
MAX_EXPONENT = 64
MAX_RADICAND = 10**12
CLOSE = 1e-9  # relative distance under which two different values are left to sympy

# One token per match; whitespace and spacing commands are skipped, anything unknown stops.
_TOKEN = re.compile(
    r"""
    (?P<skip>\s+|\\[,;:!\ ]|~|\\left(?=[(\[.]|\\\{)|\\right(?=[)\].]|\\\})|\\displaystyle(?![a-zA-Z]))
  | (?P<number>\d+)
  | (?P<command>\\(?:[dtc]?frac|sqrt|pi|infty|cdot|times|\{|\}|lbrace|rbrace)(?![a-zA-Z]))
  | (?P<matrix>\\begin\{(?:[pb]matrix|array)\}(?:\{[lcr|]*\})?|\\end\{(?:[pb]matrix|array)\}|\\\\)
  | (?P<symbol>[-+*/^()\[\]{},&])
    """,
    re.VERBOSE,
)
_ALIASES = {"\\dfrac": "\\frac", "\\tfrac": "\\frac", "\\cfrac": "\\frac", "\\cdot": "*", "\\times": "*",
            "\\lbrace": "\\{", "\\rbrace": "\\}"}  # fmt: skip


def _tokens(text: str) -> list[str] | None:
    out: list[str] = []
    pos = 0
    for m in _TOKEN.finditer(text):
        if m.start() != pos:
            return None  # something this reader does not know
        pos = m.end()
        if m.lastgroup == "skip":
            if out and out[-1][0].isdigit():
                out.append(" ")  # a space after a number: "1 2" must not read as 12
            continue
        token = m.group()
        if m.lastgroup == "number" and len(token) > MAX_DIGITS:
            return None
        out.append(_ALIASES.get(token, token))
    if pos != len(text):
        return None
    return [t for i, t in enumerate(out) if t != " " or (i + 1 < len(out) and out[i + 1][0].isdigit())]


Basis = tuple[int, int]  # (square-free radicand m, power of π k): the term √m·π^k


@dataclass(frozen=True)
class Value:
    """A finite sum of rational multiples of √m·π^k, in canonical form (sorted, no zero terms)."""

    terms: tuple[tuple[Basis, Fraction], ...]

    @staticmethod
    def of(coefficients: dict[Basis, Fraction]) -> Value:
        return Value(tuple(sorted((b, c) for b, c in coefficients.items() if c)))

    def __add__(self, other: Value) -> Value:
        total = dict(self.terms)
        for basis, c in other.terms:
            total[basis] = total.get(basis, Fraction(0)) + c
        return Value.of(total)

    def __neg__(self) -> Value:
        return Value(tuple((b, -c) for b, c in self.terms))

    def __mul__(self, other: Value) -> Value:
        total: dict[Basis, Fraction] = {}
        for (m1, k1), c1 in self.terms:
            for (m2, k2), c2 in other.terms:
                g = math.gcd(m1, m2)  # √m1·√m2 = g·√(m1·m2/g²), both square-free
                basis = (m1 // g * (m2 // g), k1 + k2)
                total[basis] = total.get(basis, Fraction(0)) + c1 * c2 * g
        return _bounded(Value.of(total))

    def inverse(self) -> Value | None:
        """1/self for a single term c·√m·π^k (a sum would need rationalising: left to sympy)."""
        if len(self.terms) != 1:
            return None
        (m, k), c = self.terms[0]
        return Value((((m, -k), 1 / (c * m)),))

    def rational(self) -> Fraction | None:
        if not self.terms:
            return Fraction(0)
        if len(self.terms) == 1 and self.terms[0][0] == (1, 0):
            return self.terms[0][1]
        return None

    def __float__(self) -> float:
        return sum((float(c) * math.sqrt(m) * math.pi**k for (m, k), c in self.terms), 0.0)


def _bounded(value: Value) -> Value:
    for _, c in value.terms:
        if max(abs(c.numerator), c.denominator).bit_length() > MAX_DIGITS * 10 // 3:
            raise _Unreadable
    return value


def rational(value: int | Fraction) -> Value:
    """A rational number as an exact value (an integer, or a plain numeral read by :mod:`.numerals`)."""
    return Value.of({(1, 0): Fraction(value)})


ONE, PI = rational(1), Value((((1, 1), Fraction(1)),))


def _square_free(n: int) -> tuple[int, int]:
    """(s, m) with n = s²·m and m square-free; n ≤ 10**12, so trial division to 10**4 finds all
    repeated factors but a square of one large prime, which isqrt catches."""
    s, m, p = 1, 1, 2
    while p * p <= n and p <= 10**4:
        while n % (p * p) == 0:
            n //= p * p
            s *= p
        if n % p == 0:
            n //= p
            m *= p
        p += 1 if p == 2 else 2
    r = math.isqrt(n)
    if r * r == n:
        return s * r, m
    return s, m * n


def _sqrt(value: Value) -> Value:
    r = value.rational()
    if r is None or r < 0 or r.numerator * r.denominator > MAX_RADICAND:
        raise _Unreadable  # √(a + √b), √(-1), huge radicands: sympy's job
    s, m = _square_free(r.numerator * r.denominator)  # √(p/q) = √(pq)/q
    return Value.of({(m, 0): Fraction(s, r.denominator)})


def _power(base: Value, exponent: int) -> Value:
    if exponent < 0:
        inverse = base.inverse()
        if inverse is None:
            raise _Unreadable
        base, exponent = inverse, -exponent
    magnitude = abs(float(base)) if base.terms else 0.0
    if magnitude > 1 and exponent * math.log10(magnitude) > MAX_DIGITS:
        raise _Unreadable
    result = ONE
    for _ in range(exponent):
        result = result * base
    return result


class _Unreadable(Exception):
    """The text is not one of the forms read here (the caller gets None)."""


INFINITY = "oo"


@dataclass(frozen=True)
class Interval:
    left: Value | str  # a Value, or "-oo"
    right: Value | str  # a Value, or "oo"
    left_open: bool
    right_open: bool


@dataclass(frozen=True)
class Matrix:
    """A matrix or vector (pmatrix, bmatrix and array read alike), row by row."""

    rows: tuple[tuple[Value, ...], ...]


@dataclass(frozen=True)
class Collection:
    """A tuple (order matters) or a set (order and repeats do not)."""

    kind: str  # "tuple" or "set"
    items: tuple[Value, ...]

    def key(self) -> tuple[Value, ...] | frozenset[Value]:
        return self.items if self.kind == "tuple" else frozenset(self.items)


Exact = Union[Value, Interval, Collection, Matrix]


# What may follow a mixed number (2\\frac{3}{4}) for it to be one whole term.
_TERM_ENDS = ("+", "-", ",", ")", "]", "}", "\\}", "&", "\\\\")


class _Parser:
    """Recursive descent over the tokens (grammar in :func:`read_exact`)."""

    def __init__(self, tokens: list[str]) -> None:
        self.tokens = tokens
        self.i = 0

    def peek(self) -> str | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self, expected: str | None = None) -> str:
        token = self.peek()
        if token is None or (expected is not None and token != expected):
            raise _Unreadable
        self.i += 1
        return token

    def expression(self) -> Value:
        sign = self.take() if self.peek() in ("+", "-") else "+"
        total = self.term()
        if sign == "-":
            total = -total
        while self.peek() in ("+", "-"):
            op = self.take()
            term = self.term()
            total = total + (-term if op == "-" else term)
        return total

    def term(self) -> Value:
        product = self.number() if self._number_ahead() else self.factor()
        while True:
            token = self.peek()
            if token in ("*", "/"):
                self.take()
                factor = self.number() if self._number_ahead() else self.factor()
                if token == "/":
                    inverse = factor.inverse()
                    if inverse is None:
                        raise _Unreadable
                    factor = inverse
                product = product * factor
            elif token in ("\\frac", "\\sqrt", "\\pi", "{"):
                product = product * self.factor()  # implicit product: 2\sqrt{3}, \frac{1}{2}\pi
            else:
                return product

    def _number_ahead(self) -> bool:
        token = self.peek()
        return token is not None and token[0].isdigit()

    def number(self) -> Value:
        """An integer, or a mixed number: 2\\frac{3}{4} is 11/4, as latex2sympy reads it."""
        value = rational(int(self.take()))
        t = self.tokens[self.i : self.i + 8]
        if t[:2] == ["\\frac", "{"] and len(t) >= 7 and t[2].isdigit() and t[3:5] == ["}", "{"] and t[5].isdigit():
            if t[6] != "}" or (len(t) == 8 and t[7] not in _TERM_ENDS):
                raise _Unreadable  # 2\frac{1}{2}\pi: a mixed number or a product, depending on the parser
            return value + self.fraction()
        return self.exponent_of(value)

    def factor(self) -> Value:
        token = self.peek()
        if token is None or token[0].isdigit():
            raise _Unreadable  # "\pi 2", "\frac{1}{2}3": a number after a factor
        if token == "\\pi":
            self.take()
            value = PI
        elif token == "\\frac":
            value = self.fraction()
        elif token == "\\sqrt":
            self.take()
            if self.peek() == "[":
                raise _Unreadable  # \sqrt[3]{…}
            value = _sqrt(self.argument())
        elif token == "{":
            self.take()
            value = self.expression()
            self.take("}")
        elif token == "(":
            self.take()
            value = self.expression()
            self.take(")")
        else:
            raise _Unreadable
        return self.exponent_of(value)

    def fraction(self) -> Value:
        self.take("\\frac")
        if self.peek() is not None and self.peek()[0].isdigit() and self.peek() != " " and len(self.peek()) == 2:
            digits = self.take()  # \frac12
            numerator, denominator = rational(int(digits[0])), rational(int(digits[1]))
        else:
            numerator = self.argument()
            denominator = self.argument()
        inverse = denominator.inverse()
        if inverse is None:
            raise _Unreadable  # a zero or a sum below the line
        return numerator * inverse

    def argument(self) -> Value:
        """A braced group, or the one-character argument of \\frac1{72} and \\sqrt3."""
        token = self.peek()
        if token == "{":
            self.take()
            value = self.expression()
            self.take("}")
            return value
        if token is not None and token.isdigit() and len(token) == 1:
            return rational(int(self.take()))
        if token == "\\pi":
            self.take()
            return PI
        raise _Unreadable

    def exponent_of(self, base: Value) -> Value:
        if self.peek() != "^":
            return base
        self.take()
        if self.peek() == "{":
            self.take()
            negative = self.peek() == "-" and bool(self.take())
            digits = self.take()
            self.take("}")
        else:
            negative, digits = False, self.take()
            if len(digits) != 1:
                raise _Unreadable  # 2^10 is 2^1·0 in LaTeX: leave it to sympy
        if not digits.isdigit() or int(digits) > MAX_EXPONENT:
            raise _Unreadable
        return _power(base, -int(digits) if negative else int(digits))

    def endpoint(self) -> Value | str:
        """An interval's endpoint: a value or ±∞."""
        start = self.i
        sign = self.take() if self.peek() in ("+", "-") else "+"
        if self.peek() == "\\infty":
            self.take()
            return "-" + INFINITY if sign == "-" else INFINITY
        self.i = start
        return self.expression()

    def items(self, closers: tuple[str, ...]) -> list[Value | str]:
        found = [self.endpoint()]
        while self.peek() == ",":
            self.take()
            found.append(self.endpoint())
        if self.peek() not in closers:
            raise _Unreadable
        return found


def _ordered(a: Value | str, b: Value | str) -> bool | None:
    """a < b for endpoints, None when too close to tell without sympy."""
    if a == "-" + INFINITY or b == INFINITY:
        return a != b
    if a == INFINITY or b == "-" + INFINITY or a == b:
        return False
    if not _separated(a, b):  # type: ignore[arg-type]
        return None
    return float(a) < float(b)  # type: ignore[arg-type]


def _separated(a: Value, b: Value) -> bool:
    """Whether two values are far enough apart that no numeric comparison of math-verify's
    could take them for equal."""
    fa, fb = float(a), float(b)
    return abs(fa - fb) > CLOSE * max(1.0, abs(fa), abs(fb))


def _values(items: list[Value | str]) -> tuple[Value, ...]:
    if any(isinstance(item, str) for item in items):
        raise _Unreadable  # ∞ outside an interval
    return tuple(items)  # type: ignore[arg-type]


def _matrix(parser: _Parser) -> Matrix:
    """``\\begin{pmatrix} a & b \\\\ c & d \\end{pmatrix}`` (or bmatrix, or array with its column spec)."""
    parser.take()
    rows: list[tuple[Value, ...]] = []
    row = [parser.expression()]
    while True:
        token = parser.take()
        if token == "&":
            row.append(parser.expression())
        elif token == "\\\\":
            rows.append(tuple(row))
            if parser.peek() is not None and parser.peek().startswith("\\end"):
                parser.take()
                break
            row = [parser.expression()]
        elif token.startswith("\\end"):
            rows.append(tuple(row))
            break
        else:
            raise _Unreadable
    if len({len(r) for r in rows}) != 1:
        raise _Unreadable
    return Matrix(tuple(rows))


def _bracketed(parser: _Parser) -> Exact:
    opener = parser.take()
    items = parser.items((")", "]"))
    closer = parser.take()
    if len(items) == 1:
        raise _Unreadable  # a parenthesised value: sympy reads (5) and [5] in its own ways
    if len(items) > 2:
        if opener != "(" or closer != ")":
            raise _Unreadable
        return Collection("tuple", _values(items))
    ordered = _ordered(items[0], items[1])
    if ordered is None:
        raise _Unreadable
    if ordered:
        return Interval(items[0], items[1], opener == "(", closer == ")")
    if opener == closer.translate(str.maketrans(")]", "([")) and items[0] != items[1]:
        return Collection("tuple", _values(items))  # (5, 2) and [5, 2] are tuples
    raise _Unreadable  # [2, 2], (2, 1], (2, 2)-like forms: left to sympy


_THOUSANDS_LIKE = re.compile(r",(?:\s|\\[!,])*\d{3}(?!\d)")


def read_exact(text: str) -> Exact | None:
    """The exact value of an answer in the forms this module reads, or None.

    Grammar: an answer is a value, a bracket form ``(a, b, …)`` / ``[a, b]`` / ``(a, b]``
    (endpoints may be ``±\\infty``), a set ``\\{a, …\\}``, or a bare list ``a, b, …`` (a set);
    a value is a sum of products of integers, ``\\pi``, ``\\frac{}{}`` (``\\dfrac``,
    ``\\frac12``), ``\\sqrt{}`` of a rational, braces, ``^`` with an integer exponent, and
    ``\\cdot`` / ``\\times`` / ``/``.

    >>> read_exact(r"\\dfrac{3\\sqrt{12}}{4}") == read_exact(r"\\frac{3}{2}\\sqrt3")
    True
    >>> read_exact("x + 1") is None
    True
    """
    if "," in text and _THOUSANDS_LIKE.search(text):
        return None  # 1,234 reads as thousands or as a pair depending on the parser
    tokens = _tokens(text)
    if not tokens:
        return None
    parser = _Parser(tokens)
    try:
        if len(tokens) > 2 and tokens[0] in ("(", "[") and tokens[1].startswith("\\begin"):
            if tokens[-1] != {"(": ")", "[": "]"}[tokens[0]]:
                return None
            tokens = tokens[1:-1]  # \left[\begin{array}…\end{array}\right]
            parser = _Parser(tokens)
        first = tokens[0]
        if first.startswith("\\begin"):
            result: Exact = _matrix(parser)
        elif first in ("(", "[") and tokens[-1] in (")", "]"):
            result = _bracketed(parser)
        elif first == "\\{":
            parser.take()
            items = parser.items(("\\}",))
            parser.take("\\}")
            result = Collection("set", _values(items))
        else:
            items = parser.items((None,))  # type: ignore[arg-type]
            result = items[0] if len(items) == 1 else Collection("set", _values(items))  # type: ignore[assignment]
            if isinstance(result, str):
                return None
        if parser.peek() is not None:
            return None
        return result
    except (_Unreadable, ZeroDivisionError, OverflowError, ValueError):
        return None


def compare_exact(gold: Exact | None, pred: Exact | None) -> bool | None:
    """The verdict on two exact answers (gold first), or None where sympy must decide.

    >>> compare_exact(read_exact(r"3\\sqrt{13}"), read_exact(r"\\sqrt{117}"))
    True
    >>> compare_exact(read_exact(r"\\{1, 2\\}"), read_exact("2, 1"))
    True
    >>> compare_exact(read_exact("(2, 5)"), read_exact("[2, 5)"))
    False
    """
    if gold is None or pred is None or type(gold) is not type(pred):
        return None
    if gold == pred:
        return True
    if isinstance(gold, Value):
        pairs = [(gold, pred)]
    elif isinstance(gold, Matrix):
        if [len(r) for r in gold.rows] != [len(r) for r in pred.rows]:  # type: ignore[union-attr]
            return None
        pairs = [(a, b) for ga, pa in zip(gold.rows, pred.rows) for a, b in zip(ga, pa)]  # type: ignore[union-attr]
    elif isinstance(gold, Interval):
        ends = ((gold.left, pred.left), (gold.right, pred.right))  # type: ignore[union-attr]
        pairs = [(a, b) for a, b in ends if isinstance(a, Value) and isinstance(b, Value)]
    else:
        if gold.kind != pred.kind:  # type: ignore[union-attr]
            return None
        if gold.key() == pred.key():  # type: ignore[union-attr]
            return True
        pairs = [(a, b) for a in gold.items for b in pred.items]  # type: ignore[union-attr]
    # Different, unless two values that differ are too close for math-verify's numeric checks.
    return None if any(a != b and not _separated(a, b) for a, b in pairs) else False
