"""The train YAML: defaults, validation errors that name the key and list valid ones, overrides."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from rewardkit.errors import ConfigError

pytest.importorskip("trl")

from rewardkit.trainers.policy.config import (  # noqa: E402
    TOP_KEYS,
    default_config_path,
    load_config,
)


def write(tmp_path: Path, data) -> Path:
    path = tmp_path / "run.yaml"
    path.write_text(yaml.safe_dump(data) if not isinstance(data, str) else data, encoding="utf-8")
    return path


def test_no_config_means_the_bundled_default_run():
    config = load_config(None)
    assert config.model == "smollm2"
    assert config.dataset.path == "gsm8k"
    assert config.rewards == "gsm8k"
    assert config.prompt.system.startswith("Respond in the following format:\n<reasoning>\n")
    assert config.trainer["max_steps"] > 0
    assert default_config_path().is_file()


def test_an_empty_file_gives_every_default(tmp_path):
    config = load_config(write(tmp_path, ""))
    assert config.model == "smollm2" and config.lora is None and config.trainer == {}


def test_unknown_top_level_key_lists_the_valid_keys(tmp_path):
    with pytest.raises(ConfigError) as err:
        load_config(write(tmp_path, {"modle": "x"}))
    message = str(err.value)
    assert "unknown key 'modle'" in message and "run.yaml" in message
    for key in TOP_KEYS:
        assert key in message


@pytest.mark.parametrize(
    "section, key, valid",
    [
        ("dataset", "file", "path, format, split"),
        ("prompt", "system_prompt", "system, question_column, template"),
        ("lora", "rank", "r, alpha, dropout"),
    ],
)
def test_unknown_section_key_lists_that_sections_keys(tmp_path, section, key, valid):
    with pytest.raises(ConfigError, match=rf"unknown key '{section}\.{key}' \(valid: {valid}"):
        load_config(write(tmp_path, {section: {key: 1}}))


def test_unknown_trainer_option_is_rejected_with_a_suggestion_and_the_valid_options(tmp_path):
    with pytest.raises(ConfigError) as err:
        load_config(write(tmp_path, {"trainer": {"learnig_rate": 1e-5}}))
    message = str(err.value)
    assert "unknown GRPOConfig option 'learnig_rate'" in message
    assert "did you mean 'learning_rate'" in message
    assert "num_generations" in message and "use_vllm" in message and "vllm_mode" in message


@pytest.mark.parametrize("key", ["output_dir", "seed", "reward_weights"])
def test_trainer_options_the_run_manages_are_rejected_with_where_to_set_them(tmp_path, key):
    with pytest.raises(ConfigError, match=f"trainer: '{key}' is not set here"):
        load_config(write(tmp_path, {"trainer": {key: 1}}))


def test_accelerate_and_vllm_options_pass_through(tmp_path):
    config = load_config(
        write(tmp_path, {"trainer": {"use_vllm": True, "vllm_mode": "colocate", "ddp_find_unused_parameters": False}})
    )
    assert config.trainer["vllm_mode"] == "colocate"


def test_yaml_exponents_without_a_dot_become_numbers(tmp_path):
    config = load_config(write(tmp_path, "trainer:\n  learning_rate: 2e-5\n  max_steps: '40'\n  report_to: none\n"))
    assert config.trainer == {"learning_rate": 2e-5, "max_steps": 40, "report_to": "none"}


def test_wrong_types_name_the_key(tmp_path):
    with pytest.raises(ConfigError, match=r"'dataset.limit'"):
        load_config(write(tmp_path, {"dataset": {"limit": "many"}}))
    with pytest.raises(ConfigError, match=r"'prompt.template'"):
        load_config(write(tmp_path, {"prompt": {"template": "jinja"}}))


def test_lora_true_means_the_default_lora_and_false_full_fine_tuning(tmp_path):
    assert load_config(write(tmp_path, {"lora": True})).lora.r == 16
    assert load_config(write(tmp_path, {"lora": False})).lora is None
    assert load_config(write(tmp_path, {"lora": {"r": 4, "target_modules": ["q_proj"]}})).lora.r == 4


def test_relative_paths_resolve_against_the_config_files_directory(tmp_path):
    config = load_config(write(tmp_path, {"dataset": {"path": "data/train.jsonl"}}))
    assert config.path(config.dataset.path) == str((tmp_path / "data" / "train.jsonl").resolve())
    assert config.path("/abs/file.jsonl") == "/abs/file.jsonl"


def test_missing_file_and_bad_yaml_are_config_errors(tmp_path):
    with pytest.raises(ConfigError, match="no such config file"):
        load_config(tmp_path / "nope.yaml")
    with pytest.raises(ConfigError, match="invalid YAML"):
        load_config(write(tmp_path, "trainer: [unclosed"))
    with pytest.raises(ConfigError, match="expected a mapping"):
        load_config(write(tmp_path, "- a\n- b\n"))


def test_command_line_overrides_replace_the_configs_values(tmp_path):
    config = load_config(write(tmp_path, {"trainer": {"max_steps": 40, "learning_rate": 1e-5}, "seed": 1}))
    changed = config.with_overrides(max_steps=3, output_dir=str(tmp_path / "o"), seed=7)
    assert changed.trainer == {"max_steps": 3, "learning_rate": 1e-5}
    assert changed.output_dir == str((tmp_path / "o").resolve()) and changed.seed == 7
    assert config.trainer["max_steps"] == 40  # the original is untouched
    assert config.with_overrides() == config


def test_a_mapping_is_accepted_as_a_config():
    config = load_config({"model": "some/dir", "rewards": [{"name": "xml_count"}]})
    assert config.rewards == [{"name": "xml_count"}]
