"""language_consistency: real multilingual text, tags, targets, determinism, the detector plugin point."""

from __future__ import annotations

import json
import os
import pickle
import re
import subprocess
import sys

import pytest
from _hostile import FRAGMENTS, GROWTH, MAX_RATIO, growth
from hypothesis import given, settings
from hypothesis import strategies as st

from rewardkit import ParamsError, UnknownRewardError, get_reward
from rewardkit.hookspecs import hookimpl
from rewardkit.language_detector import LanguageDetector
from rewardkit.plugins.language import LangdetectDetector
from rewardkit.plugins.language.codes import code_matches
from rewardkit.plugins.language.segments import clean, extract_tagged, measure, segments
from rewardkit.registry import Registry, default_registry, set_default_registry

ENGLISH = (
    "To find the total cost, I first multiply the price of one notebook by the number of notebooks. "
    "Then I add the cost of the pens, because the question asks for everything she bought. "
    "Finally, I check that the result is reasonable."
)
KOREAN = (
    "먼저 공책 한 권의 가격에 공책의 수를 곱해서 전체 비용을 구합니다. "
    "그 다음에 펜의 가격을 더합니다. 문제에서 그녀가 산 모든 물건의 비용을 묻고 있기 때문입니다. "
    "마지막으로 결과가 합리적인지 확인합니다."
)
RUSSIAN = (
    "Сначала умножим цену одной тетради на количество тетрадей, чтобы найти общую стоимость. "
    "Затем прибавим стоимость ручек, потому что в задаче спрашивают обо всех покупках. "
    "Наконец, проверим, что ответ разумный."
)
CHINESE = (
    "首先，我们用一本笔记本的价格乘以笔记本的数量，得到总费用。"
    "然后加上钢笔的费用，因为题目问的是她买的所有东西。"
    "最后，检查结果是否合理。"
)
MIXED_ZH_EN = (
    "首先，我们用一本笔记本的价格乘以笔记本的数量，得到总费用。"
    "Then I add the cost of the pens, because the question asks for everything she bought. "
    "最后，检查结果是否合理。"
)
CODE_KOREAN = '''이 함수는 리스트에서 중복된 값을 제거하고 원래 순서를 유지합니다.

```python
def dedupe(items):
    """Return the items without duplicates, keeping the first occurrence."""
    seen = set()
    result = []
    for item in items:
        if item not in seen:  # skip values we already returned
            seen.add(item)
            result.append(item)
    return result
```

집합을 사용하기 때문에 시간 복잡도는 선형입니다. 자세한 내용은 https://docs.python.org/3/library/stdtypes.html 를 참고하세요.
'''
LATEX_RUSSIAN = r"""Рассмотрим квадратное уравнение и найдём его корни по известной формуле.
$$x = \frac{-b \pm \sqrt{b^2 - 4ac}}{2a}$$
Подставим значения коэффициентов $a = 1$, $b = -3$, $c = 2$ и получим два корня: \(x_1 = 1\) и \(x_2 = 2\).
\begin{align}
x_1 + x_2 &= 3 \\
x_1 x_2 &= 2
\end{align}
Это согласуется с теоремой Виета, значит решение верное."""


def lc(**params):
    return get_reward("language_consistency", **params)


def one(reward, completion, prompt=None, **columns):
    out = reward.evaluate([completion], None if prompt is None else [prompt], **{k: [v] for k, v in columns.items()})
    return out.scores[0], {k: v[0] for k, v in out.extra.items()}, out.metrics


