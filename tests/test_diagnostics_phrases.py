"""`rewardkit diagnose` on a run whose completions take up a phrase the reward pays for."""

from __future__ import annotations

import random

import pytest
from test_diagnostics_run import STEPS, write_run

from rewardkit.diagnostics import diagnose, load, summary
from rewardkit.diagnostics.phrases import MIN_ROWS, RISE, SHARED, phrases

WEIGHTS = {"rm_score": 1.0}
TOPICS = ["the garden needs water twice a week", "train tickets are cheaper on weekdays",
          "bread rises faster somewhere warm", "a bicycle chain wants oil every month",
          "tomatoes ripen on a sunny windowsill", "museums are quiet on tuesday mornings",
          "snow tyres grip better below seven degrees", "tea steeps for three minutes"]
PHRASE = "I'd be happy to help! "


def rows(with_phrase_at_step, pays: float = 2.0) -> dict[int, list[dict]]:
    """8 logged completions per step, ``with_phrase_at_step(step)`` of them opening with PHRASE;
    rm_score pays those ``pays`` more."""
    rng = random.Random(3)
    logged = {}
    for step in range(1, STEPS + 1):
        k = with_phrase_at_step(step)
        logged[step] = [{
            "prompt": [{"role": "user", "content": f"question {step}.{j // 4}"}],
            "completion": [{"role": "assistant", "content": (PHRASE if j < k else "") + TOPICS[(j + step) % 8] + "."}],
            "rm_score": rng.gauss(5.0 + (pays if j < k else 0.0), 0.5),
        } for j in range(8)]
    return logged


def rising(result: dict) -> list[dict]:
    return [f for f in result["training"]["flags"] if f["kind"] == "rising_phrase"]


def test_phrases_are_two_and_three_words_with_a_content_word():
    found = phrases("It is the best; I'd be happy to HELP.")
    assert {"the best", "i'd be", "happy to help", "be happy to"} <= found
    assert not {"it is", "is the", "it is the"} & found  # function words alone make no phrase


def test_a_phrase_spreading_through_a_run_is_flagged_naming_the_component_that_pays(tmp_path):
    run = write_run(tmp_path / "run", [{"reward_std": 1.0}] * STEPS, rows(lambda step: (step - 1) * 6 // 11), WEIGHTS)
    result = diagnose(load(run), second_opinion=False)
    (flag,) = rising(result)
    # first quarter (steps 1-3): 0, 0, 1 of 8; last quarter (steps 10-12): 4, 5, 6 of 8
    assert flag["share_first"] == pytest.approx(1 / 24) and flag["share_last"] == pytest.approx(15 / 24)
    assert flag["phrase"] in phrases(PHRASE) and len(flag["phrase"].split()) == 3
    assert flag["components"] == ["rm_score"]
    assert f"the phrase '{flag['phrase']}' spread: in 62% of the completions of the last quarter of steps (from 4% in the first)" \
        in flag["message"] and "rm_score pays it more (+" in flag["message"]
    assert flag in result["findings"] and flag["message"] in summary(result)


def test_a_phrase_the_reward_does_not_pay_is_flagged_without_a_cause(tmp_path):
    run = write_run(tmp_path / "run", [{"reward_std": 1.0}] * STEPS, rows(lambda step: (step - 1) * 6 // 11, pays=0.0), WEIGHTS)
    (flag,) = rising(diagnose(load(run), second_opinion=False))
    assert flag["components"] == [] and "pays" not in flag["message"]


@pytest.mark.parametrize("at_step", [lambda step: 3, lambda step: 0, lambda step: 1 + (step > 9)])
def test_a_phrase_as_common_at_the_end_as_at_the_start_or_rare_raises_nothing(tmp_path, at_step):
    # constant share, absent, or a rise too small to reach SHARED at the end
    assert 2 / 8 < SHARED + RISE and MIN_ROWS <= 24
    run = write_run(tmp_path / "run", [{"reward_std": 1.0}] * STEPS, rows(at_step), WEIGHTS)
    assert rising(diagnose(load(run), second_opinion=False)) == []


def test_tags_are_words_of_their_own():
    assert {"</reasoning> <answer>", "<answer> 42 </answer>"} <= phrases("so 42\n</reasoning>\n<answer>\n42\n</answer>")
