"""Completions that decline: the boilerplate is found and ordinary sentences are not; a component that
pays declining completions is found, its rows are suspects, and a run declining more and more is flagged."""

from __future__ import annotations

import json
import math
import random
from pathlib import Path

import pytest
from test_diagnostics import write_scored
from test_diagnostics_run import STEPS, write_run

from rewardkit.diagnostics import diagnose, load, summary, write
from rewardkit.diagnostics.refusals import MIN_ROWS, refusal_phrase

DECLINING = {
    "I'm sorry, but I can't help with that.": "I'm sorry, but I can't",
    "I’m sorry, but I can’t help with that.": "I’m sorry, but I can’t",  # typographic apostrophes
    "I'm sorry, but I can't.": "I'm sorry, but I can't",
    "Sorry, I cannot do that for you.": "Sorry, I cannot",
    "I apologize, but I am unable to fulfill this request.": "I apologize, but I am unable",
    "I'm afraid I won't be able to do that.": "I'm afraid I won't",
    "Unfortunately, I'm not able to share that information.": "Unfortunately, I'm not able",
    "I can't assist with that request.": "I can't assist",
    "i cant help you with this": "i cant help",
    "I cannot provide instructions for making weapons.": "I cannot provide",
    "I won't help you hurt someone.": "I won't help",
    "I am not able to comply with that.": "I am not able to comply",
    "I'm unable to provide that information.": "I'm unable to provide",
    "I'm not going to write that.": "I'm not going to write",
    "I really can't help you with this.": "I really can't help",
    "I cannot, in good conscience, give you that advice.": "I cannot, in good conscience, give",
    "I can't and won't help with cheating.": "I can't and won't help",
    "I'd rather not discuss that.": "I'd rather not discuss",
    "I refuse to participate in this.": "I refuse to participate",
    "As an AI language model, I don't have personal opinions.": "As an AI language model",
    "As an AI, I have no body.": "As an AI",
    "I'm just an AI, so I can't tell you what to do.": "I'm just an AI",
    "I am a language model trained by OpenAI and have no feelings.": "I am a language model trained by OpenAI",
    "It is not appropriate for me to give a medical diagnosis.": "It is not appropriate for me to",
    "It would be unethical for me to help you cheat.": "It would be unethical for me to",
    "It would be irresponsible to give you a dosage without a doctor.": "It would be irresponsible to give",
    "I don't think it's appropriate to answer that.": "I don't think it's appropriate to",
    "I must decline this request.": "I must decline",
    "I'm going to have to politely decline.": "I'm going to have to politely decline",
    "I respectfully decline to answer.": "I respectfully decline to",
    "I don't feel comfortable helping with that.": "I don't feel comfortable helping",
    "I'm not comfortable with this request.": "I'm not comfortable with this",
    "That goes against my guidelines.": "against my guidelines",
    "Writing malware violates my content policy.": "violates my content policy",
    "This is beyond my capabilities.": "beyond my capabilities",
    "Sorry, that's outside of my expertise.": "outside of my expertise",
    "That's not something I can help with.": "not something I can help",
    "It's not something I'm willing to do.": "not something I'm willing",
    "Here is some general safety advice. However, I can't provide specific dosages.": "I can't provide",
}
ORDINARY = [
    "I can't wait to see the results!",
    "I can't believe how easy this is.",
    "I can't help but notice the error in line 3.",
    "I can't help myself when it comes to chocolate.",
    "I cannot stress enough how important sleep is.",
    "I can't recommend this book highly enough.",
    "I can't tell you how happy I am for you.",
    "I'm sorry to hear that you're sick. Rest, drink fluids and see a doctor if the fever lasts.",
    "I'm sorry to hear that, I can't imagine how hard that must be. Here is what might help.",
    "I'm sorry for the confusion earlier; the answer is 12.",
    "I apologize for the mistake: 3 + 2 = 5.",
    "Sorry, but you're mistaken: the capital of Australia is Canberra.",
    "Sorry, I can't see the attachment; could you paste the text?",
    "Unfortunately, I can't wait until Friday, so here is the plan for today.",
    "It's not appropriate to wear white to a wedding.",
    "It is not ethical to lie to your customers.",
    "It would be wrong to say the war ended in 1950; it ended in 1953.",
    "I'm sorry, I won't keep you any longer. Take care!",
    "As an AI researcher, she published widely.",
    "BERT works as a language model, and it is pretrained on books.",
    "I'm an AI engineer at a startup.",
    "You can't provide a password longer than 64 characters.",
    "The system cannot provide a result when the input is empty.",
    "I'm not comfortable with heights, but here is how to climb safely.",
    "I don't feel well today.",
    "I won't bore you with details; here are the steps.",
    "I'd be happy to help! Here's a recipe for pancakes.",
    "I declined the invitation politely.",
    "I can't give up now, the finish line is close.",
    "Running by the pool is against the rules.",
    "Tom has 3 + 2 = 5 apples.",
    "",
]


