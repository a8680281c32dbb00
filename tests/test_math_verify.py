"""rewardkit.verify_answer: equivalences, non-equivalences, unreadable gold, asymmetry, caching."""

import pytest
from _no_sympy import run_without_sympy

import rewardkit
from rewardkit.plugins.math.verifier import Verifier, gold_answer, verify_answer, verify_answers

EQUIVALENT = [
    # the equivalences
    ("0.5", r"\frac{1}{2}"),
    (r"\frac{1}{2}", "1/2"),
    ("1/2", "50%"),
    ("50%", "0.5"),
    ("1,234", "1234"),
    ("#### 1,234", "$1,234.00"),
    ("18", r"\$18.00"),
    ("18", "$18"),
    ("\\$32,\\!348", "32348"),
    # intervals
    ("[2, 5)", "[2,5)"),
    (r"(-\infty, 3]", r"(-\infty,3]"),
    (r"\left(\frac{3}{5},\frac{8}{3}\right]", "(0.6, 8/3]"),
    # sets
    (r"\{1, 2, 3\}", r"\{3, 2, 1\}"),
    # tuples
    (r"(3, \frac{\pi}{2})", r"\left( 3, \frac{\pi}{2} \right)"),
    # negative numbers
    ("-5", "\u22125"),
    (r"-\frac{3}{4}", "-0.75"),
    # units
    ("30", r"30^\circ"),
    ("5", r"5\text{ cm}"),
    ("18", "18 dollars"),
    # expressions
    (r"\sqrt{2}/2", r"\frac{\sqrt{2}}{2}"),
    ("x^2+2x+1", "(x+1)^2"),
    (r"3\sqrt{13}", r"\sqrt{117}"),
    (r"\dfrac{14}{3}", r"4\frac{2}{3}"),
    ("10^3", "1000"),
    ("1/3", "0.333333"),
    (r"\pi", "3.14159265"),
    # equations and text answers
    ("x=5", "5"),
    ("5", "x = 5"),
    (r"\text{(C)}", "C"),
    (r"\text{Evelyn}", "Evelyn"),
    # a MATH solution as the gold
    (r"So the area is $\boxed{\frac{25}{2}}$.", "12.5"),
    # i is the imaginary unit
    ("-1", r"e^{i\pi}"),
    ("-1", "i^2"),
    ("1 + 2i", r"\frac{5}{1 - 2i}"),
]

NOT_EQUIVALENT = [
    ("12", "13"),
    ("-5", "5"),
    ("(2, 5)", "[2, 5]"),
    (r"\{1, 2\}", r"\{1, 3\}"),
    ("(1, 2)", "(2, 1)"),
    ("2x", "x"),
    ("0.5", "0.50001"),
    ("1/3", "0.33"),
    ("2", "2.0000000001"),
    ("1,000", "1.000"),
    ("3", "three"),
    ("#### 1,234", "1,235"),
    ("18", "18 million"),
    ("1 + 2i", "1 + 3i"),
    ("-1", r"e^{i\pi / 2}"),
]


@pytest.mark.parametrize("gold, prediction", EQUIVALENT)
def test_equivalent_answers_verify(gold, prediction):
    assert verify_answer(gold, prediction) is True


@pytest.mark.parametrize("gold, prediction", NOT_EQUIVALENT)
def test_different_answers_do_not_verify(gold, prediction):
    assert verify_answer(gold, prediction) is False


def test_many_pairs_at_once_give_the_same_verdicts():
    pairs = EQUIVALENT[:8] + NOT_EQUIVALENT[:5]
    assert verify_answers(pairs) == [True] * 8 + [False] * 5


def test_verify_answer_is_exported_from_the_package():
    assert rewardkit.verify_answer is verify_answer
    assert "verify_answer" in rewardkit.__all__


