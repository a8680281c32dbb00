"""ifeval: IFEval's instructions, each decided as IFEval's checker (lm-eval's copy of Google's) decides.

The expected verdicts are IFEval's, checked against lm-eval 0.4.13's ``instructions.py`` on the
same inputs (bench/ifeval_bench.py compares thousands more); cases marked "quirk" are places
where IFEval's rule is surprising and rewardkit keeps it so scores match the benchmark.
"""

from __future__ import annotations

import json

import pytest

from rewardkit import get_reward
from rewardkit.plugins.ifeval import counting, scanning
from rewardkit.plugins.ifeval.reward import loose_variants


def follows(instruction: str, text: str, mode: str = "strict", **kwargs) -> bool:
    out = get_reward("ifeval", mode=mode).evaluate([text], instruction_id_list=[[instruction]], kwargs=[[kwargs]])
    assert not out.errors, out.errors
    return out.scores[0] == 1.0


@pytest.mark.parametrize(
    "instruction, kwargs, text, expected",
    [
        ("punctuation:no_comma", {}, "No commas here.", True),
        ("punctuation:no_comma", {}, "One, two.", False),
        ("punctuation:no_comma", {}, ",Starts with one", False),
        ("punctuation:no_comma", {}, "Ends with one,", False),
        ("startend:quotation", {}, '  "Wrapped."\n', True),
        ("startend:quotation", {}, '"', False),
        ("startend:quotation", {}, "“Curly quotes”", False),
        ("detectable_format:title", {}, "<<Poem of joy>>\nText", True),
        ("detectable_format:title", {}, "<< >>\n<<>>", False),
        ("detectable_format:title", {}, "<< >> and <<>>", True),  # quirk: the first << to the last >>
        ("detectable_format:title", {}, "<<split\nline>>", False),
        ("detectable_format:json_format", {}, '```json\n{"a": 1}\n```', True),
        ("detectable_format:json_format", {}, '```JSON {"a": 1}```', True),
        ("detectable_format:json_format", {}, 'Here: {"a": 1}', False),
        ("detectable_format:json_format", {}, "[" * 100_000 + "]" * 100_000, False),  # IFEval's checker crashes (RecursionError)
        ("detectable_format:constrained_response", {}, "I think so. My answer is maybe.", True),
        ("detectable_format:constrained_response", {}, "my answer is yes.", False),
        ("combination:two_responses", {}, "First.\n******\nSecond.", True),
        ("combination:two_responses", {}, "Same.******Same.", False),
        ("combination:two_responses", {}, "A\n******\n\n******\nB", False),  # an empty response between
        ("combination:repeat_prompt", {"prompt_to_repeat": "Write a note."}, "  WRITE A NOTE. Done", True),
        ("combination:repeat_prompt", {"prompt_to_repeat": "Write a note."}, "Sure! Write a note.", False),
        ("startend:end_checker", {"end_phrase": "Any other questions?"}, 'Bye. any other questions?"\n', True),
        ("startend:end_checker", {"end_phrase": "Any other questions?"}, "Any other questions? Thanks.", False),
        ("detectable_content:postscript", {"postscript_marker": "P.S."}, "Hi.\n\np. s. see you", True),
        ("detectable_content:postscript", {"postscript_marker": "P.P.S"}, "Hi.\nP.P.S more", True),
        ("detectable_content:postscript", {"postscript_marker": "P.S."}, "Hi.\nPS see you", False),
        ("detectable_content:number_placeholders", {"num_placeholders": 2}, "[name] at [address]", True),
        ("detectable_content:number_placeholders", {"num_placeholders": 2}, "[a\nb] [c", False),
        ("detectable_format:number_highlighted_sections", {"num_highlights": 2}, "*one* and **two**", True),
        ("detectable_format:number_highlighted_sections", {"num_highlights": 1}, "* * and *a\nb*", False),
        ("detectable_format:multiple_sections", {"section_spliter": "Section", "num_sections": 2}, "Section 1\nA\nSection 2\nB", True),
        ("detectable_format:multiple_sections", {"section_spliter": "SECTION", "num_sections": 2}, "Section 1\nA\nSection 2\nB", False),
        ("detectable_format:number_bullet_lists", {"num_bullets": 2}, "Intro\n* one\n- two", True),
        ("detectable_format:number_bullet_lists", {"num_bullets": 2}, "* one\n** bold\n• two", False),
        # quirk: `[^*]` takes the newline, so "*" alone on a line counts and swallows the next line
        ("detectable_format:number_bullet_lists", {"num_bullets": 1}, "*\n* two", True),
        ("length_constraints:number_paragraphs", {"num_paragraphs": 2}, "One.\n***\nTwo.", True),
        ("length_constraints:number_paragraphs", {"num_paragraphs": 2}, "***\nOne.\n***\nTwo.\n***", True),
        ("length_constraints:number_paragraphs", {"num_paragraphs": 2}, "One.\n***\n***\nTwo.", False),
        ("length_constraints:nth_paragraph_first_word", {"num_paragraphs": 2, "nth_paragraph": 2, "first_word": "river"}, 'Hi.\n\n"River, runs.', True),
        ("length_constraints:nth_paragraph_first_word", {"num_paragraphs": 2, "nth_paragraph": 2, "first_word": "river"}, "Hi.\n\nThe river.", False),
        ("length_constraints:number_words", {"num_words": 3, "relation": "less than"}, "it's two", False),  # it, s, two
        ("length_constraints:number_words", {"num_words": 3, "relation": "at least"}, "don't stop", True),
        ("length_constraints:number_sentences", {"num_sentences": 2, "relation": "less than"}, "Dr. Smith left at 5 p.m. today.", True),
        ("length_constraints:number_sentences", {"num_sentences": 2, "relation": "at least"}, "Great job!!!", True),  # Punkt: "Great job!!" "!"
        ("keywords:existence", {"keywords": ["river", "mill"]}, "The RIVER passes the mill.", True),
        ("keywords:existence", {"keywords": ["c++"]}, "I write C++ daily.", True),  # a literal, not a pattern
        ("keywords:frequency", {"keyword": "cat", "frequency": 2, "relation": "at least"}, "Cat, catalog.", True),
        ("keywords:forbidden_words", {"forbidden_words": ["cat"]}, "catalog and concat", True),
        ("keywords:forbidden_words", {"forbidden_words": ["cat"]}, "A Cat!", False),
        ("keywords:letter_frequency", {"letter": "A", "let_frequency": 3, "let_relation": "less than"}, "Aa a", False),
        ("change_case:english_capital", {}, "THIS IS ALL IN CAPITAL LETTERS, IN ENGLISH.", True),
        ("change_case:english_capital", {}, "THIS IS MOSTLY CAPITALS, not all.", False),
        ("change_case:english_lowercase", {}, "this is written in lowercase english words.", True),
        ("change_case:english_lowercase", {}, "das ist ein deutscher satz in kleinbuchstaben.", False),
        ("change_case:capital_word_frequency", {"capital_frequency": 4, "capital_relation": "at least"}, "WE DON'T KNOW.", True),
        ("change_case:capital_word_frequency", {"capital_frequency": 3, "capital_relation": "less than"}, "I CANNOT.", False),
        ("language:response_language", {"language": "fr"}, "Il fait très beau aujourd'hui et nous allons au parc.", True),
        ("language:response_language", {"language": "de"}, "Il fait très beau aujourd'hui et nous allons au parc.", False),
    ],
    # short ids: pytest puts the running test's id in the environment (PYTEST_CURRENT_TEST), and a process
    # whose environment holds a string over 128 kB cannot start (the worker pool's fork server)
    ids=lambda value: value[:40] if isinstance(value, str) and len(value) > 40 else None,
)
def test_each_instruction_decides_as_ifeval(instruction, kwargs, text, expected):
    assert follows(instruction, text, **kwargs) is expected


