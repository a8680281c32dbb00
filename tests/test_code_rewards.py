"""code_pass_rate and code_passed against the real local sandbox: every test format, both languages,
the per-sample detail, unscorable rows, shared runs, the batch deadline, and the contract."""

from __future__ import annotations

import shutil

import psutil
import pytest

from _code import PlainProcesses, PlainProcessesPlugin, fenced, require_local_sandbox
from rewardkit import ParamsError, get_reward, load_composition
from rewardkit.errors import UnknownRewardError
from rewardkit.plugins.code.bubblewrap import SandboxUnavailable
from rewardkit.registry import Registry
from rewardkit.testing import check_reward_contract

pytestmark = pytest.mark.usefixtures("local_sandbox")

DOUBLE = {"inputs": ["2\n", "5\n", "-1\n"], "outputs": ["4\n", "10\n", "-2\n"]}
FAST = {"timeout": 2.0}


@pytest.fixture(scope="module")
def local_sandbox():
    require_local_sandbox()


def pass_rate(**params):
    return get_reward("code_pass_rate", **{"limits": FAST, **params})


def test_stdio_pass_rate_counts_the_tests_passed():
    right = fenced("print(int(input()) * 2)")
    positive_only = fenced("n = int(input())\nprint(n * 2 if n > 0 else 0)")
    out = pass_rate().evaluate([right, positive_only], input_output=[DOUBLE, DOUBLE])
    assert out.scores == [1.0, pytest.approx(2 / 3)]
    assert out.extra["passed"] == [3, 2] and out.extra["failed"] == [0, 1]
    assert out.extra["first_failure"][1] == "test 2 failed; input '-1\\n'; expected '-2\\n'; got '0\\n'"


def test_code_passed_is_one_only_when_every_test_passes():
    passed = get_reward("code_passed", limits=FAST)
    programs = [fenced("print(int(input()) * 2)"), fenced("n = int(input())\nprint(n * 2 if n > 0 else 0)")]
    assert passed(programs, input_output=[DOUBLE, DOUBLE]) == [1.0, 0.0]


def test_call_based_tests_taco_and_leetcode_style():
    spec = {"fn_name": "add", "inputs": [[1, 2], [[1], [2]]], "outputs": [[3], [[1, 2]]]}
    function = fenced("def add(a, b):\n    return a + b")
    method = fenced("class Solution:\n    def add(self, a, b):\n        return a + b")
    wrong = fenced("def add(a, b):\n    return b + a")
    out = pass_rate().evaluate([function, method, wrong], input_output=[spec] * 3)
    assert out.scores == [1.0, 1.0, 0.5]
    assert "test 1 failed; input '[[1], [2]]'; expected '[[1, 2]]'; got '[2, 1]'" == out.extra["first_failure"][2]


def test_a_value_that_only_pretends_to_be_equal_fails():
    spec = {"fn_name": "f", "inputs": [[1]], "outputs": [[5]]}
    always_equal = fenced("class Any(int):\n    def __eq__(self, other):\n        return True\ndef f(x):\n    return Any(0)")
    assert pass_rate()([always_equal], input_output=[spec]) == [0.0]


def test_livecodebench_functional_tests():
    spec = {"fn_name": "maxSum", "inputs": ["[1, 5, 3]\n2", "[4]\n1"], "outputs": ["8", "4"]}
    program = fenced("class Solution:\n    def maxSum(self, nums, k):\n        return sum(sorted(nums)[-k:])")
    assert pass_rate()([program], input_output=[spec]) == [1.0]


def test_mbpp_asserts_with_imports_give_partial_credit():
    tests = ["assert area(1) == math.pi", "assert area(2) == 4 * math.pi", "assert area(0) == 1"]
    program = fenced("def area(r):\n    return math.pi * r * r")
    out = pass_rate().evaluate([program], test_list=[tests], test_imports=[["import math"]])
    assert out.scores == [pytest.approx(2 / 3)]
    assert "test 2 failed; input 'assert area(0) == 1'; error 'AssertionError'" == out.extra["first_failure"][0]


@pytest.mark.skipif(shutil.which("g++") is None, reason="C++ programs need g++: apt-get install g++")
def test_cpp_programs_from_open_r1_verification_info():
    info = {"language": "cpp", "test_cases": [{"input": "3\n", "output": "9\n"}, {"input": "4\n", "output": "16\n"}]}
    square = fenced("#include <iostream>\nint main() { long n; std::cin >> n; std::cout << n * n << '\\n'; }", "cpp")
    broken = fenced("int main( {", "cpp")
    python = fenced("print(int(input()) ** 2)")
    out = pass_rate().evaluate([square, broken, python], verification_info=[info] * 3)
    assert out.scores == [1.0, 0.0, 0.0]
    assert "error" in out.extra["compile_error"][1]
    assert out.extra["error"][2] == "no fenced cpp block"
    assert out.metrics["compile_error"] == 1 and out.metrics["no_code"] == 1


