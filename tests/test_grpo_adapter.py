"""The TRL adapter without a trainer: names, weights, forwarding, timing, pickling."""

from __future__ import annotations

import pickle
from types import SimpleNamespace

import pytest

from rewardkit.composition import Component, Composition
from rewardkit.errors import ConfigError
from rewardkit.reward import Batch, Reward
from rewardkit.registry import get_reward

pytest.importorskip("trl")

from rewardkit.trainers.policy.diagnostics_callback import DiagnosticsCallback  # noqa: E402
from rewardkit.trainers.policy.trl_rewards import (  # noqa: E402
    REWARD_SHARE,
    REWARD_TIME,
    ComponentReward,
    RewardClock,
    RewardTimingCallback,
    trl_rewards,
)


class Noisy(Reward):
    """Scores the completion length and reports detail like a model-backed reward would."""

    name = "noisy"
    description = "length, with extra detail"

    def score_batch(self, batch: Batch) -> list[float | None]:
        for i, sample in enumerate(batch.samples):
            batch.note("seen", i, sample.completion.upper())
        batch.count("cache_hits", 2)
        return [float(len(s.completion)) for s in batch.samples]


def composition() -> Composition:
    return Composition(
        [
            Component(get_reward("xml_count"), 1.0),
            Component(get_reward("length_target", ideal=5, unit="chars", alias="short"), 0.5),
            Component(Noisy(), 0.0),
        ]
    )


class Recorder:
    def __init__(self):
        self.extra: dict[str, list] = {}
        self.metrics: dict[str, list] = {}

    def log_extra(self, column, values):
        self.extra.setdefault(column, []).extend(values)

    def log_metric(self, name, value):
        self.metrics.setdefault(name, []).append(value)


def test_each_component_becomes_a_reward_function_named_after_it_with_its_weight():
    rewards = trl_rewards(composition())
    assert rewards.names == ["xml_count", "short", "noisy"]
    assert [f.__name__ for f in rewards.funcs] == ["xml_count", "short", "noisy"]
    assert rewards.weights == [1.0, 0.5, 0.0]
    assert rewards.config_kwargs == {"reward_weights": [1.0, 0.5, 0.0]}
    assert [type(c) for c in rewards.callbacks] == [RewardTimingCallback, DiagnosticsCallback]


def test_component_functions_return_the_rewards_own_scores():
    rewards = trl_rewards(composition())
    completions = ["abc", "<reasoning>\nx\n</reasoning>\n<answer>\n4\n</answer>"]
    for func, reward in zip(rewards.funcs, composition().rewards):
        assert func(completions, prompts=["p", "q"]) == reward(completions, prompts=["p", "q"])


def test_component_functions_take_trl_keyword_arguments_and_conversational_completions():
    func = trl_rewards(composition()).funcs[1]
    completions = [[{"role": "assistant", "content": "abcde"}], [{"role": "assistant", "content": "ab"}]]
    scores = func(
        completions=completions,
        prompts=[[{"role": "user", "content": "q"}]] * 2,
        completion_ids=[[1, 2, 3, 4, 5], [1, 2]],
        answer=["1", "2"],
        trainer_state=object(),
    )
    assert scores == [0.0, -3.0]


def test_extra_detail_and_counters_reach_log_extra_and_log_metric():
    rec = Recorder()
    noisy = trl_rewards(composition()).funcs[2]
    noisy(["ab", "c"], log_extra=rec.log_extra, log_metric=rec.log_metric)
    assert rec.extra["noisy/seen"] == ["AB", "C"]
    assert rec.metrics["rewardkit/noisy/cache_hits"] == [2.0]
    assert rec.metrics["rewardkit/noisy/errors"] == [0.0]


def test_a_malformed_completion_is_scored_as_an_error_and_logged():
    rec = Recorder()
    func = trl_rewards(composition()).funcs[0]
    bad = [{"role": "assistant", "content": [{"type": "text", "text": 7}]}]
    good = [{"role": "assistant", "content": "<reasoning>\n"}]
    scores = func([good, bad], prompts=["q", "q"], log_metric=rec.log_metric)
    assert scores == [0.125, 0.0]
    assert rec.metrics["rewardkit/xml_count/errors"] == [1.0]


