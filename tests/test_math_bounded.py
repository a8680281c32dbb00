"""math_correctness stays bounded: pathological answers, timeouts from threads and event loops."""

import asyncio
import random
import threading
import tracemalloc

import pytest
from _hostile import power_towers

from rewardkit.plugins.math import MathCorrectness

TOWER = r"\boxed{9^{9^{9^{9^9}}}}"

PATHOLOGICAL = {
    # name: (completion, expected verdict)
    "power tower": (f"so the answer is {TOWER}", "timeout"),
    "another tower": (r"\boxed{10^{10^{10^{10}}}}", "timeout"),
    "1000 nested brackets": ("\\boxed{" + "(" * 1000 + "1" + ")" * 1000 + "}", "refused"),
    "1 MB boxed": ("\\boxed{" + "1" * 1_000_000 + "}", "refused"),
    "1 MB of prose": ("all work and no play " * 50_000, "no_answer"),
    "binary junk": (bytes(random.Random(0).randrange(256) for _ in range(4096)).decode("latin-1"), None),
    "lone backslashes": ("\\" * 999 + " \\boxed{\\}", None),
    "unclosed boxed": ("the answer is \\boxed{", None),
}


def _normal_cases():
    """56 ordinary completions: numerals and LaTeX, right and wrong, with their expected scores."""
    cases = []
    for i in range(14):
        n = 37 * i + 5
        cases += [
            (f"<answer>\n{n:,}\n</answer>", f"#### {n:,}", 1.0),
            (f"The answer is ${n}.00.", str(n), 1.0),
            (f"\\boxed{{\\frac{{{n}}}{{{n + 1}}}}}", f"\\frac{{{2 * n}}}{{{2 * n + 2}}}", 1.0),
            (f"\\boxed{{\\sqrt{{{n}}} + {i}}}", f"{i} + \\sqrt{{{n}}}", 1.0) if i % 2 else
            (f"\\boxed{{{n + 1}}}", str(n), 0.0),
        ]
    return cases


def test_pathological_answers_are_each_scored_wrong_with_the_right_reason():
    reward = MathCorrectness()
    names = list(PATHOLOGICAL)
    out = reward.evaluate([PATHOLOGICAL[n][0] for n in names], answer=["42"] * len(names))
    assert out.scores == [0.0] * len(names)
    for name, verdict in zip(names, out.extra["verdict"]):
        expected = PATHOLOGICAL[name][1]
        if expected is not None:
            assert verdict == expected, name
    assert out.metrics["timeouts"] == 2


def test_a_batch_with_pathological_answers_from_a_thread_scores_the_rest_correctly():
    """The issue's scenario: 64 completions, 8 pathological, scored from a non-main thread.

    Behaviour only (wall-clock lives in bench/math_bench.py): every normal completion gets its
    right score, the pathological ones are wrong, and exactly the two power towers time out.
    """
    normal = _normal_cases()
    assert len(normal) == 56
    rows = [(c, g, s) for c, g, s in normal] + [(c, "42", 0.0) for c, _ in PATHOLOGICAL.values()]
    random.Random(1).shuffle(rows)
    reward = MathCorrectness(workers=2, timeout=1.0)
    result = {}

    def score():
        result["out"] = reward.evaluate([r[0] for r in rows], answer=[r[1] for r in rows])

    thread = threading.Thread(target=score)
    thread.start()
    thread.join(timeout=120)
    assert not thread.is_alive()
    out = result["out"]
    wrong = [(r[0][:40], r[1], r[2], got) for r, got in zip(rows, out.scores) if got != r[2]]
    assert not wrong
    assert out.metrics["timeouts"] == 2
    assert out.errors == []


def test_timeouts_hold_and_are_counted_when_called_from_a_thread():
    metrics = {}
    out = {}

    def call():
        out["scores"] = MathCorrectness()(
            [TOWER, "\\boxed{\\frac{\\pi}{2}}"],
            answer=["42", "\\frac{\\pi}{2}"],
            log_metric=lambda k, v: metrics.__setitem__(k, v),
        )

    thread = threading.Thread(target=call)
    thread.start()
    thread.join(timeout=60)
    assert out["scores"] == [0.0, 1.0]
    assert metrics["rewardkit/math_correctness/timeouts"] == 1.0


def test_timeouts_hold_in_trls_async_reward_path():
    """TRL runs async reward functions on an event loop in a daemon thread; an async wrapper that
    calls the reward directly, or through asyncio.to_thread, keeps the hard limit."""
    reward = MathCorrectness()
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()

    async def direct(completions, **kwargs):
        return reward(completions, **kwargs)

    async def in_thread(completions, **kwargs):
        return await asyncio.to_thread(reward, completions, **kwargs)

    async def both():
        batch = {"completions": [TOWER, "\\boxed{(1, 2]}"], "answer": ["42", "(1,2]"]}
        return await asyncio.gather(direct(**batch), in_thread(**batch))

    try:
        results = asyncio.run_coroutine_threadsafe(both(), loop).result(timeout=60)
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
    assert results == [[0.0, 1.0], [0.0, 1.0]]


@pytest.mark.parametrize(
    "unit",
    ["\\boxed{1", "\\boxed{1}", "\\boxed{12}, ", "$1$ ", "$1$ and ", "<answer>1 ", "The answer is 1. ", "{"],
    ids=["unclosed-boxes", "boxes", "joined-boxes", "math-spans", "joined-spans", "tags", "answers", "braces"],
)
def test_a_huge_completion_costs_a_small_multiple_of_its_size_in_memory(unit):
    """The issue's case: a megabyte of ``\\boxed{1`` once cost 25 times its size (a tuple per box)."""
    reward = MathCorrectness(start_workers=False)
    reward(["\\boxed{1}"], answer=["1"])  # imports and caches first
    completion = unit * (1_000_000 // len(unit))
    tracemalloc.start()
    try:
        reward([completion], answer=["1"])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 4 * len(completion)


@pytest.mark.parametrize("name", list(PATHOLOGICAL))
def test_pathological_gold_answers_give_none_or_a_verdict_never_a_crash(name):
    completion = PATHOLOGICAL[name][0]
    scores = MathCorrectness()(["\\boxed{42}"], answer=[completion])
    assert scores[0] in (None, 0.0)


def test_a_batch_of_slow_answers_is_bounded_by_the_deadline():
    """n distinct answers that each run to the limit would hold the pool for n x timeout / workers;
    with a deadline the pool spends at most that on the batch. Work is counted, not timed: at
    most workers x ceil(deadline / timeout) verifications run to their own limit (scored wrong:
    the completion wrote them), the rest are cut by the deadline (None, counted as
    deadline_missed, as in every family), and the pool then verifies the next batch."""
    towers = power_towers(12)
    reward = MathCorrectness(workers=2, timeout=1.0, deadline=1.5)
    out = reward.evaluate(towers, answer=["42"] * len(towers))
    missed = out.metrics["deadline_missed"]
    assert out.metrics["timeouts"] <= 2 * 2 and out.metrics["timeouts"] + missed == len(towers)
    assert sorted(out.scores, key=str) == [0.0] * int(out.metrics["timeouts"]) + [None] * int(missed)
    assert [v for v, s in zip(out.extra["verdict"], out.scores) if s is None] == ["deadline_missed"] * int(missed)
    assert reward(["\\boxed{\\frac{\\pi}{2}}"], answer=["\\frac{\\pi}{2}"]) == [1.0]
