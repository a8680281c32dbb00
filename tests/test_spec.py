"""Compositions from YAML, mappings and presets, with errors naming file, entry and key."""

import pytest

from rewardkit import ConfigError
from rewardkit.composition_loader import load_composition, preset_names


def write(tmp_path, text, name="rewards.yaml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_yaml_entries_with_weights_params_and_aliases(tmp_path):
    path = write(
        tmp_path,
        """
rewards:
  - name: length_target
    alias: short
    weight: 0.5
    params: {ideal: 10, unit: chars}
  - name: length_target
    alias: long
    params: {ideal: 100, unit: chars}
  - xml_count
""",
    )
    comp = load_composition(path)
    assert comp.names == ["short", "long", "xml_count"]
    assert comp.weights == [0.5, 1.0, 1.0]
    assert comp.score(["a" * 10]).components["short"] == [0.0]


def test_presets_ship_with_the_package():
    assert {"gsm8k", "length"} <= set(preset_names())
    assert load_composition("gsm8k").names[:3] == ["xml_count", "soft_format", "strict_format"]


def test_extending_a_preset_adds_removes_and_reweights(tmp_path):
    path = write(
        tmp_path,
        """
extends: gsm8k
remove: [xml_count]
weights: {strict_format: 0}
rewards:
  - name: soft_format
    params: {score: 1.0}
  - name: tag_count
""",
    )
    comp = load_composition(path)
    assert "xml_count" not in comp.names and comp.names[-1] == "tag_count"
    assert dict(zip(comp.names, comp.weights))["strict_format"] == 0.0
    soft = comp.rewards[comp.names.index("soft_format")]
    assert soft.params.score == 1.0


def test_unknown_reward_lists_the_known_names(tmp_path):
    path = write(tmp_path, "rewards: [{name: xml_cnt}]")
    with pytest.raises(ConfigError) as err:
        load_composition(path)
    assert str(path) in str(err.value) and "rewards[0]" in str(err.value) and "xml_count" in str(err.value)


def test_unknown_entry_key_names_file_entry_and_key(tmp_path):
    path = write(tmp_path, "rewards:\n  - name: xml_count\n    wieght: 2\n")
    with pytest.raises(ConfigError, match=r"rewards\.yaml: rewards\[0\] \(xml_count\): unknown key 'wieght'"):
        load_composition(path)


def test_bad_parameter_names_the_reward_and_key(tmp_path):
    path = write(tmp_path, "rewards: [{name: length_target, params: {ideal: fifty}}]")
    with pytest.raises(ConfigError, match=r"length_target.*'ideal'"):
        load_composition(path)


def test_yaml_is_loaded_safely(tmp_path):
    path = write(tmp_path, "rewards: !!python/object/apply:os.system ['touch pwned']")
    with pytest.raises(ConfigError, match="invalid YAML"):
        load_composition(path)
    assert not (tmp_path / "pwned").exists()


def test_removing_or_reweighting_a_missing_entry_is_an_error():
    with pytest.raises(ConfigError, match="no entry 'nope'"):
        load_composition({"extends": "gsm8k", "remove": ["nope"]})
    with pytest.raises(ConfigError, match="no entry 'nope'"):
        load_composition({"extends": "gsm8k", "weights": {"nope": 1}})


def test_non_numeric_weight_is_rejected():
    with pytest.raises(ConfigError, match="weight"):
        load_composition([{"name": "xml_count", "weight": "heavy"}])


def test_unknown_top_level_key_and_missing_source():
    with pytest.raises(ConfigError, match="unknown key 'reward'"):
        load_composition({"reward": []})
    with pytest.raises(ConfigError, match="neither a preset"):
        load_composition("no_such_preset_or_file")


def test_r1_preset_scores_format_accuracy_and_language():
    comp = load_composition("r1")
    assert comp.names == ["think_format", "accuracy", "language_consistency"]
    english = "<think>First add six and seven together, which gives thirteen in total.</think><answer>13</answer>"
    mixed = "<think>먼저 육과 칠을 더하면 십삼이 됩니다. 그래서 답은 분명히 십삼입니다.</think><answer>13</answer>"
    scores = comp.score([english, mixed, "13"], answer=["13", "13", "13"])
    assert scores.components["think_format"] == [1.0, 1.0, 0.0]
    assert scores.components["accuracy"] == [1.0, 1.0, 1.0]
    assert scores.components["language_consistency"][0] == 1.0
    assert scores.components["language_consistency"][1] == 0.0
    assert scores.components["language_consistency"][2] is None
