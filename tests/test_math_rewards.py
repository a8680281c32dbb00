"""math_correctness (alias accuracy) and int_answer: scores, columns, parameters, reporting, contract."""

import pickle

import pytest

from rewardkit import get_reward, hookimpl
from rewardkit.errors import MissingColumnError, ParamsError
from rewardkit.plugins.math import Accuracy, IntAnswer, MathCorrectness
from rewardkit.composition_loader import load_composition
from rewardkit.testing import assert_scores, check_reward_contract

XML = "<reasoning>\n{r}\n</reasoning>\n<answer>\n{a}\n</answer>"


class TestMathCorrectness:
    def test_gsm8k_gold_solutions_and_reformatted_answers(self):
        gold = "Natalia sold 48/2 = <<48/2=24>>24 clips in May.\n#### 1,234"
        assert_scores(
            MathCorrectness(),
            [
                (XML.format(r="...", a="1234"), 1.0),
                (XML.format(r="...", a="$1,234.00"), 1.0),
                ("so the total is \\boxed{1234}", 1.0),
                ("The answer is 1,234 dollars.", 1.0),
                ("blah 7 then 1234", 1.0),  # last-number fallback
                (XML.format(r="...", a="1235"), 0.0),
                ("no number at all", 0.0),
                ("", 0.0),
            ],
            answer=gold,
        )

    def test_math_answers_with_latex(self):
        assert_scores(
            MathCorrectness(),
            [
                ("so $\\boxed{\\frac{\\pi}{2}}$", 1.0, {"answer": "\\frac{\\pi}{2}"}),
                ("\\boxed{\\left(3, \\frac{\\pi}{2}\\right)}", 1.0, {"answer": "\\left( 3, \\frac{\\pi}{2} \\right)"}),
                ("\\boxed{[2, 5)}", 1.0, {"answer": "[2,5)"}),
                ("\\boxed{(2, 5)}", 0.0, {"answer": "[2,5)"}),
                ("\\boxed{0.5}", 1.0, {"answer": "\\frac{1}{2}"}),
            ],
        )

    def test_the_answer_tag_wins_over_a_later_boxed_answer(self):
        completion = XML.format(r="maybe \\boxed{7}", a="5")
        assert MathCorrectness()([completion], answer=["5"]) == [1.0]

    def test_a_math_solution_column_is_used_when_there_is_no_answer_column(self):
        solution = "The area is $\\boxed{\\frac{25}{2}}$."
        assert MathCorrectness()(["\\boxed{12.5}"], solution=[solution]) == [1.0]

    def test_the_answer_column_is_preferred_to_the_solution_column(self):
        scores = MathCorrectness()(["\\boxed{3}"], answer=["3"], solution=["\\boxed{4}"])
        assert scores == [1.0]

    def test_a_named_gold_column(self):
        reward = MathCorrectness(gold_column="target")
        assert reward.required_columns() == ("target",)
        assert reward(["\\boxed{3}"], target=["3"]) == [1.0]
        with pytest.raises(MissingColumnError, match="target"):
            reward(["\\boxed{3}"], answer=["3"])

    def test_no_gold_column_raises_naming_the_candidates(self):
        with pytest.raises(MissingColumnError, match="'answer' or 'solution'"):
            MathCorrectness()(["\\boxed{3}"], question=["q"])

    def test_an_unreadable_gold_is_none_and_counted_never_correct(self):
        out = MathCorrectness().evaluate(["\\boxed{5}", "\\boxed{}", "5"], answer=["", None, "   "])
        assert out.scores == [None, None, None]
        assert out.metrics["gold_unreadable"] == 3

    @pytest.mark.parametrize(
        "gold",
        [
            "#### ", "Janet sells 9 eggs.\n####", "####\n",  # GSM8K's marker with nothing after it
            "\\frac{", "(1, 2", "x +",  # LaTeX that parses to nothing but its own text
            "not a number", "forty two",  # prose without a number
        ],
    )  # fmt: skip
    def test_every_class_of_unreadable_gold_scores_none_for_the_whole_group(self, gold):
        group = ["<answer>\n5\n</answer>", "\\boxed{0}", gold, "no answer", "<answer>\n\\frac{\n</answer>"]
        out = MathCorrectness().evaluate(group, answer=[gold] * len(group))
        assert out.scores == [None] * len(group)  # skipped by the trainer, not a group of zeros
        assert out.metrics["gold_unreadable"] == len(group)

    def test_scores_are_configurable(self):
        reward = MathCorrectness(correct=2.0, wrong=-1.0)
        assert reward(["\\boxed{4}", "\\boxed{5}", "nothing"], answer=["4"] * 3) == [2.0, -1.0, -1.0]

    def test_extractors_are_configurable_in_order(self):
        strict = MathCorrectness(extractors=["answer_tag"])
        assert strict(["\\boxed{4}", XML.format(r="", a="4")], answer=["4", "4"]) == [0.0, 1.0]
        custom_tag = MathCorrectness(extractors=["answer_tag"], answer_tag="final")
        assert custom_tag(["<final>4</final>"], answer=["4"]) == [1.0]

    def test_an_unknown_extractor_fails_at_construction_listing_the_known_ones(self):
        with pytest.raises(ParamsError, match="unknown extractor.*'nope'.*known: .*boxed"):
            MathCorrectness(extractors=["boxed", "nope"])

    def test_unknown_parameters_are_rejected(self):
        with pytest.raises(ParamsError, match="timeout_s"):
            MathCorrectness(timeout_s=2)

    def test_extracted_answers_and_verdicts_are_reported(self):
        out = MathCorrectness().evaluate(
            [XML.format(r="", a="$18"), "\\boxed{\\frac{\\pi}{2}}", "I do not know."],
            answer=["#### 18", "\\frac{\\pi}{2}", "3"],
        )
        assert out.scores == [1.0, 1.0, 0.0]
        assert out.extra["answer"] == ["$18", "\\frac{\\pi}{2}", None]
        assert out.extra["gold"] == ["18", "\\frac{\\pi}{2}", "3"]
        assert out.extra["extractor"] == ["answer_tag", "boxed", None]
        assert out.extra["verdict"][0] == "numeral" and out.extra["verdict"][2] == "no_answer"
        assert out.metrics["no_answer"] == 1 and out.metrics["numeral"] == 1

    def test_trl_log_extra_and_log_metric_receive_the_report(self):
        extra, metrics = {}, {}
        MathCorrectness()(
            ["\\boxed{9^{9^{9^{9^9}}}}", "\\boxed{4}"],
            answer=["4", "4"],
            log_extra=lambda k, v: extra.__setitem__(k, v),
            log_metric=lambda k, v: metrics.__setitem__(k, v),
        )
        assert extra["math_correctness/answer"] == ["9^{9^{9^{9^9}}}", "4"]
        assert extra["math_correctness/verdict"] == ["timeout", "numeral"]
        assert metrics["rewardkit/math_correctness/timeouts"] == 1.0

    def test_pickles_after_use_and_scores_the_same(self):
        reward = MathCorrectness(correct=2.0)
        batch = (["\\boxed{\\frac{1}{3}}", "\\boxed{2}"], {"answer": ["\\frac{1}{3}", "3"]})
        before = reward(batch[0], **batch[1])
        clone = pickle.loads(pickle.dumps(reward))
        assert clone.__name__ == "math_correctness"
        assert clone(batch[0], **batch[1]) == before == [2.0, 0.0]

    def test_contract(self):
        check_reward_contract(MathCorrectness(), columns={"answer": "42"})
        check_reward_contract(MathCorrectness(gold_column="solution"), columns={"solution": "\\boxed{42}"})


