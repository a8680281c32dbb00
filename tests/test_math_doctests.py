"""The examples in the math modules' docstrings run and give what they show."""

import doctest
import importlib

import pytest


@pytest.mark.parametrize(
    "module",
    ["rewardkit.plugins.math.numerals", "rewardkit.plugins.math.exact", "rewardkit.plugins.math.extractors", "rewardkit.plugins.math.verifier", "rewardkit.pool", "rewardkit.plugins.math.rewards"],
)
def test_docstring_examples(module):
    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
