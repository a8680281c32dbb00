"""Reading a row's tests in the shapes the public code datasets use."""

import json

import pytest

from rewardkit.plugins.code.problems import BadTests, read_tests
from rewardkit.plugins.code.sandbox import TestCase

HUMANEVAL_TEST = "def check(candidate):\n    assert candidate(2) == 4\n"


def test_humaneval_test_and_entry_point_is_one_assert_test_calling_check():
    tests = read_tests({"test": HUMANEVAL_TEST, "entry_point": "double", "prompt": "def double(x):"})
    assert tests.kind == "assert"
    assert tests.cases == (TestCase(f"{HUMANEVAL_TEST}\n\ncheck(double)\n"),)


def test_humaneval_without_entry_point_is_refused():
    with pytest.raises(BadTests, match="entry_point"):
        read_tests({"test": HUMANEVAL_TEST})


def test_mbpp_test_list_with_imports_and_setup():
    row = {"test_list": ["assert f(1) == 2", "assert f(2) == 3"], "test_imports": ["import math"], "test_setup_code": "X = 1"}
    tests = read_tests(row)
    assert tests.kind == "assert" and [c.input for c in tests.cases] == row["test_list"]
    assert tests.setup == "import math\nX = 1"


def test_apps_stdio_input_output_as_json_text_with_lines_as_lists():
    spec = {"inputs": ["1 2\n", ["3 4", "5 6"]], "outputs": ["3\n", ["7", "11"]]}
    tests = read_tests({"input_output": json.dumps(spec)})
    assert tests.kind == "stdio"
    assert tests.cases == (TestCase("1 2\n", "3\n"), TestCase("3 4\n5 6", "7\n11"))


def test_taco_call_based_input_output():
    spec = {"fn_name": "add", "inputs": [[1, 2], [[1], [2]]], "outputs": [[3], [[1, 2]]]}
    tests = read_tests({"input_output": spec})
    assert tests.kind == "call" and tests.fn_name == "add"
    assert tests.cases == (TestCase([1, 2], [3]), TestCase([[1], [2]], [[1, 2]]))


def test_livecodebench_functional_inputs_are_one_json_value_per_line():
    spec = {"fn_name": "maxSum", "inputs": ["[1, 2, 3]\n2"], "outputs": ["5"]}
    (case,) = read_tests({"input_output": spec}).cases
    assert case == TestCase([[1, 2, 3], 2], 5)


def test_open_r1_verification_info_with_its_language():
    info = {"language": "cpp", "test_cases": [{"input": "2\n", "output": "4\n", "type": "stdin_stdout"}]}
    tests = read_tests({"verification_info": info})
    assert (tests.kind, tests.language, tests.cases) == ("stdio", "cpp", (TestCase("2\n", "4\n"),))


def test_plain_list_of_input_output_pairs():
    tests = read_tests({"tests": [{"input": "1", "output": "1"}, {"input": 2, "output": 4}]})
    assert tests.cases == (TestCase("1", "1"), TestCase("2", "4"))


def test_a_named_column_is_read_whatever_its_name():
    tests = read_tests({"cases": [{"input": "", "output": "hi"}], "test": HUMANEVAL_TEST}, column="cases")
    assert tests.kind == "stdio"


def test_the_first_known_column_with_a_value_wins():
    row = {"verification_info": None, "input_output": {"inputs": ["1"], "outputs": ["1"]}, "test_list": ["assert 1"]}
    assert read_tests(row).kind == "stdio"


@pytest.mark.parametrize(
    "row, message",
    [
        ({}, "none of the test columns"),
        ({"input_output": "not json"}, "not JSON"),
        ({"input_output": {"inputs": ["1"], "outputs": []}}, "same length"),
        ({"input_output": {"fn_name": "a b", "inputs": [[1]], "outputs": [1]}}, "not a function name"),
        ({"verification_info": {"language": "rust", "test_cases": []}}, "not supported"),
        ({"verification_info": {"test_cases": [{"input": "", "output": "", "type": "function_call"}]}}, "not supported"),
        ({"tests": [{"input": "1"}]}, "'input' and 'output'"),
        ({"tests": 3}, "not a known test format"),
    ],
)
def test_tests_that_cannot_be_read_say_why(row, message):
    with pytest.raises(BadTests, match=message):
        read_tests(row)