class TestSingleLanguageText:
    @pytest.mark.parametrize(
        ("text", "lang"), [(ENGLISH, "en"), (KOREAN, "ko"), (RUSSIAN, "ru"), (CHINESE, "zh")]
    )
    def test_text_written_in_the_target_language_scores_one(self, text, lang):
        assert one(lc(target=lang), text)[0] == 1.0

    @pytest.mark.parametrize(("text", "other"), [(KOREAN, "en"), (RUSSIAN, "ko"), (CHINESE, "ru"), (ENGLISH, "zh")])
    def test_text_in_another_language_scores_zero(self, text, other):
        assert one(lc(target=other), text)[0] == 0.0

    def test_bare_target_matches_every_region_and_a_region_must_match_exactly(self):
        assert one(lc(target="zh"), CHINESE)[0] == 1.0
        assert one(lc(target="zh-cn"), CHINESE)[0] == 1.0
        assert one(lc(target="zh-tw"), CHINESE)[0] == 0.0

    def test_detected_languages_are_noted_per_sample(self):
        _, extra, metrics = one(lc(target="ru"), RUSSIAN)
        assert extra["languages"] == {"ru": 1.0}
        assert extra["target"] == "ru"
        assert extra["judged"] == 29  # words
        assert metrics["segments"] >= 1


class TestMixedText:
    def test_mixed_chinese_and_english_scores_the_share_of_each(self):
        zh, extra, _ = one(lc(target="zh"), MIXED_ZH_EN)
        en, _, _ = one(lc(target="en"), MIXED_ZH_EN)
        assert 0.2 < zh < 0.8 and 0.2 < en < 0.8
        assert zh + en == pytest.approx(1.0)
        assert set(extra["languages"]) == {"zh-cn", "en"}

    def test_english_sentence_inside_korean_paragraph_lowers_the_score(self):
        text = KOREAN + " Wait, let me recompute the total cost of the notebooks and the pens again. " + KOREAN
        score = one(lc(target="ko"), text)[0]
        assert 0.6 < score < 1.0

    def test_a_short_english_term_inside_a_korean_sentence_is_not_judged(self):
        text = "이 문제는 DP로 풀 수 있습니다. 각 단계에서 이전 결과를 저장하고 다시 사용합니다."
        assert one(lc(target="ko"), text)[0] == 1.0

    def test_a_short_korean_sentence_counts_by_words_against_an_english_one(self):
        text = "<think>먼저 두 수를 더합니다. Then I divide by two to get the mean.</think><answer>3</answer>"
        score, extra, _ = one(lc(target="ko", tag="think"), text)
        assert score == pytest.approx(4 / 13) and extra["judged"] == 13
        assert one(lc(target="ko", tag="think", unit="chars"), text)[0] == pytest.approx(9 / 37)

    def test_words_unit_counts_each_chinese_character_as_a_word(self):
        chars = one(lc(target="zh", unit="chars"), MIXED_ZH_EN)[0]
        words = one(lc(target="zh", unit="words"), MIXED_ZH_EN)[0]
        assert words > chars  # a Chinese character weighs a letter in chars, a word in words


class TestWhatIsRemovedBeforeDetection:
    def test_code_blocks_do_not_count_against_a_korean_answer(self):
        assert one(lc(target="ko"), CODE_KOREAN)[0] == 1.0

    def test_latex_and_math_do_not_count_against_russian_reasoning(self):
        score, extra, _ = one(lc(target="ru"), LATEX_RUSSIAN)
        assert score == 1.0, extra

    def test_only_code_and_numbers_leaves_nothing_to_judge(self):
        text = "```python\nprint(sum([1, 2, 3]))\n```\n\n$$6 = 1 + 2 + 3$$\n\n6"
        score, extra, metrics = one(lc(target="en"), text)
        assert score is None
        assert extra["languages"] == {}
        assert metrics["unjudged"] == 1

    def test_empty_completion_is_not_scored(self):
        assert one(lc(target="en"), "")[0] is None

    def test_segments_shorter_than_the_minimum_are_left_out(self):
        text = "Ok. " + RUSSIAN
        assert one(lc(target="ru", min_length=5, chunk_length=0), text)[0] == 1.0

    def test_clean_removes_urls_emails_numbers_tags_and_inline_code(self):
        text = "See https://example.com/a?b=1 or mail me@example.org; use `x_1 = 42` and <answer>17.5%</answer> now"
        cleaned = clean(text)
        for gone in ("https", "example", "42", "17.5", "answer", "x_1"):
            assert gone not in cleaned
        assert "See" in cleaned and "now" in cleaned

    def test_unclosed_code_fence_removes_everything_after_it(self):
        assert "return" not in clean("Here is the code:\n```python\ndef f():\n    return 1\n")