@pytest.mark.parametrize("gold", ["", "   ", None, r"\boxed{}", "$", "}", "{" * 60 + "1" + "}" * 60, "1" * 2000])
def test_an_unreadable_gold_gives_none_never_true(gold):
    assert verify_answer(gold, "5") is None
    assert verify_answer(gold, gold if isinstance(gold, str) else "") is None


def test_gold_comes_first_because_verification_is_not_symmetric():
    # A gold inequality accepts the interval it describes; a gold interval does not accept an inequality.
    assert verify_answer("1 < x < 2", "(1, 2)") is True
    assert verify_answer("(1, 2)", "1 < x < 2") is False


@pytest.mark.parametrize(
    "gold, answer",
    [
        ("Janet sells 16 - 3 - 4 = <<16-3-4=9>>9 duck eggs.\n#### 1,234", "1,234"),
        (r"The area is $\boxed{\frac{25}{2}}$.", r"\frac{25}{2}"),
        (r"\left( 3, \frac{\pi}{2} \right)", r"\left( 3, \frac{\pi}{2} \right)"),
        ("$5$", "5"),
        (42, "42"),
        (2.5, "2.5"),
        (None, None),
        (float("nan"), None),
        (True, None),
        (["4"], None),
    ],
)
def test_gold_answers_are_read_from_gsm8k_math_and_bare_columns(gold, answer):
    assert gold_answer(gold) == answer


def test_a_prediction_boxed_or_in_dollars_is_unwrapped():
    assert verify_answer("7", r"$\boxed{7}$.") is True


def test_repeated_pairs_are_answered_from_the_cache():
    verifier = Verifier(cache_size=10)
    first = verifier.check_many([("(x+1)^2", "x^2+2x+1")] * 3)  # an identity: not decided without sympy
    assert [v.how for v in first] == ["sympy"] * 3  # identical pairs in a batch: verified once
    again = verifier.check_many([("(x+1)^2", "x^2+2x+1")])
    assert [(v.correct, v.how) for v in again] == [(True, "cache")]


def test_plain_numerals_are_decided_without_sympy_or_worker_processes():
    run_without_sympy(
        """
        from rewardkit import verify_answer
        assert verify_answer("#### 1,234", "$1,234.00") is True
        assert verify_answer("1/2", "50%") is True
        assert verify_answer("12", "13") is False
        """
    )


# -- the worker's sympy side against math-verify, on real MATH-500 answers --------------------------


def _math500_pairs(shared_data, limit):
    import json
    import random

    from rewardkit.plugins.math.extractors import last_boxed, tidy

    rows = [json.loads(line) for line in (shared_data / "math500" / "test.jsonl").read_text().splitlines()]
    rng = random.Random(7)
    rows = rng.sample(rows, limit)
    pairs = []
    for row in rows:
        gold, boxed = tidy(row["answer"]), tidy(last_boxed(row["solution"]))
        pairs += [(gold, boxed), (boxed, gold), (gold, tidy(rng.choice(rows)["answer"]))]
    return pairs


def test_worker_verdicts_are_math_verifys_on_math500_answers(shared_data):
    """symbolic.check (numeral conversion, shortcuts, two-stage parsing) against math-verify's own
    LaTeX parse + verify of the same answers."""
    import logging

    from math_verify import parse, verify

    from rewardkit.plugins.math.symbolic import _LATEX_ONLY, check, warm_up

    logging.getLogger("math_verify").setLevel(logging.ERROR)
    warm_up()

    def reference(gold, pred):
        parsed_gold = parse("\\boxed{" + gold + "}", extraction_config=_LATEX_ONLY, parsing_timeout=None)
        if not parsed_gold:
            return None
        parsed = parse("\\boxed{" + pred + "}", extraction_config=_LATEX_ONLY, parsing_timeout=None)
        return bool(verify(parsed_gold, parsed, timeout_seconds=None))

    pairs = _math500_pairs(shared_data, 120)
    differ = [(g, p) for g, p in pairs if check(g, p) != reference(g, p)]
    assert not differ


