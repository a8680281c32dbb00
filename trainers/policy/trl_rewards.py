"""The TRL adapter: a composition as ``GRPOTrainer``/``RLOOTrainer`` reward functions and ``reward_weights``.

TRL does the weighting, the per-component logging (``rewards/<name>/mean`` and ``/std``), the
``None`` handling and the completions table; this module only hands it what it takes::

    from trl import GRPOConfig, GRPOTrainer
    from rewardkit import load_composition
    from rewardkit.trainers.policy.trl_rewards import trl_rewards

    rewards = trl_rewards(load_composition("gsm8k"))
    args = GRPOConfig(output_dir="out", **rewards.config_kwargs)      # reward_weights
    trainer = GRPOTrainer(model, reward_funcs=rewards.funcs, args=args,
                          train_dataset=ds, callbacks=rewards.callbacks)

``RLOOTrainer`` takes the same ``reward_funcs`` and ``reward_weights`` (``RLOOConfig``) and logs
the same metrics. Each component becomes one callable named after the component (reward name or
alias), so TRL's metric keys are ``rewards/<name>/mean``. Calling it calls the reward, which
forwards the component's per-sample detail (``log_extra`` -> extra columns of the completions table,
``<name>/<key>``) and counters (``log_metric`` -> ``rewardkit/<name>/<metric>``, including
``errors``) when TRL passes those callables. It keeps its last call's output (``last``: scores
and per-sample notes), which the advantage-shaping hook reads σ from; ``TRLRewards.normalize``
carries each entry's ``normalize`` option (:mod:`rewardkit.trainers.policy.advantage_shaping`).

Time spent in reward functions is measured per scoring call and logged through ``log_metric``:
``rewardkit/reward_time/<name>`` (seconds, per component) and ``rewardkit/reward_time`` (all
components of one generation batch). :class:`RewardTimingCallback` adds
``rewardkit/reward_share``: the share of the optimizer steps' wall time (generation, rewards,
forward/backward, optimizer, logged since the last log) spent in reward functions.
:class:`~.diagnostics_callback.DiagnosticsCallback` sees every component's scores and adds
``rewardkit/diag/<name>/<figure>`` per log (see that module).

TRL's weighted sum uses ``nansum`` over every component, so a row is "unscorable" (advantage 0)
only when every component, weight-0 ones included, returns ``None``; a row where only weight-0
components score totals 0 in TRL where :class:`~rewardkit.composition.Composition` gives ``None``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Sequence

from transformers import TrainerCallback

from rewardkit.composition import Composition
from rewardkit.errors import ConfigError
from rewardkit.reward import Reward, RewardOutput

from .callbacks import add_to_logs
from .diagnostics_callback import DiagnosticsCallback

REWARD_TIME = "rewardkit/reward_time"
REWARD_SHARE = "rewardkit/reward_share"


class RewardClock:
    """Seconds spent in reward functions: in total, and in the generation batch being scored."""

    def __init__(self) -> None:
        self.total = 0.0
        self.batch = 0.0

    def add(self, seconds: float) -> None:
        self.total += seconds
        self.batch += seconds


class ComponentReward:
    """One component of a composition as a TRL reward function: named, timed, picklable.

    Args:
        reward: the component's reward instance.
        clock: shared by the components of one composition (and its timing callback).
        position: the component's index, and ``count`` the number of components: the first one
            starts a batch's clock, the last one logs the batch's total.
    """

    def __init__(
        self, reward: Reward, clock: RewardClock, position: int = 0, count: int = 1, observers: list | None = None
    ) -> None:
        self.reward = reward
        self.clock = clock
        self.position = position
        self.count = count
        self.observers = observers if observers is not None else []  # shared: see DiagnosticsCallback.observe
        self.__name__ = reward.__name__
        self.last: RewardOutput | None = None

    def __call__(
        self, completions: Sequence[Any], prompts: Sequence[Any] | None = None, **kwargs: Any
    ) -> list[float | None]:
        if self.position == 0:
            self.clock.batch = 0.0
        start = time.perf_counter()
        try:
            self.last = self.reward.evaluate_and_log(completions, prompts, **kwargs)
            scores = self.last.scores
        finally:
            seconds = time.perf_counter() - start
            self.clock.add(seconds)
            log_metric = kwargs.get("log_metric")
            if callable(log_metric):
                log_metric(f"{REWARD_TIME}/{self.__name__}", seconds)
                if self.position == self.count - 1:
                    log_metric(REWARD_TIME, self.clock.batch)
        for observe in self.observers:
            observe(self, scores, completions, prompts, kwargs)
        return scores

    def __repr__(self) -> str:
        return f"ComponentReward({self.reward!r})"


class RewardTimingCallback(TrainerCallback):
    """Adds ``rewardkit/reward_share`` (reward seconds / step seconds since the last log) to the logs."""

    def __init__(self, clock: RewardClock, timer=time.perf_counter) -> None:
        self.clock = clock
        self.timer = timer
        self._step_start: float | None = None
        self._reward_at_start = 0.0
        self._step_seconds = 0.0
        self._reward_seconds = 0.0

    def on_step_begin(self, args, state, control, **kwargs):
        self._step_start = self.timer()
        self._reward_at_start = self.clock.total

    def on_step_end(self, args, state, control, **kwargs):
        if self._step_start is not None:
            self._step_seconds += self.timer() - self._step_start
            self._reward_seconds += self.clock.total - self._reward_at_start
            self._step_start = None

    def on_log(self, args, state, control, logs=None, **kwargs):
        if logs is None or self._step_seconds <= 0 or "loss" not in logs:
            return
        add_to_logs(state, logs, {REWARD_SHARE: self._reward_seconds / self._step_seconds})
        self._step_seconds = self._reward_seconds = 0.0


@dataclass
class TRLRewards:
    """What ``GRPOTrainer``/``RLOOTrainer`` take for a composition, and each entry's ``normalize`` option."""

    funcs: list[ComponentReward]
    weights: list[float]
    clock: RewardClock
    callbacks: list[TrainerCallback] = field(default_factory=list)
    normalize: list[str | None] = field(default_factory=list)

    @property
    def names(self) -> list[str]:
        return [f.__name__ for f in self.funcs]

    @property
    def config_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``GRPOConfig``/``RLOOConfig``: the composition's weights."""
        return {"reward_weights": list(self.weights)}


def trl_rewards(composition: Composition) -> TRLRewards:
    """One reward function per component, the weights, and the timing and diagnostics callbacks."""
    if not isinstance(composition, Composition):
        raise ConfigError(f"expected a Composition, got {type(composition).__name__}")
    clock = RewardClock()
    count = len(composition.components)
    diagnostics = DiagnosticsCallback(composition.names, composition.weights)
    observers = [diagnostics.observe]
    funcs = [ComponentReward(c.reward, clock, i, count, observers) for i, c in enumerate(composition.components)]
    normalize = [c.normalize for c in composition.components]
    return TRLRewards(funcs, composition.weights, clock, [RewardTimingCallback(clock), diagnostics], normalize)
