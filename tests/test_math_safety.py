"""No model text reaches eval/exec/sympify/parse_expr: live payloads through every extraction path.

Every payload creates a marker file if anything evaluates it. A control test proves the payloads
are live (plain ``sympy.sympify`` does create the file); then each payload is put where each
extractor finds it, as the completion and as the gold answer, on the numeral fast path and the
sympy path, and the marker must never appear.
"""

import subprocess
import sys

import pytest

from rewardkit.plugins.math.rewards import DEFAULT_EXTRACTORS, MathCorrectness
from rewardkit.plugins.math.verifier import verify_answers
from rewardkit.pool import TimeLimitedPool

PAYLOADS = [
    "__import__('pathlib').Path('{m}').touch()",
    '__import__("os").system("touch {m}")',
    "exec(\"import pathlib; pathlib.Path('{m}').touch()\")",
    "eval('__import__(\"pathlib\").Path(\"{m}\").touch()')",
    "open('{m}', 'w').write('x')",
    "(lambda: __import__('pathlib').Path('{m}').touch())()",
    "1 + __import__('pathlib').Path('{m}').touch() + 1",
    "Function('f')(__import__('pathlib').Path('{m}').touch())",
    "import os; os.system('touch {m}')",
    "\\text{__import__('pathlib').Path('{m}').touch()}",
    "\\operatorname{__import__}('pathlib').Path('{m}').touch()",
    "x = __import__('pathlib').Path('{m}').touch()",
]

# Where each extractor finds its answer.
PLACEMENTS = {
    "answer_tag": "<reasoning>\nr\n</reasoning>\n<answer>\n{p}\n</answer>",
    "boxed": "so \\boxed{{p}}",
    "gsm8k": "work\n#### {p}",
    "answer_is": "The answer is {p}",
    "last_number": "{p} and 7",
    "dollars": "the answer is ${p}$.",
    "prose": "<answer>the result of running {p} is what we want here</answer>",
}
GOLDS = {"numeral": "42", "latex": "\\frac{\\pi}{2}"}


def fill(template: str, **values: object) -> str:
    """``str.format`` for templates full of LaTeX braces: replaces only ``{name}``."""
    for key, value in values.items():
        template = template.replace("{" + key + "}", str(value))
    return template


@pytest.fixture
def marker(tmp_path):
    path = tmp_path / "pwned"
    yield path
    assert not path.exists(), "a payload was evaluated"


def test_the_payloads_are_live_when_evaluated(tmp_path):
    """Control: handed to sympy.sympify (eval underneath), the first payload creates its file."""
    marker = tmp_path / "pwned"
    code = f"import sympy\ntry:\n    sympy.sympify({fill(PAYLOADS[0], m=marker)!r})\nexcept Exception:\n    pass\n"
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
    assert marker.exists()


@pytest.mark.parametrize("extractor", list(PLACEMENTS))
def test_payloads_in_completions_are_never_evaluated(extractor, marker):
    extractors = DEFAULT_EXTRACTORS if extractor in ("dollars", "prose") else [extractor]
    reward = MathCorrectness(extractors=extractors, cache_size=0)
    completions = [fill(PLACEMENTS[extractor], p=fill(p, m=marker)) for p in PAYLOADS]
    for gold in GOLDS.values():
        scores = reward(completions, answer=[gold] * len(completions))
        assert scores == [0.0] * len(completions)


@pytest.mark.parametrize("gold_form", ["#### {p}", "\\boxed{{p}}", "{p}"], ids=["gsm8k", "boxed", "whole"])
def test_payloads_in_gold_answers_are_never_evaluated(gold_form, marker):
    golds = [fill(gold_form, p=fill(p, m=marker)) for p in PAYLOADS]
    for completion in ("\\boxed{42}", "\\boxed{\\frac{\\pi}{2}}"):
        scores = MathCorrectness(cache_size=0)([completion] * len(golds), answer=golds)
        assert all(s in (0.0, None) for s in scores)


def test_payloads_on_both_sides_of_verify_answer_are_never_evaluated(marker):
    payloads = [fill(p, m=marker) for p in PAYLOADS]
    results = verify_answers([(p, p) for p in payloads] + [("x", p) for p in payloads])
    assert True not in results[len(payloads):]  # no payload verifies as the answer x


