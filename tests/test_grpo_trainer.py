"""Two real GRPO optimizer steps on a tiny model: rewards, weights and detail reach TRL."""

from __future__ import annotations

import pytest

from rewardkit.composition import Component, Composition
from rewardkit.reward import Batch, Reward
from rewardkit.registry import get_reward

trl = pytest.importorskip("trl")
torch = pytest.importorskip("torch")

from _async_rewards import FLIGHT, Waits  # noqa: E402
from _tiny_models import tiny_model_dir  # noqa: E402

from rewardkit.trainers.policy.trl_rewards import REWARD_SHARE, REWARD_TIME, trl_rewards  # noqa: E402


class Echo(Reward):
    """Reads a dataset column and reports per-sample detail and a counter."""

    name = "echo"
    columns = ("target",)

    def score_batch(self, batch: Batch) -> list[float | None]:
        batch.count("lookups", len(batch))
        scores = []
        for i, sample in enumerate(batch.samples):
            batch.note("target", i, sample.row["target"])
            scores.append(float(sample.completion.count(sample.row["target"][0])))
        return scores


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    from datasets import Dataset
    from trl import GRPOConfig, GRPOTrainer

    root = tmp_path_factory.mktemp("grpo")
    model_dir = tiny_model_dir(root / "model")
    composition = Composition(
        [
            Component(get_reward("length_target", ideal=4, unit="chars", alias="short"), 1.0),
            Component(Echo(), 0.5),
            Component(get_reward("xml_count"), 0.0),
            Component(Waits(seconds=0.01, alias="judge"), 0.25),  # async: TRL awaits it
        ]
    )
    FLIGHT.now = FLIGHT.peak = 0
    rewards = trl_rewards(composition)
    dataset = Dataset.from_list(
        [{"prompt": [{"role": "user", "content": f"say {c}"}], "target": c} for c in "abcdefgh"]
    )
    args = GRPOConfig(
        output_dir=str(root / "out"),
        max_steps=2,
        learning_rate=1e-2,
        per_device_train_batch_size=4,
        num_generations=4,
        max_completion_length=8,
        logging_steps=1,
        report_to="none",
        save_strategy="no",
        bf16=False,
        use_cpu=True,
        activation_checkpointing=False,
        disable_tqdm=True,
        seed=0,
        **rewards.config_kwargs,
    )
    trainer = GRPOTrainer(
        model=str(model_dir),
        reward_funcs=rewards.funcs,
        args=args,
        train_dataset=dataset,
        callbacks=rewards.callbacks,
    )
    before = {n: p.detach().clone() for n, p in trainer.model.named_parameters()}
    trainer.train()
    return trainer, before, rewards, FLIGHT.peak


def step_logs(trainer):
    return [r for r in trainer.state.log_history if "loss" in r]


def test_two_real_optimizer_steps_change_the_weights(trained):
    trainer, before, _, _ = trained
    assert trainer.state.global_step == 2
    changed = [n for n, p in trainer.model.named_parameters() if not torch.equal(p.detach(), before[n])]
    assert changed, "no parameter changed after two optimizer steps"


def test_trl_logs_mean_and_std_of_every_component_under_its_name(trained):
    trainer, _, _, _ = trained
    logs = step_logs(trainer)
    assert len(logs) == 2
    for record in logs:
        for name in ("short", "echo", "xml_count", "judge"):
            assert f"rewards/{name}/mean" in record and f"rewards/{name}/std" in record
    assert trainer.reward_func_names == ["short", "echo", "xml_count", "judge"]


def test_trl_weights_the_components_with_the_composition_weights(trained):
    trainer, _, rewards, _ = trained
    assert trainer.reward_weights.tolist() == [1.0, 0.5, 0.0, 0.25]
    record = step_logs(trainer)[-1]
    weighted = record["rewards/short/mean"] * 1.0 + record["rewards/echo/mean"] * 0.5 + record["rewards/judge/mean"] * 0.25
    assert record["reward"] == pytest.approx(weighted, abs=1e-5)


def test_trl_awaits_the_async_component_with_a_whole_generation_batch_in_flight(trained):
    trainer, _, _, peak = trained
    assert trainer._has_async_funcs
    assert peak == 4  # one generation batch: 1 prompt x 4 completions, scored at once
    assert all(record["rewards/judge/mean"] > 0 for record in step_logs(trainer))


def test_components_detail_arrives_through_log_extra_and_log_metric(trained):
    trainer, _, _, _ = trained
    record = step_logs(trainer)[-1]
    assert record["rewardkit/echo/lookups"] == 4.0  # one generation batch: 1 prompt x 4
    assert record["rewardkit/echo/errors"] == 0.0
    extra = trainer._logs["extra"]
    assert "echo/target" in extra and set(extra["echo/target"]) <= set("abcdefgh")
    assert all(unit == "chars" for unit in extra["short/unit"])


def test_reward_time_and_its_share_of_the_step_are_logged(trained):
    trainer, _, _, _ = trained
    for record in step_logs(trainer):
        times = {name: record[f"{REWARD_TIME}/{name}"] for name in ("short", "echo", "xml_count", "judge")}
        assert all(t > 0 for t in times.values()) and times["judge"] >= 0.009  # it waits 0.01 s, samples at once
        assert 0 < record[REWARD_TIME] <= sum(times.values()) * (1 + 1e-6)  # their wall time, overlaps counted once (float32 logs)
        assert 0 < record[REWARD_SHARE] < 1
        assert record["step_time"] > 0


def test_live_diagnostics_reach_trls_logs_and_match_the_logged_batch(trained):
    from rewardkit.diagnostics.components import component_figures
    from rewardkit.diagnostics.table import group_key, groups

    trainer, _, rewards, _ = trained
    logs = step_logs(trainer)
    for record in logs:
        for name in rewards.names:
            assert 0 <= record[f"rewardkit/diag/{name}/saturation"] <= 1
            assert 0 <= record[f"rewardkit/diag/{name}/zero_variance_share"] <= 1
    # the last log's figures, recomputed from the batch TRL kept for its completions table
    kept = trainer._logs
    scores = {n: [None if v != v else v for v in kept["rewards"][n]] for n in rewards.names}
    lengths = [float(x) for x in kept["extra"]["rewardkit/tokens"]]
    assert all(0 < x <= 8 for x in lengths) and len(kept["extra"]["rewardkit/truncated"]) == len(lengths)
    keyed = groups([group_key(p) for p in kept["prompt"]])
    expected = component_figures(scores, dict(zip(rewards.names, rewards.weights)), lengths, keyed, full=False)
    for name, figures in expected.items():
        for figure in ("zero_variance_share", "variance_share", "length_correlation", "saturation"):
            key = f"rewardkit/diag/{name}/{figure}"
            if figures[figure] is None:
                assert key not in logs[-1]
            else:
                assert logs[-1][key] == pytest.approx(figures[figure])
