"""Plain numerals: read and compare them without sympy, with math-verify's verdicts.

Most GSM8K-style answers are plain numbers (``1,234``, ``$18.00``, ``50%``, ``-3``, ``3/4``,
``\\frac{1}{2}``, ``18 dollars``). Sending them through LaTeX parsing and sympy costs milliseconds
each and needs a worker process; reading them here costs microseconds. :func:`parse_numeral`
accepts only a strict grammar (anything else goes to the sympy path), and
:func:`compare_numerals` reproduces what ``math_verify.verify`` decides for the sympy objects
math-verify builds from the same text, including its quirks:

- a decimal (a sympy ``Float``) against an exact non-integer (``1/3``, ``50%``) or another
  decimal is compared after rounding both to 6 decimal places (``0.333333 = 1/3``);
- a decimal against an integer is compared exactly (``18.00 = 18`` but ``18.0000001 != 18``);
- two integers are equal when their values or their percent-applied values are (``9% = 9``,
  ``1900% = 19``), and a number equals itself with a percent sign (``2.5% = 2.5``, but not
  ``2.50``: math-verify compares the written digits);
- everything else is compared exactly (``50% = 1/2 = 0.5``, ``2/4 = 1/2``).

Where math-verify's answer depends on binary floating point (a tie at the 7th decimal, more
than 15 significant digits, a decimal percentage against an integer) :func:`compare_numerals`
returns ``None`` and the caller asks sympy.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

MAX_NUMERAL_CHARS = 100
FLOAT_ROUNDING = 6  # math_verify.verify's default float_rounding
FLOAT_DIGITS = 15  # above this many significant digits, float comparisons are left to sympy

_SIGN = r"[-+\u2212]"
# Currency signs, and the malformed "\40" (an escaped dollar that lost its "$") models write.
_CURRENCY = r"(?:\\\$|[$€£¥₹]|\\(?=\d))"
# Thousands separators: 1,234  1,\!234  1\,234  1{,}234  1 234  1\ 234  1~234
_SEP = r"(?:,\\!|,|\\,|\{,\}|\\?\ |~)"
_UNIT_WORD = r"[A-Za-z]{2,}\.?"
_FRAC = r"\\[dtc]?frac\s*\{{\s*(?P<{0}num>\d+)\s*\}}\s*\{{\s*(?P<{0}den>\d+)\s*\}}"
_NUMERAL_RE = re.compile(
    rf"""
    (?P<sign>{_SIGN})?\s*
    (?P<currency>{_CURRENCY})?\s*
    (?P<sign2>{_SIGN})?\s*
    (?:
        (?P<int>[1-9]\d{{0,2}}(?:{_SEP}\d{{3}})+|\d+)(?:(?P<dec>\.\d*)|,(?P<comma_dec>\d+))?
      | (?P<dec_only>\.\d+)
      | (?P<whole>[1-9]\d{{0,2}}(?:{_SEP}\d{{3}})+|\d+)\s+(?P<snum>\d+)\s*/\s*(?P<sden>\d+)
      | (?P<fwhole>\d+)\s*{_FRAC.format("m")}
      | (?P<num>\d+)\s*/\s*(?P<den>\d+)
      | {_FRAC.format("f")}
      | \\[dtc]?frac\s*(?P<fnum1>\d)(?P<fden1>\d)
      | \\[dtc]?frac\s*\{{\s*(?P<fnum2>\d+)\s*\}}(?P<fden2>\d)(?!\d)
    )
    \s*(?P<percent>\\?%|percent\b)?
    (?P<unit>
        \s*\^\s*(?:\\circ|\{{\s*\\circ\s*\}})
      | \s*\\(?:text|mbox|mathrm)\s*\{{\s*(?:{_UNIT_WORD}\s*){{1,4}}\}}
      | \s+(?:{_UNIT_WORD}\s*){{1,4}}
    )?
    \s*\.?
    """,
    re.VERBOSE,
)
# Words after a number that change its value or make it part of an expression: with one of
# these the text is not a plain numeral ("5 million", "3 pi", "2 times 3").
_NOT_UNITS = frozenset(
    """hundred hundreds thousand thousands million millions billion billions trillion trillions
    dozen dozens half halves quarter quarters third thirds fourth fourths fifth fifths tenth tenths
    times plus minus over divided multiplied and or to by point squared cubed sqrt pi percent
    percentage pct""".split()
)

Kind = Literal["integer", "decimal", "fraction"]


@dataclass(frozen=True)
class Numeral:
    """A plain number as written: its value, how it was written, and whether a percent sign followed.

    ``kind`` follows what math-verify would build: ``integer`` (sympy Integer), ``decimal``
    (sympy Float, ``digits`` significant digits), ``fraction`` (an exact quotient).
    """

    value: Fraction
    kind: Kind
    percent: bool = False
    digits: int = 0
    written: str = ""  # the digits as math-verify keeps them for its string comparison

    @property
    def amount(self) -> Fraction:
        """The value with the percent applied (``50%`` is ``1/2``)."""
        return self.value / 100 if self.percent else self.value

    @property
    def is_integer(self) -> bool:
        """Written as an integer without a percent sign (``1,234``, ``-7``, ``$18``)."""
        return self.kind == "integer" and not self.percent

    def text(self) -> str:
        """A canonical spelling (``1234``, ``18.00``, ``3/4``, ``50%``) for logs and caches."""
        if self.kind == "integer":
            body = str(self.value.numerator)
        elif self.kind == "fraction":
            body = f"{self.value.numerator}/{self.value.denominator}"
        else:
            body = _decimal_text(self.value)
        return body + ("%" if self.percent else "")


def _decimal_text(value: Fraction) -> str:
    sign = "-" if value < 0 else ""
    value = abs(value)
    places = 0
    while value.denominator != 1 and places < 60:
        value *= 10
        places += 1
    digits = str(value.numerator).rjust(places + 1, "0")
    return sign + (digits[:-places] + "." + digits[-places:] if places else digits)


def parse_numeral(text: str) -> Numeral | None:
    """Read ``text`` as a plain numeral, or return None when it is anything else.

    Accepted: an optional sign (``-``, ``+``, ``−``) and currency sign (``$``, ``\\$``, ``€``,
    ``£``, ``¥``, ``₹``) in either order; an integer with optional thousands separators
    (``1,234``, ``1,\\!234``, ``1\\,234``, ``1{,}234``, ``12 500``); a decimal (``18.00``, ``.5``,
    ``5.``, ``3,75`` and ``0,125`` with a decimal comma where the digits cannot be a thousands
    group: one digit after the comma is a pair, ``-2,1``); a simple fraction (``3/4``,
    ``\\frac{3}{4}``, ``\\dfrac34``, ``\\frac{27}7``) or mixed number (``2 3/4``, ``2\\frac{3}{4}``); then an
    optional percent (``%``, ``\\%``, ``percent``), degrees (``30^\\circ``), up to four unit words
    (``18 dollars``, ``5\\text{ cm}``) and a full stop. ``\\40`` (an escaped dollar that lost its
    ``$``) reads as ``\\$40``.

    >>> parse_numeral("$1,234.50").value
    Fraction(2469, 2)
    >>> parse_numeral("x + 1") is None
    True
    """
    if not isinstance(text, str):
        return None
    if text.isascii() and text.isdigit() and len(text) <= MAX_NUMERAL_CHARS:  # the common case
        return Numeral(Fraction(int(text)), "integer", False, 0, text.lstrip("0") or "0")
    return _parse_numeral(text)


@functools.lru_cache(maxsize=65536)
def _parse_numeral(text: str) -> Numeral | None:
    """Cached :func:`parse_numeral` for anything but plain digits."""
    text = text.strip()
    if not text or len(text) > MAX_NUMERAL_CHARS:
        return None
    m = _NUMERAL_RE.fullmatch(text)
    if m is None or (m.group("sign") and m.group("sign2")):
        return None
    unit = m.group("unit")
    if unit and any(w.lower().rstrip(".") in _NOT_UNITS for w in re.findall(r"[A-Za-z]+\.?", unit)):
        return None
    negative = (m.group("sign") or m.group("sign2") or "+") in "-\u2212"
    percent = m.group("percent") is not None
    if m.group("int") is not None or m.group("dec_only") is not None:
        whole = re.sub(r"\D", "", m.group("int") or "")
        decimals = (m.group("dec") or m.group("dec_only") or ".")[1:]
        comma = m.group("comma_dec")
        if comma is not None:
            # A decimal comma only where the digits cannot be a thousands group or a list:
            # 3,75  0,125  1,2345 (but 1,234 is thousands, and -2,1 a pair of roots).
            if len(comma) == 1 or (len(comma) == 3 and whole != "0"):
                return None
            decimals = comma
        written = (("-" if negative else "") + whole).lstrip("0") or "0"
        if decimals:  # "5." reads as the integer 5, as in math-verify
            value = Fraction(int(whole + decimals), 10 ** len(decimals))
            digits = len((whole + decimals).lstrip("0")) or 1
            return Numeral(-value if negative else value, "decimal", percent, digits, f"{written}.{decimals}")
        value = Fraction(int(whole))
        return Numeral(-value if negative else value, "integer", percent, 0, written)
    if percent:  # "3/4%" means different things to different parsers: leave it to sympy
        return None
    whole = int(re.sub(r"\D", "", m.group("whole") or m.group("fwhole") or "0"))
    num = m.group("snum") or m.group("mnum") or m.group("num") or m.group("fnum") or m.group("fnum1") or m.group("fnum2")
    den = m.group("sden") or m.group("mden") or m.group("den") or m.group("fden") or m.group("fden1") or m.group("fden2")
    if int(den) == 0 or (m.group("whole") and int(num) >= int(den)):
        return None  # "4 0/0" is not 4, and "2 5/4" is not a mixed number
    value = whole + Fraction(int(num), int(den))
    return Numeral(-value if negative else value, "fraction")


def _round_half(value: Fraction, places: int) -> tuple[int, bool]:
    """``value * 10**places`` rounded to an integer, and whether it was an exact tie."""
    scaled = value * 10**places
    floor = scaled.numerator // scaled.denominator
    rest = scaled - floor
    if rest == Fraction(1, 2):
        return floor, True
    return (floor + 1 if rest > Fraction(1, 2) else floor), False


def compare_numerals(gold: Numeral, pred: Numeral) -> bool | None:
    """math-verify's verdict on two plain numerals (gold first), or None where sympy must decide.

    >>> compare_numerals(parse_numeral("1/2"), parse_numeral("50%"))
    True
    >>> compare_numerals(parse_numeral("1/3"), parse_numeral("0.333333"))
    True
    >>> compare_numerals(parse_numeral("18"), parse_numeral("18.0000001"))
    False
    """
    # math-verify also compares its fallback strings: the digits as written, without percent.
    if gold.kind != "fraction" and pred.kind != "fraction" and gold.written == pred.written:
        return True
    if gold.kind == "decimal" or pred.kind == "decimal":
        if max(gold.digits, pred.digits) > FLOAT_DIGITS:
            return None
        # Rounded to 6 places, a Float never equals a sympy Integer: math-verify then compares
        # the exact difference. Otherwise both sides are rounded to 6 places.
        exact_integer = any(s.kind != "decimal" and s.amount.denominator == 1 for s in (gold, pred))
        if not exact_integer:
            a, tie_a = _round_half(gold.amount, FLOAT_ROUNDING)
            b, tie_b = _round_half(pred.amount, FLOAT_ROUNDING)
            if tie_a or tie_b:  # binary rounding decides ties: ask sympy
                return None
            if a == b:
                return True
        if gold.amount != pred.amount:
            return False
        # Equal, but a decimal percentage is evaluated in binary (178172000.0% is not 1781720
        # to sympy): ask sympy.
        if any(s.kind == "decimal" and s.percent for s in (gold, pred)):
            return None
        return True
    if gold.kind == "integer" and pred.kind == "integer":
        if gold.value == pred.value:
            return True  # math-verify ignores percent signs between integers (9% = 9)
        if not (gold.percent or pred.percent):
            return False
    return gold.amount == pred.amount
