"""The reasoning_gym reward: reasoning-gym's own verdicts, through rows that travelled, and never running an answer as code.

Every expected score is reasoning-gym's: its dataset's ``score_answer`` called directly on the
item it generated (``reference``), on the answer its own ``extract_answer`` reads. The reward
gets the same item as a row (``answer`` and ``metadata``, a dict or its JSON text) and scores it
in its worker processes. bench/reasoning_gym_bench.py runs this comparison over every family.
"""

from __future__ import annotations

import doctest
import json
import logging
import subprocess
import sys
from decimal import Decimal

import pytest

reasoning_gym = pytest.importorskip("reasoning_gym")
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from reasoning_gym.utils import extract_answer  # noqa: E402

from rewardkit.errors import ParamsError  # noqa: E402
from rewardkit.plugins.reasoning_gym.extractors import closed_answer_tag, last_line  # noqa: E402
from rewardkit.plugins.reasoning_gym.families import EVALUATES, FORGEABLE  # noqa: E402
from rewardkit.registry import get_reward  # noqa: E402

# One family of each kind of verifier: exact match, partial credit, tolerance, tuples in metadata,
# sympy, eval of the answer, simulation of moves, config-dependent.
FAMILIES = [
    "leg_counting", "letter_jumble", "word_sorting", "decimal_arithmetic", "arc_agi", "countdown",
    "simple_integration", "binary_matrix", "tower_of_hanoi", "knights_knaves", "sudoku", "time_intervals",
]  # fmt: skip


# Time limits no loaded machine reaches: these tests check verdicts, not speed (the test of the
# time limit sets its own).
RELAXED = {"timeout": 600.0, "deadline": None}


@pytest.fixture(scope="module")
def reward():
    return get_reward("reasoning_gym", RELAXED)


def items(name: str, n: int = 4, seed: int = 7, **config):
    dataset = reasoning_gym.create_dataset(name, size=n, seed=seed, **config)
    return dataset, [dataset[i] for i in range(n)]


def reference(dataset, item, completion: str) -> float:
    """What reasoning-gym gives: its extract_answer, then the generating dataset's score_answer."""
    return dataset.score_answer(extract_answer(completion), item)


def wrap(answer: object) -> str:
    return f"<think>working</think>\n<answer>{answer}</answer>"


def columns(batch, form: str = "json"):
    metadata = [json.dumps(e["metadata"]) if form == "json" else e["metadata"] for e in batch]
    return {"answer": [e["answer"] for e in batch], "metadata": metadata}


@pytest.mark.parametrize("form", ["json", "dict"])
@pytest.mark.parametrize("family", FAMILIES)
def test_oracle_and_wrong_answers_score_as_reasoning_gym_scores_them(reward, family, form):
    dataset, batch = items(family)
    completions = [wrap(e["answer"]) for e in batch] + [wrap(f"{e['answer']}x") for e in batch]
    batch2 = batch + batch
    out = reward.evaluate(completions, **columns(batch2, form))
    expected = [reference(dataset, e, c) for e, c in zip(batch2, completions)]
    assert out.scores == pytest.approx(expected)
    assert out.errors == []
    assert out.extra["task"] == [family] * len(batch2)


def test_partial_credit_is_reasoning_gyms(reward):
    dataset, batch = items("word_sorting", n=6)
    answers = [", ".join(reversed(e["metadata"]["sorted_words"])) for e in batch]
    out = reward.evaluate([wrap(a) for a in answers], **columns(batch))
    expected = [reference(dataset, e, wrap(a)) for e, a in zip(batch, answers)]
    assert out.scores == pytest.approx(expected)
    assert any(0 < s < 1 for s in out.scores)


def test_arc_grids_after_json_still_match_as_tuples(reward):
    """arc_agi compares tuples of tuples; JSON makes them lists, which the reward turns back."""
    dataset, batch = items("arc_agi", n=2)
    round_tripped = [json.loads(json.dumps(e["metadata"])) for e in batch]
    assert dataset.score_answer(batch[0]["answer"], {**batch[0], "metadata": round_tripped[0]}) != 1.0
    out = reward.evaluate([wrap(e["answer"]) for e in batch], answer=[e["answer"] for e in batch], metadata=round_tripped)
    assert out.scores == [1.0, 1.0]


