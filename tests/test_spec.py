"""Compositions from YAML, mappings and presets, with errors naming file, entry and key."""

import pytest
from _hostile import FLOOR, MAX_RATIO, cpu_seconds

from rewardkit import ConfigError
from rewardkit.composition_loader import load_composition, preset_names


def write(tmp_path, text, name="rewards.yaml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def refused(tmp_path, text, match):
    """Loading ``text`` as rewards.yaml raises a ConfigError matching ``match``."""
    path = write(tmp_path, text)
    with pytest.raises(ConfigError, match=match):
        load_composition(path)


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


# -- what the checks must refuse, and how fast they are -----------------------------------------------


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        ("[xml_count, tag_count, xml_count]", r"rewards\[2\] \(xml_count\) and rewards\[0\] \(xml_count\) are the same reward 'xml_count'"),
        (
            "[{name: length_target, alias: short}, {name: soft_overlong, alias: short}]",
            r"rewards\[1\] \(soft_overlong\) and rewards\[0\] \(length_target\) are the same alias 'short'",
        ),
    ],
)
def test_two_entries_with_one_name_or_alias_are_refused_naming_both(tmp_path, entries, message):
    refused(tmp_path, f"rewards: {entries}\n", rf"rewards\.yaml: {message}")


def test_an_entry_may_still_update_the_one_it_inherits(tmp_path):
    path = write(tmp_path, "extends: gsm8k\nrewards: [{name: xml_count, weight: 2}]\n")
    assert dict(zip(load_composition(path).names, load_composition(path).weights))["xml_count"] == 2.0


@pytest.mark.parametrize("value", [".nan", ".inf", "-.inf"])
def test_on_error_must_be_finite_naming_file_and_entry(tmp_path, value):
    text = f"rewards:\n  - name: xml_count\n  - name: tag_count\n    on_error: {value}\n"
    refused(tmp_path, text, r"rewards\.yaml: rewards\[1\] \(tag_count\): .*on_error must be a finite number")


def test_a_weight_that_is_not_finite_names_file_and_entry(tmp_path):
    text = "rewards:\n  - xml_count\n  - {name: tag_count, weight: .nan}\n"
    refused(tmp_path, text, r"rewards\.yaml: rewards\[1\] \(tag_count\): key 'weight' must be a finite number, got nan")
    text = "extends: gsm8k\nweights: {xml_count: .inf}\n"
    refused(tmp_path, text, r"rewards\.yaml: weights: xml_count must be a finite number, got inf")


def test_a_cycle_of_extends_names_the_file_and_the_chain(tmp_path):
    a = write(tmp_path, "extends: b.yaml\nrewards: [xml_count]\n", "a.yaml")
    b = write(tmp_path, "extends: a.yaml\n", "b.yaml")
    with pytest.raises(ConfigError) as err:
        load_composition(a)
    message = str(err.value)
    assert message.startswith(f"{b.resolve()}: 'extends: {a}' makes a cycle") and "b.yaml -> " in message
    write(tmp_path, "extends: self.yaml\n", "self.yaml")
    with pytest.raises(ConfigError, match="self.yaml' makes a cycle"):
        load_composition(tmp_path / "self.yaml")


def test_a_relative_extends_is_relative_to_the_file_not_the_current_folder(tmp_path, monkeypatch):
    (tmp_path / "configs").mkdir()
    write(tmp_path / "configs", "rewards: [{name: length_target, params: {ideal: 7}}]\n", "base.yaml")
    child = write(tmp_path / "configs", "extends: base.yaml\nrewards: [xml_count]\n", "child.yaml")
    monkeypatch.chdir(tmp_path)
    assert load_composition(child).names == ["length_target", "xml_count"]
    monkeypatch.chdir(tmp_path / "configs")
    assert load_composition("child.yaml").rewards[0].params.ideal == 7


def test_checking_takes_time_linear_in_the_number_of_entries():
    def entries(n):
        return [{"name": "length_target", "alias": f"l{i}", "params": {"ideal": i + 1}} for i in range(n)]

    small = cpu_seconds(lambda: load_composition(entries(2_000)), repeat=1)
    large = cpu_seconds(lambda: load_composition(entries(4 * 2_000)), repeat=1)
    assert large < MAX_RATIO * max(small, FLOOR), (small, large)
