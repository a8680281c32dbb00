"""Advantage shaping for GRPO and RLOO runs: rewardkit's weighted total, per-component group normalisation
and the σ-regularised advantage.

A hook mixed into TRL's trainers (:func:`.algorithms.trainer_class`) makes the run's totals follow
rewardkit's one rule (:func:`rewardkit.stats.weighted_total`): a completion that no weighted
component scored is unscorable (advantage 0, left out of its group's baseline) even when a weight-0
component scored it; TRL alone makes a row unscorable only when every component, weight-0 ones
included, returns ``None``, and would total it 0. It applies two options of a run as well:

- ``normalize: group`` on a composition entry: that component's scores are normalised within each
  prompt's group of completions, ``(r − mean_g) / (std_g + 1e-4)``, *before* the weighted sum
  (GDPO, Liu et al. 2026; the per-component step of GRPOConfig's
  ``multi_objective_aggregation="normalize_then_sum"``, which RLOOConfig lacks, here per entry and
  for both algorithms). The trainer then forms its advantages from the weighted sum as usual.
- ``advantage: {sigma_from: NAME}`` in the train config: every completion's advantage is scaled by
  ``f(σ) = 1 / (1 + σ)``, σ being the ``std`` the component NAME noted for it (a distribution
  ``rm_score``: the spread of its 1..K rating), so that completions the reward model is unsure
  about move the policy less. The seed's variance-regularised advantage ``A = (R − b) · f(σ)``.

The seam is the one both trainers share: ``_calculate_rewards`` returns the per-component scores
of the whole generation batch (gathered over processes, groups of ``num_generations`` rows in
order), which the trainer then weights, sums and turns into advantages inside
``_generate_and_score_completions``; the hook normalises the flagged columns on the way out of the
first (and marks the unscorable rows NaN in every column) and scales the advantages that the second
returns (the process's own rows, in the order its reward functions scored them). TRL logs the matrix
it aggregates, so when the hook changed it, it puts the raw scores back into the logged
``rewards/<name>/mean``/``std`` and the completions table, and logs ``reward``/``reward_std`` of
the totals by rewardkit's rule; the mean ``f(σ)`` of a batch is logged as
``rewardkit/advantage_scale``. torch is imported with the module: only training imports it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Sequence

import torch
from trl.trainer.utils import nanstd

from rewardkit.errors import ConfigError, ContractError
from rewardkit.stats import finite_number, weighted_total

EPSILON = 1e-4  # as TRL adds to a group's std
ADVANTAGE_SCALE = "rewardkit/advantage_scale"


def group_normalize(rewards_per_func: torch.Tensor, group_size: int, columns: Sequence[int]) -> torch.Tensor:
    """A copy of ``(rows, components)`` with each of ``columns`` normalised within consecutive groups of rows.

    Per group: ``(r − mean) / (std + 1e-4)``, NaN-aware (an unscorable row stays NaN and does not
    count), std with Bessel's correction as TRL computes it; a group of one gives NaN.
    """
    out = rewards_per_func.clone()
    if not columns:
        return out
    cols = list(columns)
    grouped = rewards_per_func[:, cols].view(-1, group_size, len(cols))
    mean = torch.nanmean(grouped, dim=1, keepdim=True)
    std = nanstd(grouped, dim=1, keepdim=True) if group_size > 1 else torch.full_like(mean, float("nan"))
    out[:, cols] = ((grouped - mean) / (std + EPSILON)).view(-1, len(cols))
    return out


def weighted_totals(rewards_per_func: torch.Tensor, weights: Sequence[float]) -> list[float | None]:
    """Each row's total by :func:`rewardkit.stats.weighted_total` (NaN read as ``None``)."""
    return [weighted_total([finite_number(v) for v in row], weights) for row in rewards_per_func.tolist()]


def blank_unscorable(rewards_per_func: torch.Tensor, weights: Sequence[float]) -> torch.Tensor:
    """``rewards_per_func`` with every column NaN in the rows that no weighted component scored
    (TRL then treats them as unscorable); the tensor itself when there is none to blank."""
    unscorable = torch.tensor([t is None for t in weighted_totals(rewards_per_func, weights)])
    unscorable = unscorable.to(rewards_per_func.device)
    if not bool((unscorable & ~torch.isnan(rewards_per_func).all(dim=1)).any()):
        return rewards_per_func
    out = rewards_per_func.clone()
    out[unscorable] = float("nan")
    return out


