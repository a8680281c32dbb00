"""`rewardkit train --algorithm rloo` end to end on a tiny model, and the algorithm/advantage options of the config."""

from __future__ import annotations

import json
import math

import pytest

from rewardkit.errors import ConfigError

pytest.importorskip("trl")

from _tiny_models import save_reward_model  # noqa: E402
from test_train_run import TRAINER, cli, make_config, model_dir, records  # noqa: E402,F401

from rewardkit.trainers.policy.config import load_config  # noqa: E402


def test_rloo_run_logs_every_component_and_applies_the_weights(tmp_path, model_dir):  # noqa: F811
    config = make_config(tmp_path, model_dir)
    assert cli("train", str(config), "--algorithm", "rloo") == 0
    out = tmp_path / "out"
    steps = [r for r in records(out / "metrics.jsonl") if "reward" in r]
    assert [r["step"] for r in steps] == [1, 2]
    for r in steps:
        assert {"rewards/short/mean", "rewards/xml_count/mean", "rewardkit/reward_time",
                "rewardkit/xml_count/errors", "rewardkit/reward_share", "loss"} <= set(r)  # fmt: skip
        # RLOOTrainer's total is the composition's weighted sum (short × 1, xml_count × 0.5)
        assert r["reward"] == pytest.approx(r["rewards/short/mean"] + 0.5 * r["rewards/xml_count/mean"], abs=1e-5)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["algorithm"] == "rloo" and summary["steps"] == 2
    assert (out / "model" / "model.safetensors").is_file()
    # the model card names the algorithm that ran, in its prose and its Hub tags
    card = (out / "model" / "README.md").read_text()
    assert "with RLOO, trained by rewardkit through TRL's `RLOOTrainer`" in card
    assert "- rloo" in card and "grpo" not in card.lower()
    # TRL's RLOOTrainer keeps its completions table in memory; rewardkit writes it as GRPO's does,
    # so diagnose has the run's rows (lengths, repetition, suspects), not only its curves
    assert sorted(p.name for p in (out / "completions").glob("*.parquet")) == [
        "completions_00001.parquet", "completions_00002.parquet"]
    result = json.loads((out / "diagnostics" / "diagnostics.json").read_text())
    assert result["input"]["rows"] == 8 and result["input"]["length_unit"] == "tokens"
    assert not any("no logged completions" in note for note in result["input"].get("notes", []))


def test_rloo_with_a_distribution_rm_scales_advantages_by_its_sigma(tmp_path, model_dir):  # noqa: F811
    rm = save_reward_model(tmp_path / "rm", num_labels=10)
    rewards = [{"name": "rm_score", "params": {"path": str(rm), "max_length": 64}},
               {"name": "xml_count", "weight": 0.5, "normalize": "group"}]  # fmt: skip
    config = make_config(
        tmp_path, model_dir, algorithm="rloo", rewards=rewards, advantage={"sigma_from": "rm_score"},
        trainer={**TRAINER, "max_steps": 1, "beta": 0.0},
    )  # fmt: skip
    assert cli("train", str(config)) == 0
    (step,) = [r for r in records(tmp_path / "out" / "metrics.jsonl") if "reward" in r]
    sigma = step["rewardkit/rm_score/std_mean"]
    assert sigma == pytest.approx(math.sqrt(99 / 12), abs=0.1)  # a fresh 10-class head: near uniform over 1..10
    # f(σ) = 1/(1+σ) is convex: its batch mean is at least f of the mean σ
    assert 1 / (1 + sigma) - 1e-6 <= step["rewardkit/advantage_scale"] < 1


def test_algorithm_override_rechecks_the_trainer_options(tmp_path, model_dir):  # noqa: F811
    config = make_config(tmp_path, model_dir, trainer={**TRAINER, "loss_type": "dr_grpo"})
    with pytest.raises(ConfigError, match=r"--algorithm rloo: trainer: unknown RLOOConfig option 'loss_type'"):
        cli("train", str(config), "--algorithm", "rloo", "--dry-run")


def test_trainer_options_are_checked_against_the_algorithms_config():
    assert load_config({"algorithm": "rloo", "trainer": {"normalize_advantages": True}}).algorithm == "rloo"
    with pytest.raises(ConfigError, match="unknown GRPOConfig option 'normalize_advantages'"):
        load_config({"trainer": {"normalize_advantages": True}})
    with pytest.raises(ConfigError, match="'algorithm': Input should be 'grpo' or 'rloo'"):
        load_config({"algorithm": "ppo"})
    with pytest.raises(ConfigError, match=r"unknown key 'advantage.sigma' \(valid: sigma_from\)"):
        load_config({"advantage": {"sigma": "rm_score"}})


def test_normalize_is_an_entry_option_of_a_composition():
    from rewardkit.composition_loader import load_composition

    composition = load_composition([{"name": "xml_count", "normalize": "group"}, "soft_format"])
    assert [c.normalize for c in composition.components] == ["group", None]
    with pytest.raises(ConfigError, match=r"rewards\[0\] \(xml_count\): .*normalize must be one of group"):
        load_composition([{"name": "xml_count", "normalize": "batch"}])
