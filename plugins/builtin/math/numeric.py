"""Telling answers apart by their values: a sound "not equal" without sympy.

Most wrong answers are plainly wrong: another number, the gold plus a term, a sign flipped, a
variable renamed, an interval with a wrong end. :func:`numeric_form` evaluates the expression
trees of an answer (read once by :mod:`.expressions`) to 50 significant digits, each value with
a rigorous bound on its rounding error: a constant once, an expression with variables at
:data:`POINTS` fixed points, every variable at its own positive value. :func:`compare_numeric`
then says False when the values are clearly apart, and None otherwise: equal values, values too
close for math-verify's own tolerances, anything it cannot evaluate. It never says True; pairs it
leaves go on to sympy.

Why "clearly apart" is math-verify's "not equal" too (``math_verify.verify`` on latex2sympy's
objects, gold first):

- two expressions: math-verify calls them equal when their trees are equal, when
  ``(a - b).evalf(15, chop=True)`` is 0 (chopping differences below about 1e-15 absolute), when
  one is a plain decimal and both round alike to 6 places, or when ``simplify(a - b)`` is 0.
  Values that differ by more than 1e-9 of their size (2e-6 absolute when a decimal is written)
  at a point pass none of these: an identity ``simplify`` proves holds at every point where both
  sides are defined, and the points are positive reals, where the principal branches of roots,
  logarithms and powers are the real ones (a negative radicand, logarithm or base is not
  evaluated at all);
- a bare variable is compared by name (``E`` and ``e``, ``\\text{AB}`` and ``ab``), never
  by value: an answer with one as an element is left alone;
- sets, tuples and intervals follow math-verify's rules (a value is a set of one; an open
  interval equals a pair with its ends; a set equals a tuple in any order): they are apart when
  an element of one is apart from every element of the other, a tuple from a tuple when any
  position is, an interval from an interval when an end or its openness differs, a union of
  intervals from any finite set; matrices when their shapes or an entry differ, and from
  anything that is not a matrix.

Bounded on hostile answers: magnitudes past 1e30 (``9^{9^{9^9}}``), divisors, logarithms and
roots of values that might be 0, and exponentials of large values are not evaluated (None); each
operation costs a bounded number of 50-digit decimal operations (C ``decimal``).
"""

from __future__ import annotations

import decimal
import math
import zlib
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Union

from .expressions import (
    GREEK,
    Collection,
    Form,
    Interval,
    IntervalUnion,
    Matrix,
    Tree,
    evaluate_form,
    is_integer_literal,
    nodes,
    variables,
)
from .numerals import Numeral

PRECISION = 50  # significant digits of every operation
POINTS = 3  # points at which an expression with variables is evaluated
MAX_MAGNITUDE = Decimal(10) ** 30  # larger values are not evaluated (9^{9^{9^9}}, 100!)
TINY = Decimal(10) ** -20  # divisors, radicands and logarithms closer to 0 than this (or their error) are not
CLOSE = Decimal("1e-9")  # relative distance under which two values are not told apart
FLOAT_TOLERANCE = Decimal("2e-6")  # with a decimal written: math-verify rounds floats to 6 places
MAX_ITEMS = 64  # set and tuple elements compared pairwise

_CONTEXT = decimal.Context(
    prec=PRECISION, rounding=decimal.ROUND_HALF_EVEN, Emax=10**4, Emin=-(10**4),
    traps=[decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow],
)  # fmt: skip
# One correctly rounded operation is off by at most half a unit in the last place; a function
# (exp, ln, a power) by at most a few.
ULP = Decimal(10) ** (1 - PRECISION)
Approx = tuple[Decimal, Decimal]  # a value and a bound on its error


class _Undefined(Exception):
    """Not evaluated: out of range, too close to a singularity, or not a real number."""


@dataclass(frozen=True)
class Sample:
    """An expression's values at the points (one for a constant), each with its error bound."""

    values: tuple[Approx, ...]
    decimal: bool  # a decimal written in it: math-verify's rounding to 6 places may apply
    symbol: bool  # a bare variable: compared by name, never by value


Numeric = Union[Sample, Interval, Collection, Matrix, IntervalUnion]


