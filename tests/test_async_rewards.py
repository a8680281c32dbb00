"""The async reward contract: concurrency within a reward and across components, limits, deadlines,
errors and detail as for sync rewards, and every place a composition runs (score, CLI, serve, TRL, verl)."""

from __future__ import annotations

import asyncio
import json
import os
import pickle
import threading

import pytest

from _async_rewards import FLIGHT, Meets, WaitParams, Waits, WaitsBatch, WaitsGroups
from rewardkit import get_reward
from rewardkit.composition import Component, Composition
from rewardkit.concurrency import InFlight, PerLoop, gather_limited, run_sync
from rewardkit.errors import ContractError
from rewardkit.reward import Batch, Figure, MergedMetric, Reward, Sample, merge_metrics
from rewardkit.testing import check_reward_contract


@pytest.fixture(autouse=True)
def fresh_flight():
    FLIGHT.now = FLIGHT.peak = 0
    yield


def pair(concurrency: int = 16, seconds: float = 0.05) -> Composition:
    return Composition(
        [Waits(concurrency=concurrency, seconds=seconds, alias="a"), Waits(concurrency=concurrency, seconds=seconds, alias="b")]
    )


class TestOneReward:
    def test_samples_are_scored_concurrently_up_to_the_limit(self):
        assert Waits(concurrency=4)(["x"] * 16) == [1.0] * 16
        assert FLIGHT.peak == 4

    def test_the_whole_batch_is_in_flight_when_the_limit_allows(self):
        Waits(concurrency=64).evaluate(["x"] * 16)
        assert FLIGHT.peak == 16

    def test_errors_none_and_on_error_behave_as_for_sync_rewards(self):
        out = Waits().evaluate(["ab", "boom", "none"])
        assert out.scores == [2.0, 0.0, None]
        assert out.errors == [(1, "ValueError: boom")]
        assert Waits(on_error=-1.0)(["boom"]) == [-1.0]
        with pytest.raises(ValueError, match="boom"):
            Waits(on_error="raise")(["boom"])

    def test_a_malformed_completion_never_reaches_the_reward(self):
        out = Waits().evaluate(["ok", [{"role": "assistant", "content": [{"type": "text", "text": None}]}]])
        assert out.scores == [2.0, 0.0] and out.errors[0][0] == 1

    def test_a_batch_past_its_deadline_scores_what_is_done_and_none_for_the_rest(self):
        # pairs end at 0.5, 1.0, 1.5 and 2.0 s: the first is done 0.7 s before the deadline, the last two cannot be
        out = Waits(concurrency=2, seconds=0.5, deadline=1.2).evaluate(["x"] * 8)
        assert out.scores[:2] == [1.0, 1.0]
        assert out.scores[4:] == [None] * 4
        assert out.metrics["deadline_missed"] == out.scores.count(None)
        assert FLIGHT.now == 0  # cancelled, not abandoned

    def test_an_async_batch_method_gets_its_detail_and_metrics_through(self):
        out = WaitsBatch().evaluate(["a", "b", "c"])
        assert out.scores == [0.0, 1.0, 2.0]
        assert out.extra == {"rank": [0, 1, 2]} and out.metrics == {"calls": 1}

    def test_an_async_batch_method_past_its_deadline_scores_none(self):
        out = WaitsBatch(seconds=1.0, deadline=0.05).evaluate(["a", "b"])
        assert out.scores == [None, None] and out.metrics["deadline_missed"] == 2

    def test_a_batch_method_scoring_groups_holds_the_concurrency_limit(self):
        out = WaitsGroups(concurrency=2).evaluate(["ab"] * 12)
        assert out.scores == [2.0] * 12 and out.extra["pair"] == [0, 0, 2, 2, 4, 4, 6, 6, 8, 8, 10, 10]
        assert FLIGHT.peak == 2  # six pairs, two at a time

    def test_a_batch_method_past_its_deadline_keeps_the_groups_done_in_time(self):
        # pairs end at 0.5, 1.0, 1.5 and 2.0 s: two are done 0.4 s before the deadline, two cannot be
        out = WaitsGroups(concurrency=1, seconds=0.5, deadline=1.4).evaluate(["ab"] * 8)
        done = out.scores.count(2.0)
        assert done >= 2 and out.scores == [2.0] * done + [None] * (8 - done)  # pairs in order, one at a time
        assert out.metrics["deadline_missed"] == 8 - done >= 2
        assert out.metrics["calls"] == 4  # what the batch method counted before the deadline stays
        assert FLIGHT.now == 0  # cancelled, not abandoned

    def test_a_group_that_raises_gives_its_rows_the_error_score(self):
        out = WaitsGroups(seconds=0.0).evaluate(["ab", "boom", "abc"])
        assert out.scores == [0.0, 0.0, 3.0]
        assert out.errors == [(0, "ValueError: boom"), (1, "ValueError: boom")]

    def test_the_wrong_number_of_scores_is_a_contract_error(self):
        class Short(WaitsBatch):
            name = "short"

            async def score_batch(self, batch):
                return []

        with pytest.raises(ContractError, match="returned 0 scores for 2"):
            Short()(["a", "b"])

    def test_the_contract_battery_covers_async_rewards(self):
        checks = check_reward_contract(Waits(seconds=0.0))
        assert "async face" in checks and "called inside a running event loop" in checks
        check_reward_contract(WaitsBatch(seconds=0.0))

    def test_it_pickles_and_scores_after(self):
        assert pickle.loads(pickle.dumps(Waits(alias="w")))(["abc"]) == [3.0]