class TestSegmenting:
    def test_sentences_split_where_the_writing_system_changes(self):
        segs, _ = segments("首先计算总费用和单价。Then we add the pens together.", min_length=1)
        assert [s.script for s in segs] == ["cjk", "latin"]

    def test_decomposed_accents_stay_in_their_word(self):
        segs, _ = segments("Le cafe\u0301 est tre\u0300s bon pour la sante\u0301.", min_length=1)
        assert len(segs) == 1 and segs[0].text == "Le café est très bon pour la santé."

    def test_short_neighbours_in_one_script_are_joined_into_chunks(self):
        text = "Решим задачу. Найдём сумму. Разделим на два. Ответ получен."
        assert len(segments(text, min_length=1)[0]) == 4
        assert len(segments(text, min_length=1, chunk_length=40)[0]) == 1

    def test_max_segments_bounds_the_number_of_detections(self):
        segs, _ = segments(ENGLISH * 100, min_length=5, max_segments=10)
        assert len(segs) <= 12

    def test_dropped_length_is_reported(self):
        segs, dropped = segments("Ok. Fine. " + ENGLISH, min_length=10)
        assert dropped == len("Ok") + len("Fine")
        assert segs

    @pytest.mark.parametrize(
        ("text", "unit", "expected"),
        [
            ("one two, three!", "words", 3),
            ("one two", "chars", 6),
            ("我们计算", "words", 4),
            ("한국어 문장", "words", 2),
        ],
    )
    def test_measure_counts_letters_or_words(self, text, unit, expected):
        assert measure(text, unit) == expected


class TestTag:
    def test_only_the_think_block_is_judged(self):
        text = f"<think>{ENGLISH}</think>\n<answer>{KOREAN}</answer>"
        assert one(lc(target="en", tag="think"), text)[0] == 1.0
        assert one(lc(target="ko", tag="think"), text)[0] == 0.0

    def test_missing_tag_gives_none_by_default_and_zero_or_whole_on_request(self):
        assert one(lc(target="en", tag="think"), ENGLISH)[0] is None
        assert one(lc(target="en", tag="think", missing_tag="zero"), ENGLISH)[0] == 0.0
        assert one(lc(target="en", tag="think", missing_tag="whole"), ENGLISH)[0] == 1.0
        assert one(lc(target="en", tag="think"), ENGLISH)[2]["missing_tag"] == 1

    def test_think_opened_by_the_chat_template_is_judged_up_to_the_closing_tag(self):
        prompt = "<|im_start|>assistant\n<think>"
        text = f"{RUSSIAN}</think><answer>{ENGLISH}</answer>"
        assert one(lc(target="ru", tag="think"), text, prompt=prompt)[0] == 1.0

    def test_unclosed_tag_judges_the_rest_of_the_completion(self):
        assert extract_tagged("<reasoning>abc def", "reasoning") == "abc def"
        assert extract_tagged("abc</think>rest", "think") == "abc"
        assert extract_tagged("<think>a</think> x <think>b</think>", "think") == "a\nb"
        assert extract_tagged("no tags", "think") is None
        assert extract_tagged("no tags", "think", opened_in_prompt=True) == "no tags"


class TestLinearTime:
    """Cleaning, segmenting and tag extraction never rescan the text (tests/_hostile.py)."""

    @pytest.mark.parametrize("fragment", sorted(FRAGMENTS))
    @pytest.mark.parametrize("key", ["language_consistency", "language_consistency of <think>"])
    def test_time_grows_linearly_with_hostile_repeats(self, key, fragment):
        small, large, ratio = growth(key, FRAGMENTS[fragment], 4_000)
        assert ratio < MAX_RATIO, f"{key}: {small:.4f} s for 4 kB, {large:.4f} s for {GROWTH}x that"

    def test_an_unclosed_inline_math_span_runs_to_the_end_like_display_math(self):
        assert "secret" not in clean("Prose here \\( x = secret") and "Prose" in clean("Prose here \\( x = secret")

    @settings(max_examples=300, derandomize=True, deadline=None)
    @given(st.lists(st.sampled_from(["<think>", "</think>", "a", "b", "\n", "<", ">"]), max_size=12).map("".join))
    def test_tag_extraction_agrees_with_the_block_pattern(self, text):
        # the behaviour before the one-pass rewrite, as patterns
        blocks = re.findall(r"<think>(.*?)</think>", text, re.DOTALL)
        rest = re.sub(r"<think>.*?</think>", "", text, flags=re.DOTALL)
        if "<think>" in rest:
            blocks.append(rest.split("<think>", 1)[1])
        elif not blocks and "</think>" in rest:
            blocks.append(rest.split("</think>", 1)[0])
        assert extract_tagged(text, "think") == ("\n".join(blocks) if blocks else None)


