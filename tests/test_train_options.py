"""`rewardkit train`'s script-style options: each one overrides the config, presets name runs, --quick."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from rewardkit.errors import ConfigError

pytest.importorskip("trl")

from rewardkit.cli import build_parser, main  # noqa: E402
from rewardkit.trainers.commands.train import config_from_args  # noqa: E402
from rewardkit.trainers.policy.config import (  # noqa: E402
    DEFAULT_LEARNING_RATE,
    QUICK_TRAINER,
    bundled_run_path,
    default_config_path,
    load_config,
    load_run_config,
)
from rewardkit.trainers.policy.reward_options import rewards_spec  # noqa: E402


def config_for(*argv: str):
    return config_from_args(build_parser().parse_args(["train", *argv]))


def test_without_options_the_config_is_the_default_run_unchanged():
    assert config_for() == load_config(None)


def test_each_option_overrides_its_config_value(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "model").mkdir()
    (tmp_path / "data.jsonl").write_text(json.dumps({"prompt": "hi", "answer": "1"}))
    config = config_for(
        "--model", "model", "--dataset", "data.jsonl", "--rewards", "accuracy", "length_target:0.5",
        "--max-samples", "7", "--max-steps", "3", "--learning-rate", "3e-6", "--batch-size", "4",
        "--num-generations", "2", "--max-completion-length", "32", "--report-to", "tensorboard",
        "--output-dir", "out", "--seed", "9",
    )
    assert config.model == str(tmp_path / "model")
    assert config.dataset.path == str(tmp_path / "data.jsonl") and config.dataset.limit == 7
    assert config.dataset.eval_split is None  # the new dataset's own test split, if any, is evaluated
    assert config.rewards == {"rewards": [{"name": "accuracy"}, {"name": "length_target", "weight": 0.5}]}
    assert config.composition().names == ["accuracy", "length_target"]
    assert config.trainer == {
        **load_config(None).trainer, "max_steps": 3, "learning_rate": 3e-6, "per_device_train_batch_size": 4,
        "num_generations": 2, "max_completion_length": 32, "report_to": ["tensorboard"],
    }
    assert config.output_dir == str(tmp_path / "out") and config.seed == 9


def test_epochs_replace_the_configs_max_steps_unless_max_steps_is_given_too():
    assert "max_steps" not in config_for("--epochs", "2").trainer
    assert config_for("--epochs", "2").trainer["num_train_epochs"] == 2
    assert config_for("--epochs", "2", "--max-steps", "5").trainer["max_steps"] == 5


def test_bundled_names_stay_names_and_missing_paths_become_absolute(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    config = config_for("--model", "smollm2", "--dataset", "scitldr")
    assert config.model == "smollm2" and config.dataset.path == "scitldr"
    assert config_for("--dataset", "missing.jsonl").dataset.path == str(tmp_path / "missing.jsonl")


def test_report_to_none_turns_tracking_off():
    assert config_for("--report-to", "none").trainer["report_to"] == "none"
    assert config_for("--report-to", "tensorboard", "wandb").trainer["report_to"] == ["tensorboard", "wandb"]


def test_a_preset_name_runs_its_bundled_run():
    assert config_for("gsm8k") == load_config(None)
    length = config_for("length")
    assert length.rewards == "length" and length.dataset.path == "scitldr" and length.lora is not None
    r1 = config_for("r1")
    assert r1.rewards == "r1" and "<think>" in r1.prompt.system
    assert r1.composition().names == ["think_format", "accuracy", "language_consistency"]


def test_the_default_run_is_the_gsm8k_presets_bundled_run():
    assert default_config_path() == bundled_run_path("gsm8k")


def test_a_positional_that_is_neither_file_nor_preset_is_named(tmp_path):
    from rewardkit.composition_loader import preset_names

    presets = re.escape(f"({', '.join(preset_names())})")
    with pytest.raises(ConfigError, match=f"'nope' is neither a preset {presets} nor an existing file"):
        load_run_config("nope")
    with pytest.raises(ConfigError, match="missing.yaml' is neither a preset"):
        load_run_config(str(tmp_path / "missing.yaml"))


def test_quick_makes_a_tiny_run_that_explicit_options_still_override():
    quick = config_for("--quick")
    default = load_config(None)
    for key, value in QUICK_TRAINER.items():
        assert quick.trainer[key] == value
    assert quick.dataset.limit == 4 and quick.output_dir == default.output_dir + "-quick"
    assert quick.rewards == default.rewards and quick.prompt == default.prompt
    assert config_for("--quick", "--max-steps", "3", "--output-dir", "o").trainer["max_steps"] == 3
    assert config_for("--quick", "--max-steps", "3", "--output-dir", "o").output_dir == str(Path("o").resolve())


def test_quick_dry_run_and_eval_only_exclude_each_other(capsys):
    with pytest.raises(SystemExit):
        build_parser().parse_args(["train", "--quick", "--eval-only"])
    assert "not allowed with argument" in capsys.readouterr().err


@pytest.mark.parametrize("option", ["--max-steps", "--max-samples", "--batch-size", "--num-generations",
                                    "--learning-rate", "--epochs", "--max-completion-length"])
def test_numbers_must_be_positive(option, capsys):
    assert_exit(["train", option, "0"], capsys, f"argument {option}: must be above 0, got 0")


def test_unknown_tracker_lists_the_choices(capsys):
    err = assert_exit(["train", "--report-to", "neptune"], capsys, "invalid choice: 'neptune' (choose from")
    assert all(name in err.rsplit("choose from", 1)[1] for name in ("tensorboard", "wandb", "trackio", "none"))


def assert_exit(argv, capsys, message):
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert message in err
    return err


def test_the_learning_rate_default_suits_full_fine_tuning_and_lora():
    from rewardkit.trainers.policy.training import build_trainer_config
    from rewardkit.trainers.policy.trl_rewards import trl_rewards

    def lr(**config):
        cfg = load_config({"rewards": ["xml_count"], **config})
        return build_trainer_config(cfg, trl_rewards(cfg.composition())).learning_rate

    assert lr() == DEFAULT_LEARNING_RATE["full"] == 1e-6
    assert lr(lora=True) == DEFAULT_LEARNING_RATE["lora"] == 1e-5
    assert lr(lora=True, trainer={"learning_rate": 3e-4}) == 3e-4


# -- --rewards -------------------------------------------------------------------------------


def test_rewards_take_names_aliases_and_weights_comma_or_space_separated():
    assert rewards_spec(["accuracy,think_format:0.5", "length_target:-1"]) == {
        "rewards": [{"name": "accuracy"}, {"name": "think_format", "weight": 0.5}, {"name": "length_target", "weight": -1.0}]
    }


def test_rewards_start_from_one_preset_and_reweight_or_extend_it():
    from rewardkit.composition_loader import load_composition

    spec = rewards_spec(["gsm8k", "xml_count:0", "length_target:0.25"])
    assert spec == {"extends": "gsm8k", "weights": {"xml_count": 0.0}, "rewards": [{"name": "length_target", "weight": 0.25}]}
    composition = load_composition(spec)
    assert dict(zip(composition.names, composition.weights))["xml_count"] == 0
    assert composition.names[-1] == "length_target"


def test_a_config_swallowed_by_rewards_says_to_put_it_first(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "run.yaml").write_text(yaml.safe_dump({"model": "smollm2", "rewards": "gsm8k"}))
    with pytest.raises(ConfigError, match="unknown key 'model'.*if 'run.yaml' is the run's config, put it before --rewards"):
        config_for("--rewards", "accuracy", "run.yaml")


def test_rewards_take_a_composition_file_whose_aliases_can_be_reweighted(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "mine.yaml").write_text(yaml.safe_dump({"rewards": [{"name": "length_target", "alias": "short"}]}))
    spec = rewards_spec(["mine.yaml", "short:2"])
    assert spec == {"extends": str(tmp_path / "mine.yaml"), "weights": {"short": 2.0}}


@pytest.mark.parametrize(
    "items, message",
    [
        (["gsm8k", "r1"], "one preset or composition file to start from, got gsm8k, r1"),
        (["gsm8k:2"], "a weight applies to one reward, and 'gsm8k' is a preset"),
        (["acuracy"], "'acuracy' is not a reward, a preset or a file \\(did you mean 'accuracy'\\?\\)"),
        (["accuracy:lots"], "the weight after ':' must be a number"),
    ],
)
def test_rewards_mistakes_are_named(items, message):
    with pytest.raises(ConfigError, match=message):
        rewards_spec(items)