def test_capital_words_split_like_nltk_word_tokenize():
    # word_tokenize: WE DO N'T KNOW . / I CA N'T , NOT NOW / U.S. gon na IT 'S . / CAN NOT
    assert counting.count_capital_words("WE DON'T KNOW.") == 4
    assert counting.count_capital_words("I CAN'T, NOT NOW") == 5
    assert counting.count_capital_words("U.S.gonna IT'S.") == 3
    assert counting.count_capital_words("CANNOT") == 2
    assert counting.count_capital_words("A,1 B,c") == 2  # A,1 / B / , / c


def test_sentence_count_keeps_punctuation_only_sentences_as_nltk_does():
    assert counting.count_sentences("Great job!!!") == 2  # "Great job!!" "!"
    assert counting.count_sentences("Wow!!! Really?") == 2
    assert counting.count_sentences("Mr. Smith met Dr. Jones. They talked.") == 2
    assert counting.count_sentences("") == 0


@pytest.mark.parametrize(
    "text",
    ["", "[" * 50, "a]b[c]d\n[e", "[[x]] [y\n]z]", "<<a>> <<b>>\n<<>>>\n<<<<>>>>", "*\n* a\n**b\n - c\n\n\n *d", "\n\n- \n*\n", " * x\n\t- y\n*"],
)
def test_scanners_match_the_patterns_ifeval_states(text):
    import re

    assert scanning.count_placeholders(text) == len(re.findall(r"\[.*?\]", text))
    assert scanning.titles(text) == re.findall(r"<<[^\n]+>>", text)
    stars = len(re.findall(r"^\s*\*[^\*].*$", text, flags=re.MULTILINE))
    dashes = len(re.findall(r"^\s*-.*$", text, flags=re.MULTILINE))
    assert scanning.count_bullets(text) == stars + dashes


