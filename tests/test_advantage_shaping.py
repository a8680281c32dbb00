"""Advantage shaping through TRL's own trainers: hand-made batches whose advantages are computed by hand.

Each test builds a real GRPOTrainer/RLOOTrainer (with rewardkit's hook) on a tiny policy and runs
its ``_generate_and_score_completions`` on two prompts × 4 completions. The rewards are scripted
by position in the batch, so the advantages follow from the formulas alone.
"""

from __future__ import annotations

import math

import pytest

from rewardkit import ConfigError
from rewardkit.composition import Component, Composition
from rewardkit.reward import Batch, Reward, RewardParams

torch = pytest.importorskip("torch")
pytest.importorskip("trl")

from _tiny_models import tiny_model_dir  # noqa: E402

from rewardkit.trainers.policy.advantage_shaping import ADVANTAGE_SCALE, group_normalize, shaping_for  # noqa: E402
from rewardkit.trainers.policy.algorithms import config_class, trainer_class  # noqa: E402
from rewardkit.trainers.policy.trl_rewards import trl_rewards  # noqa: E402

GROUP = 4
A = [1.0, 2.0, 3.0, 6.0, 0.0, 0.0, 4.0, 4.0]  # two groups of four completions
SIGMA = [0.0, 1.0, 0.5, 3.0, 1.0, 0.0, 0.0, 1.0]


class ScriptedParams(RewardParams):
    values: list[float | None]
    std: list[float] | None = None


class Scripted(Reward):
    """Scores the i-th completion of a batch ``values[i]`` and notes ``std[i]``, like a distribution rm_score."""

    name = "scripted"
    Params = ScriptedParams

    def score_batch(self, batch: Batch) -> list[float | None]:
        if self.params.std is not None:
            for i in range(len(batch)):
                batch.note("std", i, self.params.std[i])
        return list(self.params.values[: len(batch)])


def scripted(alias: str, values: list[float | None], std: list[float] | None = None) -> Scripted:
    return Scripted({"values": values, "std": std}, alias=alias)


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    return tiny_model_dir(tmp_path_factory.mktemp("policy") / "model")


def score_batch(model_dir, tmp_path, algorithm: str, components: list[Component], sigma_from: str | None = None):
    """Advantages (and the trainer) of one hand-made generation batch."""
    from datasets import Dataset

    rewards = trl_rewards(Composition(components))
    args = config_class(algorithm)(
        output_dir=str(tmp_path / "out"),
        per_device_train_batch_size=2 * GROUP,
        num_generations=GROUP,
        max_completion_length=4,
        beta=0.0,  # no KL term in the rewards (RLOO) or the loss: the advantages are the formula's
        report_to="none",
        use_cpu=True,
        bf16=False,
        activation_checkpointing=False,
        disable_tqdm=True,
        seed=0,
        **rewards.config_kwargs,
    )
    prompts = [[{"role": "user", "content": "say a"}], [{"role": "user", "content": "say b"}]]
    trainer = trainer_class(algorithm)(
        model=str(model_dir),
        reward_funcs=rewards.funcs,
        args=args,
        train_dataset=Dataset.from_list([{"prompt": p} for p in prompts]),
        shaping=shaping_for(rewards, sigma_from),
    )
    trainer.model.train()
    batch = [{"prompt": p} for p in prompts for _ in range(GROUP)]
    output = trainer._generate_and_score_completions(batch)
    return output["advantages"].tolist(), trainer


def leave_one_out(values: list[float]) -> list[float]:
    """RLOO: each value minus the mean of the others in its group."""
    out = []
    for g in range(0, len(values), GROUP):
        group = values[g : g + GROUP]
        out += [v - (sum(group) - v) / (GROUP - 1) for v in group]
    return out


def group_z(values: list[float]) -> list[float]:
    """GRPO: (v − group mean) / (group std with Bessel's correction + 1e-4)."""
    out = []
    for g in range(0, len(values), GROUP):
        group = values[g : g + GROUP]
        mean = sum(group) / GROUP
        std = math.sqrt(sum((v - mean) ** 2 for v in group) / (GROUP - 1))
        out += [(v - mean) / (std + 1e-4) for v in group]
    return out


def test_rloo_sigma_scaling_on_a_hand_made_batch(model_dir, tmp_path):
    advantages, trainer = score_batch(
        model_dir, tmp_path, "rloo", [Component(scripted("rm", A, SIGMA), weight=2.0)], sigma_from="rm"
    )
    # weighted rewards 2·A = (2, 4, 6, 12 | 0, 0, 8, 8); leave-one-out baselines (22/3, 20/3, 6, 4 | 16/3, 16/3, 8/3, 8/3)
    # advantages (−16/3, −8/3, 0, 8 | −16/3, −16/3, 16/3, 16/3), then × 1/(1+σ) = (1, 1/2, 2/3, 1/4 | 1/2, 1, 1, 1/2)
    expected = [-16 / 3, -4 / 3, 0.0, 2.0, -8 / 3, -16 / 3, 16 / 3, 8 / 3]
    assert advantages == pytest.approx(expected, abs=1e-5)
    factors = [1 / (1 + s) for s in SIGMA]
    assert trainer._metrics["train"][ADVANTAGE_SCALE][-1] == pytest.approx(sum(factors) / len(factors))
    assert list(trainer._logs["advantages"]) == pytest.approx(expected, abs=1e-5)  # the completions table agrees


