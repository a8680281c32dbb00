"""`rewardkit diagnose` on a training run directory: curves over the steps, flags, and the logged rows."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from rewardkit.diagnostics import diagnose, load

STEPS = 12
WEIGHTS = {"fmt": 1.0, "math_correctness": 2.0}


def write_run(
    path: Path, records: list[dict], rows_per_step: dict[int, list[dict]] | None = None, weights: dict[str, float] = WEIGHTS
) -> Path:
    """A run directory as `rewardkit train` writes it: metrics.jsonl, summary.json, completions/*.parquet."""
    path.mkdir(parents=True)
    lines = [json.dumps({"step": s + 1, "reward": 0.0, **r}) for s, r in enumerate(records)]
    lines.append(json.dumps({"step": STEPS, "train_runtime": 1.0}))  # the end-of-run record
    (path / "metrics.jsonl").write_text("\n".join(lines) + "\n")
    (path / "summary.json").write_text(json.dumps({"rewards": weights}))
    if rows_per_step:
        pa = pytest.importorskip("pyarrow")
        import pyarrow.parquet as pq

        (path / "completions").mkdir()
        for step, rows in rows_per_step.items():
            pq.write_table(pa.Table.from_pylist([{"step": step, **r} for r in rows]),
                           path / "completions" / f"completions_{step:05d}.parquet")
    return path


def gamed_records() -> list[dict]:
    """Length creeps up, `fmt` rises while correctness falls, `fmt` stops varying within groups."""
    records = []
    for s in range(STEPS):
        t = s / (STEPS - 1)
        records.append({
            "rewards/fmt/mean": 0.1 + 0.8 * t, "rewards/math_correctness/mean": 0.6 - 0.5 * t,
            "rewardkit/diag/fmt/zero_variance_share": 0.1 + 0.85 * t,
            "rewardkit/diag/math_correctness/zero_variance_share": 0.5,
            "frac_reward_zero_std": 0.1, "reward_std": 1.0,
            "completions/mean_length": 40 + 60 * t,
        })
    return records


def steady_records() -> list[dict]:
    wobble = [math.sin(1.7 * s) for s in range(STEPS)]
    return [{
        "rewards/fmt/mean": 0.5 + 0.05 * w, "rewards/math_correctness/mean": 0.4 - 0.05 * w,
        "rewardkit/diag/fmt/zero_variance_share": 0.3 + 0.05 * w,
        "frac_reward_zero_std": 0.2, "reward_std": 1.0 + 0.1 * w, "completions/mean_length": 50 + 3 * w,
    } for w in wobble]


def flag_kinds(result: dict) -> dict[str, list[list[str]]]:
    found: dict[str, list[list[str]]] = {}
    for flag in result["training"]["flags"]:
        found.setdefault(flag["kind"], []).append(flag["components"])
    return found


def test_a_gamed_run_raises_length_drift_rising_while_correctness_falls_and_collapse(tmp_path):
    result = diagnose(load(write_run(tmp_path / "run", gamed_records())))
    flags = flag_kinds(result)
    assert set(flags) == {"length_drift", "rising_while_correctness_falls", "collapsing_variance"}
    assert flags["rising_while_correctness_falls"] == [["fmt", "math_correctness"]]
    assert flags["collapsing_variance"] == [["fmt"]]
    drift = next(f for f in result["training"]["flags"] if f["kind"] == "length_drift")
    assert "from 45 to 95 tokens" in drift["message"]  # first and last quarter of 40..100
    curves = result["training"]["curves"]
    assert curves["steps"] == list(range(1, STEPS + 1))
    assert curves["components"]["fmt"]["mean"][0] == pytest.approx(0.1)
    assert "no logged completions" in " ".join(result["input"]["notes"])


def test_a_steady_run_raises_no_flag(tmp_path):
    result = diagnose(load(write_run(tmp_path / "run", steady_records())))
    assert result["training"]["flags"] == []


def test_logged_completions_become_rows_grouped_by_step_and_prompt_each_batch_once(tmp_path):
    def rows(step: int, scale: int) -> list[dict]:
        prompt = [{"role": "user", "content": f"question {step}"}]
        return [{"prompt": prompt, "completion": [{"role": "assistant", "content": "x" * (10 * scale * (k + 1))}],
                 "fmt": float(k % 2), "math_correctness": float("nan") if k == 3 else 0.0,
                 "math_correctness/answer": None, "math_correctness/gold": "5",
                 "rewardkit/tokens": 4 * (k + 1), "rewardkit/truncated": k == 3, "advantage": 0.0} for k in range(4)]

    batch = rows(1, 1)
    # TRL logs the latest generation batch at each log: one batch used for two steps is logged twice
    logged = {1: batch, 2: batch, 3: rows(3, 2)}
    run = write_run(tmp_path / "run", steady_records(), logged)
    table = load(run)
    assert len(table.rows) == 8 and [r.step for r in table.rows] == [1] * 4 + [3] * 4
    assert table.length_unit == "tokens" and table.rows[3].truncated is True
    assert table.rows[3].scores["math_correctness"] is None  # TRL's NaN is a None score
    result = diagnose(table)
    assert result["input"]["groups_of_two_or_more"] == 2
    assert result["components"]["fmt"]["zero_variance_share"] == 0.0
    assert result["components"]["math_correctness"]["zero_variance_share"] == 1.0
    shown = {s["row"]: s for s in result["suspects"]["all"]}
    assert "truncated" in shown[3]["kinds"] and "truncated" in shown[7]["kinds"]
    assert result["components"]["math_correctness"]["none"] == 2
