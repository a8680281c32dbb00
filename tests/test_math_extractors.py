"""Answer extractors: each built-in, the registry hook, tidying, and linear time on hostile text."""

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rewardkit.plugins.math.extractors import (
    DEFAULT_CHAIN,
    answer_is,
    answer_tag,
    bare,
    boxed,
    find_answer,
    gsm8k,
    last_boxed,
    last_latex,
    last_number,
    tidy,
    whole,
)
from rewardkit.registry import Registry


def test_builtin_extractors_are_registered_through_the_hook():
    registry = Registry(autoload=False)
    names = set(registry.catalogue("extractor"))
    assert {"answer_tag", "boxed", "gsm8k", "answer_is", "bare", "last_latex", "last_number", "whole"} <= names
    assert registry.catalogue("extractor")["boxed"].provider == "rewardkit.plugins.math"
    assert registry.get("extractor", "gsm8k")("so\n#### 72") == "72"


class TestAnswerTag:
    def test_reads_the_last_answer_tag(self):
        assert answer_tag("<answer>1</answer> then <answer>\n 2 \n</answer>") == "2"

    def test_an_unclosed_tag_runs_to_the_end_as_in_the_recipe(self):
        assert answer_tag("<reasoning>..</reasoning>\n<answer>\n42") == "42"

    def test_the_tag_is_configurable(self):
        assert answer_tag("<final>7</final>", tag="final") == "7"
        assert answer_tag("<answer>7</answer>", tag="final") is None

    def test_no_tag_or_an_empty_tag_finds_nothing(self):
        assert answer_tag("just 42") is None
        assert answer_tag("<answer>  </answer>") is None


class TestBoxed:
    def test_reads_the_last_boxed_with_balanced_braces(self):
        assert boxed(r"first \boxed{1}, then \boxed{\frac{1}{2}}.") == r"\frac{1}{2}"

    def test_escaped_braces_do_not_count(self):
        assert boxed(r"\boxed{\{1, 2\}}") == r"\{1, 2\}"

    def test_an_unclosed_boxed_is_ignored(self):
        assert boxed(r"\boxed{5} and then \boxed{7") == "5"
        assert boxed(r"\boxed{") is None

    def test_fbox_and_space_before_the_brace(self):
        assert boxed(r"\fbox{3}") == "3"
        assert boxed(r"\boxed {3}") == "3"

    def test_nested_boxes_give_the_outer_one_and_tidy_unwraps_it(self):
        assert last_boxed(r"\boxed{\boxed{5}}") == r"\boxed{5}"
        assert tidy(r"\boxed{\boxed{5}}") == "5"


    @pytest.mark.parametrize(
        "text, found",
        [
            (r"so \boxed{3}, \boxed{5}", "3, 5"),
            (r"$\boxed{1}\boxed{2}$", "1, 2"),
            (r"\boxed{1} and \boxed{2} and \boxed{3}", "1, 2, 3"),
            (r"$$\boxed{(2, 2)} \quad \text{and} \quad \boxed{(6, 2)}$$", "(2, 2), (6, 2)"),
            (r"\(\boxed{1}\) and \(\boxed{-2}\).", "1, -2"),
            (r"\boxed{1} papers and \boxed{2} bins", "1, 2"),
            (r"first \boxed{1}, then \boxed{2}", "2"),  # boxes apart: the last
            (r"\boxed{1} no no no no no \boxed{2}", "2"),
            (r"\boxed{1}.\n\nNext part. So \boxed{2}", "2"),
        ],
    )
    def test_boxes_written_together_are_one_answer(self, text, found):
        assert boxed(text) == found


class TestGsm8k:
    def test_reads_the_gold_solution_answer(self):
        assert gsm8k("She makes 9 * 2 = $<<9*2=18>>18.\n#### 1,234") == "1,234"

    def test_only_the_rest_of_that_line(self):
        assert gsm8k("#### 5\nmore text") == "5"

    def test_no_marker_finds_nothing(self):
        assert gsm8k("the answer is 5") is None


class TestAnswerIs:
    @pytest.mark.parametrize(
        "text, found",
        [
            ("So the answer is 18.", "18"),
            ("The final answer is $\\frac{1}{2}$. I hope it is correct.", "$\\frac{1}{2}$"),
            ("Final Answer: The final answer is $5$. I hope it is correct.", "$5$"),
            ("Answer: 3.5 apples. Then more", "3.5 apples"),
            ("answer = 7", "7"),
            ("The answer would be \\(x = 2\\) here", "\\(x = 2\\)"),
            ("The final answer is $\\$18.90$. I hope it is correct.", "$\\$18.90$"),
        ],
    )
    def test_reads_what_the_last_statement_says(self, text, found):
        assert answer_is(text) == found

    def test_answer_as_a_verb_is_not_a_statement(self):
        assert answer_is("I will answer the question now") is None

    def test_a_last_a_line_of_the_few_shot_format(self):
        assert answer_is("Q: What is 6 times 7?\nA: 42") == "42"
        assert answer_is("A: Six times seven. The answer is 42.") == "42"
        assert answer_is("**Final Answer:** $42$") == "$42$"


