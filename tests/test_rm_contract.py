"""The contract battery for the built-ins that need a model directory or a server."""

from __future__ import annotations

import pytest

from rewardkit import get_reward
from rewardkit.testing import check_reward_contract


@pytest.mark.parametrize("num_labels", [1, 10])
def test_rm_score_keeps_the_contract(tmp_path, num_labels):
    pytest.importorskip("torch")
    from _tiny_models import save_reward_model

    path = save_reward_model(tmp_path / "rm", num_labels=num_labels)
    reward = get_reward("rm_score", path=str(path), max_length=64)
    assert "pickling" in check_reward_contract(reward)


def test_rm_score_scores_a_user_only_chat_prompt_like_the_plain_prompt(tmp_path):
    pytest.importorskip("torch")
    from _tiny_models import save_reward_model

    reward = get_reward("rm_score", path=str(save_reward_model(tmp_path / "rm")))
    chat = reward([[{"role": "assistant", "content": "good"}]], [[{"role": "user", "content": "what is it ?"}]])
    assert chat == reward(["good"], ["what is it ?"])


def test_rm_remote_keeps_the_contract():
    from test_rm_remote import ScoringServer

    server = ScoringServer()
    try:
        checks = check_reward_contract(get_reward("rm_remote", url=f"{server.url}/ok", backoff=0.01))
        assert "pickling" in checks
    finally:
        server.close()


@pytest.mark.parametrize(
    ("params", "columns"),
    [
        ({"target": "prompt"}, {}),
        ({"tag": "reasoning", "missing_tag": "zero"}, {}),
        ({"target_column": "lang", "unit": "words"}, {"lang": "en"}),
    ],
)
def test_language_consistency_variants_keep_the_contract(params, columns):
    check_reward_contract(get_reward("language_consistency", **params), columns=columns)
