"""Output and value comparison, the way judges do it (runner.same_output / same_value)."""

import pytest

from rewardkit.plugins.code.checker import same_value
from rewardkit.plugins.code.runner import same_output


@pytest.mark.parametrize(
    "expected, actual",
    [
        ("3\n", "3"),  # trailing newline
        ("1 2\n3\n", "1 2  \n3\n\n\n"),  # trailing spaces and blank lines
        ("YES\n", "  YES\r\n"),  # carriage returns, leading spaces
    ],
)
def test_lines_tolerate_surrounding_whitespace(expected, actual):
    assert same_output(expected, actual)


@pytest.mark.parametrize("expected, actual", [("1 2\n", "1\n2\n"), ("3\n", "4\n"), ("a\n\nb", "a\nb"), ("1\n", "")])
def test_lines_keep_line_structure_and_content(expected, actual):
    assert not same_output(expected, actual)


def test_tokens_ignore_all_whitespace_layout_exact_does_not():
    assert same_output("1 2\n", "1\n2\n", compare="tokens")
    assert not same_output("1 2\n", "1 2", compare="exact")
    assert same_output("1 2\n", "1 2\n", compare="exact")


def test_float_tolerance_is_absolute_or_relative():
    assert not same_output("0.333333\n", "0.3333334\n")
    assert same_output("0.333333\n", "0.3333334\n", float_tolerance=1e-6)
    assert same_output("1000000.0 x\n", "1000000.5 x\n", float_tolerance=1e-6)
    assert not same_output("1.0\n", "1.1\n", float_tolerance=1e-6)
    assert not same_output("abc\n", "abd\n", float_tolerance=1.0)


def test_values_compare_structurally_and_apps_wraps_outputs_in_a_list():
    assert same_value([1, 2], [1, 2])
    assert same_value([[1, 2]], [1, 2])  # APPS/TACO: outputs[i] == [return value]
    assert same_value([3], 3)
    assert same_value({"a": [1.0]}, {"a": [1]})
    assert not same_value([1, 2], [2, 1])
    assert not same_value(True, 1) and not same_value(1, True)
    assert not same_value("1", 1)
    assert same_value(0.1 + 0.2, 0.3, float_tolerance=1e-9) and not same_value(0.1 + 0.2, 0.3)


def test_a_value_json_cannot_carry_equals_nothing():
    assert not same_value([1], {"__repr__": "<AlwaysEqual>"})
