"""rm-train's 1..K distribution head: the preference loss against its formula, real tiny runs, rm_score loading."""

from __future__ import annotations

import json
import math

import pytest

from rewardkit import ConfigError, get_reward
from rewardkit.trainers import preferences
from rewardkit.trainers.reward_model import config as rm_config
from rewardkit.trainers.reward_model import training as rm_training

torch = pytest.importorskip("torch")
pytest.importorskip("trl")

from test_rm_train import base_model, write_pairs  # noqa: E402,F401  (the tiny base model fixture)

from rewardkit.trainers.reward_model.distribution import preference_log_prob, rating_moments, tie_prob  # noqa: E402


def logits_of(*probs: list[float]) -> torch.Tensor:
    return torch.log(torch.tensor(probs, dtype=torch.float32))


class TestPreferenceProbability:
    def test_matches_the_double_sum_on_a_hand_made_pair(self):
        # p_w = (.2, .3, .5), p_l = (.5, .3, .2) over scores 1..3:
        # P(w > l) = p_w(3)(p_l(1) + p_l(2)) + p_w(2) p_l(1) = .5 * .8 + .3 * .5 = .55
        w, l = logits_of([0.2, 0.3, 0.5]), logits_of([0.5, 0.3, 0.2])
        assert preference_log_prob(w, l).exp().item() == pytest.approx(0.55, abs=1e-6)
        # the rest is ties (.2*.5 + .3*.3 + .5*.2 = .29) and the reverse order (.16)
        assert tie_prob(w, l).item() == pytest.approx(0.29, abs=1e-6)
        assert preference_log_prob(l, w).exp().item() == pytest.approx(0.16, abs=1e-6)

    def test_is_batched_row_by_row(self):
        w = logits_of([0.2, 0.3, 0.5], [1 / 3, 1 / 3, 1 / 3])
        l = logits_of([0.5, 0.3, 0.2], [1 / 3, 1 / 3, 1 / 3])
        assert preference_log_prob(w, l).exp().tolist() == pytest.approx([0.55, 1 / 3], abs=1e-6)

    def test_stays_finite_for_sharp_distributions_in_the_wrong_order(self):
        w = torch.tensor([[60.0, 0.0, 0.0, 0.0]])  # sure of score 1
        l = torch.tensor([[0.0, 0.0, 0.0, 60.0]])  # sure of score 4
        log_p = preference_log_prob(w, l).item()
        assert math.isfinite(log_p) and log_p == pytest.approx(-120.0, abs=2.0)

    def test_the_loss_gradient_moves_mass_of_the_chosen_up_and_of_the_rejected_down(self):
        w = torch.zeros(1, 10, requires_grad=True)
        l = torch.zeros(1, 10, requires_grad=True)
        (-preference_log_prob(w, l)).sum().backward()
        assert w.grad[0, -1] < 0 < w.grad[0, 0]  # descent raises the chosen's top score
        assert l.grad[0, 0] < 0 < l.grad[0, -1]  # and the rejected's bottom score

    def test_moments_use_class_values_one_to_k(self):
        expected, std = rating_moments(logits_of([0.5, 0.0 + 1e-12, 0.5]))
        assert expected.item() == pytest.approx(2.0) and std.item() == pytest.approx(1.0, abs=1e-5)


class TestConfig:
    def test_num_labels_without_a_distribution_head_is_an_error(self):
        with pytest.raises(ConfigError, match="num_labels applies to head: distribution"):
            rm_config.load_config({"data": {"path": "x"}, "num_labels": 5})

    def test_scalar_only_trainer_options_are_rejected_for_the_distribution_head(self):
        with pytest.raises(ConfigError, match="'center_rewards_coefficient' applies to head: scalar only"):
            rm_config.load_config(
                {"data": {"path": "x"}, "head": "distribution", "trainer": {"center_rewards_coefficient": 0.01}}
            )

    def test_defaults_to_ten_classes(self):
        config = rm_config.load_config({"data": {"path": "x"}, "head": "distribution"})
        assert config.labels == 10 and rm_config.load_config({"data": {"path": "x"}}).labels == 1


@pytest.mark.parametrize(
    "lora, learning_rate", [(None, 5e-3), ({"r": 8, "alpha": 16, "dropout": 0.0}, 1e-2)], ids=["full", "lora"]
)
def test_distribution_head_learns_the_preference_and_rm_score_loads_it_as_is(tmp_path, base_model, lora, learning_rate):  # noqa: F811
    data = write_pairs(tmp_path / "pairs.jsonl", 100, seed=2)
    config = rm_config.load_config(
        {
            "model": str(base_model),
            "head": "distribution",
            "data": {"path": str(data), "eval_fraction": 0.2},
            "max_length": 48,
            "lora": lora,
            "output_dir": str(tmp_path / "rm"),
            "trainer": {"learning_rate": learning_rate, "num_train_epochs": 3, "per_device_train_batch_size": 16},
        }
    )
    metrics = rm_training.train_reward_model(config, log=lambda *a: None)
    after, before = metrics["after"], metrics["before"]
    assert metrics["head"] == "distribution" and metrics["num_labels"] == 10
    assert after["accuracy"] >= 0.8 and after["accuracy"] > before["accuracy"]
    assert after["mean_preference_probability"] > before["mean_preference_probability"] + 0.1
    # a fresh head is near uniform over 1..10 (σ √(99/12) ≈ 2.87, a tie 1 in 10); after: see rm_score below
    assert before["mean_std"] == pytest.approx(math.sqrt(99 / 12), abs=0.1)
    assert before["mean_tie_probability"] == pytest.approx(0.1, abs=0.01)

    out = tmp_path / "rm"
    assert not (out / "adapter_config.json").exists()
    saved = json.loads((out / "config.json").read_text())
    assert saved["id2label"] == {str(i): str(i + 1) for i in range(10)}

    # rm_score with nothing but the saved parameters reads it as a 1..10 distribution model
    settings = json.loads((out / "rewardkit_rm.json").read_text())["rm_score"]
    reward = get_reward("rm_score", **settings)
    _, held = preferences.split_pairs(preferences.load_pairs(str(data), config.data)[0], 0.2, config.seed)
    prompts = [p["prompt"] for p in held]
    chosen = reward.evaluate([p["chosen"] for p in held], prompts)
    rejected = reward.evaluate([p["rejected"] for p in held], prompts)
    assert chosen.scores == pytest.approx(chosen.extra["expected"])
    assert all(1 <= e <= 10 for e in chosen.extra["expected"]) and all(s >= 0 for s in chosen.extra["std"])
    accuracy = sum(c > r for c, r in zip(chosen.scores, rejected.scores)) / len(held)
    assert accuracy == pytest.approx(after["accuracy"])
    mean_std = (sum(chosen.extra["std"]) + sum(rejected.extra["std"])) / (2 * len(held))
    assert mean_std == pytest.approx(after["mean_std"], rel=1e-4)
