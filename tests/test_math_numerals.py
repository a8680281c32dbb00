"""The plain-numeral fast path: what it reads, and that its verdicts are math-verify's."""

import logging
import random
from fractions import Fraction

import pytest

from rewardkit.plugins.math.numerals import compare_numerals, parse_numeral


@pytest.mark.parametrize(
    "text, value, kind, percent",
    [
        ("42", 42, "integer", False),
        ("1,234", 1234, "integer", False),
        ("1\\,234", 1234, "integer", False),
        ("1{,}234,567", 1234567, "integer", False),
        ("\\$32,\\!348", 32348, "integer", False),
        ("-7", -7, "integer", False),
        ("\u22127", -7, "integer", False),
        ("+7", 7, "integer", False),
        ("$18", 18, "integer", False),
        ("\\$18.00", 18, "decimal", False),
        ("-$5", -5, "integer", False),
        ("$-5", -5, "integer", False),
        ("€3.50", Fraction(7, 2), "decimal", False),
        ("18.0", 18, "decimal", False),
        ("5.", 5, "integer", False),
        (".5", Fraction(1, 2), "decimal", False),
        ("50%", 50, "integer", True),
        ("12.5\\%", Fraction(25, 2), "decimal", True),
        ("50 percent", 50, "integer", True),
        ("3/4", Fraction(3, 4), "fraction", False),
        ("\\frac{3}{4}", Fraction(3, 4), "fraction", False),
        ("-\\dfrac{3}{4}", Fraction(-3, 4), "fraction", False),
        ("\\tfrac12", Fraction(1, 2), "fraction", False),
        ("18 dollars", 18, "integer", False),
        ("18 dollars per hour.", 18, "integer", False),
        ("5\\text{ cm}", 5, "integer", False),
        ("42.", 42, "integer", False),
        # decimal commas where the digits cannot be a thousands group (math-verify's
        # tests/test_all.py::test_number_extraction: "1,22" = 1.22, "0,111" = 0.111, "1000,99")
        ("3,75", Fraction(15, 4), "decimal", False),
        ("0,125", Fraction(1, 8), "decimal", False),
        ("1,22", Fraction(61, 50), "decimal", False),
        ("1000,99", Fraction(100099, 100), "decimal", False),
        # spaces as thousands separators (same test: "1 000" = 1000)
        ("12 500", 12500, "integer", False),
        ("1\\ 234", 1234, "integer", False),
        # the malformed escaped dollar models write in a box
        ("\\40", 40, "integer", False),
        # mixed numbers
        ("2 3/4", Fraction(11, 4), "fraction", False),
        ("2\\frac{3}{4}", Fraction(11, 4), "fraction", False),
        ("-2\\frac{3}{4}", Fraction(-11, 4), "fraction", False),
    ],
)
def test_plain_numerals_are_read_with_their_value_and_form(text, value, kind, percent):
    numeral = parse_numeral(text)
    assert numeral is not None
    assert (numeral.value, numeral.kind, numeral.percent) == (Fraction(value), kind, percent)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "x",
        "x + 1",
        "-2,1",  # a pair of roots (MATH-500's own gold), never a decimal comma of one digit
        "1,5",
        "5,000,5",
        "4 0/0",  # not a mixed number: no zero denominators
        "2 5/4",  # a mixed number's fraction is proper
        "1e3",
        "3/4%",
        "1/0",
        "5 million",
        "3 pi",
        "2 times 3",
        "\\sqrt{2}",
        "(1, 2)",
        "--5",
        "-+5",
        "5x",
        "1" * 200,
        "\\frac{1}{2}\\text{ or so}",
    ],
)
def test_anything_but_a_plain_numeral_is_left_to_sympy(text):
    assert parse_numeral(text) is None


