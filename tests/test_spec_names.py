"""The one rule for what a spec names (a preset, a YAML file or an inline mapping), at every entry point."""

import os

import pytest

from rewardkit import ConfigError
from rewardkit.cli import main
from rewardkit.composition_loader import load_composition, locate, shared_composition

# A file named like the gsm8k preset, holding something else: which of the two was used shows.
SHADOW = "rewards: [{name: length_target, params: {ideal: 3}}]\n"


@pytest.fixture
def shadowed(tmp_path, monkeypatch):
    """A working directory with a file named ``gsm8k`` (a composition unlike the preset)."""
    (tmp_path / "gsm8k").write_text(SHADOW)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_a_preset_name_wins_over_a_file_of_that_name_and_says_so(shadowed, capsys):
    assert load_composition("gsm8k").names[0] == "xml_count"
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert f"'gsm8k' is a preset and also the file {shadowed / 'gsm8k'}; using the preset (write ./gsm8k" in err
    assert load_composition("./gsm8k").names == ["length_target"]  # the file, written as a path
    load_composition("gsm8k")
    assert capsys.readouterr().err == ""  # said once per file, not per call (a trainer calls per batch)


def test_a_directory_named_like_a_preset_is_not_reported(tmp_path, monkeypatch, capsys):
    (tmp_path / "gsm8k").mkdir()  # a data folder, common beside a run
    monkeypatch.chdir(tmp_path)
    assert locate("gsm8k").kind == "preset"
    assert capsys.readouterr().err == ""


def test_a_file_spec_means_the_same_from_any_directory(tmp_path, monkeypatch):
    (tmp_path / "c.yaml").write_text(SHADOW)
    monkeypatch.chdir(tmp_path)
    located = locate("c.yaml")
    assert located.kind == "file" and located.label == "c.yaml" and located.spec == str(tmp_path / "c.yaml")
    assert locate("gsm8k").spec == "gsm8k" and locate({"rewards": ["xml_count"]}).spec == {"rewards": ["xml_count"]}
    monkeypatch.chdir("/")
    assert load_composition(located.spec).names == ["length_target"]


def test_an_inline_specs_extends_is_read_from_the_base_folder(tmp_path, monkeypatch):
    (tmp_path / "base.yaml").write_text(SHADOW)
    monkeypatch.chdir("/")
    assert load_composition({"extends": "base.yaml"}, base=tmp_path).names == ["length_target"]
    with pytest.raises(ConfigError, match="'base.yaml' is neither a preset"):
        load_composition({"extends": "base.yaml"})


def test_the_integrations_cache_follows_the_rule(shadowed, capsys):
    assert shared_composition("gsm8k").names[0] == "xml_count"
    assert shared_composition("./gsm8k").names == ["length_target"]
    assert shared_composition(os.path.abspath("gsm8k")) is shared_composition("./gsm8k")


def test_check_and_score_follow_the_rule(shadowed, capsys):
    (shadowed / "rows.jsonl").write_text('{"completion": "abc"}\n')
    assert main(["check", "gsm8k"]) == 0
    out = capsys.readouterr().out
    assert "xml_count" in out and "length_target" not in out
    assert main(["check", "./gsm8k"]) == 0
    assert "length_target" in capsys.readouterr().out
    assert main(["score", "./gsm8k", "rows.jsonl"]) == 0
    out = capsys.readouterr().out
    assert "length_target" in out and "xml_count" not in out
    assert main(["check", "nope"]) == 2
    assert "'nope' is neither a preset (gsm8k" in capsys.readouterr().err


def test_train_follows_the_rule(shadowed, monkeypatch):
    from rewardkit.trainers.policy.config import load_run_config
    from rewardkit.trainers.policy.reward_options import rewards_spec

    assert load_run_config("gsm8k").rewards == "gsm8k"  # the preset's bundled run, not the file
    (shadowed / "run.yaml").write_text("rewards: {extends: ./gsm8k}\n")  # the file beside the config
    monkeypatch.chdir("/")
    run = load_run_config(str(shadowed / "run.yaml"))
    assert run.composition().names == ["length_target"]  # relative to the config, as documented
    assert rewards_spec(["gsm8k"]) == {"extends": "gsm8k"}
    assert rewards_spec([str(shadowed / "gsm8k")]) == {"extends": str(shadowed / "gsm8k")}
