"""The exact path for common LaTeX forms: what it reads, and that its verdicts are math-verify's."""

import json
import logging
import random
import time

import pytest

from rewardkit.plugins.math.exact import Collection, Interval, Matrix, Value, compare_exact, read_exact


@pytest.mark.parametrize(
    "a, b",
    [
        (r"3\sqrt{13}", r"\sqrt{117}"),
        (r"\frac{\sqrt{2}}{2}", r"\frac{1}{\sqrt{2}}"),
        (r"\frac{\pi}{2}", r"\dfrac{\pi}{2}"),
        (r"\frac{\pi}{2}", r"\frac{1}{2}\pi"),
        (r"2 \sqrt 3", r"\sqrt{12}"),
        (r"\frac12", r"\tfrac{1}{2}"),
        (r"(1+\sqrt{2})^2", r"3+2\sqrt{2}"),
        ("2^{10}", "1024"),
        (r"2\frac{3}{4}", r"\frac{11}{4}"),  # a mixed number, as latex2sympy reads it
        (r"-2\frac{3}{4}", r"-\frac{11}{4}"),
        (r"\left( 3, \frac{\pi}{2} \right)", r"(3,\frac{\pi}{2})"),
        (r"(-\infty, 2]", r"\left(-\infty,2\right]"),
        (r"\{1, 2, 3\}", r"\{3, 2, 1\}"),
        ("(1,234)", r"\left(1, 234\right)"),  # inside brackets a pair: latex2sympy reads thousands only in a lone number
        (r"\{-2, 1\}", "1, -2"),
        (r"1 \pm \sqrt{2}", r"\{1 - \sqrt{2}, 1 + \sqrt{2}\}"),  # latex2sympy's set of two
        (r"1/2\pi", r"\frac{1}{2\pi}"),  # / takes the whole product after it
        (r"(1+\sqrt{2})(1-\sqrt{2})", "-1"),
        (r"[-\infty, 3]", r"(-\infty, 3]"),  # an infinite end is open
        (r"\begin{pmatrix} 1 & 2 \\ 3 & 4 \end{pmatrix}", r"\begin{bmatrix} 1 & 2 \\ 3 & 4 \end{bmatrix}"),
        (r"\begin{pmatrix} 1 & 2 \\ 3 & 4 \end{pmatrix}", r"\left[\begin{array}{cc} 1 & 2 \\ 3 & 4 \end{array}\right]"),
        (r"\begin{pmatrix} -1/3 \\ 2/3 \end{pmatrix}", r"\begin{pmatrix} -\frac{1}{3} \\ \frac{2}{3} \end{pmatrix}"),
    ],
)
def test_equal_values_in_other_spellings_are_equal(a, b):
    assert compare_exact(read_exact(a), read_exact(b)) is True
    assert compare_exact(read_exact(b), read_exact(a)) is True


@pytest.mark.parametrize(
    "a, b",
    [
        (r"3\sqrt{13}", r"3\sqrt{12}"),
        (r"\frac{\pi}{2}", r"\frac{\pi}{3}"),
        (r"\pi", "3"),
        ("(2, 5)", "[2, 5)"),
        ("(2, 5)", "(2, 6)"),
        (r"(-\infty, 2)", r"(-\infty, 2]"),
        ("(1, 2, 3)", "(3, 2, 1)"),
        (r"\{1, 2\}", r"\{1, 3\}"),
        (r"\begin{pmatrix} 1 & 2 \\ 3 & 4 \end{pmatrix}", r"\begin{pmatrix} 1 & 2 \\ 3 & 5 \end{pmatrix}"),
    ],
)
def test_different_values_are_different(a, b):
    assert compare_exact(read_exact(a), read_exact(b)) is False


@pytest.mark.parametrize(
    "a, b",
    [
        ("(1, 2)", r"\{1, 2\}"),  # a tuple-or-interval against a set: sympy's rules decide
        ("3", r"\{3\}"),
        (r"\begin{pmatrix} 1 \\ 2 \end{pmatrix}", r"\begin{pmatrix} 1 & 2 \end{pmatrix}"),  # shapes differ
        (r"\sqrt{2}", r"\frac{1414213562373095}{1000000000000000}"),  # closer than 1e-9
    ],
)
def test_different_kinds_and_near_ties_are_left_to_sympy(a, b):
    assert compare_exact(read_exact(a), read_exact(b)) is None


@pytest.mark.parametrize(
    "text",
    ["x + 1", "0.5", r"\sqrt[3]{2}", r"\sqrt{-1}", r"1 \pm (2, 3)", r"90^\circ", r"\text{east}", "1 2", "2(3)",
     "[2, 2]", "1, 234", "1,234", r"2\frac{1}{2}\pi", r"\frac{1}{1+\sqrt{2}}", "2^10", r"\infty", "x = 5", "", "(5)",
     r"\left\left(1, 2\right\right)", "2^{65}", r"\sqrt{" + "9" * 14 + "}"],
)
def test_anything_else_is_left_to_sympy(text):
    assert read_exact(text) is None


