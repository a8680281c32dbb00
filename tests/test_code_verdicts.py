"""A verdict the program cannot forge: wrong programs that attack the harness score 0, never 1 or None.

Each program of ``_hostile.HARNESS_ATTACKS`` defines a wrong ``add`` and attacks what judges it
(builtins, the serializer, the reply descriptor, ``__eq__``, exits, other processes). They run
against the same tests written in every format the datasets use (``_hostile.ADD_TESTS``), on the
local sandbox, without it, through a service's driver and through ``rewardkit score``; beside
them the right program scores 1, so the tests can pass. Every harness attack is named in the
sample's ``harness_attack`` detail.
"""

from __future__ import annotations

import json

import pytest

from _code import fenced, require_local_sandbox
from _hostile import ADD_TESTS, HARNESS_ATTACKS, RIGHT_ADD
from rewardkit import get_reward
from rewardkit.cli import main
from rewardkit.diagnostics import diagnose, load

LIMITS = {"timeout": 5.0, "problem_timeout": 120.0}  # time enough on a loaded machine for each attack to run


@pytest.fixture(scope="module", autouse=True)
def local_sandbox():
    require_local_sandbox()


def attacks(sandboxed: bool) -> list[str]:
    return [name for name, (_, _, needs_sandbox) in HARNESS_ATTACKS.items() if sandboxed or not needs_sandbox]


def score_all(names: list[str], columns: dict, **params):
    programs = [RIGHT_ADD] + [HARNESS_ATTACKS[n][0] for n in names]
    reward = get_reward("code_passed", limits=LIMITS, concurrency=2, **params)
    return reward.evaluate([fenced(p) for p in programs], **{k: [v] * len(programs) for k, v in columns.items()})


def assert_forged_nothing(out, names: list[str]) -> None:
    assert out.scores[0] == 1.0, out.extra.get("first_failure", [None])[0]
    got = dict(zip(names, out.scores[1:]))
    assert got == dict.fromkeys(names, 0.0)
    flagged = out.extra.get("harness_attack", [None] * len(out.scores))[1:]
    for name, detail, failure in zip(names, flagged, out.extra["first_failure"][1:]):
        expected = HARNESS_ATTACKS[name][1]
        if expected is not None:
            assert detail is not None and expected in detail, (name, detail, failure)
    assert out.metrics["sandbox_error"] == 0


@pytest.mark.parametrize("form", sorted(ADD_TESTS))
def test_no_attack_on_the_harness_passes_a_test_in_the_sandbox(form):
    names = attacks(sandboxed=True)
    assert_forged_nothing(score_all(names, ADD_TESTS[form]), names)


@pytest.mark.parametrize("form", ["humaneval", "mbpp", "call"])
def test_no_attack_on_the_harness_passes_a_test_without_the_sandbox(form):
    names = attacks(sandboxed=False)
    assert_forged_nothing(score_all(names, ADD_TESTS[form], sandbox="unsafe_local"), names)


def test_no_attack_on_the_harness_passes_a_test_run_by_a_service():
    pytest.importorskip("httpx", reason="pip install 'rewardkit[code]'")
    from _code_services import FakeSandboxFusion

    server = FakeSandboxFusion()
    try:
        names = attacks(sandboxed=False)
        options = {"url": server.url, "max_retries": 0, "timeout": 30.0}
        for form in ("humaneval", "mbpp", "call"):
            out = score_all(names, ADD_TESTS[form], sandbox="sandbox_fusion", sandbox_options=options)
            assert_forged_nothing(out, names)
    finally:
        server.close()


def test_no_attack_passes_through_rewardkit_score(tmp_path):
    names = attacks(sandboxed=True)
    config = tmp_path / "code.yaml"
    config.write_text("rewards:\n  - name: code_passed\n    params: {limits: {timeout: 2.0}}\n")
    data = tmp_path / "rows.jsonl"
    rows = [{"completion": fenced(p), **ADD_TESTS["humaneval"]} for p in [RIGHT_ADD] + [HARNESS_ATTACKS[n][0] for n in names]]
    data.write_text("".join(json.dumps(row) + "\n" for row in rows))
    out = tmp_path / "scored.jsonl"
    assert main(["score", str(config), str(data), "--out", str(out)]) == 0
    scored = [json.loads(line)["rewardkit"] for line in out.read_text().splitlines()]
    assert [row["total"] for row in scored] == [1.0] + [0.0] * len(names)
    flagged = [row["extra"]["code_passed"].get("harness_attack") for row in scored]
    assert flagged[0] is None and sum(f is not None for f in flagged) >= 8
    # rewardkit diagnose lists each flagged row as a suspect, and not the right program
    suspects = diagnose(load(out), second_opinion=False)["suspects"]["all"]
    attacking = {s["row"] for s in suspects if "harness_attack" in s["kinds"]}
    assert attacking == {i for i, f in enumerate(flagged) if f is not None}