class TestMetricsAndSecrets:
    def test_counts_add_up_and_figures_merge_weighted_over_batches(self):
        first, second = Batch([Sample("a")] * 4), Batch([Sample("b")] * 2)
        for batch, latency in ((first, 1.0), (second, 4.0)):
            batch.count("calls", len(batch))
            batch.figure("latency_p50", latency, weight=len(batch))
        merged = merge_metrics([first.metrics, second.metrics])
        assert merged["calls"] == MergedMetric(6.0)
        assert merged["latency_p50"] == MergedMetric(2.0, figure=True, low=1.0, high=4.0, batches=2)
        assert isinstance(pickle.loads(pickle.dumps(first.metrics))["latency_p50"], Figure)

    def test_a_secret_never_reaches_the_detail_or_the_errors(self, monkeypatch):
        class EchoParams(WaitParams):
            api_key_env: str = "RK_TEST_SECRET"

        class Echoing(Reward):  # a server that echoes the key in a good reply and in an error
            name = "echoing"
            Params = EchoParams

            async def score_batch(self, batch):
                async def one(rows):
                    key = os.environ["RK_TEST_SECRET"]
                    batch.note("reply", rows[0], {"echo": [f"key={key}"]})
                    if batch.samples[rows[0]].completion == "boom":
                        raise ValueError(f"server said {key}")
                    return [1.0]

                return await self.gather_scores(batch, one)

        monkeypatch.setenv("RK_TEST_SECRET", "sk-live-123")
        out = Echoing().evaluate(["ok", "boom"])
        assert "sk-live-123" not in json.dumps([out.extra, out.errors])
        assert out.extra["reply"][0] == {"echo": ["key=***"]} and out.errors == [(1, "ValueError: server said ***")]