def test_each_call_logs_its_time_and_the_last_component_logs_the_batch_total():
    rec = Recorder()
    funcs = trl_rewards(composition()).funcs
    for func in funcs:
        func(["ab", "cd"], log_extra=rec.log_extra, log_metric=rec.log_metric)
    per = [rec.metrics[f"{REWARD_TIME}/{name}"][0] for name in ("xml_count", "short", "noisy")]
    assert all(t > 0 for t in per)  # each call timed
    assert rec.metrics[REWARD_TIME] == [pytest.approx(sum(per))]


def test_the_batch_total_restarts_with_each_generation_batch():
    rec = Recorder()
    funcs = trl_rewards(composition()).funcs
    for _ in range(2):
        for func in funcs:
            func(["ab"], log_metric=rec.log_metric)
    first, second = rec.metrics[REWARD_TIME]
    assert second == pytest.approx(sum(rec.metrics[f"{REWARD_TIME}/{n}"][1] for n in ("xml_count", "short", "noisy")))
    assert funcs[0].clock.total == pytest.approx(first + second)


def test_time_is_counted_even_when_the_reward_raises():
    class Broken(Reward):
        name = "broken"

        def score_batch(self, batch):
            raise ConfigError("bad config")

    rec = Recorder()
    func = ComponentReward(Broken(), RewardClock())
    with pytest.raises(ConfigError):
        func(["x"], log_metric=rec.log_metric)
    assert f"{REWARD_TIME}/broken" in rec.metrics


def test_component_functions_pickle_with_their_name_and_shared_clock():
    rewards = trl_rewards(composition())
    restored = pickle.loads(pickle.dumps(rewards.funcs))
    assert [f.__name__ for f in restored] == ["xml_count", "short", "noisy"]
    assert restored[0].clock is restored[2].clock
    assert restored[1](["abcde"]) == [0.0]


def test_timing_callback_reports_the_reward_share_of_the_steps_since_the_last_log():
    now = [0.0]
    clock = RewardClock()
    callback = RewardTimingCallback(clock, timer=lambda: now[0])
    state = SimpleNamespace(global_step=0, log_history=[])
    for _ in range(2):  # two steps of 1 s, each spending 0.25 s in rewards
        callback.on_step_begin(None, state, None)
        clock.start(1)
        clock.add(now[0], now[0] + 0.25)
        now[0] += 1.0
        callback.on_step_end(None, state, None)
        state.global_step += 1
    clock.start(1)
    clock.add(10.0, 15.0)  # reward time outside a step (e.g. evaluation) is not counted
    state.log_history.append({"loss": 0.1, "step": 2})
    logs = {"loss": 0.1}
    callback.on_log(None, state, None, logs=logs)
    assert logs[REWARD_SHARE] == pytest.approx(0.25)
    assert state.log_history[-1][REWARD_SHARE] == logs[REWARD_SHARE]
    later = {"loss": 0.1}
    callback.on_log(None, state, None, logs=later)
    assert REWARD_SHARE not in later  # nothing measured since the last log


def test_timing_callback_leaves_non_training_logs_alone():
    callback = RewardTimingCallback(RewardClock())
    logs = {"train_runtime": 3.0}
    callback.on_log(None, SimpleNamespace(global_step=1, log_history=[]), None, logs=logs)
    assert logs == {"train_runtime": 3.0}


def test_only_compositions_are_accepted():
    with pytest.raises(ConfigError, match="expected a Composition"):
        trl_rewards([get_reward("xml_count")])


def test_rewardkit_trl_takes_a_preset_file_or_entries_and_names_the_extra_without_transformers(tmp_path, monkeypatch):
    import sys

    from rewardkit import MissingDependencyError
    from rewardkit.trl import trl_rewards as public

    (tmp_path / "c.yaml").write_text("rewards: [{name: xml_count, weight: 0.5}]\n")
    assert public("gsm8k").names == ["xml_count", "soft_format", "strict_format", "int_answer", "math_correctness"]
    assert public(str(tmp_path / "c.yaml")).weights == [0.5]
    assert public([{"name": "length_target", "alias": "short"}]).names == ["short"]
    assert public(Composition([Component(get_reward("xml_count"), 2.0)])).weights == [2.0]
    monkeypatch.setitem(sys.modules, "transformers", None)  # what `import` sees when it is not installed
    with pytest.raises(MissingDependencyError, match=r"pip install 'rewardkit\[train\]'"):
        public("gsm8k")