def test_two_stage_parsing_builds_the_same_objects_as_full_ll_parsing(shared_data, monkeypatch):
    from latex2sympy2_extended.latex2sympy2 import _Latex2Sympy
    from math_verify.parser import parse_latex_cached

    import rewardkit.plugins.math.symbolic as symbolic

    symbolic.use_two_stage_parsing()
    answers = sorted({a for pair in _math500_pairs(shared_data, 120) for a in pair})

    def parse_all():
        symbolic.clear_caches()
        parse_latex_cached.cache_clear()
        return [symbolic.parse_answer(a) for a in answers]

    two_stage = parse_all()
    monkeypatch.setattr(_Latex2Sympy, "create_parser", symbolic._original_create_parser)
    assert parse_all() == two_stage


@pytest.mark.parametrize("answer", ["4 0/0", "1/0", r"\frac{3}{0}", "(2-2)/0"])
def test_an_answer_dividing_by_zero_equals_nothing_whatever_was_compared_before(answer):
    # (4*0)/0 left unevaluated came out equal to 0 or not depending on sympy's caches, which
    # every comparison a worker makes (its warm-up included) changes.
    import rewardkit.plugins.math.symbolic as symbolic

    golds = ["0", "4", "1", r"\infty"]
    for before in (None, *symbolic.WARM_UP_PAIRS):
        if before is not None:
            symbolic.check(*before)
        symbolic.clear_caches()
        assert [symbolic.check(gold, answer) for gold in golds] == [False] * len(golds), before


def test_a_pair_the_string_shortcuts_decide_costs_the_worker_no_parse():
    import rewardkit.plugins.math.symbolic as symbolic
    from rewardkit.plugins.math.verifier import _check_in_worker

    symbolic.clear_caches()
    assert _check_in_worker(r"\frac{x}{3}", r"\dfrac{x}{3}", "so $x/3$", False) == (True, True, False)
    # normalised alike: equal without parsing the prediction (the gold is parsed once, to know it
    # reads as mathematics and not only as its own text)
    assert len(symbolic._parsed) == 1 and symbolic._parsed.get(r"\dfrac{x}{3}") is None
    own, pred_readable, floored = _check_in_worker(r"\frac{x}{3}", r"\frac{x}{4}", None, True)
    assert (own, pred_readable, floored) == (False, True, False)


# -- the floor: math-verify's own extraction where rewardkit's extractors guessed ---------------------


def test_math_verifys_extraction_is_the_floor_only_where_the_answer_was_guessed():
    verifier = Verifier(cache_size=0)
    completion = "It could be 3.\nFinal Answer: The final answer is $\\frac{1}{2}$. I hope it is correct."
    guessed, marked, none = verifier.check_many(
        [(r"\frac{1}{2}", "3"), (r"\frac{1}{2}", "3"), (r"\frac{1}{2}", None)],
        floors=[(completion, False), (completion, True), (completion, False)],
    )
    assert (guessed.correct, guessed.how) == (True, "floor")
    assert (marked.correct, marked.how) == (False, "numeral")  # a marked answer is judged as marked
    assert (none.correct, none.how) == (True, "floor")


def test_the_floor_never_rescues_an_unreadable_gold():
    (verdict,) = Verifier(cache_size=0).check_many([(r"\text{}", None)], floors=[("the answer is 5", False)])
    assert verdict.correct is None