def _pi(digits: int) -> Decimal:
    """π to ``digits`` digits (Machin's formula), for the constant and for reducing angles."""
    with decimal.localcontext() as ctx:
        ctx.prec = digits + 10

        def arctan_inverse(n: int) -> Decimal:
            power = total = Decimal(1) / n
            n2, k, sign = n * n, 1, 1
            while True:
                power /= n2
                k += 2
                sign = -sign
                term = power / k
                if term < Decimal(10) ** -(digits + 5):
                    return total
                total += sign * term

        value = 4 * (4 * arctan_inverse(5) - arctan_inverse(239))
    return +value


_PI_WIDE = _pi(PRECISION + 50)  # reduces angles up to MAX_MAGNITUDE with all 50 digits left
with decimal.localcontext(_CONTEXT):
    _PI: Approx = (+_PI_WIDE, ULP * 4)
    _E: Approx = (Decimal(1).exp(), ULP * 3)
    _LN10: Approx = (Decimal(10).ln(), ULP * 3)

# Every variable name gets its own positive value at each point (distinct names, distinct values;
# a word, \text{inches}, one from its name: two words that share one are only not told apart).
_NAMES = sorted({chr(c) for c in range(ord("a"), ord("z") + 1)} | GREEK)
_POINT_VALUES = {
    name: tuple(Decimal(1) + Decimal("0.0731") * (i + 1) + Decimal("0.3917") * k for k in range(POINTS))
    for i, name in enumerate(_NAMES)
}


def _point_values(name: str) -> tuple[Decimal, ...]:
    values = _POINT_VALUES.get(name)
    if values is None:
        offset = Decimal(zlib.crc32(name.encode()) % 99991) / 99991
        values = tuple(Decimal(3) + offset + Decimal("0.3917") * k for k in range(POINTS))
    return values



def _checked(value: Decimal, error: Decimal) -> Approx:
    if abs(value) > MAX_MAGNITUDE or not error.is_finite() or error > MAX_MAGNITUDE:
        raise _Undefined
    return value, error


def _add(a: Approx, b: Approx) -> Approx:
    value = a[0] + b[0]
    return _checked(value, a[1] + b[1] + abs(value) * ULP)


def _mul(a: Approx, b: Approx) -> Approx:
    value = a[0] * b[0]
    return _checked(value, abs(a[0]) * b[1] + abs(b[0]) * a[1] + a[1] * b[1] + abs(value) * ULP)


def _inverse(a: Approx) -> Approx:
    size = abs(a[0]) - a[1]
    if size < TINY:
        raise _Undefined  # may be 0
    value = 1 / a[0]
    return _checked(value, a[1] / (abs(a[0]) * size) + abs(value) * ULP)


def _positive(a: Approx) -> Decimal:
    """The value, which must be clearly positive (a radicand, a logarithm's argument, a base)."""
    if a[0] - a[1] < TINY:
        raise _Undefined
    return a[0]


def _ln(a: Approx) -> Approx:
    x = _positive(a)
    value = x.ln()
    return _checked(value, a[1] / (x - a[1]) + (abs(value) + 1) * ULP * 4)


def _exp(a: Approx) -> Approx:
    if a[0] > 69 or a[1] > 1:
        raise _Undefined  # e^69 is about 1e30
    value = a[0].exp()
    return _checked(value, value * (2 * a[1] + ULP * 4))  # e^δ - 1 <= 2δ for δ <= 1


def _integer_power(base: Approx, n: int) -> Approx:
    if n < 0:
        return _inverse(_integer_power(base, -n))
    if n == 0:
        return Decimal(1), Decimal(0)  # sympy's x**0 is 1, 0**0 too
    bound = abs(base[0]) + base[1]
    if bound > 1 and (n > 10**4 or n * math.log10(bound) > 30):
        raise _Undefined
    value = base[0] ** n
    # |x^n - y^n| <= n·max(|x|, |y|)^(n-1)·|x - y|, and the power is correctly rounded
    spread = n * bound ** (n - 1) * base[1] if base[1] else Decimal(0)
    return _checked(value, spread + abs(value) * ULP * 4)


def _root(radicand: Approx, degree: int) -> Approx:
    if radicand == (0, 0):
        return radicand
    x = _positive(radicand)
    value = x.sqrt() if degree == 2 else (x.ln() / degree).exp()
    # |x^(1/n) - y^(1/n)| <= |x - y| / (n·min^(1-1/n)) <= value·|x - y| / (n·min)
    return _checked(value, value * radicand[1] / (degree * (x - radicand[1])) + value * ULP * 6)


