"""The numeric path: answers told apart by their values, never called equal, never against sympy."""

import logging
import time

import pytest

from _no_sympy import run_without_sympy
from math_numeric_corpus import against_sympy, generated_pairs
from rewardkit.plugins.math.expressions import read_form
from rewardkit.plugins.math.numeric import compare_numeric, numeric_form
from rewardkit.plugins.math.verifier import Verifier, refused


def numeric(text):
    return numeric_form(read_form(text))


@pytest.mark.parametrize(
    "gold, answer",
    [
        ("x^2 + 1", "y^2 + 1"),  # a variable renamed: the sympy path compares names too
        ("x^2 + 1", "x^2 + 2"),
        (r"\frac{x+1}{2}", r"\frac{-x+1}{2}"),  # a sign flipped inside a fraction
        (r"3\sqrt{2}", r"\sqrt{6}"),  # the coefficient moved under the root unsquared
        (r"2\pi", "6.28"),  # past math-verify's rounding to 6 places
        (r"(-\infty, 3]", r"(-\infty, 4]"),
        ("(1, 2)", "(1, 2]"),
        (r"\{1, 2\}", r"\{1, 3\}"),
        ("5", "(2, 5)"),  # a number is no interval
        (r"(0, 9) \cup (9, 36)", "9"),  # nor a union of intervals
        (r"\begin{pmatrix} 1 \\ 2 \end{pmatrix}", "(1, 2)"),  # nor is a matrix
        (r"\begin{pmatrix} 1 & 2 \end{pmatrix}", r"\begin{pmatrix} 1 \\ 2 \end{pmatrix}"),
        (r"\cot x", r"\tan x"),
        (r"\log(x)", r"\ln(x)"),
        ("1/2x", r"\frac{x}{2}"),  # latex2sympy reads 1/(2x)
    ],
)
def test_values_clearly_apart_are_not_equal(gold, answer):
    assert compare_numeric(numeric(gold), numeric(answer)) is False


@pytest.mark.parametrize(
    "gold, answer",
    [
        ("(x+1)^2", "x^2 + 2x + 1"),  # equal: for sympy to decide
        (r"\sin^2 x + \cos^2 x", "1"),
        (r"\frac{1}{2}", "0.5000001"),  # math-verify rounds decimals to 6 places
        (r"\pi", "3.14159265"),
        ("10^{-20} + 1", r"1 + 2\cdot 10^{-20}"),  # math-verify chops differences below 1e-15
        ("(10^{15} + x) - 10^{15}", "x"),  # cancellation: the error bound, not the digits, decides
        (r"\{1, 2\}", "(2, 1)"),  # a set and a tuple: sympy pairs them in its own order
        (r"(0, 9) \cup (9, 36)", "(0, 36)"),  # point sets: not told here
        ("x", "y"),  # bare variables are compared by name (E and e are equal to math-verify)
        (r"\{x, 1\}", r"\{y, 1\}"),
        (r"\sqrt{x^2}", "x"),  # equal at the points (positive), not to sympy: sympy decides
    ],
)
def test_equal_close_or_uncertain_values_are_left_to_sympy(gold, answer):
    assert compare_numeric(numeric(gold), numeric(answer)) is None


@pytest.mark.parametrize(
    "text",
    [
        "2m", "x + 5t", "xy", "2E", "A + 1", "dx", "2i + 1", "x(2)", "x^2(3)", r"\pi(2)", "2(3)", r"2\frac{1}{2}\pi",
        "x2", r"\frac{1}{2}3", "1 2", "2^10", "x^2^3", r"\sqrt12", r"\frac123", r"\sin x/2", r"\sin x y",
        r"\sin(x)y", r"\sin^{-1} x", "x = 5", r"3~\sqrt{2}", r"\infty", "(5)", "[x + 1]", r"1 \pm (2, 3)",
        r"\begin{array}{c|c} 1 & 2 \end{array}", r"(1, 2) \cup \{3\}", "x_1", "5!", "|x|", "50\\%", r"\text{east}",
        # words: alone, cut as a unit (the answer ends with "}"), rewritten, constants, complex, spaced
        r"3x + \text{ab}", r"\text{ab} + \frac{1}{2}", r"\frac{\text{ab}}{2}", r"\text{pi} + 1", r"\text{and} + 1",
        r"\text{Re} + 1", r"\text{a i} + 1", r"\text {ab} + 1", r"\mathrm{T} + 1", r"\text{x} + 1",
        # the normalisation's units "a ." ... "h .": the dot is any character, "( e )" loses its end
        "-(3)( e )", r"\frac{1}{ a }", "2 ( b )",
    ],
)
def test_texts_latex2sympy_or_the_normalisation_could_read_otherwise_are_not_read(text):
    assert read_form(text) is None