def test_words_assignments_and_units_are_decided_without_sympy_as_math_verify_decides():
    # Each verdict is math-verify's (checked on a generated corpus by test_math_numeric).
    run_without_sympy(
        r"""
        from rewardkit.plugins.math.verifier import Verifier

        pairs = {
            (r"\text{Evelyn}", r"\text{Evelyn}"): True, (r"\text{Evelyn}", r"\textbf{ EVELYN }"): True,
            (r"\text{Evelyn}", r"\text{Eve lyn}"): True, (r"\text{(C)}", r"\textbf{(c)}"): True,
            (r"\text{Evelyn}", r"\text{Navin}"): False, (r"\text{Evelyn}", "864"): False,
            (r"\text{Evelyn}", r"\text{Evelyn}+37"): False, ("864", r"\text{Evelyn}"): False,
            ("x=5", "5"): True, ("5", "x = 5"): True, ("x=5", "x=6"): False, ("x=5", "y=5"): False,
            ("y = 2x + 3", "y = 2x + 40"): False, ("y = 2x + 3", "2x+4"): False, ("y = 2x + 3", "y=2x+3"): True,
            ("5x - 7y + 11z + 4 = 0", "5x-7y+11z+4=0"): True,
            (r"864 \mbox{ inches}^2", "864"): True, (r"\frac{270}7\text{ degrees}", r"\frac{270}{7}"): True,
            (r"15\mbox{ cm}^2", "16"): False,
        }
        verdicts = Verifier(cache_size=0).check_many(list(pairs))
        assert [v.correct for v in verdicts] == list(pairs.values()), verdicts
        assert {v.how for v in verdicts} <= {"exact", "numeral", "numeric"}, verdicts
        """
    )


def test_words_that_math_verifys_normalisation_rewrites_are_left_to_sympy():
    from rewardkit.plugins.math.structure import compare_words, without_unit, word

    assert word(r"\text{and}") is None and word(r"\text{infinite}") is None and word(r"\mathrm{T}") is None
    assert compare_words(r"\text{percent}", "5") is None
    assert without_unit(r"50\text{percent}") == r"50\text{percent}"  # a percent sign to math-verify, not a unit
    assert without_unit(r"5 \text{ cm} + \text{x}") == r"5 \text{ cm} + \text{x}"
    assert compare_words(r"\text{Evelyn}", r"37+\text{Evelyn}") is None  # math-verify cannot read it: the floor may


# -- answers decided by their structure, against math-verify as the oracle ---------------------------

DECIDED_BY_STRUCTURE = [
    # tuples: arity, order, spelling
    ("(1, 2, 3)", "(1, 2)"), ("(1, 2)", "(1, 2, 3)"), ("(3, -1)", "(3,-1)"), ("(3, -1)", "(-1, 3, 5)"),
    (r"\left( 3, \frac{\pi}{2} \right)", r"(3, \frac{\pi}{2})"), ("(1, 2, 3)", "(1, 2, 4)"),
    # intervals: open and closed ends, infinite ends, an interval against a tuple
    ("[2, 5)", "[2,5)"), ("[2, 5)", "(2, 5)"), ("[2, 5)", "[2, 5]"), (r"(-\infty, 3]", r"(-\infty, 3)"),
    (r"[2, \infty)", r"\left[2,\infty\right)"), ("(2, 5)", "(5, 2)"), ("(2, 5)", "(2, 5, 7)"),
    # linear equations: shifted, another coefficient (a multiple is for sympy's solve)
    ("5x - 7y + 11z + 4 = 0", "5x - 7y + 11z + 4 = 0+37"), ("2x + 3y = 6", "4x + 6y = 13"), ("x + y = 5", "2x + y = 5"),
    # a container plus a term: no expression to latex2sympy
    ("(6,31,-1)", "(6,31,-1)+37"), ("(2,4]", "(2,4] - x"), (r"(0,9) \cup (9,36)", r"(0,9) \cup (9,36)+37"),
    (r"\begin{pmatrix} 1 \\ 2 \end{pmatrix}", r"\begin{pmatrix} 1 \\ 2 \end{pmatrix}+1"),
    (r"\left( \frac{3}{2}, -13 \right)", r"\left( \frac{3}{2}, -13 \right)+37"), (r"\{1, 2\}", r"\{1, 2\} - 1"),
    (r"(2,12) \cup (12,102)", r"(2,12) \cup (12,102)"),
    # words: case, spacing, parentheses and the \text-like commands
    (r"\text{Evelyn}", r"\text{ evelyn }"), (r"\text{Evelyn}", r"\textbf{EVELYN}"), (r"\text{Evelyn}", r"\mbox{Evelyn}"),
    (r"\text{Evelyn}", r"\text{Eve lyn}"), (r"\text{(C)}", r"\text{C}"), (r"\text{(C)}", r"\textbf{(D)}"),
    (r"\text{Evelyn}", "37"), (r"\text{Evelyn}", r"\text{Evelyn}+37"), (r"\text{Navin}", r"\text{Evelyn}"),
    # units, and words inside expressions
    (r"864 \mbox{ inches}^2", "864"), (r"864 \mbox{ inches}^2", r"864 \mbox{ inches}^2+37"), ("864", r"864 \mbox{ inches}^2+37"),
    (r"15\mbox{ cm}^2", r"15\mbox{ cm}^2+37"), (r"\frac{270}7\text{ degrees}", r"\frac{270}{7}"), (r"5\text{ cm}", r"6\text{ cm}"),
    (r"3\text{cm} + 1", r"3\mbox{ CM}+1"), (r"2\text{apples} + x", r"x + 3\text{apples}"),
]