def test_loose_mode_forgives_a_first_line_and_asterisks():
    text = "Sure, here it is:\nNo commas in this part."
    assert not follows("punctuation:no_comma", text)
    assert follows("punctuation:no_comma", text, mode="loose")
    assert follows("startend:quotation", '"**Bold** quote"*', mode="loose")
    assert len(loose_variants("a\nb\nc")) == 8


def test_score_is_the_share_followed_or_all_or_nothing():
    ids = [["punctuation:no_comma", "startend:quotation", "detectable_format:title"]]
    kwargs = [[{}, {}, {}]]
    text = ["No commas, sorry."]
    out = get_reward("ifeval").evaluate(text, instruction_id_list=ids, kwargs=kwargs)
    assert out.scores == [0.0]
    assert out.extra["failed"] == [ids[0]]
    partial = get_reward("ifeval").evaluate(["<<T>> no commas"], instruction_id_list=ids, kwargs=kwargs)
    assert partial.scores == [pytest.approx(2 / 3)]
    assert partial.extra["failed"] == [["startend:quotation"]]
    assert get_reward("ifeval", all_or_nothing=True)(["<<T>> no commas"], instruction_id_list=ids, kwargs=kwargs) == [0.0]


def test_a_blank_response_follows_nothing_and_a_row_without_instructions_is_not_scored():
    reward = get_reward("ifeval")
    assert reward([" \n"], instruction_id_list=[["punctuation:no_comma"]], kwargs=[[{}]]) == [0.0]
    assert reward(["text"], instruction_id_list=[[]], kwargs=[[]]) == [None]