class TestLastNumber:
    @pytest.mark.parametrize(
        "text, found",
        [
            ("3 apples and 5 pears, 8 in all", "8"),
            ("it costs $1,234.50.", "$1,234.50"),
            ("a drop of -7 degrees", "-7"),
            ("half: 1/2", "1/2"),
            ("up 50% today", "50%"),
            ("version v2 of x3", None),
        ],
    )
    def test_reads_the_last_number(self, text, found):
        assert last_number(text) == found


class TestBare:
    @pytest.mark.parametrize("text", ["42", "x = 5", r"$\frac{1}{2}$", "18 dollars", "Evelyn", "$18",
                                      "\\begin{pmatrix} 1 \\\\\n 2 \\end{pmatrix}"])
    def test_an_answer_and_nothing_else_is_taken_whole(self, text):
        assert bare(text) == text

    @pytest.mark.parametrize("text", ["so it is 5", "$5$ apples", "Step 1\n3+4=7", "The answer is 5.", ""])
    def test_prose_and_lines_of_working_are_not(self, text):
        assert bare(text) is None


class TestLastLatex:
    @pytest.mark.parametrize(
        "text, found",
        [
            (r"so the area is $\frac{25}{2}$.", r"\frac{25}{2}"),
            (r"Thus \[ x = \sqrt{2} \] holds", r"x = \sqrt{2}"),
            ("so $$\n\\begin{pmatrix} 1 \\\\ 2 \\end{pmatrix}\n$$", "\\begin{pmatrix} 1 \\\\ 2 \\end{pmatrix}"),
            (r"we get $x=2$, total 9", None),  # a number after it: the number is likelier
            ("it costs $5 and $6 today", None),  # currency, not math
            ("no math here", None),
        ],
    )
    def test_the_last_math_span(self, text, found):
        assert last_latex(text) == found


class TestFindAnswer:
    @pytest.mark.parametrize(
        "text, answer, extractor, sure",
        [
            ("<answer>\n7\n</answer>", "7", "answer_tag", True),
            (r"so \boxed{3}, \boxed{5}", "3, 5", "boxed", True),
            (r"first \boxed{3}. Then, after more work, \boxed{5}", "5", "boxed", False),  # one box of two
            ("Q: x\nA: 42", "42", "answer_is", True),
            ("x^2+1", "x^2+1", "bare", True),
            (r"so the area is $\frac{25}{2}$.", r"\frac{25}{2}", "last_latex", False),
            ("blah 7 then 1234", "1234", "last_number", False),
            ("I do not know.", None, None, False),
        ],
    )
    def test_the_answer_which_extractor_and_whether_the_text_marks_it(self, text, answer, extractor, sure):
        found = find_answer(text, DEFAULT_CHAIN)
        assert (found.answer, found.extractor, found.sure) == (answer, extractor, sure)


def test_whole_is_the_stripped_text():
    assert whole("  \\frac{14}{3}\n") == "\\frac{14}{3}"
    assert whole("   ") is None


class TestTidy:
    @pytest.mark.parametrize(
        "found, answer",
        [
            ("$\\frac{1}{2}$", "\\frac{1}{2}"),
            ("$$x = 5$$", "x = 5"),
            ("\\(3\\)", "3"),
            ("\\[ 3 \\]", "3"),
            ("\\boxed{7}.", "7"),
            ("$\\boxed{7}$.", "7"),
            ("18.", "18"),
            ("$18", "$18"),  # a currency sign, not a delimiter
            ("$5 and $6", "$5 and $6"),
            ("$\\$32,\\!348$", "\\$32,\\!348"),  # an escaped dollar inside does not close the span
            ("The total cost is 18 dollars per week.", "18 dollars per week"),  # a numeral: 18
            ("So we know that the answer is 12 apples in all", "12 apples in all"),
            ("\\text{Evelyn}", "\\text{Evelyn}"),
            # prose around the answer: what it says the answer is
            ("Final answer: the smallest $k$ is 12.", "12"),
            ("Answer: $ 7 $", "7"),
            ("the polar coordinates are $(3, \\frac{\\pi}{2})$", "(3, \\frac{\\pi}{2})"),
            ("x=5 is the solution", "x=5"),
            ("$5$ apples", "5"),
            ("$1$ and $2$ and $3$", "1, 2, 3"),
            ("5 (five) apples", "5"),
            ("5 because 2+3=5", "5"),
            ("18 million", "18 million"),  # a value-changing word: not 18
            ("3 and 5", "3 and 5"),
        ],
    )
    def test_turns_what_was_found_into_an_answer(self, found, answer):
        assert tidy(found) == answer

    def test_nothing_left_is_none(self):
        assert tidy("$ $") is None
        assert tidy("\\boxed{ }") is None
        assert tidy(None) is None