class TestAccuracyAlias:
    def test_is_math_correctness_under_trls_name(self):
        reward = get_reward("accuracy")
        assert isinstance(reward, Accuracy) and isinstance(reward, MathCorrectness)
        assert reward.__name__ == "accuracy"
        assert reward(["\\boxed{\\frac{1}{3}}"], solution=["\\frac{1}{3}"]) == [1.0]

    def test_contract(self):
        check_reward_contract(get_reward("accuracy"), columns={"solution": "\\frac{1}{3}"})


class TestIntAnswer:
    @pytest.mark.parametrize(
        "answer, score",
        [("42", 0.5), ("-3", 0.5), ("1,234", 0.5), ("$18", 0.5), ("18 apples", 0.5), ("2.5", 0.0),
         ("3/4", 0.0), ("x", 0.0), ("50%", 0.0)],
    )
    def test_half_a_point_for_an_integer_in_the_answer_tag(self, answer, score):
        assert IntAnswer()([XML.format(r="r", a=answer)]) == [score]

    def test_only_the_answer_tag_counts_by_default(self):
        assert IntAnswer()(["\\boxed{4}", "the answer is 4"]) == [0.0, 0.0]

    def test_digits_only_is_the_recipes_isdigit(self):
        reward = IntAnswer(digits_only=True)
        assert reward([XML.format(r="", a=a) for a in ("42", "-3", "1,234")]) == [0.5, 0.0, 0.0]

    def test_contract(self):
        check_reward_contract(IntAnswer())