def test_a_syntax_error_is_a_compile_error():
    out = pass_rate().evaluate([fenced("print(")], input_output=[DOUBLE])
    assert out.scores == [0.0]
    assert out.extra["compile_error"][0].startswith("SyntaxError")


def test_humaneval_style_test_code_runs_check_on_the_entry_point():
    test = "def check(candidate):\n    assert candidate(3) == 6\n    assert candidate(0) == 0\n"
    out = pass_rate().evaluate(
        [fenced("def double(x):\n    return 2 * x"), fenced("def double(x):\n    return x + 3")],
        test=[test, test], entry_point=["double", "double"],
    )  # fmt: skip
    assert out.scores == [1.0, 0.0]


def test_no_block_gives_the_no_code_score_and_is_counted():
    out = pass_rate(no_code_score=-0.5).evaluate(["print(1)", fenced("print(1)", "cpp")], input_output=[DOUBLE] * 2)
    assert out.scores == [-0.5, -0.5]
    assert out.metrics["no_code"] == 2


def test_an_untagged_block_and_the_first_block_when_asked():
    completion = "```\nprint(int(input()) * 2)\n```\n```python\nprint(0)\n```"
    assert pass_rate()([completion], input_output=[DOUBLE]) == [0.0]
    assert pass_rate(block="first", untagged=True)([completion], input_output=[DOUBLE]) == [1.0]


def test_rows_without_readable_tests_are_unscored_and_counted():
    out = pass_rate().evaluate([fenced("print(1)")] * 3, input_output=[None, {"inputs": [1], "outputs": []}, {"inputs": [], "outputs": []}])
    assert out.scores == [None, None, None]
    assert out.metrics["no_tests"] == 3
    assert "same length" in out.extra["error"][1]


def test_a_batch_without_any_test_column_is_a_configuration_error():
    from rewardkit.errors import MissingColumnError

    with pytest.raises(MissingColumnError, match="verification_info, input_output, test, test_list, tests"):
        pass_rate()([fenced("print(1)")])


def test_tests_column_takes_a_list_of_columns_tried_in_order():
    from rewardkit.errors import MissingColumnError

    reward = pass_rate(tests_column=["cases", "input_output"])
    program = fenced("print(int(input()) * 2)")
    cases = [{"input": "2", "output": "4"}]
    wrong = {"inputs": ["2"], "outputs": ["5"]}
    assert reward([program, program], cases=[cases, None], input_output=[wrong, DOUBLE]) == [1.0, 1.0]
    assert reward.required_columns() == ()  # each row may use any one of them
    with pytest.raises(MissingColumnError, match="columns cases, input_output "):
        reward([program], tests=[cases])


def test_float_tolerance_and_token_comparison_from_parameters():
    spec = {"inputs": [""], "outputs": ["0.333333 1"]}
    program = fenced("print(1 / 3)\nprint(1)")
    assert pass_rate()([program], input_output=[spec]) == [0.0]
    assert pass_rate(compare="tokens", float_tolerance=1e-5)([program], input_output=[spec]) == [1.0]


def test_a_program_that_passes_after_a_timeout_keeps_the_other_tests():
    program = fenced("n = int(input())\nwhile n < 0:\n    pass\nprint(n * 2)")
    out = pass_rate(limits={"timeout": 1.0}).evaluate([program], input_output=[DOUBLE])
    assert out.scores == [pytest.approx(2 / 3)]
    assert out.extra["timed_out"] == [1]
    assert out.extra["first_failure"][0].startswith("test 2 timeout")


def test_the_problem_time_limit_ends_the_remaining_tests():
    spec = {"inputs": ["1\n"] * 6, "outputs": ["1\n"] * 6}
    out = pass_rate(limits={"timeout": 1.0, "problem_timeout": 2.5}).evaluate([fenced("while True:\n    pass")], input_output=[spec])
    assert out.scores == [0.0]
    assert out.extra["timed_out"] == [6]


def test_the_batch_deadline_cancels_what_is_left_and_leaves_no_process():
    before = {p.pid for p in psutil.Process().children(recursive=True)}
    reward = get_reward("code_pass_rate", limits={"timeout": 30.0}, deadline=2.0, concurrency=2)
    out = reward.evaluate([fenced("print(int(input()) * 2)"), fenced("while True:\n    pass")], input_output=[DOUBLE] * 2)
    assert out.scores == [1.0, None]
    assert out.metrics["deadline_missed"] == 1
    left = {p.pid for p in psutil.Process().children(recursive=True)} - before
    assert not left