@pytest.mark.parametrize(
    "gold, pred, verdict",
    [
        ("0.5", "\\frac{1}{2}", True),
        ("\\frac{1}{2}", "1/2", True),
        ("1/2", "50%", True),
        ("50%", "0.5", True),
        ("1,234", "1234", True),
        ("18", "\\$18.00", True),
        ("18", "18 dollars", True),
        ("-3", "-3.0", True),
        ("2/4", "1/2", True),
        ("1/3", "0.333333", True),  # math-verify rounds floats to 6 places
        ("1/3", "0.33", False),
        ("18", "18.0000001", False),  # a float against an integer is compared exactly
        ("9", "9%", True),  # math-verify drops percent signs between integers
        ("19", "1900%", True),
        ("2.5", "2.5%", True),  # ... and compares the written digits
        ("2.50", "2.5%", False),
        ("12", "13", False),
        ("-5", "5", False),
        ("0.5", "0.50001", False),
    ],
)
def test_numeral_verdicts(gold, pred, verdict):
    assert compare_numerals(parse_numeral(gold), parse_numeral(pred)) is verdict


def test_ties_at_the_rounding_digit_and_long_decimals_are_left_to_sympy():
    assert compare_numerals(parse_numeral("0.1234565"), parse_numeral("0.123456")) is None
    assert compare_numerals(parse_numeral("0.1234567890123456789"), parse_numeral("1/3")) is None


# -- agreement with math-verify on a generated set -----------------------------------------------


def _spellings(value: Fraction, rng: random.Random) -> list[str]:
    """Ways of writing ``value`` that math-verify's default parse reads as a number."""
    out = []
    if value.denominator == 1:
        n = value.numerator
        out += [str(n), f"{n:,}", f"{n}.0", f"{n}.00", f"{n} dollars"]
        if n >= 0:
            out += [f"${n:,}", f"${n}.00", f"{n}%"]
    for places in (1, 2, 3, 6, 7, 8):
        q = round(value * 10**places)
        if (Fraction(q, 10**places) == value or rng.random() < 0.3) and abs(q) < 10**14:
            out.append(f"{q / 10**places:.{places}f}")
    if value.denominator != 1 and value.denominator < 1000:
        n, m = value.numerator, value.denominator
        out += [f"{n}/{m}", f"\\frac{{{n}}}{{{m}}}" if n >= 0 else f"-\\frac{{{-n}}}{{{m}}}", f"{2 * n}/{2 * m}"]
    if value >= 0:
        p = value * 100
        out.append(f"{p.numerator}%" if p.denominator == 1 else f"{float(p):.3f}%")
    return out


def _random_value(rng: random.Random) -> Fraction:
    r = rng.random()
    if r < 0.4:
        return Fraction(rng.choice([rng.randint(-50, 50), rng.randint(0, 10**7)]))
    if r < 0.7:
        return Fraction(rng.randint(-999, 999), rng.choice([2, 3, 4, 5, 7, 8, 10, 12, 100, 1000]))
    return Fraction(rng.randint(0, 10**8), 10 ** rng.randint(1, 8))


def test_fast_path_gives_math_verify_verdicts_on_generated_numerals():
    """Every pair the fast path decides gets math-verify's own verdict (default parse + verify).

    Pairs: a value in one spelling against the same value, near misses (±1, ±1e-6, ±1e-7), scale
    slips (×10, ×100, /100) and sign flips, in other spellings.
    """
    math_verify = pytest.importorskip("math_verify")
    logging.getLogger("math_verify").setLevel(logging.ERROR)
    rng = random.Random(20240601)
    decided = undecided = 0
    disagreements = []
    for _ in range(40):
        value = _random_value(rng)
        gold = rng.choice(_spellings(value, rng))
        for other in (value, value + 1, value - 1, value * 10, value / 100, value * 100, -value,
                      value + Fraction(1, 10**6), value + Fraction(1, 10**7)):
            spellings = _spellings(other, rng)
            for pred in rng.sample(spellings, min(3, len(spellings))):
                fast = compare_numerals(parse_numeral(gold), parse_numeral(pred))
                if fast is None:
                    undecided += 1
                    continue
                decided += 1
                reference = math_verify.verify(
                    math_verify.parse(gold, parsing_timeout=None),
                    math_verify.parse(pred, parsing_timeout=None),
                    timeout_seconds=None,
                )
                if fast != reference:
                    disagreements.append((gold, pred, fast, reference))
    assert not disagreements, disagreements[:10]
    assert decided > 700 and undecided < decided * 0.05