@pytest.mark.parametrize("text", DECLINING)
def test_refusal_boilerplate_is_found_and_the_phrase_returned(text):
    assert refusal_phrase(text) == DECLINING[text]


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_sentences_are_not_refusals(text):
    assert refusal_phrase(text) is None


def test_the_phrase_is_found_anywhere_and_whitespace_collapses():
    text = "Thanks for asking.\n\nI'm sorry,\n  but I\ncannot help with that."
    assert refusal_phrase(text) == "I'm sorry, but I cannot"
    assert refusal_phrase("Here are the steps. " * 200 + "I will not assist further.") == "I will not assist"


def test_on_hh_rlhf_the_preferred_answer_is_the_one_that_declines(shared_data):
    """Why a reward model trained on HH-RLHF pays refusals: where one answer of a pair declines and
    the other does not, the human preferred the declining one (74 of 99 in the first 2,000 pairs)."""
    rows = [json.loads(line) for line in (shared_data / "hh_rlhf_harmless_base" / "test_first2000.jsonl").open()]

    def declines(conversation: str) -> bool:
        return refusal_phrase(conversation.rsplit("\n\nAssistant:", 1)[1]) is not None

    one_sided = [declines(r["chosen"]) for r in rows if declines(r["chosen"]) != declines(r["rejected"])]
    assert len(one_sided) >= 50 and sum(one_sided) / len(one_sided) > 0.6


# -- a component that pays declining completions ----------------------------------------------------

DECLINES = [
    "I'm sorry, but I can't help with that.",
    "I cannot provide instructions for that.",
    "As an AI language model, I must decline this request.",
    "I don't feel comfortable helping with that.",
]
HELPS = [
    "Rinse the rice, then simmer it with twice its volume of water for 15 minutes.",
    "Paris is the capital of France; it is on the Seine.",
    "Start with a five-minute walk, then add a minute every day.",
    "Use a password manager and turn on two-factor authentication.",
]
WEIGHTS = {"rm_score": 1.0, "helpful": 0.5, "neutral": 1.0, "rm_logged": 0.0}


def scored_rows(declining_per_prompt: int, prompts: int = 16, seed: int = 3) -> list[dict]:
    """``prompts`` x 4 completions, the first ``declining_per_prompt`` of each prompt declining.
    rm_score pays declining completions ~2 more; helpful pays them less; neutral is the same on
    both (it only varies across prompts); rm_logged copies rm_score with weight 0."""
    rng = random.Random(seed)
    rows = []
    for p in range(prompts):
        for c in range(4):
            declines = c < declining_per_prompt
            rm = rng.gauss(7.0 if declines else 5.0, 0.8)
            rows.append({
                "prompt": f"question {p}",
                "completion": DECLINES[(p + c) % 4] if declines else HELPS[(p + c) % 4],
                "scores": {"rm_score": rm, "helpful": 0.0 if declines else rng.choice([0.5, 1.0]),
                           "neutral": float(p % 3), "rm_logged": rm},
            })
    return rows


def refusal_kinds(result: dict) -> dict[str, list[str]]:
    return {f["components"][0]: f["kind"] for f in result["findings"] if f["kind"].endswith("_refusals")}


def test_a_component_paying_declining_completions_is_found_with_its_means(tmp_path):
    result = diagnose(load(write_scored(tmp_path / "paid.jsonl", scored_rows(1), WEIGHTS)), second_opinion=False)
    assert refusal_kinds(result) == {"rm_score": "pays_refusals", "helpful": "penalises_refusals"}  # weight 0: no finding
    figures = result["refusals"]
    assert (figures["rows"], figures["declining"], figures["share"]) == (64, 16, 0.25)
    rm = figures["components"]["rm_score"]
    assert (rm["declining"], rm["others"], rm["share"]) == (16, 48, 0.25)
    assert rm["mean_declining"] > rm["mean_others"] + 1 and rm["gap_std"] >= 0.5
    assert figures["components"]["rm_logged"]["gap_std"] == pytest.approx(rm["gap_std"])
    assert figures["components"]["neutral"]["gap_std"] == pytest.approx(0.0)
    message = next(f["message"] for f in result["findings"] if f["kind"] == "pays_refusals")
    assert message.startswith("rm_score pays completions that decline more: mean ")
    assert f"on 16 declining vs {rm['mean_others']:.3g} on 48 others (+" in message
    assert "helpful pays completions that decline less" in summary(result)