def test_two_rewards_and_repeated_programs_share_their_runs(reward_registry):
    reward_registry.register(PlainProcessesPlugin(), name="plain")
    PlainProcesses.runs = 0
    composition = load_composition(
        [
            {"name": "code_pass_rate", "params": {"sandbox": "plain_processes"}},
            {"name": "code_passed", "params": {"sandbox": "plain_processes"}},
        ]
    )
    same = fenced("print(int(input()) * 2)")
    scores = composition.score([same, same, fenced("print(0)")], input_output=[DOUBLE] * 3)
    assert scores.components["code_pass_rate"] == [1.0, 1.0, 0.0]
    assert scores.components["code_passed"] == [1.0, 1.0, 0.0]
    assert PlainProcesses.runs == 2 * len(DOUBLE["inputs"])  # two distinct programs, one run per test each


def test_a_users_sandbox_registers_through_the_hook_and_runs_every_test_kind(reward_registry):
    reward_registry.register(PlainProcessesPlugin(), name="plain")
    assert reward_registry.catalogue("sandbox")["plain_processes"].provider == "plain"
    reward = reward_registry.reward("code_pass_rate", {"sandbox": "plain_processes", "limits": FAST})
    call = {"fn_name": "add", "inputs": [[1, 2]], "outputs": [[3]]}
    asserts = ["assert add(1, 2) == 3", "assert add(1, 1) == 3"]
    add = fenced("def add(a, b):\n    print('noise')\n    return a + b")
    assert reward([add], input_output=[call]) == [1.0]
    assert reward([add], test_list=[asserts]) == [0.5]
    assert reward([fenced("import os\nos._exit(0)")], test_list=[asserts]) == [0.0]


def test_the_builtin_backends_are_registered():
    sandboxes = Registry(autoload=False).catalogue("sandbox")
    assert {"local", "unsafe_local", "sandbox_fusion", "piston"} <= set(sandboxes)
    assert sandboxes["local"].provider == "rewardkit.plugins.code"


def test_unsafe_local_scores_like_the_sandbox():
    programs = [fenced("print(int(input()) * 2)"), fenced("n = int(input())\nprint(n * 2 if n > 0 else 0)"), fenced("print(")]
    sandboxed = pass_rate()(programs, input_output=[DOUBLE] * 3)
    assert pass_rate(sandbox="unsafe_local")(programs, input_output=[DOUBLE] * 3) == sandboxed


def test_without_bubblewrap_the_local_sandbox_refuses_naming_the_package(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(SandboxUnavailable, match="apt-get install bubblewrap.*sandbox: unsafe_local"):
        get_reward("code_pass_rate")
    assert get_reward("code_pass_rate", sandbox="unsafe_local", limits=FAST)([fenced("print(4)")], input_output=[{"inputs": [""], "outputs": ["4"]}]) == [1.0]


def test_bad_sandbox_names_and_options_fail_when_the_reward_is_built():
    with pytest.raises(UnknownRewardError, match="unknown sandbox 'docker'; known: local, piston"):
        get_reward("code_pass_rate", sandbox="docker")
    with pytest.raises(ParamsError, match="code_pass_rate.*sandbox 'local': unknown option 'image'"):
        get_reward("code_pass_rate", sandbox_options={"image": "x"})
    with pytest.raises(ParamsError, match="sandbox 'sandbox_fusion': option 'url'"):
        get_reward("code_pass_rate", sandbox="sandbox_fusion")
    with pytest.raises(ParamsError, match=r"unknown parameter 'limits.time' \(known: timeout, wall_timeout, problem_timeout,"):
        get_reward("code_pass_rate", limits={"time": 3})


@pytest.mark.parametrize(
    "name, columns",
    [
        ("code_pass_rate", {"input_output": DOUBLE}),
        ("code_passed", {"test": "def check(c):\n    assert c(1) == 2\n", "entry_point": "double"}),
    ],
)
def test_the_code_rewards_keep_the_contract(name, columns):
    reward = Registry(autoload=False).reward(name, {"limits": FAST})
    assert "pickling" in check_reward_contract(reward, columns=columns)


def test_the_sandbox_changes_no_file_of_the_workdir_it_was_started_from(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "keep.txt").write_text("unchanged")
    writes = fenced("import os\nfor name in os.listdir('.'):\n    open(name, 'w').write('changed')\nopen('new.txt', 'w').write('x')\nprint(2 * int(input()))")
    assert pass_rate()([writes], input_output=[DOUBLE]) == [1.0]  # it may write in its own /tmp
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.txt"]
    assert (tmp_path / "keep.txt").read_text() == "unchanged"