@pytest.mark.parametrize(
    "text",
    [r"\sqrt{-2}", r"\ln(0)", r"\frac{1}{0}", r"\frac{1}{x - x}", r"(-8)^{\frac{1}{3}}", r"\sqrt[3]{-8}",
     "9^{9^{9^9}}", "10^{40}", r"e^{1000}", r"\tan(\frac{\pi}{2})"],
)
def test_values_out_of_range_or_not_real_are_not_evaluated(text):
    assert read_form(text) is not None
    assert numeric(text) is None


@pytest.mark.parametrize(
    "text",
    ["1+" * 400 + "1", "-" * 900 + "x", "x^{" * 40 + "2" + "}" * 40, r"\frac{1}{" * 45 + "x" + "}" * 45,
     r"\sin(" * 45 + "x" + ")" * 45, "9^{9^{9^{9^{9^{9^9}}}}}", "(" * 49 + "x" + ")" * 49],
    ids=["long-sum", "signs", "power-tower", "nested-fractions", "nested-sines", "tower", "parentheses"],
)
def test_hostile_answers_of_the_allowed_size_are_read_and_evaluated_quickly(text):
    assert not refused(text)
    start = time.process_time()  # this process's CPU time: other jobs on the machine do not count
    compare_numeric(numeric(text), numeric("x"))
    assert time.process_time() - start < 2  # milliseconds here; an exponential evaluation takes minutes


def test_the_verifier_decides_clearly_different_expressions_without_sympy_or_workers():
    run_without_sympy(
        r"""
        from rewardkit.plugins.math.verifier import Verifier
        verdicts = Verifier().check_many([("x^2+1", "y^2+1"), (r"\frac{11+9a}{20}", r"\frac{21+9a}{20}"), ("(1, 2)", "7")])
        assert [(v.correct, v.how) for v in verdicts] == [(False, "numeric")] * 3, verdicts
        """
    )


def test_a_guessed_answer_told_apart_still_gets_the_floor():
    verifier = Verifier(cache_size=0)
    completion = "It could be $y^2$.\nFinal Answer: The final answer is $x^2$. I hope it is correct."
    guessed, marked = verifier.check_many([("x^2", "y^2"), ("x^2", "y^2")], floors=[(completion, False), (completion, True)])
    assert (guessed.correct, guessed.how) == (True, "floor")
    assert (marked.correct, marked.how) == (False, "numeric")


def test_verdicts_without_sympy_are_the_sympy_paths_on_a_generated_corpus(shared_data):
    """Every pair the caller decides (numerals, exact forms, values apart) gets the verdict of
    the worker's sympy path (``symbolic.check``: math-verify's parse and ``verify``, then the floor
    where it cannot read the answer), and every answer called wrong is one math-verify reads (so
    the floor would not have run on it) or a container plus a term (see ``against_sympy``).
    bench/math_conformance.py runs the same check on a larger corpus."""
    pytest.importorskip("math_verify")
    logging.getLogger("math_verify").setLevel(logging.ERROR)
    counts, disagreements = against_sympy(generated_pairs(1500, seed=11, data=shared_data))
    assert not disagreements, disagreements[:10]
    assert counts["numeric"] > 250 and counts["exact"] > 250