def _sin_cos(a: Approx) -> tuple[Approx, Approx]:
    with decimal.localcontext() as ctx:
        ctx.prec = PRECISION + 45
        turn = 2 * _PI_WIDE
        x = a[0] - turn * (a[0] / turn).to_integral_value(rounding=decimal.ROUND_FLOOR)
        sin = cos = Decimal(0)
        term, k = Decimal(1), 0
        limit = Decimal(10) ** -(PRECISION + 10)
        while abs(term) > limit or k < 2:
            if k % 2 == 0:
                cos += term if k % 4 == 0 else -term
            else:
                sin += term if k % 4 == 1 else -term
            k += 1
            term = term * x / k
    error = a[1] + ULP  # both are 1-Lipschitz, and at most 1
    return (+sin, error), (+cos, error)


def _function(name: str, argument: Approx) -> Approx:
    if name == "exp":
        return _exp(argument)
    sin, cos = _sin_cos(argument)
    if name == "sin":
        return sin
    if name == "cos":
        return cos
    if name == "tan":
        return _mul(sin, _inverse(cos))
    if name == "cot":
        return _mul(cos, _inverse(sin))
    return _inverse(cos if name == "sec" else sin)  # sec, csc


def _value(tree: Tree, point: int) -> Approx:
    """The value of a tree at point ``point`` (variables at their values there)."""
    op = tree[0]
    if op == "int":
        return _checked(Decimal(tree[1]), Decimal(0))
    if op == "dec":
        return _checked(Decimal(tree[1]), Decimal(0))
    if op == "var":
        return _point_values(tree[1])[point], Decimal(0)
    if op == "pi":
        return _PI
    if op == "e":
        return _E
    if op == "neg":
        value, error = _value(tree[1], point)
        return -value, error
    if op == "+":
        total = _value(tree[1][0], point)
        for term in tree[1][1:]:
            total = _add(total, _value(term, point))
        return total
    if op == "*":
        product = _value(tree[1][0], point)
        for factor in tree[1][1:]:
            product = _mul(product, _value(factor, point))
        return product
    if op == "inv":
        return _inverse(_value(tree[1], point))
    if op == "^":
        base, exponent = tree[1], tree[2]
        if is_integer_literal(exponent):
            n = exponent[1] if exponent[0] == "int" else -exponent[1][1]
            return _integer_power(_value(base, point), n)
        power = _value(exponent, point)
        if base == ("e",):
            return _exp(power)
        return _exp(_mul(power, _ln(_value(base, point))))  # a positive base only
    if op == "root":
        return _root(_value(tree[1], point), tree[2])
    if op == "fn":
        return _function(tree[1], _value(tree[2], point))
    if op == "log":
        logarithm = _ln(_value(tree[1], point))
        return logarithm if tree[2] == ("e",) else _mul(logarithm, _inverse(_LN10))
    raise _Undefined


def sample(tree: Tree) -> Sample:
    """The values of an expression tree; raises :class:`_Undefined` where it has none here."""
    points = POINTS if variables(tree) else 1
    values = tuple(_value(tree, k) for k in range(points))
    return Sample(values, any(node[0] == "dec" for node in nodes(tree)), tree[0] == "var")


def sample_numeral(numeral: Numeral) -> Sample | None:
    """A plain numeral's value (a percentage keeps math-verify's own rules: None)."""
    if numeral.percent:
        return None
    with decimal.localcontext(_CONTEXT):
        value = Decimal(numeral.value.numerator) / numeral.value.denominator
        if abs(value) > MAX_MAGNITUDE:
            return None
        return Sample(((value, abs(value) * ULP),), numeral.kind == "decimal", False)


def _end(end: Tree) -> Sample:
    if variables(end):
        raise _Undefined  # (x, y): an interval or a tuple depending on what sympy can order
    return sample(end)


def _below(a: Sample, b: Sample) -> bool | None:
    return a.values[0][0] < b.values[0][0] if _apart(a, b) else None


def numeric_form(form: Form | None) -> Numeric | None:
    """An answer read by :func:`.expressions.read_form`, its expressions evaluated; None when any is not."""
    if form is None:
        return None
    try:
        with decimal.localcontext(_CONTEXT):
            return evaluate_form(form, sample, _end, _below)
    except (_Undefined, ArithmeticError, ValueError):
        return None