def test_fake_replies_and_a_request_never_read_score_0_and_the_session_goes_on():
    # it writes replies before any request came and never reads the (large) request: the old
    # runner crashed (KeyError: FD ... is already registered) and the sample scored None
    program = "import os, time\nos.write(4, b'{\"ok\": true}\\n' * 50)\ntime.sleep(30)\n" + "def add(a):\n    return 0\n"
    tests = [f"assert add('{'x' * 300_000}') == 5", "assert add(1) == 2", "assert add(1) == 3"]
    reward = get_reward("code_pass_rate", concurrency=1, limits={"timeout": 1.0, "problem_timeout": 30.0})
    right = "def add(a):\n    return 2 if a == 1 else 5\n"
    out = reward.evaluate([fenced(program), fenced(right)], test_list=[tests, tests[:2]])
    assert out.scores == [0.0, 1.0]
    assert "reply channel" in out.extra["harness_attack"][0]


def test_a_program_that_redefines_the_helper_a_humaneval_test_checks_with_fails():
    # HumanEval/32's test checks find_zero with poly, which the prompt defines: the checker uses the prompt's
    prompt = "import math\n\n\ndef poly(xs: list, x: float):\n    return sum([c * math.pow(x, i) for i, c in enumerate(xs)])\n\n\ndef find_zero(xs: list):\n    \"\"\"a zero of poly\"\"\"\n"
    test = "def check(candidate):\n    for xs in ([1, 2], [-6, 11, -6, 1], [-1, 0, 0, 1]):\n        assert abs(poly(xs, candidate(xs))) < 1e-4\n"
    right = prompt + "    lo, hi = -100.0, 100.0\n    while poly(xs, lo) * poly(xs, hi) > 0:\n        hi *= 2\n" \
        "    for _ in range(200):\n        mid = (lo + hi) / 2\n        if poly(xs, lo) * poly(xs, mid) <= 0:\n            hi = mid\n" \
        "        else:\n            lo = mid\n    return lo\n"
    cheat = "def poly(xs, x):\n    return 0.0\n\n\ndef find_zero(xs):\n    return 12345.0\n"
    reward = get_reward("code_passed", limits=LIMITS)
    out = reward.evaluate([fenced(right), fenced(cheat)], test=[test] * 2, entry_point=["find_zero"] * 2, prompt=[prompt] * 2)
    assert out.scores == [1.0, 0.0]


def test_a_test_that_needs_the_programs_objects_runs_inside_it_and_is_marked_unchecked():
    tests = [
        "assert add(2, 3) == 5",  # checked outside
        "class Box:\n    def __init__(self, v):\n        self.v = v\nassert add(Box(2), Box(3)) == 5",  # an object of the test's
    ]
    program = "def add(a, b):\n    return getattr(a, 'v', a) + getattr(b, 'v', b)\n"
    out = get_reward("code_pass_rate", limits=LIMITS).evaluate([fenced(program)], test_list=[tests])
    assert out.scores == [1.0]
    assert out.extra["unchecked"] == [1]
    assert out.metrics["unchecked_tests"] == 1


def test_a_test_expecting_the_programs_exception_catches_it():
    tests = ["try:\n    add(1, None)\n    assert False\nexcept TypeError:\n    pass", "assert add(1, 2) == 3"]
    out = get_reward("code_pass_rate", limits=LIMITS).evaluate([fenced("def add(a, b):\n    return a + b")], test_list=[tests])
    assert out.scores == [1.0]
    assert out.metrics["unchecked_tests"] == 0 and out.metrics["harness_attacks"] == 0


def test_a_function_that_changes_its_argument_in_place_is_seen_doing_so():
    tests = ["items = [3, 1, 2]\nsort_in_place(items)\nassert items == [1, 2, 3]", "d = {}\nfill(d)\nassert d == {'a': 1}"]
    right = "def sort_in_place(xs):\n    xs.sort()\n\ndef fill(d):\n    d['a'] = 1\n"
    wrong = "def sort_in_place(xs):\n    return sorted(xs)\n\ndef fill(d):\n    return {'a': 1}\n"
    out = get_reward("code_pass_rate", limits=LIMITS).evaluate([fenced(right), fenced(wrong)], test_list=[tests] * 2)
    assert out.scores == [1.0, 0.0]
    assert out.metrics["unchecked_tests"] == 0