def test_the_kinds_read():
    assert isinstance(read_exact("(5, 2)"), Collection) and read_exact("(5, 2)").kind == "tuple"  # 5 > 2
    assert isinstance(read_exact("(2, 5)"), Interval)
    assert isinstance(read_exact("2, 5"), Collection) and read_exact("2, 5").kind == "set"
    assert isinstance(read_exact(r"\begin{array}{c} 1 \\ 2 \end{array}"), Matrix)
    assert isinstance(read_exact(r"\frac{\pi}{2}"), Value)


@pytest.mark.parametrize(
    "text",
    [
        "\\frac{1}{" * 50 + "2" + "}" * 50,
        "2^{64}" * 150,
        "9" * 300 + "\\cdot " + "9" * 300,
        "(" * 50 + "1" + ")" * 50,
        "\\sqrt{" * 50 + "2" + "}" * 50,
        "1+" * 500 + "1",
        "\\begin{pmatrix}" + "1 & " * 300 + "1 \\end{pmatrix}",
    ],
    ids=["nested-fractions", "powers", "huge-numbers", "parentheses", "nested-roots", "long-sum", "wide-matrix"],
)
def test_reading_stays_fast_on_hostile_answers_of_the_allowed_size(text):
    start = time.process_time()  # this process's CPU time: other jobs on the machine do not count
    read_exact(text)
    assert time.process_time() - start < 2  # milliseconds here; an exponential reading takes minutes


# -- agreement with math-verify --------------------------------------------------------------------


def _variants(answer: str) -> list[str]:
    return [
        answer,
        answer.replace("\\frac", "\\dfrac"),
        answer.replace(" ", ""),
        answer.replace("(", "\\left(").replace(")", "\\right)"),
        "{" + answer + "}",
        answer + "+0" if "," not in answer else answer,
        "1\\cdot " + answer if "," not in answer else answer,
    ]


EXTRA = [
    r"2\sqrt{3}", r"\sqrt{12}", r"\frac{\sqrt{3}}{2}", r"\frac{3}{2\sqrt{3}}", r"\frac{\pi}{2}", r"\frac{1}{2}\pi",
    "(1,2)", "(2,1)", "[1,2]", "[1,2)", "(1,2]", r"(-\infty,1)", r"(-\infty,1]", r"\{1,2\}", r"\{2,1\}", "1,2", "2,1",
    "(1,2,3)", "(3,2,1)", r"2\frac{1}{2}", r"\frac{5}{2}", r"-2\frac{1}{2}", r"-\frac{5}{2}", r"2\frac{1}{2}+1",
    r"\frac{7}{2}", "(5,2)", "[5,2]", r"\{1,1,2\}", r"\sqrt{8}", r"2\sqrt2", r"\frac{1}{\sqrt{2}}", r"\frac{\sqrt2}{2}",
    r"(1+\sqrt{2})^2", r"3+2\sqrt{2}", "2^{-1}", r"\frac12", r"\pi^2", r"\pi\cdot\pi", r"4\pi", r"\frac{8\pi}{2}",
    r"\sqrt{\frac{1}{4}}", r"\sqrt{2}\sqrt{3}", r"\sqrt{6}", "10^{3}", "2^{10}", r"\frac{-1}{2}", r"\{-2,1\}", "-2,1",
    "1,-2", r"(0,\infty)", r"[0,\infty)",
    r"\begin{pmatrix} 1 & 2 \\ 3 & 4 \end{pmatrix}", r"\begin{bmatrix} 1 & 2 \\ 3 & 4 \end{bmatrix}",
    r"\left[\begin{array}{cc} 1 & 2 \\ 3 & 4 \end{array}\right]", r"\begin{pmatrix} 1 & 2 \\ 3 & 5 \end{pmatrix}",
    r"\begin{pmatrix} 1 \\ 2 \end{pmatrix}", r"\begin{pmatrix} 1 & 2 \end{pmatrix}",
]  # fmt: skip


def test_exact_verdicts_are_math_verifys_on_math500_answers(shared_data):
    """Every pair the verifier's exact path decides gets the verdict of the worker's math-verify
    side (``symbolic.check``: math-verify's LaTeX parse and ``verify``): MATH-500's gold answers
    in other spellings, against each other (integers and fractions among them, which the verifier
    also reads as exact values), and forms models write."""
    pytest.importorskip("math_verify")
    from rewardkit.plugins.math.symbolic import check, warm_up
    from rewardkit.plugins.math.verifier import Verifier

    logging.getLogger("math_verify").setLevel(logging.ERROR)
    warm_up()
    reading = Verifier().reading
    rows = [json.loads(line) for line in (shared_data / "math500" / "test.jsonl").read_text().splitlines()]
    answers = [r["answer"] for r in rows if reading(r["answer"]).exact is not None] + EXTRA
    rng = random.Random(3)
    pairs = [(a, v) for a in answers for v in _variants(a)]
    pairs += [(rng.choice(answers), rng.choice(answers)) for _ in range(2000)]
    decided, disagreements = 0, []
    for gold, pred in pairs:
        if reading(gold).numeral is not None and reading(pred).numeral is not None:
            continue  # the numeral path's (tests/test_math_numerals.py)
        verdict = compare_exact(reading(gold).exact, reading(pred).exact)
        if verdict is None:
            continue
        decided += 1
        if verdict != check(gold, pred):
            disagreements.append((gold, pred, verdict))
    assert not disagreements, disagreements[:10]
    assert decided > 1500
