"""The reward-curve PNG and the first/last summary."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("matplotlib")

from rewardkit.trainers.policy.plot import moving_average, plot_rewards, read_metrics  # noqa: E402
from rewardkit.trainers.policy.report import first_last, first_last_table  # noqa: E402


def records(n: int = 20) -> list[dict]:
    return [
        {"step": s, "reward": s / n, "reward_std": 0.1, "rewards/a/mean": s / n, "rewards/a/std": 0.05,
         "rewards/b/mean": None if s == 3 else -1.0 + s / n, "rewards/b/std": 0.2, "loss": 0.0}
        for s in range(1, n + 1)
    ]


def test_plot_has_a_panel_per_component_and_the_total(tmp_path):
    out = plot_rewards(records(), ["a", "b"], tmp_path / "r.png", weights=[1.0, 0.5], title="t")
    data = out.read_bytes()
    assert data.startswith(b"\x89PNG") and len(data) > 10_000


def test_plot_handles_a_single_step_and_missing_values(tmp_path):
    out = plot_rewards(records(1), ["a", "b", "c"], tmp_path / "one.png")
    assert out.is_file()


def test_read_metrics_keeps_training_steps_and_the_latest_record_of_a_resumed_step(tmp_path):
    path = tmp_path / "metrics.jsonl"
    lines = [{"step": 1, "reward": 0.1}, {"step": 2, "reward": 0.2}, {"step": 2, "reward": 0.3},
             {"step": 2, "train_runtime": 5.0}]
    path.write_text("\n".join(json.dumps(r) for r in lines) + "\n")
    assert read_metrics(path) == [{"step": 1, "reward": 0.1}, {"step": 2, "reward": 0.3}]


def test_moving_average_skips_missing_values():
    assert moving_average([1.0, None, 3.0, float("nan")], 2) == [1.0, 1.0, 3.0, 3.0]
    assert moving_average([None], 3) == [None]


def test_first_last_averages_the_first_and_last_window_of_steps():
    data = first_last(records(20), ["a", "b"])
    assert data["window"] == 5 and data["first_steps"] == [1, 5] and data["last_steps"] == [16, 20]
    assert data["components"]["a"]["first"] == pytest.approx(0.15)
    assert data["components"]["a"]["last"] == pytest.approx(0.9)
    assert data["components"]["b"]["first"] == pytest.approx((-0.95 - 0.9 - 0.8 - 0.75) / 4)  # step 3 is None
    table = first_last_table(data, [1.0, 0.5])
    assert "steps 1-5" in table and "steps 16-20" in table and "0.750" in table


def test_first_last_with_few_steps_and_none():
    assert first_last([], ["a"]) == {}
    assert first_last_table({}, []) == "no training steps were logged"
    assert first_last(records(3), ["a"])["window"] == 1
