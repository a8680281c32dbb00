"""The Reward base class: batching, None, errors, columns, reporting, pickling."""

import pickle
import re

import pytest

from rewardkit import ContractError, MissingColumnError, ParamsError, Reward, RewardParams, Sample
from rewardkit.reward import Batch


class Echo(Reward):
    name = "echo"
    description = "length of the completion, None when empty"

    def score(self, sample: Sample):
        return float(len(sample.completion)) if sample.completion else None


class NeedsGold(Reward):
    name = "needs_gold"
    description = "1.0 when the completion equals the gold column"
    columns = ("gold",)

    def score(self, sample: Sample):
        gold = sample.row["gold"]
        return None if gold is None else float(sample.completion == gold)


class Fragile(Reward):
    name = "fragile"
    description = "raises on the word boom"
    error_score = -1.0

    def score(self, sample: Sample):
        if "boom" in sample.completion:
            raise ValueError("boom")
        return 1.0


class Reporter(Reward):
    name = "reporter"
    description = "notes the completion's first word"

    def score_batch(self, batch: Batch):
        for i, s in enumerate(batch.samples):
            batch.note("first_word", i, s.completion.split()[0] if s.completion.split() else None)
        batch.count("calls")
        return [1.0] * len(batch)


class WrongLength(Reward):
    name = "wrong_length"
    description = "returns one score too few"

    def score_batch(self, batch):
        return [1.0] * (len(batch) - 1)


def test_one_score_per_completion_for_strings_and_messages():
    chat = [[{"role": "assistant", "content": "abc"}], [{"role": "assistant", "content": [{"type": "text", "text": "de"}]}]]
    assert Echo()(["abc", "de"]) == [3.0, 2.0]
    assert Echo()(chat) == [3.0, 2.0]


def test_none_marks_unscorable_samples():
    assert Echo()(["", "x"]) == [None, 1.0]


def test_unknown_keyword_arguments_are_ignored():
    assert Echo()(["ab"], prompts=["p"], trainer_state=object(), completion_ids=[[1]], anything=3) == [2.0]


def test_missing_required_column_raises_naming_reward_and_column():
    with pytest.raises(MissingColumnError, match="needs_gold.*'gold'"):
        NeedsGold()(["a"])


def test_column_values_reach_their_row_and_none_values_give_none():
    assert NeedsGold()(["a", "b", "c"], gold=["a", "x", None]) == [1.0, 0.0, None]


def test_a_sample_that_raises_gets_the_error_score_and_is_counted():
    out = Fragile().evaluate(["fine", "boom", "fine"])
    assert out.scores == [1.0, -1.0, 1.0]
    assert out.errors == [(1, "ValueError: boom")]


def test_on_error_overrides_the_error_score_or_reraises():
    assert Fragile(on_error=0.0)(["boom"]) == [0.0]
    with pytest.raises(ValueError):
        Fragile(on_error="raise")(["boom"])


def _chat(*parts):
    return [{"role": "assistant", "content": list(parts)}]