def test_gsm8k_preset_is_the_full_recipe():
    comp = load_composition("gsm8k")
    assert comp.names == ["xml_count", "soft_format", "strict_format", "int_answer", "math_correctness"]
    assert comp.rewards[4].params.correct == 2.0
    assert comp.rewards[2].params.score == 0.5 and comp.rewards[1].params.score == 0.5
    perfect = "<reasoning>\n48/2 = 24\n</reasoning>\n<answer>\n72\n</answer>\n"
    scores = comp.score([perfect, "72"], answer=["...\n#### 72"] * 2)
    assert scores.components["math_correctness"] == [2.0, 2.0]
    assert scores.components["int_answer"] == [0.5, 0.0]
    assert scores.total == [pytest.approx(0.5 + 0.5 + 0.5 + 0.5 + 2.0), pytest.approx(2.0)]


def test_loading_the_math_plugins_imports_neither_sympy_nor_math_verify():
    import subprocess
    import sys

    code = (
        "import sys, rewardkit\n"
        "rewardkit.default_registry().catalogue('reward')\n"
        "rewardkit.get_reward('math_correctness')\n"
        "heavy = [m for m in ('sympy', 'math_verify', 'latex2sympy2_extended') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_building_the_reward_starts_the_workers_fork_server_in_the_background():
    """The first batch that needs sympy should not wait for its imports (seconds): building the
    reward starts the fork server the workers come from; start_workers=False leaves it to the
    first need."""
    import multiprocessing
    import subprocess
    import sys

    if "forkserver" not in multiprocessing.get_all_start_methods():
        pytest.skip("no fork server on this platform: workers start on first need")
    code = (
        "from multiprocessing import forkserver\n"
        "from rewardkit import get_reward\n"
        "get_reward('math_correctness', start_workers=False)\n"
        "assert forkserver._forkserver._forkserver_pid is None\n"
        "get_reward('math_correctness')\n"
        "assert forkserver._forkserver._forkserver_pid is not None\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


class TestFloor:
    def test_on_by_default_and_off_with_extractors_that_never_guess(self):
        assert MathCorrectness().floor_on()
        assert not MathCorrectness(extractors=["answer_tag"]).floor_on()
        assert MathCorrectness(extractors=["answer_tag"], math_verify_floor=True).floor_on()
        assert not MathCorrectness(math_verify_floor=False).floor_on()

    def test_a_guessed_wrong_answer_is_right_when_math_verify_finds_the_gold(self):
        # An unclosed $$ hides the last math span from rewardkit's extractors, which guess 625;
        # math-verify's own extraction over the completion finds 243/625.
        completion = "Simplifying, we get $$\n\\frac{3^7}{5^7} = \\frac{3^5}{5^4}\nSo we get $\\frac{243}{625}$."
        out = MathCorrectness().evaluate([completion], answer=["\\frac{243}{625}"])
        assert (out.scores, out.extra["extractor"], out.extra["verdict"]) == ([1.0], ["last_number"], ["floor"])
        assert out.metrics["floor"] == 1
        strict = MathCorrectness(math_verify_floor=False)([completion], answer=["\\frac{243}{625}"])
        assert strict == [0.0]


class CountingExtractor:
    """An extractor that counts its calls (the answer is what follows 'ANS ')."""

    calls = 0

    @staticmethod
    def ans(text, **_):
        CountingExtractor.calls += 1
        return text.split("ANS ", 1)[1] if "ANS " in text else None

    @hookimpl
    def register_extractors(register):  # noqa: N805 - pluggy calls it unbound on the class
        register("ans", CountingExtractor.ans)


def test_the_rewards_of_a_composition_extract_each_completions_answer_once():
    from rewardkit.registry import Registry

    registry = Registry(autoload=False)
    registry.register(CountingExtractor, "counting")
    spec = {"rewards": [
        {"name": "int_answer", "params": {"extractors": ["ans"]}},
        {"name": "math_correctness", "params": {"extractors": ["ans"], "start_workers": False}},
        {"name": "accuracy", "params": {"extractors": ["ans"], "start_workers": False}},
    ]}  # fmt: skip
    composition = load_composition(spec, registry)
    CountingExtractor.calls = 0
    scores = composition.score(["ANS 7", "ANS 8", "nothing", "ANS 7"], answer=["7"] * 4)
    assert CountingExtractor.calls == 4
    assert scores.components == {
        "int_answer": [0.5, 0.5, 0.0, 0.5], "math_correctness": [1.0, 0.0, 0.0, 1.0], "accuracy": [1.0, 0.0, 0.0, 1.0],
    }  # fmt: skip
    # Alone, each reward extracts for itself.
    CountingExtractor.calls = 0
    registry.reward("int_answer", {"extractors": ["ans"]})(["ANS 7", "ANS 8"])
    assert CountingExtractor.calls == 2
