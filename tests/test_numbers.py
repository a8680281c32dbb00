"""The numbers, defined once: what a score is, a row's weighted total, and the std everything prints."""

import json
import math
import statistics
from fractions import Fraction

import pytest

from rewardkit.cli import main
from rewardkit.stats import finite_number, is_finite_number, score_stats, std, weighted_total, weighted_totals


@pytest.mark.parametrize(
    ("value", "expected"),
    [(1, 1.0), (2.5, 2.5), (-0.0, 0.0), (Fraction(1, 4), 0.25), (None, None), (True, None), (False, None),
     (float("nan"), None), (float("inf"), None), (-float("inf"), None), ("1.5", None), ([1.0], None),
     (10**400, None), (-(10**400), None), (Fraction(10**400, 3), None)],
)
def test_finite_number_reads_what_counts_as_a_score(value, expected):
    assert finite_number(value) == expected
    assert is_finite_number(value) is (expected is not None)


def test_finite_number_reads_numpy_and_torch_scalars():
    np = pytest.importorskip("numpy")
    assert finite_number(np.float32(0.5)) == 0.5 and finite_number(np.float64("nan")) is None
    assert finite_number(np.int64(3)) == 3.0 and finite_number(np.bool_(True)) is None


@pytest.mark.parametrize(
    ("scores", "weights", "total"),
    [
        ([1.0, 2.0], [1.0, 0.5], 2.0),
        ([1.0, None], [1.0, 2.0], 1.0),  # a None is left out
        ([None, None], [1.0, 2.0], None),  # nothing weighted scored
        ([None, 3.0], [1.0, 0.0], None),  # a weight-0 component never makes a row scorable
        ([2.0, 3.0], [1.0, 0.0], 2.0),  # ... nor enters the total
        ([0.0], [1.0], 0.0),  # a zero score is a score
    ],
)
def test_weighted_total_rules(scores, weights, total):
    assert weighted_total(scores, weights) == total


def test_std_is_bessel_corrected_as_trl_logs_it():
    values = [1.0, 2.0, 4.0, 7.0]
    assert std(values) == pytest.approx(statistics.stdev(values))
    assert std([5.0]) is None and std([]) is None
    torch = pytest.importorskip("torch")
    nanstd = pytest.importorskip("trl.trainer.utils").nanstd
    assert std(values) == pytest.approx(nanstd(torch.tensor(values)).item())
    assert score_stats([1.0, None, 3.0])["std"] == pytest.approx(math.sqrt(2))


def test_score_prints_and_writes_the_bessel_std(tmp_path, capsys):
    rows = tmp_path / "rows.jsonl"
    rows.write_text("".join(json.dumps({"completion": "x" * n}) + "\n" for n in (10, 20, 40)))
    spec = tmp_path / "c.yaml"
    spec.write_text("rewards: [{name: length_target, params: {ideal: 10, unit: chars}}]\n")
    assert main(["score", str(spec), str(rows)]) == 0
    summary = capsys.readouterr().out.split("component")[1]
    line = next(l for l in summary.splitlines() if l.startswith("length_target"))
    mean, printed = float(line.split()[2]), float(line.split()[3])
    scores = [-0.0, -10.0, -30.0]
    assert mean == pytest.approx(statistics.mean(scores), abs=1e-3)
    assert printed == pytest.approx(statistics.stdev(scores), abs=1e-3)  # 15.275, not the population 12.472


def test_the_metrics_file_writes_a_logged_nan_tensor_as_null():
    torch = pytest.importorskip("torch")
    pytest.importorskip("transformers")
    from rewardkit.trainers.policy.callbacks import _plain

    assert _plain(torch.tensor(float("nan"))) is None and _plain(float("inf")) is None
    assert _plain(torch.tensor(0.5)) == 0.5 and _plain("text") == "text" and _plain(3) == 3


def test_weighted_totals_by_column_are_the_rows_weighted_totals():
    columns = [(1.0, [0.1, None, None, 3.0]), (2.0, [0.2, 1.0, None, 4.0]), (0.0, [5.0, 5.0, 5.0, None])]
    expected = [weighted_total([c[1][i] for c in columns], [c[0] for c in columns]) for i in range(4)]
    assert weighted_totals(columns, 4) == expected == [0.1 + 2.0 * 0.2, 2.0, None, 11.0]
    no_none = [(1.0, [1e16, -1e16]), (1.0, [1.0, 1.0]), (1.0, [-1e16, 1e16])]
    assert weighted_totals(no_none, 2) == [0.0, 0.0]  # added in component order, as weighted_total adds
    assert weighted_totals([(0.0, [1.0])], 1) == [None]
    assert weighted_totals([], 2) == [None, None]