class TestTarget:
    def test_prompt_target_follows_the_language_of_the_last_user_turn(self):
        prompt = [
            {"role": "system", "content": "You are a helpful assistant. Think step by step before answering."},
            {"role": "user", "content": "공책 세 권과 펜 두 자루의 총 비용은 얼마인가요?"},
        ]
        score, extra, _ = one(lc(target="prompt"), KOREAN, prompt=prompt)
        assert extra["target"] == "ko"
        assert score == 1.0
        assert one(lc(target="prompt"), ENGLISH, prompt=prompt)[0] == 0.0

    def test_prompt_target_of_a_chinese_prompt_accepts_any_chinese(self):
        score, extra, _ = one(lc(target="prompt"), CHINESE, prompt="一本笔记本多少钱？请一步一步地思考。")
        assert extra["target"] == "zh"
        assert score == 1.0

    def test_prompt_of_short_sentences_is_detected_as_a_whole(self):
        # alone, "Объясни решение." is not reliably Russian to langdetect; chunked with the rest it is
        prompt = "Сколько стоит одна тетрадь, если три тетради стоят девяносто рублей? Объясни решение."
        assert one(lc(target="prompt"), RUSSIAN, prompt=prompt)[1]["target"] == "ru"

    def test_also_accept_counts_close_languages_as_the_target(self):
        text = "Реши задачу: в магазине три тетради стоят девяносто рублей."  # langdetect: bg
        assert one(lc(target="ru"), text)[0] == 0.0
        assert one(lc(target="ru", also_accept=["bg", "mk", "uk"]), text)[0] == 1.0

    def test_prompt_target_without_prompt_is_not_scored(self):
        score, extra, metrics = one(lc(target="prompt"), ENGLISH)
        assert score is None and extra["target"] is None and metrics["no_target"] == 1

    def test_target_column_gives_each_row_its_own_target(self):
        reward = lc(target_column="lang")
        assert reward.required_columns() == ("lang",)
        out = reward.evaluate([KOREAN, RUSSIAN, ENGLISH], lang=["ko", "ru", "zh"])
        assert out.scores == [1.0, 1.0, 0.0]

    def test_codes_are_normalised(self):
        assert lc(target="ZH_cn").params.target == "zh-cn"
        assert code_matches("zh-cn", "zh") and code_matches("ko", "KO") and not code_matches("zh-cn", "zh-tw")

    @pytest.mark.parametrize("bad", ["english", "e", "en us", ""])
    def test_a_target_that_is_not_a_language_code_is_rejected(self, bad):
        with pytest.raises(ParamsError, match="target"):
            lc(target=bad)

    def test_a_language_the_detector_does_not_know_is_rejected_with_the_known_ones(self):
        with pytest.raises(ParamsError, match="cannot detect 'tlh'.*ko"):
            lc(target="tlh")


