"""Keep rules on scores (rejection sampling), best-of-n per group and pass rates (rewardkit.selection)."""

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rewardkit.errors import ConfigError
from rewardkit.selection import Groups, KeepRule

NAMES = ["math_correctness", "soft_format"]


def record(total, math=None, soft=None):
    return {"total": total, "components": {"math_correctness": math, "soft_format": soft}}


@pytest.mark.parametrize(
    ("rule", "row", "kept"),
    [
        ("total >= 2", record(2.0), True),
        ("total >= 2", record(1.5), False),
        ("math_correctness == 2", record(3.0, 2.0), True),
        ("math_correctness == 2 and soft_format > 0", record(3.0, 2.0, 0.0), False),
        ("math_correctness == 2 or soft_format > 0", record(3.0, 0.0, 0.5), True),
        ("not total < 1", record(1.0), True),
        ("1 <= total < 3", record(3.0), False),
        ("total - soft_format >= 2", record(2.5, 2.0, 0.5), True),
        ("total / 2 > 1", record(2.5), True),
        ("-total < 0", record(2.0), True),
    ],
)
def test_rules_keep_the_rows_their_comparison_says(rule, row, kept):
    assert KeepRule(rule, NAMES)(row) is kept


def test_a_missing_score_passes_no_comparison_but_is_none():
    missing = record(None, None, 0.5)
    assert not KeepRule("total >= 0", NAMES)(missing)
    assert not KeepRule("total < 0", NAMES)(missing)
    assert not KeepRule("math_correctness == 2", NAMES)(missing)
    assert not KeepRule("math_correctness + 1 > 0", NAMES)(missing)  # arithmetic on None is None
    assert KeepRule("math_correctness is None", NAMES)(missing)
    assert KeepRule("soft_format is not None and total is None", NAMES)(missing)
    assert not KeepRule("total / 0 >= 0", NAMES)(record(1.0))  # division by zero: no score


@pytest.mark.parametrize(
    "rule",
    [
        "__import__('os').system('touch /tmp/pwned')",
        "total.__class__",
        "total if total else 0",
        "[total][0] > 1",
        "(lambda: 1)() > 0",
        "total ** 2 > 1",
        "'a' < 'b'",
        "total in (1, 2)",
        "total",  # a number, not a condition
        "total >= 1; 1",
        "",
    ],
)
def test_anything_but_scores_numbers_and_comparisons_is_refused_at_parse_time(rule):
    with pytest.raises(ConfigError):
        KeepRule(rule, NAMES)


def test_an_unknown_score_name_lists_the_known_ones():
    with pytest.raises(ConfigError, match="scores: total, math_correctness, soft_format"):
        KeepRule("correctness == 2", NAMES)


def test_a_deeply_nested_rule_is_one_error_not_a_crash():
    with pytest.raises(ConfigError):
        KeepRule("(" * 5000 + "total" + ")" * 5000 + " > 1", NAMES)


def test_best_of_takes_the_highest_totals_and_breaks_ties_by_input_order():
    groups = Groups(best_of=2)
    for index, total in enumerate([1.0, 3.0, 3.0, 2.0, 3.0]):
        groups.add('"p"', True, total, (0, index))
    assert groups.selected() == {0: {1, 2}}  # the two first 3.0s


def test_rows_that_fail_the_rule_or_have_no_total_are_never_among_the_best_but_count_in_the_pass_rate():
    groups = Groups(best_of=3)
    groups.add('"p"', False, 9.0, (0, 0))
    groups.add('"p"', True, None, (0, 1))
    groups.add('"p"', True, 1.0, (0, 2))
    assert groups.selected() == {0: {2}}
    assert list(groups.pass_rates()) == [{"group": "p", "completions": 3, "passed": 2, "pass_rate": 2 / 3}]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from(["a", "b", "c"]), st.booleans(), st.sampled_from([None, 0.0, 1.0, 2.0])), max_size=60),
    st.integers(1, 4),
    st.integers(1, 7),
)
def test_groups_merged_from_pieces_equal_groups_of_the_whole(rows, best_of, piece_size):
    whole = Groups(best_of)
    merged = Groups(best_of)
    for start in range(0, len(rows), piece_size):
        piece = Groups(best_of)
        for index, (group, passed, total) in enumerate(rows[start : start + piece_size]):
            piece.add(f'"{group}"', passed, total, (start // piece_size, index))
            whole.add(f'"{group}"', passed, total, (start // piece_size, index))
        merged.merge(Groups.from_json(piece.as_json()))  # as a piece's result file carries it
    assert merged.selected() == whole.selected()
    assert sorted(map(str, merged.pass_rates())) == sorted(map(str, whole.pass_rates()))


def test_best_of_matches_a_plain_sort():
    rng = random.Random(5)
    rows = [(rng.choice("xyz"), rng.choice([0.0, 0.5, 1.0, 2.0])) for _ in range(300)]
    groups = Groups(best_of=3)
    for index, (group, total) in enumerate(rows):
        groups.add(group, True, total, (0, index))
    expected = set()
    for name in "xyz":
        mine = sorted((i for i, (g, _) in enumerate(rows) if g == name), key=lambda i: (-rows[i][1], i))
        expected.update(mine[:3])
    assert groups.selected() == {0: expected}
