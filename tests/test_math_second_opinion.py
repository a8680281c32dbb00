"""math-verify's default parse/verify as a second opinion on math_correctness: its verdicts, bounded, off the caller."""

import subprocess
import sys

from rewardkit.plugins.math.second_opinion import second_opinion


def test_it_reads_the_whole_completion_as_math_verify_does_and_the_gold_as_the_reward_does():
    completions = [
        "<reasoning>\n3 + 2 = 5\n</reasoning>\n<answer>\n5\n</answer>",
        "The answer is $\\boxed{7}$.\n<answer>\n5\n</answer>",  # math-verify takes the boxed answer
        "so we get $\\frac{14}{3}$",
        "anything",
    ]
    golds = ["Tom has 5.\n#### 5", "5", "\\frac{28}{6}", None]
    assert second_opinion(completions, golds) == [True, False, True, None]


def test_a_check_that_runs_past_the_limit_has_no_opinion_and_the_caller_never_imports_math_verify():
    code = (
        "import sys\n"
        "from rewardkit.plugins.math.second_opinion import second_opinion\n"
        "print(second_opinion(['so \\\\boxed{9^{9^{9^{9^9}}}}', '\\\\boxed{4}'], ['4', '4'], timeout=1.0))\n"
        "print('math_verify' in sys.modules, 'sympy' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[:2] == ["[None, True]", "False False"]
