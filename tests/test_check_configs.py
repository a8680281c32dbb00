"""`rewardkit check` on compositions, train configs and rm-train configs: which it was, and errors that name
the file, the key and the valid choices; no model is ever loaded."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

pytest.importorskip("trl")

from rewardkit.cli import main  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def unloadable_model(tmp_path) -> Path:
    """A directory that looks like a model (config.json) but holds no weights: loading it would fail."""
    path = tmp_path / "model"
    path.mkdir()
    (path / "config.json").write_text("{}")
    return path


def write(tmp_path: Path, data, name="run.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data))
    return path


def check(capsys, *argv) -> tuple[int, str, str]:
    code = main(["check", *argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_a_train_config_is_checked_without_loading_its_model(tmp_path, unloadable_model, capsys):
    (tmp_path / "data.jsonl").write_text(json.dumps({"prompt": [{"role": "user", "content": "2+2?"}], "answer": "4"}))
    path = write(tmp_path, {"model": str(unloadable_model), "dataset": {"path": "data.jsonl"},
                            "rewards": ["accuracy"], "trainer": {"max_steps": 3, "num_generations": 2,
                                                                 "per_device_train_batch_size": 2}})
    code, out, _ = check(capsys, str(path))
    assert code == 0
    assert out.startswith(f"{path}: OK — a `rewardkit train` config")
    assert f"model:       {unloadable_model}  (full fine-tuning)" in out
    assert "the dataset's 'prompt' column as it is" in out and "accuracy×1" in out
    assert "max_steps=3 learning_rate=1e-06 (default for full fine-tuning)" in out


def test_the_example_configs_check_as_what_they_are(capsys):
    code, out, _ = check(capsys, str(REPO / "rewardkit" / "data" / "gsm8k_default.yaml"))
    assert code == 0 and "a `rewardkit train` config" in out and "xml_count×1" in out
    example = REPO / "examples" / "rm_train_hh.yaml"
    data = (example.parent / yaml.safe_load(example.read_text())["data"]["path"]).resolve()
    code, out, err = check(capsys, str(example))
    if data.exists():  # the shared HH-RLHF data is there
        assert code == 0 and "a `rewardkit rm-train` config" in out and "2000 usable pairs" in out
    else:
        assert code == 2 and f"preference data '{data}' does not exist" in err
    code, out, _ = check(capsys, "gsm8k")
    assert code == 0 and "a composition of 5 rewards" in out


def test_an_rm_train_config(tmp_path, unloadable_model, capsys):
    pairs = [{"prompt": "hi", "chosen": "hello", "rejected": "go away"}] * 3
    (tmp_path / "pairs.jsonl").write_text("\n".join(json.dumps(p) for p in pairs))
    path = write(tmp_path, {"model": str(unloadable_model), "data": {"path": "pairs.jsonl"}, "max_length": 64})
    code, out, _ = check(capsys, str(path))
    assert code == 0 and "a `rewardkit rm-train` config" in out and "3 usable pairs (0 rows skipped)" in out


@pytest.mark.parametrize(
    "data, message",
    [
        ({"model": "smollm2", "datset": {"path": "gsm8k"}}, "unknown key 'datset' (valid: model, dataset, prompt"),
        ({"dataset": {"path": "gsm8k"}, "prompt": {"template": "jinja"}}, "'prompt.template': Input should be 'chat' or 'plain'"),
        ({"trainer": {"learnig_rate": 1e-5}}, "unknown GRPOConfig option 'learnig_rate' (did you mean 'learning_rate'?)"),
        ({"dataset": {"path": "gsm8k"}, "rewards": [{"name": "nope"}]}, "rewards: composition: rewards[0] (nope): unknown reward 'nope'; known rewards:"),
        ({"dataset": {"path": "gsm8k"}, "rewards": [{"name": "math_correctness", "params": {"gold_column": "gold"}}]},
         "the rewards need dataset column(s) gold"),
        ({"dataset": {"path": "gsm8k"}, "trainer": {"num_generations": 3}}, "divisible by num_generations"),
        ({"data": {"path": "pairs.jsonl", "formt": "hh"}},
         "unknown key 'data.formt' (valid: format, prompt_key, chosen_key, rejected_key, path,"),
    ],
)
def test_errors_name_the_file_the_key_and_the_choices(tmp_path, capsys, data, message):
    path = write(tmp_path, data)
    code, _, err = check(capsys, str(path))
    assert code == 2
    assert err.startswith(f"rewardkit check: error: {path}:") or str(path) in err
    assert message in err
    assert err.count("\n") == 1  # one line


def test_a_file_that_is_no_kind_of_config_lists_what_each_kind_takes(tmp_path, capsys):
    code, _, err = check(capsys, str(write(tmp_path, {"modle": "x"})))
    assert code == 2
    assert "none of the keys (modle)" in err
    assert "compositions take extends, rewards" in err and "train configs take model, dataset" in err
    assert "rm-train configs take model, data" in err


def test_a_config_on_the_bundled_model_checks_before_its_wheel_is_installed(capsys, monkeypatch):
    from importlib import metadata

    from rewardkit.trainers import default_model

    def missing(name):
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(default_model.metadata, "distribution", missing)
    code, out, _ = check(capsys, str(REPO / "rewardkit" / "data" / "gsm8k_default.yaml"))
    assert code == 0 and "a `rewardkit train` config" in out
    assert "bundled SmolLM2-135M-Instruct (not available:" in out and default_model.INSTALL_HINT in out


def test_as_reads_a_file_as_the_kind_given(tmp_path, capsys):
    path = write(tmp_path, {"rewards": ["xml_count"]})
    assert "a composition of 1 reward\n" in check(capsys, str(path))[1]
    code, out, _ = check(capsys, str(path), "--as", "train")
    assert code == 0 and "a `rewardkit train` config" in out and "xml_count×1" in out
