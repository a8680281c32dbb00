"""Format rewards: GSM8K recipe tags and DeepSeek-R1 think/answer."""

import re

import pytest
from _hostile import FRAGMENTS, GROWTH, MAX_RATIO, growth
from hypothesis import given, settings
from hypothesis import strategies as st

from rewardkit import get_reward
from rewardkit.testing import assert_scores

GOOD = "<reasoning>\nSix times seven.\nThat is 42.\n</reasoning>\n<answer>\n42\n</answer>\n"




class TestXmlCount:
    def test_all_four_tag_lines_once_score_half(self):
        assert_scores(get_reward("xml_count"), [(GOOD, 0.5)])

    def test_each_missing_tag_line_loses_its_share(self):
        assert_scores(get_reward("xml_count"), [("<reasoning>\nx\n</reasoning>\n", 0.25), ("no tags", 0.0)])

    def test_text_after_the_closing_answer_tag_costs_per_character(self):
        assert_scores(get_reward("xml_count"), [(GOOD + "abcde", 0.5 - 0.005)])

    def test_repeated_tags_earn_nothing(self):
        assert_scores(get_reward("xml_count"), [(GOOD + GOOD, 0.0)])

    def test_tags_are_configurable(self):
        text = "<think>\nx\n</think>\n<final>\n1\n</final>"
        assert_scores(get_reward("xml_count", reasoning_tag="think", answer_tag="final"), [(text, 0.5)])


class TestStrictFormat:
    def test_exact_layout_with_multiline_reasoning_scores(self):
        assert_scores(get_reward("strict_format"), [(GOOD, 0.5), (GOOD.rstrip("\n"), 0.5)])

    def test_text_outside_the_blocks_fails(self):
        assert_scores(get_reward("strict_format"), [("Sure! " + GOOD, 0.0), (GOOD + "bye", 0.0)])

    def test_missing_newlines_inside_tags_fail(self):
        assert_scores(get_reward("strict_format"), [("<reasoning>x</reasoning><answer>4</answer>", 0.0)])


class TestSoftFormat:
    def test_blocks_anywhere_across_newlines_score(self):
        text = "Sure.\n<reasoning>a\nb</reasoning> <answer>4</answer> done"
        assert_scores(get_reward("soft_format"), [(text, 0.5), ("<answer>4</answer>", 0.0)])

    def test_score_is_a_parameter(self):
        assert_scores(get_reward("soft_format", score=1.0), [(GOOD, 1.0)])


class TestThinkFormat:
    def test_think_then_answer_scores_full(self):
        assert_scores(get_reward("think_format"), [("<think>\nhmm\n</think>\n<answer>4</answer>", 1.0)])

    def test_completion_continuing_a_think_tag_opened_by_the_template(self):
        cases = [{"completion": "hmm</think><answer>4</answer>", "prompt": "Q?\n<think>\n", "expected": 1.0}]
        assert_scores(get_reward("think_format"), cases)

    def test_without_the_prompt_tag_a_missing_open_tag_fails(self):
        assert_scores(get_reward("think_format"), [("hmm</think><answer>4</answer>", 0.0)])

    def test_explicit_setting_for_conversational_prompts(self):
        assert_scores(get_reward("think_format", think_in_prompt=True), [("hmm</think><answer>4</answer>", 1.0)])

    def test_thin_content_gets_the_partial_score(self):
        reward = get_reward("think_format", min_think_chars=20)
        assert_scores(reward, [("<think>short</think><answer>4</answer>", 0.5)])

    def test_nested_or_repeated_blocks_fail(self):
        reward = get_reward("think_format")
        assert_scores(
            reward,
            [
                ("<think>a<think>b</think><answer>4</answer>", 0.0),
                ("<think>a</think><answer>4</answer><answer>5</answer>", 0.0),
                ("<think>a</think>text<answer>4</answer>", 0.0),
            ],
        )