def sigma_factor(sigma: torch.Tensor) -> torch.Tensor:
    """``f(σ) = 1 / (1 + σ)``."""
    return 1.0 / (1.0 + sigma)


@dataclass
class Shaping:
    """What the hook applies: component columns to normalise per group, and where σ comes from."""

    group_columns: tuple[int, ...] = ()
    sigma_source: Any = None  # a ComponentReward whose last call noted ``std``


def shaping_for(rewards: Any, sigma_from: str | None) -> Shaping:
    """The shaping of a run from its adapter (:class:`~.trl_rewards.TRLRewards`) and ``advantage.sigma_from``."""
    source = None
    if sigma_from is not None:
        if sigma_from not in rewards.names:
            raise ConfigError(
                f"advantage.sigma_from: no reward component '{sigma_from}' (components: {', '.join(rewards.names)})"
            )
        source = rewards.funcs[rewards.names.index(sigma_from)]
    columns = tuple(i for i, mode in enumerate(rewards.normalize) if mode == "group")
    return Shaping(columns, source)


def noted_sigma(source: Any, rows: int) -> torch.Tensor:
    """The ``std`` the σ component noted for each of the ``rows`` completions it last scored (None: 0)."""
    last = getattr(source, "last", None)
    stds = None if last is None else last.extra.get("std")
    if stds is None:
        raise ConfigError(
            f"advantage.sigma_from: component '{source.__name__}' noted no per-completion 'std' "
            "(rm_score notes it for a distribution model, num_labels > 1; a scalar model has none)"
        )
    if len(stds) != rows:
        raise ContractError(f"advantage.sigma_from: '{source.__name__}' noted {len(stds)} std values for {rows} rows")
    return torch.tensor([0.0 if s is None else float(s) for s in stds], dtype=torch.float32)


class ShapedAdvantages:
    """Mixed in before ``GRPOTrainer``/``RLOOTrainer``; takes ``shaping=`` (a :class:`Shaping`) at construction."""

    def __init__(self, *args: Any, shaping: Shaping | None = None, **kwargs: Any) -> None:
        self.shaping = shaping or Shaping()
        self._raw_rewards: torch.Tensor | None = None
        super().__init__(*args, **kwargs)

    def _group_size(self) -> int:
        return self.num_generations if self.model.training else self.num_generations_eval

    def _calculate_rewards(self, inputs, prompts, completions, completion_ids_list):
        raw = super()._calculate_rewards(inputs, prompts, completions, completion_ids_list)
        shaped = blank_unscorable(raw, self.reward_weights.tolist())
        if self.shaping.group_columns:
            shaped = group_normalize(shaped, self._group_size(), self.shaping.group_columns)
        if shaped is not raw:
            self._raw_rewards = raw
        return shaped

    def _generate_and_score_completions(self, inputs):
        output = super()._generate_and_score_completions(inputs)
        mode = "train" if self.model.training else "eval"
        if self._raw_rewards is not None:
            self._log_raw_rewards(self._raw_rewards, mode)
            self._raw_rewards = None
        if self.shaping.sigma_source is not None:
            advantages = output["advantages"]
            factor = sigma_factor(noted_sigma(self.shaping.sigma_source, len(advantages))).to(advantages.device)
            output["advantages"] = advantages * factor
            self._replace_tail(self._logs["advantages"], self.accelerator.gather(output["advantages"]).tolist())
            self._metrics[mode][ADVANTAGE_SCALE].append(self.accelerator.gather(factor).mean().item())
        return output

    def _log_raw_rewards(self, raw: torch.Tensor, mode: str) -> None:
        """Swap the batch's logged component and total rewards (blanked or normalised by the hook) for
        the raw scores and their totals by rewardkit's rule."""
        metrics = self._metrics[mode]
        for i, name in enumerate(self.reward_func_names):
            metrics[f"rewards/{name}/mean"][-1] = torch.nanmean(raw[:, i]).item()
            metrics[f"rewards/{name}/std"][-1] = nanstd(raw[:, i]).item()
            self._replace_tail(self._logs["rewards"][name], raw[:, i].tolist())
        totals = weighted_totals(raw, self.reward_weights.tolist())
        total = torch.tensor([math.nan if t is None else t for t in totals], dtype=raw.dtype)
        metrics["reward"][-1] = torch.nanmean(total).item()
        metrics["reward_std"][-1] = nanstd(total).item()

    @staticmethod
    def _replace_tail(log: Any, values: list) -> None:
        for _ in values:
            log.pop()
        log.extend(values)