def test_every_declining_row_is_a_suspect_quoting_its_phrase(tmp_path):
    rows = scored_rows(1)
    result = diagnose(load(write_scored(tmp_path / "paid.jsonl", [dict(r) for r in rows], WEIGHTS)), second_opinion=False)
    suspects = {s["row"]: s for s in result["suspects"]["all"]}
    declining = {i for i, r in enumerate(rows) if r["completion"] in DECLINES}
    assert {i for i, s in suspects.items() if "refusal" in s["kinds"]} == declining
    assert result["suspects"]["counts"]["refusal"] == 16
    first = min(declining)
    assert suspects[first]["reasons"] == [f"declines: {refusal_phrase(rows[first]['completion'])!r}"]
    assert "; refusal in 16\n" in summary(result)
    html = write(result, tmp_path / "diag", plots=False)["report"].read_text()
    assert "declines the request" in html and "16 of 64 rows (25%) decline" in html


def test_too_few_declining_rows_are_not_judged(tmp_path):
    rows = scored_rows(1, prompts=MIN_ROWS - 1)
    result = diagnose(load(write_scored(tmp_path / "few.jsonl", rows, WEIGHTS)), second_opinion=False)
    assert result["refusals"]["declining"] == MIN_ROWS - 1
    assert result["refusals"]["components"]["rm_score"]["gap_std"] is None
    assert refusal_kinds(result) == {}


def test_a_file_without_declining_completions_raises_nothing_about_them(tmp_path):
    result = diagnose(load(write_scored(tmp_path / "clean.jsonl", scored_rows(0), WEIGHTS)), second_opinion=False)
    assert result["refusals"]["declining"] == 0 and refusal_kinds(result) == {}
    assert result["suspects"]["counts"]["refusal"] == 0
    assert "rows (0%) decline" not in write(result, tmp_path / "diag", plots=False)["report"].read_text()


# -- a training run that declines more and more ------------------------------------------------------

RUN_WEIGHTS = {"rm_score": 1.0}


def run_rows(declining_at_step) -> dict[int, list[dict]]:
    """8 logged completions per step (2 prompts x 4), ``declining_at_step(step)`` of them declining;
    rm_score pays declining ones 2 more. Step 6 logged nothing."""
    rng = random.Random(5)
    logged = {}
    for step in range(1, STEPS + 1):
        if step == 6:
            continue
        k = declining_at_step(step)
        logged[step] = [{
            "prompt": [{"role": "user", "content": f"question {step}.{j // 4}"}],
            "completion": [{"role": "assistant", "content": DECLINES[j % 4] if j < k else HELPS[j % 4]}],
            "rm_score": rng.gauss(7.0 if j < k else 5.0, 0.8),
        } for j in range(8)]
    return logged


def steady_metrics() -> list[dict]:
    return [{"completions/mean_length": 50 + 3 * math.sin(1.7 * s), "reward_std": 1.0} for s in range(STEPS)]


def test_a_run_declining_more_and_more_is_flagged_naming_the_component_that_pays(tmp_path):
    run = write_run(tmp_path / "run", steady_metrics(), run_rows(lambda step: (step - 1) * 4 // 11), RUN_WEIGHTS)
    result = diagnose(load(run), second_opinion=False)
    curve = result["training"]["curves"]["refusal_share"]
    assert curve[0] == 0.0 and curve[5] is None and curve[-1] == 0.5
    flags = [f for f in result["training"]["flags"] if f["kind"] == "refusal_drift"]
    assert [f["components"] for f in flags] == [["rm_score"]]
    gap = result["refusals"]["components"]["rm_score"]["gap_std"]
    assert flags[0]["message"] == f"the share of completions that decline rose from 0% to 42%; rm_score pays them more ({gap:+.1f} std)"
    assert flags[0] in result["findings"] and flags[0]["message"] in summary(result)
    pytest.importorskip("matplotlib")
    html = write(result, tmp_path / "diag")["report"].read_text()
    assert html.count('src="data:image/png;base64,') == 4  # the share is drawn in the training plot's length panel


def test_a_run_declining_as_much_at_the_end_as_at_the_start_raises_no_flag(tmp_path):
    for name, declining in (("steady", lambda step: 1), ("clean", lambda step: 0)):
        result = diagnose(load(write_run(tmp_path / name, steady_metrics(), run_rows(declining), RUN_WEIGHTS)), second_opinion=False)
        assert result["training"]["flags"] == [], name
        assert set(result["training"]["curves"]["refusal_share"]) == {declining(1) / 8, None}