class TestTagCount:
    def test_share_of_tags_present_exactly_once(self):
        reward = get_reward("tag_count")
        assert_scores(
            reward,
            [
                ("<think>a</think><answer>4</answer>", 1.0),
                ("<think>a</think>", 0.5),
                ("<think>a</think><answer>4</answer><answer>5</answer>", 0.5),
            ],
        )


# -- the recipes' patterns, and time that grows linearly -------------------------------------------

# The recipes' own regular expressions: the rewards must give the same verdicts (in linear time).
RECIPE_PATTERNS = {
    "strict_format": (re.compile(r"<reasoning>\n.*?\n</reasoning>\n<answer>\n.*?\n</answer>\n?", re.DOTALL), "fullmatch"),
    "soft_format": (re.compile(r"<reasoning>.*?</reasoning>\s*<answer>.*?</answer>", re.DOTALL), "search"),
    "think_format": (re.compile(r"\s*<think>(.*?)</think>\s*<answer>(.*?)</answer>\s*", re.DOTALL), "fullmatch"),
}
PIECES = [
    "<reasoning>\n", "\n</reasoning>\n<answer>\n", "\n</answer>", "\n</answer>\n", "</reasoning>", "<answer>",
    "<reasoning>", "</answer>", "<think>", "</think>", "\n", " ", "x", "<",
]  # fmt: skip


LAYOUTS = [
    ["<reasoning>\n", "\n</reasoning>\n<answer>\n", "\n</answer>"],
    ["<reasoning>", "</reasoning>", "<answer>", "</answer>"],
    ["<think>", "</think>", "<answer>", "</answer>"],
]
FILLERS = ["", "", " ", "\n", "x", " \n", "</answer>", "</think>", "</reasoning>\n<answer>\n", "<answer>"]


def _interleave(layout):
    fillers = st.lists(st.sampled_from(FILLERS), min_size=len(layout) + 1, max_size=len(layout) + 1)
    return fillers.map(lambda fill: "".join(f + t for f, t in zip(fill, layout + [""])))


TEXTS = st.one_of(st.lists(st.sampled_from(PIECES), max_size=10).map("".join), st.sampled_from(LAYOUTS).flatmap(_interleave))


@settings(max_examples=500, derandomize=True, deadline=None)
@given(TEXTS)
def test_format_rewards_agree_with_the_recipes_patterns(text):
    for name, (pattern, how) in RECIPE_PATTERNS.items():
        reward = get_reward(name)
        match = getattr(pattern, how)(text)
        if name == "think_format":  # one opening tag of each, as the recipe requires
            match = match and text.count("<think>") == 1 and text.count("<answer>") == 1
        assert reward([text]) == [reward.params.score if match else 0.0], (name, text)


FORMAT_REWARDS = ["xml_count", "strict_format", "soft_format", "think_format", "tag_count"]


@pytest.mark.parametrize("fragment", sorted(FRAGMENTS))
@pytest.mark.parametrize("name", FORMAT_REWARDS)
def test_time_grows_linearly_with_repeated_tags(name, fragment):
    small, large, ratio = growth(name, FRAGMENTS[fragment], 4_000)
    assert ratio < MAX_RATIO, f"{name}: {small:.4f} s for 4 kB, {large:.4f} s for {GROWTH}x that"


# -- the GSM8K notebook's patterns (gsm8k_strict) --------------------------------------------------

NOTEBOOK_SOFT = re.compile(r"<reasoning>.*?</reasoning>\s*<answer>.*?</answer>")
NOTEBOOK_STRICT = re.compile(r"^<reasoning>\n.*?\n</reasoning>\n<answer>\n.*?\n</answer>\n$")
TAG_SOUP = ["", "x", "42", "\n", " ", "\n\n", "<reasoning>", "</reasoning>", "<answer>", "</answer>", "</reasoning> <answer>",
            "<reasoning>\n", "\n</reasoning>\n", "\n<answer>\n", "\n</answer>", "</answer>\n", "<", "\t"]  # fmt: skip


