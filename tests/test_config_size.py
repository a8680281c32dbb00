"""Alias bombs and shared references: refused before anything expands them, wherever a config is read.

Work is measured, not timed: a bomb is built of lists that count how often they are walked
(:class:`_hostile.CountingList`), and a refusal must come after each distinct list was walked
at most once, where expanding a six-level bomb walks 600,000 of them.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
import yaml
from _hostile import CountingList, alias_bomb_composition, alias_bomb_yaml, shared_bomb

from rewardkit import ConfigError, load_composition
from rewardkit.cli import main
from rewardkit.config_size import MAX_CHARS, MAX_VALUES, check_config_size
from rewardkit.integrations import openrlhf, verl
from rewardkit.composition_loader import shared_composition
from rewardkit.yaml_file import read_yaml

BOMB_KEYS = ("weights", "on_error", "normalize", "params", "name", "remove", "description")
REFUSAL = "more than 200,000 values once YAML aliases"


def one_short_line(message: str) -> bool:
    return "\n" not in message.strip() and len(message) < 400


@pytest.fixture
def walks():
    """How many times the bomb lists are walked during the test."""
    CountingList.walks = 0
    return lambda: CountingList.walks


def bomb_spec(levels: int) -> dict:
    return {"extends": "gsm8k", "weights": {"xml_count": shared_bomb(levels)}}


# -- the check itself ------------------------------------------------------------------------------


def test_values_are_counted_as_they_expand_and_each_shared_part_walked_once(walks):
    assert check_config_size({"a": [1, "x", None], "b": {"c": 2.0}}, "c") == 10  # 3 containers, 3 keys, 4 scalars
    assert check_config_size([shared_bomb(3, width=3)] * 2, "c") == 1 + 2 * (1 + 3 + 9 + 27 * 2)
    assert walks() == 4  # the four distinct lists, not the 40 copies


def test_a_bomb_is_refused_after_walking_its_distinct_parts_only(walks):
    with pytest.raises(ConfigError, match=REFUSAL):
        check_config_size(shared_bomb(40), "c")  # 9**40 values
    assert walks() <= 41


def test_a_value_that_contains_itself_is_refused():
    looped: list = []
    looped.append(looped)
    with pytest.raises(ConfigError, match="contains itself"):
        check_config_size({"weights": {"x": looped}}, "c")


def test_text_repeated_by_aliases_counts_as_expanded():
    long = "x" * (MAX_CHARS // 100)
    check_config_size([long] * 99, "c")
    with pytest.raises(ConfigError, match="characters of text"):
        check_config_size([long] * 101, "c")


def test_a_config_under_the_bound_loads_with_its_aliases(tmp_path):
    path = tmp_path / "rewards.yaml"
    path.write_text(
        "rewards:\n"
        "  - {name: length_target, alias: a, params: &p {ideal: 7, unit: chars}}\n"
        "  - {name: length_target, alias: b, params: *p}\n"
    )
    assert [r.params.ideal for r in load_composition(path).rewards] == [7, 7]
    entries = [{"name": "length_target", "alias": f"l{i}"} for i in range(10_000)]  # 1 + 10,000 x 5 values
    assert check_config_size(entries, "c") == 50_001 < MAX_VALUES


# -- everywhere a config is read -------------------------------------------------------------------


@pytest.mark.parametrize("key", BOMB_KEYS)
def test_a_yaml_bomb_under_any_key_is_refused_in_one_line_before_it_is_resolved(tmp_path, key, monkeypatch):
    import rewardkit.composition_loader as loader

    path = tmp_path / "bomb.yaml"
    path.write_text(alias_bomb_composition(9, key))  # 387 million values
    monkeypatch.setattr(loader, "_resolve_spec", lambda *a, **k: pytest.fail("the bomb reached the resolver"))
    with pytest.raises(ConfigError, match=REFUSAL) as refused:
        load_composition(path)
    assert str(refused.value).startswith(str(path)) and one_short_line(str(refused.value))


def test_a_bomb_reached_through_extends_names_its_file(tmp_path):
    (tmp_path / "bomb.yaml").write_text(alias_bomb_composition(9, "weights"))
    (tmp_path / "child.yaml").write_text("extends: bomb.yaml\n")
    with pytest.raises(ConfigError, match=f"bomb.yaml: {REFUSAL}"):
        load_composition(tmp_path / "child.yaml")


def test_any_yaml_file_read_is_bounded(tmp_path):
    path = tmp_path / "run.yaml"
    path.write_text("\n".join(["model: smollm2", *alias_bomb_yaml(12)]) + "\ntrainer: {x: *b12}\n")
    with pytest.raises(ConfigError, match=REFUSAL):
        read_yaml(path)


def test_a_python_mapping_with_shared_references_is_refused_before_it_is_copied(walks):
    with pytest.raises(ConfigError, match=REFUSAL) as refused:
        load_composition(bomb_spec(6))
    assert walks() <= 7 and one_short_line(str(refused.value))


def test_inline_specs_of_verl_and_openrlhf_are_refused_before_they_are_copied(walks):
    with pytest.raises(ConfigError, match=REFUSAL):
        verl.compute_score("x", "\\boxed{1}", "1", composition=bomb_spec(6))
    with pytest.raises(ConfigError, match=REFUSAL):
        openrlhf.make_reward_func(bomb_spec(6))(["q"], ["q"], ["1"])
    with pytest.raises(ConfigError, match=REFUSAL):
        shared_composition([{"name": "xml_count", "on_error": shared_bomb(6)}])
    assert walks() <= 3 * 7


def test_rewardkit_check_refuses_a_bomb_in_a_train_config_in_one_line(tmp_path, capsys):
    path = tmp_path / "run.yaml"
    path.write_text("model: smollm2\n" + "\n".join(alias_bomb_yaml(9)) + "\nlora: {target_modules: *b9}\n")
    assert main(["check", str(path)]) == 2
    err = capsys.readouterr().err
    assert REFUSAL in err and err.count(str(path)) == 1 and one_short_line(err)


def test_rewardkit_serve_refuses_a_bomb_before_it_starts(tmp_path):
    path = tmp_path / "bomb.yaml"
    path.write_text(alias_bomb_composition(9, "on_error"))
    done = subprocess.run(
        [sys.executable, "-m", "rewardkit.cli", "serve", str(path)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 2 and REFUSAL in done.stderr and one_short_line(done.stderr)


def test_the_bomb_yaml_parses_to_what_it_says():
    data = yaml.safe_load("\n".join(alias_bomb_yaml(2, width=3)) + "\nx: *b2\n")
    assert data["x"] == [[["lol"]] * 3] * 3