def test_rows_as_datasets_store_them():
    reward = get_reward("ifeval")
    # every key of every instruction present, absent ones None (the datasets library's layout)
    filled = [{"num_words": 3, "relation": "less than", "keywords": None}, None]
    assert reward(["two words"], instruction_id_list=[["length_constraints:number_words", "detectable_format:title"]], kwargs=[filled]) == [0.5]
    # JSON strings (CSV/JSONL exports)
    ids, kw = json.dumps(["punctuation:no_comma"]), json.dumps([{}])
    assert reward(["ok"], instruction_id_list=[ids], kwargs=[kw]) == [1.0]
    # open-instruct's ground_truth column
    truth = json.dumps([{"instruction_id": ["punctuation:no_comma"], "kwargs": [None]}])
    assert get_reward("ifeval", ids_column="ground_truth")(["a, b"], ground_truth=[truth]) == [0.0]


def test_unusable_rows_are_errors_naming_the_problem():
    reward = get_reward("ifeval")
    out = reward.evaluate(
        ["x", "x", "x"],
        instruction_id_list=[["no:such"], ["length_constraints:number_words"], ["punctuation:no_comma"]],
        kwargs=[[{}], [{"num_words": 5}], [{}, {}]],
    )
    assert out.scores == [0.0, 0.0, 0.0]
    messages = dict(out.errors)
    assert "unknown IFEval instruction 'no:such'" in messages[0]
    assert "'relation'" in messages[1]
    assert "one mapping per instruction (1)" in messages[2]


# -- bounded on hostile text -------------------------------------------------------------------------


@pytest.mark.parametrize("fragment", [".", "-", ". "])
def test_punctuation_runs_cost_no_memory_per_character(fragment):
    # Punkt keeps a set of every offset inside a run: 10 MB of "." once took 1.5 GB
    import tracemalloc

    text = fragment * (2_000_000 // len(fragment))
    counting.sentences.cache_clear()
    tracemalloc.start()
    try:
        counting.count_sentences(text)
        counting.count_capital_words(text)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 16 << 20, f"{peak >> 20} MB for 2 MB of {fragment!r}"


@pytest.mark.parametrize("text", ["The U.S. Navy. A sentence. Another one... And more! " * 40, "WE ARE. " * 3000, "a. " * 5000])
def test_a_long_run_is_counted_as_a_short_one(text):
    long = text.replace("...", "." * 5000)
    assert counting.count_sentences(long) == counting.count_sentences(text.replace("...", "." * 64))
    assert counting.count_capital_words(long) == counting.count_capital_words(text)


def test_a_long_completion_is_checked_in_a_worker_as_it_is_here():
    instructions = ["length_constraints:number_sentences", "change_case:capital_word_frequency", "punctuation:no_comma"]
    kwargs = [{"num_sentences": 500, "relation": "at least"}, {"capital_frequency": 100, "capital_relation": "at least"}, {}]
    texts = ["The U.S. Navy SAILED. Then it rested. " * 700, "Mr. Smith, HELLO... " * 1500, "x"]
    here = get_reward("ifeval", pool_chars=10**9, mode="loose").evaluate(texts, instruction_id_list=[instructions] * 3, kwargs=[kwargs] * 3)
    pooled = get_reward("ifeval", mode="loose").evaluate(texts, instruction_id_list=[instructions] * 3, kwargs=[kwargs] * 3)
    assert min(len(t) for t in texts[:2]) > 16_384  # the first two go to a worker
    assert pooled.scores == here.scores and pooled.extra == here.extra
    assert pooled.metrics["timeouts"] == 0


@pytest.mark.parametrize("on_timeout, expected", [("wrong", 0.0), ("none", None)])
def test_a_completion_past_the_time_limit_follows_nothing_or_is_unscored(on_timeout, expected):
    # 4 MB of "Mr. ": one sentence Punkt takes seconds to find, whatever the machine
    reward = get_reward("ifeval", timeout=0.5, on_timeout=on_timeout)
    out = reward.evaluate(
        ["Mr. " * 1_000_000, "Two sentences. Here."],
        instruction_id_list=[["length_constraints:number_sentences"]] * 2,
        kwargs=[[{"num_sentences": 2, "relation": "at least"}]] * 2,
    )
    assert out.scores == [expected, 1.0]
    assert out.metrics["timeouts"] == 1
