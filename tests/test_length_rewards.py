"""Length target, DAPO soft overlong punishment, n-gram repetition."""

import pytest

from rewardkit import MissingColumnError, get_reward
from rewardkit.testing import assert_scores




class TestLengthTarget:
    def test_distance_from_the_ideal_in_characters(self):
        assert_scores(get_reward("length_target", ideal=5, unit="chars"), [("abc", -2.0), ("abcde", 0.0), ("a" * 9, -4.0)])

    def test_tokens_come_from_trls_completion_ids(self):
        reward = get_reward("length_target", ideal=3, unit="tokens")
        assert reward(["whatever", "x"], completion_ids=[[1, 2, 3], [1]]) == [0.0, -2.0]

    def test_auto_unit_uses_tokens_when_trl_gives_them(self):
        reward = get_reward("length_target", ideal=3)
        assert reward(["abcdefgh"], completion_ids=[[1, 2]]) == [-1.0]
        assert reward(["abcdefgh"]) == [-5.0]

    def test_tokens_without_ids_or_tokenizer_is_a_clear_error(self):
        with pytest.raises(MissingColumnError, match="completion_ids"):
            get_reward("length_target", unit="tokens")(["x"])

    def test_normalised_forms_stay_in_their_range(self):
        neg = get_reward("length_target", ideal=10, unit="chars", normalize="negative")
        pos = get_reward("length_target", ideal=10, unit="chars", normalize="positive")
        assert_scores(neg, [("a" * 10, 0.0), ("a" * 5, -0.5), ("a" * 100, -1.0)])
        assert_scores(pos, [("a" * 10, 1.0), ("a" * 15, 0.5), ("", 0.0)])


class TestSoftOverlong:
    def test_zero_then_linear_then_minus_one(self):
        reward = get_reward("soft_overlong", max_length=10, cache=4, unit="chars")
        assert_scores(reward, [("a" * 6, 0.0), ("a" * 8, -0.5), ("a" * 10, -1.0), ("a" * 11, -1.0)])


class TestRepetitionPenalty:
    def test_distinct_text_is_not_penalised(self):
        assert_scores(get_reward("repetition_penalty"), [("one two three four five", 0.0), ("too short", 0.0)])

    def test_looping_text_approaches_the_maximum_penalty(self):
        reward = get_reward("repetition_penalty", ngram_size=2)
        # 'a b a b a b': 5 bigrams, 2 distinct -> -(1 - 2/5)
        assert_scores(reward, [("a b a b a b", -0.6)])

    def test_character_ngrams_for_text_without_spaces(self):
        reward = get_reward("repetition_penalty", ngram_size=2, unit="chars")
        assert_scores(reward, [("哈哈哈哈", -(1 - 1 / 3))])


@pytest.mark.parametrize(
    "name, params, worst",
    [
        ("length_target", {"ideal": 7, "unit": "chars"}, -7.0),
        ("length_target", {"ideal": 7, "unit": "chars", "normalize": "negative"}, -1.0),
        ("length_target", {"ideal": 7, "unit": "chars", "normalize": "positive"}, 0.0),
        ("soft_overlong", {"max_length": 8, "cache": 4, "unit": "chars"}, -1.0),
        ("repetition_penalty", {"max_penalty": -0.5}, -0.5),
    ],
)
def test_a_malformed_sample_gets_the_worst_score_not_the_best(name, params, worst):
    reward = get_reward(name, **params)
    malformed = [{"role": "assistant", "content": [{"type": "text", "text": None}]}]
    out = reward.evaluate(["a" * 7, malformed])
    assert out.scores[1] == worst
    assert out.scores[1] <= min(s for s in out.scores if s is not None)
    assert [i for i, _ in out.errors] == [1]
