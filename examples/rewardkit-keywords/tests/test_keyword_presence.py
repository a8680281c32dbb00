"""The plugin's own tests, written with the helpers rewardkit ships (the rewardkit pytest plugin)."""

from rewardkit.testing import assert_scores, check_reward_contract
from rewardkit_keywords import KeywordPresence


def test_share_counts_each_keyword_case_insensitively():
    reward = KeywordPresence(keywords=["Paris", "France"])
    assert_scores(reward, [("paris is lovely", 0.5), ("Paris, FRANCE", 1.0), ("Berlin", 0.0)])


def test_all_mode_needs_every_keyword():
    reward = KeywordPresence(keywords=["a", "b"], mode="all")
    assert_scores(reward, [("a b", 1.0), ("a", 0.0)])


def test_contract(reward_registry, inline_reward):
    inline_reward(KeywordPresence)
    check_reward_contract(reward_registry.reward("keyword_presence", {"keywords": ["42"]}))