def sympify_in_worker(text):
    import sympy

    return str(sympy.sympify(text))


def test_the_worker_guard_refuses_to_parse_expr_model_text(marker):
    """Defence in depth: inside a verification worker even a direct sympify of text is refused."""
    from rewardkit.plugins.math.verifier import WORKER_MODULE

    with TimeLimitedPool(1, preload=[WORKER_MODULE]) as pool:
        outcomes = pool.map(sympify_in_worker, [(fill(p, m=marker),) for p in PAYLOADS[:8]], timeout=5)
        assert all(o.error and o.error.startswith("UnsafeParseError") for o in outcomes), outcomes
        # Number literals and names still parse (sympy's own number handling needs them).
        assert [o.value for o in pool.map(sympify_in_worker, [("12.5",), ("x",)], timeout=5)] == ["12.5000000000000", "x"]


def test_sympy_runs_in_the_workers_never_in_the_callers_process():
    code = (
        "import sys\n"
        "from rewardkit import verify_answer\n"
        "assert verify_answer(r'\\frac{\\pi}{2}', r'\\dfrac{\\pi}{2}') is True\n"
        "assert 'sympy' not in sys.modules and 'math_verify' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=180)


# -- the floor: math-verify's default extraction (LaTeX and expressions) over whole completions ----


@pytest.mark.parametrize("gold", list(GOLDS.values()))
def test_payloads_where_the_floor_reads_the_whole_completion_are_never_evaluated(gold, marker):
    """Completions where rewardkit finds no marked answer: math-verify's own extraction, whose
    expression path hands ``1 + 2``-like text to parse_expr, reads each of them in a worker."""
    completions = [f"we tried {fill(p, m=marker)} and then 1 + 2 and (3 - 1)/2 * 4" for p in PAYLOADS]
    completions += [fill(p, m=marker) + " so that is it" for p in PAYLOADS]
    out = MathCorrectness(cache_size=0).evaluate(completions, answer=[gold] * len(completions))
    assert out.scores == [0.0] * len(completions)
    assert all(e in (None, "last_number", "last_latex") for e in out.extra["extractor"])  # the floor ran


def floor_in_worker(gold, completion):
    from rewardkit.plugins.math.symbolic import floor

    return floor(gold, completion)


def test_the_floor_reads_plain_arithmetic_through_the_guard():
    """math-verify's expression extraction (``(3 - 1)/4``) works in the workers, through the guard."""
    from rewardkit.plugins.math.verifier import WORKER_MODULE

    with TimeLimitedPool(1, preload=[WORKER_MODULE]) as pool:
        outcomes = pool.map(floor_in_worker, [("1/2", "so it is (3 - 1)/4"), ("1/3", "so it is (3 - 1)/4")], timeout=30)
    assert [o.value for o in outcomes] == [True, False]


ARITHMETIC = ["1/2", "2-3", "-3+4", "2**3", "1.5*2", "(1+2)*3", "-(2)", "1 - -2", "2**-1", "0.1*3", "10/4",
              "2*3/4", "(1/2)/(3/4)", "1.", ".5", " 7 ", "12.50", "x", "pi", "E", "1e5"]  # fmt: skip


@pytest.mark.parametrize("evaluate", [True, False])
def test_the_guard_builds_what_parse_expr_builds_without_eval(evaluate):
    """Text the guard accepts is turned into sympy's own code and interpreted node by node: the
    objects are parse_expr's, exactly (so math-verify's verdicts do not change)."""
    from sympy import srepr
    from sympy.parsing.sympy_parser import parse_expr

    from rewardkit.plugins.math.symbolic import _guarded_parse_expr

    for text in ARITHMETIC:
        assert srepr(_guarded_parse_expr(text, evaluate=evaluate)) == srepr(parse_expr(text, evaluate=evaluate)), text


@pytest.mark.parametrize("text", ["(1)(2)", "2(3)", "1_000", "x*y", "(x)", "1 + x", "__import__", "a.b", "[1]", "1;2"])
def test_the_guard_refuses_what_is_not_a_literal_a_name_or_arithmetic(text):
    from rewardkit.plugins.math.symbolic import UnsafeParseError, _guarded_parse_expr

    with pytest.raises(UnsafeParseError):
        _guarded_parse_expr(text)