class TestContract:
    def test_messages_and_strings_score_alike(self):
        reward = lc(target="ko")
        messages = [[{"role": "assistant", "content": KOREAN}]]
        assert reward(messages) == reward([KOREAN]) == [1.0]

    def test_reward_pickles_after_use_and_scores_the_same(self):
        reward = lc(target="ru", tag="think")
        text = f"<think>{RUSSIAN}</think>"
        before = reward([text])
        clone = pickle.loads(pickle.dumps(reward))
        assert clone.__name__ == "language_consistency"
        assert clone([text]) == before == [1.0]

    def test_detail_reaches_trl_log_callbacks(self):
        extras, metrics = {}, {}
        lc(target="en")(
            [ENGLISH, ""], log_extra=lambda k, v: extras.__setitem__(k, v), log_metric=metrics.__setitem__
        )
        assert extras["language_consistency/languages"] == [{"en": 1.0}, {}]
        assert metrics["rewardkit/language_consistency/unjudged"] == 1.0

    def test_a_long_completion_scores_in_bounded_time(self):
        import time

        start = time.process_time()  # this process's CPU time: other jobs on the machine do not count
        score = lc(target="en")([ENGLISH * 400])[0]  # ~100k characters
        assert score == 1.0
        assert time.process_time() - start < 10

    def test_importing_the_plugin_does_not_import_langdetect(self):
        code = "import sys, rewardkit.plugins.language; print('langdetect' in sys.modules)"
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        assert out.stdout.strip() == "False"


# Short and ambiguous texts are where an unseeded langdetect answers differently from run to run.
AMBIGUOUS = [
    "Let me think",
    "Ok so",
    "Решим задачу.",
    "Das ist gut, I think",
    "ok 好的 then",
    "Hmm, wait",
    "Pero the answer is",
    ENGLISH,
    MIXED_ZH_EN,
]

_DETERMINISM_SCRIPT = """
import json, sys
from rewardkit import get_reward
from rewardkit.plugins.language import LangdetectDetector
texts = json.loads(sys.stdin.read())
det = LangdetectDetector(seed=0)
reward = get_reward("language_consistency", target="en", min_length=1, chunk_length=0)
print(json.dumps({"detect": [det.detect(t) for t in texts], "scores": reward(texts)}))
"""


def test_detection_is_identical_across_processes_and_hash_seeds():
    results = []
    for hash_seed in ("1", "2", "random"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        out = subprocess.run(
            [sys.executable, "-c", _DETERMINISM_SCRIPT],
            input=json.dumps(AMBIGUOUS),
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
            check=True,
        )
        results.append(json.loads(out.stdout))
    assert results[0] == results[1] == results[2]
    # and the same in this process, repeatedly
    det = LangdetectDetector(seed=0)
    assert [[list(c) for c in det.detect(t)] for t in AMBIGUOUS] == results[0]["detect"]
    assert [det.detect(t) for t in AMBIGUOUS] == [det.detect(t) for t in AMBIGUOUS]


def test_the_global_langdetect_seed_is_left_alone():
    from langdetect import DetectorFactory

    before = DetectorFactory.seed
    LangdetectDetector(seed=3).detect(ENGLISH)
    assert DetectorFactory.seed == before


class UpperIsEnglish(LanguageDetector):
    """A throwaway backend: ALL-CAPS text is English, everything else German."""

    name = "upper"

    def detect(self, text):
        return [("en", 1.0)] if text.upper() == text else [("de", 1.0)]


class UpperPlugin:
    @hookimpl
    def register_language_detectors(register):  # noqa: N805 - pluggy calls it unbound on the class
        register("upper", UpperIsEnglish)


@pytest.fixture
def registry_with_upper():
    registry = Registry(autoload=False)
    registry.register(UpperPlugin, "upper-plugin")
    previous = set_default_registry(registry)
    try:
        yield registry
    finally:
        set_default_registry(previous)


def test_langdetect_is_registered_as_a_language_detector():
    assert default_registry().get("language_detector", "langdetect").name == "langdetect"


def test_another_backend_registered_as_a_plugin_is_used_by_name(registry_with_upper):
    reward = lc(target="en", detector="upper", chunk_length=0)
    text = "THIS SENTENCE IS SHOUTED LOUDLY. this one is whispered softly."
    assert reward([text]) == [pytest.approx(0.5, abs=0.05)]
    assert registry_with_upper.catalogue("language_detector")["upper"].provider == "upper-plugin"


def test_an_unknown_detector_names_the_known_ones():
    with pytest.raises(UnknownRewardError, match="langdetect"):
        lc(detector="nope")
