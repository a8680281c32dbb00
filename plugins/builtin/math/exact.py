"""Common LaTeX answers read as exact values without sympy: integers, fractions, square roots, π,
and tuples, intervals, sets and matrices of them.

Most MATH-style answers are built from a handful of forms (``\\frac{14}{3}``, ``3\\sqrt{13}``,
``\\frac{\\pi}{2}``, ``\\left( 3, \\frac{\\pi}{2} \\right)``, ``(-\\infty, 2]``, ``\\{1, 2\\}``).
:func:`exact_form` turns the expression trees :mod:`.expressions` reads into a canonical form (a
sum of rational multiples of ``√m·π^k``, ``m`` square-free), and :func:`compare_exact` decides
two of them: square roots of distinct square-free numbers and the powers of π are linearly
independent over the rationals, so two canonical forms are equal exactly when the numbers are.
Anything else (a decimal, a variable, ``e``, a function, ``\\sqrt[3]{}``, a division by a sum)
gives None; :mod:`.numeric` may still tell it apart, and otherwise sympy decides.

The readings are latex2sympy's (see :mod:`.expressions`): ``(a, b)`` with ``a < b`` is an open
interval and otherwise a tuple, ``[a, b]`` an interval when ``a < b``, an infinite end is always
open, ``\\{…\\}`` and a bare ``a, b`` are sets, ``2\\frac{3}{4}`` is the mixed number 11/4. Two
answers of different kinds (a set against a tuple) are left to the other paths, as are values
closer than 1e-9 (where math-verify's numeric comparison could round them together).

Integers are capped at 300 digits, exponents at 64, square roots at 10**12.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Union

from .expressions import Collection, Form, Interval, IntervalUnion, Matrix, Tree, evaluate_form, read_form

MAX_DIGITS = 300
MAX_EXPONENT = 64
MAX_RADICAND = 10**12
CLOSE = 1e-9  # relative distance under which two different values are left to sympy


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
    """The tree holds something without an exact value here (the caller gets None)."""


Exact = Union[Value, Interval, Collection, Matrix]


def exact_value(tree: Tree) -> Value:
    """The exact value of an expression tree; raises :class:`_Unreadable` outside the forms read here."""
    op = tree[0]
    if op == "int":
        return rational(tree[1])
    if op == "pi":
        return PI
    if op == "neg":
        return -exact_value(tree[1])
    if op == "+":
        total = exact_value(tree[1][0])
        for term in tree[1][1:]:
            total = total + exact_value(term)
        return total
    if op == "*":
        product = exact_value(tree[1][0])
        for factor in tree[1][1:]:
            product = product * exact_value(factor)
        return product
    if op == "inv":
        inverse = exact_value(tree[1]).inverse()
        if inverse is None:
            raise _Unreadable  # a zero or a sum below the line
        return inverse
    if op == "^":
        exponent = tree[2]
        negative = exponent[0] == "neg"
        if negative:
            exponent = exponent[1]
        if exponent[0] != "int" or exponent[1] > MAX_EXPONENT:
            raise _Unreadable
        return _power(exact_value(tree[1]), -exponent[1] if negative else exponent[1])
    if op == "root" and tree[2] == 2:
        return _sqrt(exact_value(tree[1]))
    raise _Unreadable  # decimals, variables, e, functions, other roots


def _below(a: Value, b: Value) -> bool | None:
    """a < b, or None when too close to tell without sympy."""
    return float(a) < float(b) if _separated(a, b) else None


def _separated(a: Value, b: Value) -> bool:
    """Whether two values are far enough apart that no numeric comparison of math-verify's
    could take them for equal."""
    fa, fb = float(a), float(b)
    return abs(fa - fb) > CLOSE * max(1.0, abs(fa), abs(fb))


def exact_form(form: Form | None) -> Exact | None:
    """The exact value of an answer read by :func:`.expressions.read_form`, or None."""
    if form is None:
        return None
    try:
        exact = evaluate_form(form, exact_value, exact_value, _below)
    except (_Unreadable, ZeroDivisionError, OverflowError, ValueError):
        return None
    return None if isinstance(exact, IntervalUnion) else exact  # unions: point sets, not told here


def read_exact(text: str) -> Exact | None:
    """The exact value of an answer in the forms this module reads, or None.

    >>> read_exact(r"\\dfrac{3\\sqrt{12}}{4}") == read_exact(r"\\frac{3}{2}\\sqrt3")
    True
    >>> read_exact("x + 1") is None
    True
    """
    return exact_form(read_form(text))


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