def test_items_generated_with_other_settings_are_scored_with_them(reward):
    """decimal_arithmetic's tolerance is one unit of its max_num_decimal_places: 0.05 off passes at
    one place, fails at the default three."""
    settings = {"min_num_decimal_places": 1, "max_num_decimal_places": 1}
    dataset, batch = items("decimal_arithmetic", n=4, **settings)
    plain = columns(batch)
    completions = [wrap(Decimal(e["answer"]) + Decimal("0.05")) for e in batch]
    expected = [reference(dataset, e, c) for e, c in zip(batch, completions)]
    assert expected == [1.0] * 4
    assert reward(completions, **plain) == [0.0] * 4  # the default verifier
    carried = [json.dumps({**e["metadata"], "rewardkit_config": settings}) for e in batch]
    assert reward(completions, answer=plain["answer"], metadata=carried) == expected
    given = get_reward("reasoning_gym", {"configs": {"decimal_arithmetic": settings}, **RELAXED})
    assert given(completions, **plain) == expected


@pytest.mark.parametrize(
    "metadata, counted",
    [
        ("not json", "unreadable_metadata"),
        (42, "unreadable_metadata"),
        ({"source_index": 0}, "unreadable_metadata"),
        ('{"source_dataset": "no_such_task"}', "unknown_task"),
        ('{"source_dataset": "composite"}', "unknown_task"),
        ('{"source_dataset": "puzzle24", "rewardkit_config": {"no_such_setting": 1}}', "bad_settings"),
    ],
)
def test_a_row_that_names_no_scorable_task_is_skipped_and_counted(reward, metadata, counted):
    out = reward.evaluate([wrap("1")], answer=["1"], metadata=[metadata])
    assert out.scores == [None]
    assert out.metrics[counted] == 1


def test_a_verifier_that_raises_gives_the_error_score_and_the_message(reward):
    """tower_of_hanoi reads metadata['num_disks'] outside any try: a row without it raises there."""
    out = reward.evaluate([wrap("Move disk 1 from Peg 1 to Peg 3")], answer=["x"], metadata=['{"source_dataset": "tower_of_hanoi"}'])
    assert out.scores == [0.0]
    assert "KeyError" in out.errors[0][1]


@pytest.mark.parametrize("verdict", [float("nan"), float("inf"), True, "1.0", None, [1.0]])
def test_a_verdict_that_is_no_finite_number_is_an_error(monkeypatch, verdict):
    """The scoring side, run here on a task of the test's own whose verifier returns ``verdict``:
    no score is read from it (it raises, so the reward gives the error score and the message)."""
    from reasoning_gym.arithmetic.leg_counting import LegCountingConfig, LegCountingDataset
    from reasoning_gym.factory import DATASETS

    from rewardkit.plugins.reasoning_gym import scoring

    class Misjudging(LegCountingDataset):
        def score_answer(self, answer, entry):
            return verdict

    task = f"misjudging_{type(verdict).__name__}_{verdict!r}"  # each its own verifier (they are kept by task)
    monkeypatch.setitem(DATASETS, task, (Misjudging, LegCountingConfig))
    with pytest.raises(ValueError, match="not a finite number"):
        scoring.score(task, scoring.DEFAULTS, "1", "1", {})


def test_a_verdict_of_another_number_type_is_its_float():
    """polynomial_equations gives the int 0 to no answer, codeio numpy.float64 to a JSON one."""
    from rewardkit.plugins.reasoning_gym import scoring

    assert scoring.score("polynomial_equations", scoring.DEFAULTS, None, "1.5", {}) == ("ok", 0.0, 0)
    gold = '{"result": [1, 2, 3]}'
    verdict = reasoning_gym.create_dataset("codeio", size=1, seed=1).score_answer('{"result": [1, 2, 4]}', {"answer": gold})
    status, number, _ = scoring.score("codeio", scoring.DEFAULTS, '{"result": [1, 2, 4]}', gold, {})
    assert (status, number, type(number)) == ("ok", float(verdict), float)


