"""Weighted compositions: the total, None handling, weight 0, aliases."""

import pytest

from rewardkit import ConfigError, Reward, get_reward
from rewardkit.composition import Component, Composition


class Const(Reward):
    name = "const"
    description = "the completion parsed as a float; None for 'none'; raises for 'boom'"

    def score(self, sample):
        if sample.completion == "boom":
            raise RuntimeError("boom")
        return None if sample.completion == "none" else float(sample.completion)


def test_total_is_the_weighted_sum_and_components_stay_visible():
    comp = Composition([Component(Const(alias="a"), 2.0), Component(Const(alias="b"), 0.5)])
    scores = comp.score(["1", "4"])
    assert scores.components == {"a": [1.0, 4.0], "b": [1.0, 4.0]}
    assert scores.total == [2.5, 10.0]


def test_a_components_none_is_left_out_of_that_rows_total():
    comp = Composition([Component(Const(alias="a"), 1.0), Component(get_reward("length_target", ideal=1, unit="chars"), 1.0)])
    assert comp.score(["none", "3"]).total == [-3.0, 3.0]


def test_a_row_where_every_weighted_component_is_none_totals_none():
    comp = Composition([Const(alias="a"), Const(alias="b")])
    assert comp.score(["none", "1"]).total == [None, 2.0]


def test_weight_zero_is_reported_but_never_enters_the_total():
    comp = Composition([Component(Const(alias="logged"), 0.0), Component(Const(alias="trained"), 1.0)])
    scores = comp.score(["5"])
    assert scores.components["logged"] == [5.0] and scores.total == [5.0]


def test_errors_are_counted_per_component_in_the_summary():
    comp = Composition([Const()])
    scores = comp.score(["1", "boom", "none"])
    summary = scores.summary()
    assert scores.components["const"] == [1.0, 0.0, None]
    assert summary["const"]["errors"] == 1 and summary["const"]["none"] == 1
    assert scores.row(1)["errors"] == {"const": "RuntimeError: boom"}


def test_a_malformed_completion_costs_its_row_not_the_batch():
    bad = [{"role": "assistant", "content": [{"type": "text", "text": None}]}]
    comp = Composition([Component(Const(alias="a", on_error=-1.0), 1.0), Component(Const(alias="b"), 2.0)])
    scores = comp.score(["1", bad, "2"])
    assert scores.components == {"a": [1.0, -1.0, 2.0], "b": [1.0, 0.0, 2.0]}
    assert scores.total == [3.0, -1.0, 6.0]
    assert set(scores.row(1)["errors"]) == {"a", "b"}
    assert scores.summary()["total"]["errors"] == 2


def test_summary_statistics():
    summary = Composition([Const()]).score(["1", "3"]).summary()["const"]
    assert summary == {"mean": 2.0, "std": 2**0.5, "min": 1.0, "max": 3.0, "none": 0, "errors": 0}  # Bessel's std


def test_the_same_reward_twice_needs_an_alias():
    with pytest.raises(ConfigError, match="appears twice"):
        Composition([Const(), Const()])
    assert Composition([Const(), Const(alias="const_2")]).names == ["const", "const_2"]


def test_required_columns_are_collected_in_order():
    class Gold(Const):
        name = "gold"
        columns = ("answer", "id")

    assert Composition([Gold(), Const()]).required_columns() == ["answer", "id"]