@pytest.mark.parametrize(
    "text",
    [
        "\\boxed{" * 200_000,
        "{" * 500_000 + "}" * 500_000,
        "answer " * 150_000,
        "answer is " + " " * 1_000_000,
        "1," * 500_000,
        "$" * 1_000_000,
        "\\" * 1_000_000,
        "<answer>" * 100_000,
        "####" * 200_000,
        "9" * 1_000_000,
        "\\text{" * 150_000,
        "\\text" + " " * 1_000_000,
        "\\boxed{1}, " * 100_000,
        "$1$ and " * 100_000,
        "\nA: 1" * 200_000,
        "the value is " * 100_000,
        "\\begin{pmatrix}" * 100_000,
    ],
    ids=["boxed", "braces", "answer-words", "spaces", "commas", "dollars", "backslashes", "tags", "hashes", "digits",
         "text-groups", "text-spaces", "box-runs", "span-runs", "a-lines", "connectors", "environments"],
)
def test_every_extractor_stays_linear_on_a_megabyte_of_hostile_text(text):
    # A catastrophic regex takes minutes or hours on these; linear code takes milliseconds.
    start = time.process_time()  # this process's CPU time: other jobs on the machine do not count
    for extract in (answer_tag, boxed, gsm8k, answer_is, bare, last_latex, last_number, whole):
        found = extract(text)
        tidy(found)
    assert time.process_time() - start < 10


# The searches that skip work (a window at the end, the places that say "nswer", numbers left as
# they are) find what a search of the whole text finds: generated texts of the pieces they skip on.
_PIECES = st.sampled_from(
    list("0123456789 -$.,/%\n\\:aAbZé_\u2212İſ\u212a")
    + ["answer", "ANSWER", "aNsWeR", "anſwer", "xanswer", "Answer is", "answer: ", "answer  is: ", "answer**:",
       " ANSWER was ", "Answer would be", "final answer = ", "\nA: ", "**A**:", " 12 500", "2 3/4", "x2",
       "3.14.15", "1,234", "$18", "50%", "\\%", "\\boxed{", "}", "$", "."]
)
_TEXTS = st.builds(lambda parts, times: "".join(parts) * times, st.lists(_PIECES, max_size=40), st.integers(1, 40))


def _last(matches):
    last = None
    for last in matches:
        pass
    return last


# A number that the window's first edge may cut, followed by 55-70 characters that hold no letter.
_CUT = st.builds(
    lambda text, number, tail: text + number + tail,
    _TEXTS,
    st.sampled_from(["12 500 000", "1,234,567", "- 5", "$ 18", "2 3/4", "3.14.15", "x2", "-\n7", "9 %"]),
    st.text(alphabet=" .,-\n%/$", min_size=55, max_size=70),
)


@settings(max_examples=400, derandomize=True, deadline=None)
@given(st.one_of(_TEXTS, _CUT))
def test_last_number_is_the_last_number_of_the_whole_text(text):
    from rewardkit.plugins.math.extractors import _NUMBER

    last = _last(_NUMBER.finditer(text))
    assert last_number(text) == (None if last is None else last.group().strip())


@settings(max_examples=400, derandomize=True, deadline=None)
@given(_TEXTS)
def test_answer_is_reads_the_last_match_of_its_pattern_in_the_whole_text(text):
    from rewardkit.plugins.math.extractors import _ANSWER_IS, _last_answer_is

    found, expected = _last_answer_is(text), _last(_ANSWER_IS.finditer(text))
    assert (found and found.span()) == (expected and expected.span())


@settings(max_examples=400, derandomize=True, deadline=None)
@given(st.lists(st.sampled_from(list("0123456789,.-$% \\{}a\n\u0663²") + ["boxed{", "\\boxed{", "1,234"]), max_size=12))
def test_a_plain_number_is_tidied_as_any_answer(parts):
    from rewardkit.plugins.math.extractors import _tidy

    answer = "".join(parts)
    assert tidy(answer) == (_tidy(answer) if answer else None)