# Near the rules, but for math-verify to decide: the answer holds what its extraction parses on its
# own (a plain fraction, two joined, [..] between spaces, a number its expression pattern finds),
# against a gold that a number or a finite set can equal; a word against letters side by side; a
# linear equation against a multiple of it.
LEFT_TO_THE_WORKERS = [
    (r"\frac{1}{2}", r"(1,2)+\frac{1}{2}"), (r"(\frac{1}{2}, \frac{3}{4})", r"(\frac{1}{2},\frac{3}{4})+1"),
    ("2x + 3y = 6", "4x + 6y = 12"), ("(2,3)", r"(0,1) \cup [2,3] - x"), ("3", r"\left( 3, \frac{\pi}{2} \right)+37"), (r"\text{velyn}", "v e l y n"),
]


def _math_verify(gold, completion):
    """math-verify's verdict: its default parse of ``$gold$`` and of the completion, and verify."""
    import logging

    from math_verify import parse, verify

    logging.getLogger("math_verify").setLevel(logging.ERROR)
    return bool(verify(parse(f"${gold}$"), parse(completion)))


@pytest.mark.parametrize("gold, answer", DECIDED_BY_STRUCTURE)
def test_tuples_intervals_words_and_units_are_decided_without_sympy_as_math_verify_decides(gold, answer):
    # The completion is the answer in dollars, as math-verify is given it here.
    (verdict,) = Verifier(cache_size=0).check_many([(gold, answer)], floors=[(f"${answer}$", True)])
    assert verdict.how in {"exact", "numeral", "numeric"}, verdict
    assert verdict.correct is _math_verify(gold, f"${answer}$")


def test_answers_near_the_structural_rules_get_math_verifys_verdict_from_the_workers():
    # In a box, as the workers read an answer: math-verify finds the piece it can parse there.
    pairs = LEFT_TO_THE_WORKERS
    completions = [rf"\boxed{{{answer}}}" for _, answer in pairs]
    verdicts = Verifier(cache_size=0).check_many(pairs, floors=[(c, True) for c in completions])
    assert [v.correct for v in verdicts] == [_math_verify(g, c) for (g, _), c in zip(pairs, completions)] == [True] * len(pairs)
    assert {v.how for v in verdicts} <= {"sympy", "floor"}, verdicts


def test_a_container_plus_a_term_in_a_longer_completion_still_gets_the_floor():
    # Marked and unreadable: math-verify's own extraction over the completion finds the tuple before it.
    completion = r"First $(6,31,-1)$, so the answer is \boxed{(6,31,-1)+37}"
    (verdict,) = Verifier(cache_size=0).check_many([("(6,31,-1)", "(6,31,-1)+37")], floors=[(completion, True)])
    assert (verdict.correct, verdict.how) == (True, "floor")
    assert _math_verify("(6,31,-1)", completion) is True  # math-verify too, on the same text