def test_no_answer_is_scored_by_the_verifier_as_none(reward):
    """countdown gives 0.01 to a missing answer, leg_counting 0.0: reasoning-gym's choice either way."""
    for family in ("countdown", "leg_counting"):
        dataset, batch = items(family, n=1)
        out = reward.evaluate(["no tags at all", "<answer>cut off"], **columns(batch * 2))
        assert out.scores == [dataset.score_answer(None, batch[0])] * 2
        assert out.metrics["no_answer"] == 2


def test_too_long_answers_are_no_answer(reward):
    dataset, batch = items("leg_counting", n=1)
    small = get_reward("reasoning_gym", {"max_answer_chars": 5, **RELAXED})
    out = small.evaluate([wrap("1" * 6)], **columns(batch))
    assert out.scores == [dataset.score_answer(None, batch[0])]
    assert out.metrics["too_long"] == 1


def test_extractors_are_selectable(reward):
    dataset, batch = items("leg_counting", n=1)
    gold = batch[0]["answer"]
    boxed = get_reward("reasoning_gym", {"extractors": ["boxed", "last_line"], **RELAXED})
    out = boxed.evaluate([f"so \\boxed{{{gold}}}", f"work\n{gold}\n"], **columns(batch * 2))
    assert out.scores == [1.0, 1.0]
    assert out.extra["extractor"] == ["boxed", "last_line"]
    with pytest.raises(ParamsError, match="unknown extractor"):
        get_reward("reasoning_gym", {"extractors": ["nope"]})


TAG_TEXT = st.lists(st.sampled_from(["<answer>", "</answer>", " ", "\n", "a", "42", "<answer", "answer>"]), max_size=12)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(TAG_TEXT.map("".join))
def test_closed_answer_tag_reads_what_reasoning_gyms_extract_answer_reads(text):
    assert closed_answer_tag(text) == extract_answer(text)


def test_last_line():
    assert last_line("a\n b \n\n") == "b"
    assert last_line(" \n\n") is None


def test_docstring_examples():
    from rewardkit.plugins.reasoning_gym import extractors

    result = doctest.testmod(extractors)
    assert result.attempted > 0 and result.failed == 0


def test_the_cache_returns_the_same_scores(reward):
    dataset, batch = items("letter_jumble", n=3)
    completions = [wrap(e["answer"][::-1]) for e in batch]
    first = reward.evaluate(completions, **columns(batch))
    again = reward.evaluate(completions, **columns(batch))
    assert again.scores == first.scores
    assert again.metrics["cache"] == 3


def test_forgeable_families_score_as_reasoning_gym_and_warn(reward, caplog):
    """game_of_life_halting gives 1.0 to any non-empty answer: kept (its score), and said."""
    from rewardkit.plugins.reasoning_gym import reward as module

    module._warned.discard("game_of_life_halting")
    dataset, batch = items("game_of_life_halting", n=2)
    wrong = ["True" if e["answer"] == "False" else "False" for e in batch]
    with caplog.at_level(logging.WARNING):
        out = reward.evaluate([wrap(w) for w in wrong], **columns(batch))
    assert out.scores == [reference(dataset, e, wrap(w)) for e, w in zip(batch, wrong)] == [1.0, 1.0]
    assert "game_of_life_halting" in FORGEABLE and "leave the task out of training" in caplog.text


# -- answers that are code ---------------------------------------------------------------------------

PAYLOADS = [
    "__import__('pathlib').Path('{m}').touch()",
    "[__import__('pathlib').Path('{m}').touch()]",
    "exec(\"import pathlib; pathlib.Path('{m}').touch()\")",
    "(lambda: __import__('pathlib').Path('{m}').touch())()",
    "open('{m}', 'w').write('x')",
    "Symbol('x').__class__.__init__.__globals__['__builtins__']['__import__']('pathlib').Path('{m}').touch()",
    "[c for c in ().__class__.__base__.__subclasses__()]",
]
ANSWER_EVALUATING = sorted(f for f, how in EVALUATES.items() if "(answer)" in how)