def test_grpo_sigma_scaling_on_a_hand_made_batch(model_dir, tmp_path):
    advantages, _ = score_batch(model_dir, tmp_path, "grpo", [Component(scripted("rm", A, SIGMA))], sigma_from="rm")
    # group 1: mean 3, std sqrt(14/3); group 2: mean 2, std sqrt(16/3)
    z = [-2 / (math.sqrt(14 / 3) + 1e-4), -1 / (math.sqrt(14 / 3) + 1e-4), 0.0, 3 / (math.sqrt(14 / 3) + 1e-4)]
    z += [-2 / (math.sqrt(16 / 3) + 1e-4)] * 2 + [2 / (math.sqrt(16 / 3) + 1e-4)] * 2
    assert advantages == pytest.approx([a / (1 + s) for a, s in zip(z, SIGMA)], abs=1e-5)
    assert z == pytest.approx(group_z(A))


def test_without_shaping_the_advantages_are_trls(model_dir, tmp_path):
    advantages, _ = score_batch(model_dir, tmp_path, "rloo", [Component(scripted("rm", A, SIGMA))])
    assert advantages == pytest.approx(leave_one_out(A), abs=1e-5)


B = [2.0, 0.0, 0.0, 2.0, 1.0, 1.0, 1.0, 5.0]


def test_rloo_group_normalised_component_enters_the_weighted_sum_normalised(model_dir, tmp_path):
    components = [Component(scripted("a", A), 1.0, normalize="group"), Component(scripted("b", B), 0.5)]
    advantages, trainer = score_batch(model_dir, tmp_path, "rloo", components)
    # a normalised within each group: (−2, −1, 0, 3)/(sqrt(14/3)+1e-4), (−2, −2, 2, 2)/(sqrt(16/3)+1e-4); b raw
    total = [a + 0.5 * b for a, b in zip(group_z(A), B)]
    assert advantages == pytest.approx(leave_one_out(total), abs=1e-5)
    # what is logged stays the raw scores: mean of A, and of A + 0.5·B
    metrics = trainer._metrics["train"]
    assert metrics["rewards/a/mean"][-1] == pytest.approx(sum(A) / 8)
    assert metrics["rewards/b/mean"][-1] == pytest.approx(sum(B) / 8)
    assert metrics["reward"][-1] == pytest.approx((sum(A) + 0.5 * sum(B)) / 8)
    assert list(trainer._logs["rewards"]["a"]) == A


def test_grpo_group_normalised_component_then_grpo_normalises_the_sum(model_dir, tmp_path):
    components = [Component(scripted("a", A), 1.0, normalize="group"), Component(scripted("b", B), 0.5)]
    advantages, _ = score_batch(model_dir, tmp_path, "grpo", components)
    total = [a + 0.5 * b for a, b in zip(group_z(A), B)]
    assert advantages == pytest.approx(group_z(total), abs=1e-4)


@pytest.mark.parametrize("algorithm", ["grpo", "rloo"])
def test_a_row_only_a_weight_0_component_scored_is_unscorable_in_training_as_in_a_composition(
    model_dir, tmp_path, algorithm
):
    # row 3 of each group: the weighted component cannot score it; the logged-only one can
    weighted = [1.0, 2.0, 3.0, None, 0.0, 0.0, 4.0, None]
    logged = [5.0] * 8
    components = [Component(scripted("w", weighted), 1.0), Component(scripted("logged", logged), 0.0)]
    composition = Composition(components)
    assert composition.score(["x"] * 8).total == weighted  # the one rule, outside training
    advantages, trainer = score_batch(model_dir, tmp_path, algorithm, components)
    assert advantages[3] == 0.0 and advantages[7] == 0.0  # unscorable: no advantage
    scorable = [1.0, 2.0, 3.0, 0.0, 0.0, 4.0]  # baselines over the scored rows only, TRL's way
    if algorithm == "rloo":
        assert advantages[:3] == pytest.approx([1 - 2.5, 2 - 2.0, 3 - 1.5], abs=1e-5)
    else:
        assert advantages[0] < 0 < advantages[2] and advantages[1] == pytest.approx(0.0, abs=1e-5)
    metrics = trainer._metrics["train"]
    assert metrics["reward"][-1] == pytest.approx(sum(scorable) / 6)  # the totals by the one rule
    assert metrics["rewards/logged/mean"][-1] == pytest.approx(5.0)  # the logged component keeps every row
    assert list(trainer._logs["rewards"]["logged"]) == logged


def test_group_normalize_leaves_other_columns_and_unscorable_rows_alone():
    nan = float("nan")
    rewards = torch.tensor([[1.0, 7.0], [nan, 7.0], [3.0, 7.0], [5.0, 9.0]])
    out = group_normalize(rewards, 4, [0])
    assert out[:, 1].tolist() == [7.0, 7.0, 7.0, 9.0]
    assert math.isnan(out[1, 0].item())
    # the scorable 1, 3, 5: mean 3, std 2
    assert [out[0, 0].item(), out[2, 0].item(), out[3, 0].item()] == pytest.approx([-2 / 2.0001, 0.0, 2 / 2.0001])


def test_sigma_from_must_name_a_component_and_that_component_must_note_std(model_dir, tmp_path):
    rewards = trl_rewards(Composition([scripted("rm", A, SIGMA)]))
    with pytest.raises(ConfigError, match=r"advantage.sigma_from: no reward component 'rm_score' \(components: rm\)"):
        shaping_for(rewards, "rm_score")
    with pytest.raises(ConfigError, match="component 'plain' noted no per-completion 'std'"):
        score_batch(model_dir, tmp_path, "rloo", [Component(scripted("plain", A))], sigma_from="plain")


def test_normalize_accepts_group_only():
    with pytest.raises(ConfigError, match="normalize must be one of group"):
        Component(scripted("a", A), 1.0, normalize="batch")