def tag_soup(n: int, seed: int) -> list[str]:
    """Completions made of the recipe's tags, newlines and words, many in the recipe's layouts."""
    import random

    rng = random.Random(seed)
    layouts = ["<reasoning>{}</reasoning>{}<answer>{}</answer>{}", "<reasoning>\n{}\n</reasoning>\n<answer>\n{}\n</answer>{}{}",
               "<reasoning>\n{}\n</reasoning>\n<answer>\n{}\n</answer>\n{}{}", "{}<reasoning>{}</reasoning>\n<answer>{}</answer>{}",
               "{}{}{}{}"]  # fmt: skip
    piece = lambda: "".join(rng.choice(TAG_SOUP) for _ in range(rng.randint(0, 3)))  # noqa: E731
    return [rng.choice(layouts).format(piece(), piece(), piece(), piece()) for _ in range(n)]


def test_the_notebook_patterns_decide_as_the_notebooks_regular_expressions_and_count_xml():
    from _gsm8k_notebook import count_xml

    texts = tag_soup(6000, seed=3)
    soft = get_reward("soft_format", pattern="notebook")(texts)
    strict = get_reward("strict_format", pattern="notebook")(texts)
    assert soft == [0.5 if NOTEBOOK_SOFT.match(t) else 0.0 for t in texts]
    assert strict == [0.5 if NOTEBOOK_STRICT.match(t) else 0.0 for t in texts]
    assert 300 < soft.count(0.5) < 5700 and strict.count(0.5) > 20  # both verdicts well represented
    assert get_reward("xml_count", trailing="notebook")(texts) == [count_xml(t) for t in texts]


def test_the_notebooks_quirks_are_kept_only_where_asked_for():
    cut = "<reasoning>\nx\n</reasoning>\n<answer>\n4\n</answer>"  # no newline after </answer>
    assert get_reward("xml_count", trailing="notebook")([cut]) == [0.5 - len(cut) * 0.001 + 0.001]
    assert get_reward("xml_count")([cut]) == [0.5]
    two_lines = "<reasoning>\nfirst\nsecond\n</reasoning>\n<answer>\n4\n</answer>\n"
    assert get_reward("strict_format", pattern="notebook")([two_lines]) == [0.0]  # '.' does not match a newline
    assert get_reward("strict_format")([two_lines]) == [0.5]
    assert get_reward("soft_format", pattern="notebook")(["Sure! " + GOOD]) == [0.0]  # re.match: from the start
    assert get_reward("soft_format")(["Sure! " + GOOD]) == [0.5]


def test_gsm8k_strict_scores_as_the_notebooks_five_functions(shared_data):
    """On the GSM8K completions of bench/speed_bench.py (right, wrong, prose, commas, currency,
    malformed) and on tag soup, every component of gsm8k_strict equals its notebook function."""
    from _gsm8k_notebook import NOTEBOOK_FUNCTIONS, chat, extract_hash_answer, gsm8k_completions

    from rewardkit.composition_loader import load_composition

    data = gsm8k_completions(shared_data)
    soup = tag_soup(1000, seed=4)
    completions = data["completions"] + [chat(t) for t in soup]
    solutions = data["answer"] + [data["answer"][i % 64] for i in range(len(soup))]
    prompts = data["prompts"] + [data["prompts"][0]] * len(soup)
    composition = load_composition("gsm8k_strict")
    assert composition.names == list(NOTEBOOK_FUNCTIONS)
    for answer_column in (solutions, [extract_hash_answer(s) for s in solutions]):  # either form of the gold column
        ours = composition.score(completions, prompts, answer=answer_column).components
        for name, function in NOTEBOOK_FUNCTIONS.items():
            notebook = function(prompts=prompts, completions=completions, answer=[extract_hash_answer(s) for s in solutions])
            assert ours[name] == notebook, name
    preset = load_composition("gsm8k").score(data["completions"], data["prompts"], answer=data["answer"]).components
    assert preset != ours  # the gsm8k preset reads prose, currency and commas the notebook does not