MALFORMED = {
    "text None": _chat({"type": "text", "text": None}),
    "text a number": _chat({"type": "text", "text": 42}),
    "part a nested list": _chat(["4", ["2"]]),
    "content a number": [{"role": "assistant", "content": 42}],
    "message None": ["fine", None],
    "completion a number": 42,
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_a_malformed_completion_gets_the_error_score_and_the_rest_is_scored(case):
    out = Reporter(on_error=-2.0).evaluate(["one", MALFORMED[case], "three"])
    assert out.scores == [1.0, -2.0, 1.0]
    assert [i for i, _ in out.errors] == [1]
    assert out.errors[0][1].startswith("MalformedText: completion")
    assert out.extra["first_word"] == ["one", None, "three"]  # the reward never saw sample 1


def test_a_malformed_prompt_gets_the_error_score():
    prompt = [{"role": "user", "content": [{"type": "text", "text": None}]}]
    out = Fragile().evaluate(["a", "b"], prompts=["fine", prompt])
    assert out.scores == [1.0, -1.0]
    assert out.errors == [(1, "MalformedText: prompt message 0, content part 0 has text None, not a string")]


def test_malformed_and_raising_samples_are_counted_together_in_order():
    out = Fragile().evaluate(["boom", MALFORMED["text None"], "fine", "boom"])
    assert out.scores == [-1.0, -1.0, 1.0, -1.0]
    assert [i for i, _ in out.errors] == [0, 1, 3]


def test_a_malformed_sample_reraises_with_on_error_raise():
    with pytest.raises(ValueError, match="fragile.*sample 0.*text None"):
        Fragile(on_error="raise")([MALFORMED["text None"]])


def test_non_text_parts_and_contentless_messages_contribute_nothing():
    image_and_text = _chat({"type": "image"}, {"type": "text", "text": "ab"}, "c")
    tool_call = [{"role": "assistant", "content": None, "tool_calls": []}, {"role": "assistant", "content": "d"}]
    assert Echo()([image_and_text, tool_call]) == [3.0, 1.0]




@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf"), True, "zero"])
def test_on_error_must_be_a_finite_number_or_raise(value):
    with pytest.raises(ParamsError, match="fragile.*on_error must be a finite number"):
        Fragile(on_error=value)


def test_wrong_number_of_scores_is_a_contract_error_naming_the_reward():
    with pytest.raises(ContractError, match="wrong_length.*1 scores for 2"):
        WrongLength()(["a", "b"])


def test_mismatched_prompts_are_rejected():
    with pytest.raises(ContractError, match="2 prompts for 1"):
        Echo()(["a"], prompts=["p", "q"])


def test_detail_is_forwarded_to_trl_logging_callbacks():
    extra, metrics = [], []
    Reporter(alias="rep")(
        ["hello world", ""],
        log_extra=lambda c, v: extra.append((c, v)),
        log_metric=lambda n, v: metrics.append((n, v)),
    )
    assert extra == [("rep/first_word", ["hello", None])]
    assert ("rewardkit/rep/calls", 1.0) in metrics
    assert ("rewardkit/rep/errors", 0.0) in metrics


def test_alias_sets_name_and_survives_pickling():
    reward = Echo(alias="echo_b")
    clone = pickle.loads(pickle.dumps(reward))
    assert clone.__name__ == "echo_b" and clone(["abc"]) == [3.0]


def test_parameters_are_typed_and_unknown_keys_rejected():
    class P(RewardParams):
        size: int = 3

    class Sized(Echo):
        name = "sized"
        Params = P

    assert Sized(size=5).params.size == 5
    with pytest.raises(ParamsError, match="sized.*unknown parameter 'sise'"):
        Sized(sise=5)
    with pytest.raises(ParamsError, match="sized.*parameter 'size'"):
        Sized(size="five")


@pytest.mark.parametrize(("value", "shown"), [("nan", "NaN"), ("inf", "+inf"), ("-inf", "-inf")])
def test_non_finite_scores_are_contract_errors(value, shown):
    class NonFinite(Echo):
        name = "non_finite"

        def score(self, sample):
            return float(value)

    with pytest.raises(ContractError, match=f"'non_finite' returned {re.escape(shown)};"):
        NonFinite()(["a"])


class PureFragile(Fragile):
    name = "pure_fragile"
    pure = True


def test_a_pure_reward_scores_in_one_pass_and_still_counts_each_failure():
    out = PureFragile().evaluate(["fine", "boom", "fine", "boom"])
    assert out.scores == [1.0, -1.0, 1.0, -1.0]
    assert out.errors == [(1, "ValueError: boom"), (3, "ValueError: boom")]
    assert PureFragile().evaluate(["fine", "fine"]).errors == []
    with pytest.raises(ValueError):
        PureFragile(on_error="raise")(["fine", "boom"])


def test_samples_are_built_with_every_field_of_sample():
    import dataclasses

    from rewardkit.reward import make_samples

    samples, columns = make_samples(["a", [{"role": "assistant", "content": "b"}]], ["p", "q"], {"gold": [1, 2], "x": 3}, "t")
    assert columns == ["gold"]
    assert samples[0] == Sample("a", "p", {"gold": 1}, raw_completion="a", raw_prompt="p")
    assert samples[1] == Sample("b", "q", {"gold": 2}, raw_completion=[{"role": "assistant", "content": "b"}], raw_prompt="q")
    assert set(vars(samples[0])) == {f.name for f in dataclasses.fields(Sample)}
    assert samples[0].derived == {} and samples[0].derived is not samples[1].derived
    with pytest.raises(dataclasses.FrozenInstanceError):
        samples[0].completion = "changed"  # type: ignore[misc]


def test_a_prompt_repeated_across_the_batch_is_read_for_each_sample_alike():
    bad = [{"role": "user", "content": [{"type": "text", "text": None}]}]
    good = [{"role": "system", "content": "s"}, {"role": "user", "content": "u"}]
    out = Fragile().evaluate(["a", "b", "c", "d"], prompts=[good, bad, good, bad])
    assert out.scores == [1.0, -1.0, 1.0, -1.0]
    assert [i for i, _ in out.errors] == [1, 3]
    from rewardkit.reward import make_samples

    samples, _ = make_samples(["a", "b"], [good, good], {}, "t")
    assert [s.prompt for s in samples] == ["s\nu", "s\nu"]
