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
alias), so TRL's metric keys are ``rewards/<name>/mean``; an async component (a judge, code in a
sandbox) becomes a coroutine function, which TRL awaits together with the other async ones. Calling it calls the reward, which
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

A row's total follows :func:`rewardkit.stats.weighted_total` in training too: a row that no
weighted component scored is unscorable (advantage 0) even when a weight-0 component scored it,
which TRL alone would total 0 (the hook in :mod:`.advantage_shaping` sees to it).
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass, field
from typing import Any, Iterator, Sequence

from transformers import TrainerCallback

from rewardkit.composition import Composition
from rewardkit.errors import ConfigError
from rewardkit.reward import Reward, RewardOutput, forward_report

from .callbacks import add_to_logs
from .diagnostics_callback import DiagnosticsCallback

REWARD_TIME = "rewardkit/reward_time"
REWARD_SHARE = "rewardkit/reward_share"


class RewardClock:
    """Seconds spent in reward functions: in total, and in the generation batch being scored.

    Async components run concurrently, so the clock counts the wall time they cover together
    (the union of their intervals), not the sum of their durations. ``pending`` counts the
    components of the batch not yet finished: the last one to finish logs the batch's total.
    """

    def __init__(self) -> None:
        self.total = 0.0
        self.batch = 0.0
        self.pending = 0
        self.batches = 0  # batches started: a component's call belongs to batch number ``batches``
        self._span: tuple[float, float] | None = None  # the batch's covered interval so far

    def start(self, count: int) -> None:
        """Called by each component as it starts; the first of a batch resets the batch's clock."""
        if self.pending == 0:
            self.batch, self.pending, self._span = 0.0, count, None
            self.batches += 1

    def add(self, start: float, end: float) -> bool:
        """Count one component's interval; True when it was the batch's last component."""
        if self._span is not None and start < self._span[1]:  # overlaps what is counted: only the new part
            seconds = max(0.0, end - self._span[1])
            self._span = (self._span[0], max(end, self._span[1]))
        else:
            seconds, self._span = end - start, (start, end)
        self.total += seconds
        self.batch += seconds
        self.pending = max(0, self.pending - 1)
        return self.pending == 0


class ComponentReward:
    """One component of a composition as a TRL reward function: named, timed, picklable.

    Args:
        reward: the component's reward instance.
        clock: shared by the components of one composition (and its timing callback).
        count: the number of components (the last to finish logs the batch's total time).
        observers: called with each call's scores (see DiagnosticsCallback.observe).
    """

    def __init__(self, reward: Reward, clock: RewardClock, count: int = 1, observers: list | None = None) -> None:
        self.reward = reward
        self.clock = clock
        self.count = count
        self.observers = observers if observers is not None else []  # shared: see DiagnosticsCallback.observe
        self.__name__ = reward.__name__
        self.last: RewardOutput | None = None
        self.batch = 0  # the clock's batch number of the last call

    def __call__(
        self, completions: Sequence[Any], prompts: Sequence[Any] | None = None, **kwargs: Any
    ) -> list[float | None]:
        with self._timing(kwargs):
            self.last = self.reward.evaluate(completions, prompts, **kwargs)
        return self._report(completions, prompts, kwargs)

    @contextlib.contextmanager
    def _timing(self, kwargs: dict[str, Any]) -> Iterator[None]:
        """Time one call on the shared clock (also when the reward raises) and log it."""
        self.clock.start(self.count)
        self.batch = self.clock.batches
        start = time.perf_counter()
        try:
            yield
        finally:
            self._timed(start, kwargs)

    def _timed(self, start: float, kwargs: dict[str, Any]) -> None:
        end = time.perf_counter()
        last = self.clock.add(start, end)
        log_metric = kwargs.get("log_metric")
        if callable(log_metric):
            log_metric(f"{REWARD_TIME}/{self.__name__}", end - start)
            if last:
                log_metric(REWARD_TIME, self.clock.batch)

    def _report(self, completions: Sequence[Any], prompts: Sequence[Any] | None, kwargs: dict[str, Any]) -> list:
        assert self.last is not None
        forward_report(self.__name__, self.last, kwargs.get("log_extra"), kwargs.get("log_metric"))
        for observe in self.observers:
            observe(self, self.last.scores, completions, prompts, kwargs)
        return self.last.scores

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.reward!r})"


class AsyncComponentReward(ComponentReward):
    """An async component as a coroutine function: TRL awaits it with its other async rewards."""

    async def __call__(  # type: ignore[override]
        self, completions: Sequence[Any], prompts: Sequence[Any] | None = None, **kwargs: Any
    ) -> list[float | None]:
        with self._timing(kwargs):
            self.last = await self.reward.aevaluate(completions, prompts, **kwargs)
        return self._report(completions, prompts, kwargs)


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
    funcs = [
        (AsyncComponentReward if c.reward.is_async else ComponentReward)(c.reward, clock, count, observers)
        for c in composition.components
    ]
    normalize = [c.normalize for c in composition.components]
    return TRLRewards(funcs, composition.weights, clock, [RewardTimingCallback(clock), diagnostics], normalize)
