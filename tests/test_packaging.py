"""The wheel users pip-install carries the built-in plugins, trainers, presets and bundled data."""

import subprocess
import sys
import zipfile


def test_wheel_ships_plugins_trainers_presets_and_data(repo, tmp_path):
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(tmp_path), str(repo)],
        check=True, capture_output=True, text=True, timeout=300,
    )
    (wheel,) = tmp_path.glob("rewardkit-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in (
        "rewardkit/plugins/format.py",
        "rewardkit/plugins/math/verifier.py",
        "rewardkit/plugins/code/runner.py",
        "rewardkit/plugins/code/harness.py",
        "rewardkit/diagnostics/report.py",
        "rewardkit/trainers/policy/trl_rewards.py",
        "rewardkit/trainers/reward_model/training.py",
        "rewardkit/trainers/commands/train.py",
        "rewardkit/presets/gsm8k.yaml",
        "rewardkit/presets/r1.yaml",
        "rewardkit/data/gsm8k/train.jsonl",
        "rewardkit/data/gsm8k/LICENSE",
        "rewardkit/data/scitldr/NOTICE",
    ):
        assert name in names, name
    assert not any(n.startswith(("plugins/", "trainers/", "tests/")) for n in names)


def test_the_all_extra_installs_every_optional_feature(repo):
    import pytest

    tomllib = pytest.importorskip("tomllib")  # Python 3.11+

    extras = tomllib.loads((repo / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    (all_,) = extras["all"]
    features = set(extras) - {"all", "test"}
    assert all_ == f"rewardkit[{','.join(sorted(features, key=list(extras).index))}]"
    assert {"train", "tracking"} <= features
    tracking = {req.split(">")[0] for req in extras["tracking"]}
    assert tracking == {"tensorboard", "wandb", "trackio"}