def _apart(a: Sample | str, b: Sample | str) -> bool:
    """Whether two values (or ±∞) differ at a point by more than math-verify's tolerances and the error bounds."""
    if isinstance(a, str) or isinstance(b, str):
        return a != b
    tolerance = FLOAT_TOLERANCE if a.decimal or b.decimal else Decimal(0)
    for (x, ex), (y, ey) in zip(a.values * (POINTS // len(a.values)), b.values * (POINTS // len(b.values))):
        if abs(x - y) - ex - ey > max(tolerance, CLOSE * max(Decimal(1), abs(x), abs(y))):
            return True
    return False


def _elements(form: Numeric) -> list[Any]:
    if isinstance(form, Sample):
        return [form]
    if isinstance(form, Interval):
        return [e for e in (form.left, form.right) if isinstance(e, Sample)]
    if isinstance(form, Collection):
        return list(form.items)
    if isinstance(form, IntervalUnion):
        return [e for part in form.parts for e in _elements(part)]
    return [x for row in form.rows for x in row]


def _unmatched(these: tuple[Any, ...], those: tuple[Any, ...]) -> bool:
    """Whether an element of one side is apart from every element of the other."""
    return any(all(_apart(a, b) for b in those) for a in these) or any(
        all(_apart(a, b) for a in these) for b in those
    )


def compare_numeric(gold: Numeric | None, pred: Numeric | None) -> bool | None:
    """False when the two answers clearly differ by math-verify's rules (gold first), else None.

    >>> from .expressions import read_form
    >>> compare_numeric(numeric_form(read_form("x^2 + 1")), numeric_form(read_form("y^2 + 1")))
    False
    >>> compare_numeric(numeric_form(read_form("(x+1)^2")), numeric_form(read_form("x^2+2x+1"))) is None
    True
    """
    if gold is None or pred is None:
        return None
    elements = _elements(gold) + _elements(pred)
    if len(elements) > 2 * MAX_ITEMS or any(e.symbol for e in elements):
        return None
    decided = _decide(gold, pred)
    return False if decided else None


def _decide(gold: Numeric, pred: Numeric) -> bool:
    """Whether the answers are apart; False when that cannot be told here."""
    if isinstance(gold, Matrix) or isinstance(pred, Matrix):
        if not (isinstance(gold, Matrix) and isinstance(pred, Matrix)):
            return True  # a matrix equals no number, set or interval
        if [len(r) for r in gold.rows] != [len(r) for r in pred.rows]:
            return True
        return any(_apart(a, b) for ga, pa in zip(gold.rows, pred.rows) for a, b in zip(ga, pa))
    if isinstance(gold, IntervalUnion) or isinstance(pred, IntervalUnion):
        # Intervals are infinite sets: a union of them equals no number, tuple or finite set
        # (against an interval or a union, the point sets decide: not told here).
        return not isinstance(gold, (Interval, IntervalUnion)) or not isinstance(pred, (Interval, IntervalUnion))
    if isinstance(gold, Interval) and isinstance(pred, Interval):
        if (gold.left_open, gold.right_open) != (pred.left_open, pred.right_open):
            return True
        return _apart(gold.left, pred.left) or _apart(gold.right, pred.right)
    if isinstance(gold, Interval) or isinstance(pred, Interval):
        interval, other = (gold, pred) if isinstance(gold, Interval) else (pred, gold)
        items = other.items if isinstance(other, Collection) else (other,)
        if not (interval.left_open and interval.right_open and len(items) == 2):
            return True  # a finite set is never an interval
        if isinstance(other, Collection) and other.kind == "tuple":  # (a, b) as a tuple, in order
            return _apart(interval.left, items[0]) or _apart(interval.right, items[1])
        return _unmatched((interval.left, interval.right), items)
    gold_items = gold.items if isinstance(gold, Collection) else (gold,)
    pred_items = pred.items if isinstance(pred, Collection) else (pred,)
    gold_tuple = isinstance(gold, Collection) and gold.kind == "tuple"
    pred_tuple = isinstance(pred, Collection) and pred.kind == "tuple"
    if gold_tuple and pred_tuple:
        return len(gold_items) != len(pred_items) or any(_apart(a, b) for a, b in zip(gold_items, pred_items))
    if (gold_tuple and isinstance(pred, Sample)) or (pred_tuple and isinstance(gold, Sample)):
        return True  # a value is a set of one; a tuple has two elements or more
    return _unmatched(gold_items, pred_items)