class TestComposition:
    def test_async_components_run_concurrently_with_each_other(self):
        scores = pair().score(["ab"] * 16)
        assert scores.total == [4.0] * 16
        assert FLIGHT.peak == 32  # both components' 16 samples at once

    def test_sync_components_run_beside_async_ones_and_keep_their_order(self):
        composition = Composition([Component(get_reward("xml_count"), 1.0), Component(Waits(), 2.0)])
        answer = "<answer>\n1\n</answer>\n"
        scores = composition.score([answer, "boom"])
        assert list(scores.components) == ["xml_count", "waits"]
        assert scores.components["waits"] == [float(len(answer)), 0.0]
        assert scores.total[0] == scores.components["xml_count"][0] + 2 * len(answer)
        assert scores.errors == {"waits": [(1, "ValueError: boom")]}

    def test_ascore_gives_what_score_gives(self):
        completions = ["a", "none", "boom", "abcd"]
        assert asyncio.run(pair().ascore(completions)).total == pair().score(completions).total

    def test_score_works_inside_a_running_event_loop(self):  # Jupyter runs cells in one
        async def cell():
            return pair().score(["abc"] * 4).total

        assert asyncio.run(cell()) == [6.0] * 4

    def test_score_works_from_many_threads_at_once(self):
        # each sample waits until all four threads' batches (2 components x 4 samples each) are in flight
        meeting = Composition([Meets(meet=32, concurrency=4, alias="a"), Meets(meet=32, concurrency=4, alias="b")])
        results: list = []
        threads = [threading.Thread(target=lambda: results.append(meeting.score(["ab"] * 4).total)) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert results == [[2.0] * 4] * 4  # every sample saw the 32 at once

    def test_a_sync_call_from_inside_an_async_reward_does_not_deadlock(self):
        class Nested(Waits):
            name = "nested"

            async def score(self, sample):
                return Composition([Waits(alias="inner")]).score([sample.completion]).total[0]

        assert Nested()(["abc", "de"]) == [3.0, 2.0]


class TestConcurrencyHelpers:
    def test_gather_limited_keeps_order_and_counts_what_the_deadline_cancelled(self):
        async def value(v, wait):
            await asyncio.sleep(wait)
            return v

        results, missed = asyncio.run(
            gather_limited([lambda: value(1, 0), lambda: value(2, 30), lambda: value(3, 0)], limit=3, deadline=1.0)
        )
        assert results == [1, None, 3] and missed == 1

    def test_gather_limited_raises_the_first_exception_and_cancels_the_rest(self):
        async def fail():
            raise KeyError("x")

        async def slow():
            await asyncio.sleep(30)

        with pytest.raises(KeyError):
            asyncio.run(gather_limited([fail, slow], limit=2, deadline=None))

    def test_run_sync_returns_the_value_from_any_thread(self):
        async def forty_two():
            return 42

        assert run_sync(forty_two()) == 42
        box = []
        t = threading.Thread(target=lambda: box.append(run_sync(forty_two())))
        t.start()
        t.join()
        assert box == [42]

    def test_in_flight_runs_a_key_once_and_only_the_last_caller_leaving_cancels_it(self):
        started, finished = [], []

        async def slow(value):
            started.append(value)
            await asyncio.sleep(0.2)
            finished.append(value)
            return value

        async def main():
            shared = InFlight()
            first = asyncio.ensure_future(shared.run("k", lambda: slow(1)))
            await asyncio.sleep(0)
            second = asyncio.ensure_future(shared.run("k", lambda: slow(2)))
            await asyncio.sleep(0.05)
            first.cancel()  # one caller leaves: the run goes on for the other
            assert await second == (1, True)
            alone = asyncio.ensure_future(shared.run("k", lambda: slow(3)))
            await asyncio.sleep(0.05)
            alone.cancel()  # the last caller leaves: the run is cancelled
            await asyncio.gather(first, alone, return_exceptions=True)
            await asyncio.sleep(0.3)
            return await shared.run("k", lambda: slow(4))

        assert asyncio.run(main()) == (4, False)
        assert started == [1, 3, 4] and finished == [1, 4]

    def test_per_loop_makes_one_object_per_event_loop(self):
        made = PerLoop(object)

        async def get_twice():
            return made.get(), made.get()

        first, again = asyncio.run(get_twice())
        assert first is again
        assert asyncio.run(get_twice())[0] is not first
        assert pickle.loads(pickle.dumps(made)).factory is object


def test_rewardkit_score_runs_async_components_concurrently(tmp_path, inline_reward, capsys):
    from rewardkit.cli import main

    inline_reward(Waits)
    (tmp_path / "c.yaml").write_text(
        "rewards:\n  - {name: waits, alias: a, params: {concurrency: 16}}\n  - {name: waits, alias: b, params: {concurrency: 16}}\n"
    )
    (tmp_path / "in.jsonl").write_text("".join(json.dumps({"completion": "ab"}) + "\n" for _ in range(16)))
    assert main(["score", str(tmp_path / "c.yaml"), str(tmp_path / "in.jsonl"), "--out", str(tmp_path / "out.jsonl")]) == 0
    rows = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert [r["rewardkit"]["total"] for r in rows] == [4.0] * 16
    assert FLIGHT.peak == 32


def test_serve_awaits_async_rewards_without_holding_up_other_requests():
    pytest.importorskip("fastapi")
    from _servers import request, running

    from rewardkit.integrations.server import create_app

    # each sample waits until both requests' samples (2 components x 16) are in flight at once
    meeting = Composition([Meets(meet=64, concurrency=16, alias="a"), Meets(meet=64, concurrency=16, alias="b")])
    with running(create_app(meeting)) as url:
        replies: list = []
        clients = [
            threading.Thread(target=lambda: replies.append(request(f"{url}/score", {"completions": ["abc"] * 16})))
            for _ in range(2)
        ]
        for c in clients:
            c.start()
        for c in clients:
            c.join()
    assert [status for status, _ in replies] == [200, 200]
    assert all(body["total"] == [2.0] * 16 for _, body in replies)  # every sample saw the 64 at once


def test_verl_compute_score_async_is_a_coroutine_giving_what_compute_score_gives():
    import inspect

    from rewardkit.integrations import verl

    assert inspect.iscoroutinefunction(verl.compute_score_async)
    kwargs = {"composition": "gsm8k"}
    solution = "<reasoning>\nw\n</reasoning>\n<answer>\n72\n</answer>\n"
    want = verl.compute_score("openai/gsm8k", solution, "72", None, **kwargs)
    assert asyncio.run(verl.compute_score_async("openai/gsm8k", solution, "72", None, **kwargs)) == want


def test_the_trl_adapter_hands_async_components_over_as_coroutine_functions():
    pytest.importorskip("trl")
    from trl.trainer.utils import is_async_callable

    from rewardkit.trainers.policy.trl_rewards import trl_rewards

    rewards = trl_rewards(Composition([get_reward("xml_count"), Waits(concurrency=16, alias="a"), Waits(concurrency=16, alias="b")]))
    assert [is_async_callable(f) for f in rewards.funcs] == [False, True, True]

    async def as_trl_does():  # TRL gathers its async reward functions on its event loop
        return await asyncio.gather(*(f(completions=["ab"] * 16, prompts=["p"] * 16) for f in rewards.funcs[1:]))

    assert asyncio.run(as_trl_does()) == [[2.0] * 16] * 2
    assert FLIGHT.peak == 32


def test_rewardkit_score_prints_each_components_metrics_merged_over_batches(tmp_path, inline_reward, capsys):
    from rewardkit.cli import main

    class Measured(Reward):
        name = "measured"

        def score_batch(self, batch):
            batch.count("calls", len(batch))
            batch.figure("latency_p50", float(len(batch)), weight=len(batch))
            return [1.0] * len(batch)

    inline_reward(Measured)
    (tmp_path / "c.yaml").write_text("rewards:\n  - {name: measured}\n")
    (tmp_path / "in.jsonl").write_text("".join(json.dumps({"completion": "x"}) + "\n" for _ in range(5)))
    assert main(["score", str(tmp_path / "c.yaml"), str(tmp_path / "in.jsonl"), "--batch-size", "4"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "metrics over 2 batch(es)" in "\n".join(lines)
    shown = {line.split()[0]: line.split(None, 1)[1].strip() for line in lines if line.startswith("measured/")}
    assert shown == {"measured/calls": "5", "measured/latency_p50": "~3.4 [1, 4]"}  # (4·4 + 1·1) / 5