def test_the_payloads_are_live_in_reasoning_gyms_own_verifiers(tmp_path):
    """Control: called as reasoning-gym ships them, each answer-evaluating verifier runs the first payload."""
    for family in ANSWER_EVALUATING:
        marker = tmp_path / family
        code = (
            "import reasoning_gym\n"
            f"d = reasoning_gym.create_dataset({family!r}, size=1, seed=1)\n"
            f"d.score_answer({PAYLOADS[0].format(m=marker)!r}, d[0])\n"
        )
        subprocess.run([sys.executable, "-c", code], check=True, timeout=300, capture_output=True)
        assert marker.exists(), family


@pytest.mark.parametrize("family", ANSWER_EVALUATING)
def test_answers_that_are_code_never_run_in_the_reward(reward, family, tmp_path):
    dataset, batch = items(family, n=1)
    marker = tmp_path / "pwned"
    completions = [wrap(p.format(m=marker)) for p in PAYLOADS]
    out = reward.evaluate(completions, **columns(batch * len(completions)))
    assert not marker.exists()
    assert all(s is not None and s < 1.0 for s in out.scores)
    assert out.metrics["refused_code"] >= 1


def test_answers_that_are_data_score_as_eval_would_read_them(reward):
    """binary_matrix gives 0.1 to the right matrix written as a Python list: read as data, still 0.1."""
    dataset, batch = items("binary_matrix", n=3)
    as_lists = [str([[int(x) for x in row.split()] for row in e["answer"].splitlines()]) for e in batch]
    out = reward.evaluate([wrap(a) for a in as_lists], **columns(batch))
    assert out.scores == [reference(dataset, e, wrap(a)) for e, a in zip(batch, as_lists)] == [0.1] * 3
    assert out.metrics["refused_code"] == 0


def test_sympy_answers_are_interpreted_not_evaluated(reward):
    """simple_integration parses the antiderivative with sympy: the right one still scores 1.0."""
    dataset, batch = items("simple_integration", n=3)
    out = reward.evaluate([wrap(e["answer"]) for e in batch], **columns(batch))
    assert out.scores == [1.0, 1.0, 1.0]
    assert out.metrics["refused_code"] == 0


def test_a_verification_past_its_time_limit_is_killed_and_scored_as_an_error():
    """countdown parses the answer with sympy: a power tower holds a worker until it is killed."""
    quick = get_reward("reasoning_gym", {"timeout": 1.0, "deadline": None})
    dataset, batch = items("countdown", n=1)
    out = quick.evaluate([wrap("9**9**9**9"), wrap(batch[0]["answer"])], **columns(batch * 2))
    assert out.scores == [0.0, 1.0]
    assert out.metrics["timeouts"] == 1


def test_answers_the_batch_deadline_cut_are_none_and_counted_never_zero():
    """Running out of time means None in every family: the batch's deadline cuts what is queued or
    running (the answers are fine, the machine was busy); only an answer past its own limit is 0."""
    slow = get_reward("reasoning_gym", {"timeout": 30.0, "deadline": 1.0, "workers": 1, "cache_size": 0})
    dataset, batch = items("countdown", n=1)
    out = slow.evaluate([wrap("9**9**9**9"), wrap(batch[0]["answer"])], **columns(batch * 2))
    assert out.scores == [None, None]
    assert out.metrics["deadline_missed"] == 2 and out.metrics["timeouts"] == 0


def test_an_answer_that_asks_for_too_much_memory_fails_inside_its_worker():
    """binary_matrix evaluates a Python list: [0] * 10**10 is 80 GB, refused by the worker's memory limit."""
    capped = get_reward("reasoning_gym", {"memory_limit_mb": 2048, **RELAXED})
    dataset, batch = items("binary_matrix", n=1)
    out = capped.evaluate([wrap("[0] * 10**10"), wrap(batch[0]["answer"])], **columns(batch * 2))
    assert out.scores == [0.0, 1.0]
    assert out.metrics["timeouts"] == 0 and out.errors == []  # the verifier's own except caught the MemoryError
