"""Weighted compositions of rewards, with every component's score kept visible.

Semantics of the weighted total, per row (:func:`rewardkit.stats.weighted_total`, the one definition):
- a component that returns ``None`` for the row is left out of that row's total;
- components with weight 0 are scored and reported ("logged, not trained on") but never enter the total;
- a row where every weighted component is ``None`` totals ``None``.

A component may carry ``normalize="group"``: when training, its scores are normalised within
each prompt's group of completions before the weighted sum (``rewardkit.trainers.policy.advantage_shaping``).
Scoring here has no groups and reports raw scores and the raw weighted total.

Async components (a judge, code in a sandbox) are scored concurrently with each other and with
the synchronous ones, which run one after another in a worker thread: :meth:`Composition.ascore`
in async code, :meth:`Composition.score` (which drives it) everywhere else.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any, Sequence

from .concurrency import run_sync
from .errors import ConfigError, shown
from .reward import Reward, RewardOutput, Sample, make_samples
from .stats import is_finite_number, score_stats, weighted_totals


NORMALIZE_MODES = ("group",)  # normalised within each prompt's group of completions


@dataclass(frozen=True)
class Component:
    """One reward in a composition, its weight, and how training normalises it (None: as it is)."""

    reward: Reward
    weight: float = 1.0
    normalize: str | None = None

    def __post_init__(self) -> None:
        if self.normalize is not None and self.normalize not in NORMALIZE_MODES:
            raise ConfigError(
                f"reward '{self.name}': normalize must be one of {', '.join(NORMALIZE_MODES)} (or omitted), "
                f"got {shown(self.normalize)}"
            )

    @property
    def name(self) -> str:
        return self.reward.__name__


@dataclass
class Scores:
    """What scoring a batch with a composition gives: each component's scores and the total."""

    components: dict[str, list[float | None]]
    weights: dict[str, float]
    total: list[float | None]
    extra: dict[str, dict[str, list[Any]]] = field(default_factory=dict)
    metrics: dict[str, dict[str, float]] = field(default_factory=dict)
    errors: dict[str, list[tuple[int, str]]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.total)

    def row(self, index: int) -> dict[str, Any]:
        """Scores of one row: each component, the total, and the components that errored on it."""
        errors = {
            name: message for name, errs in self.errors.items() for i, message in errs if i == index
        }
        return {
            "components": {name: scores[index] for name, scores in self.components.items()},
            "total": self.total[index],
            "errors": errors,
        }

    def summary(self) -> dict[str, dict[str, float | int | None]]:
        """Per component and for the total: mean, std, min, max, count of None, count of errors."""
        table = {name: score_stats(scores) for name, scores in self.components.items()}
        for name in table:
            table[name]["errors"] = len(self.errors.get(name, []))
        table["total"] = {**score_stats(self.total), "errors": sum(len(e) for e in self.errors.values())}
        return table


class Composition:
    """An ordered list of weighted rewards. Component names (reward name or alias) are unique."""

    def __init__(self, components: Sequence[Component | Reward]) -> None:
        self.components = [c if isinstance(c, Component) else Component(c) for c in components]
        if not self.components:
            raise ConfigError("a composition needs at least one reward")
        seen: set[str] = set()
        for c in self.components:
            if c.name in seen:
                raise ConfigError(f"reward '{c.name}' appears twice; give one of them an alias")
            if not is_finite_number(c.weight):
                raise ConfigError(f"reward '{c.name}': weight must be a finite number, got {shown(c.weight)}")
            seen.add(c.name)

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.components]

    @property
    def weights(self) -> list[float]:
        return [float(c.weight) for c in self.components]

    @property
    def rewards(self) -> list[Reward]:
        return [c.reward for c in self.components]

    def required_columns(self) -> list[str]:
        """Dataset columns any component needs, in first-seen order."""
        return list(dict.fromkeys(col for r in self.rewards for col in r.required_columns()))

    def score(self, completions: Sequence[Any], prompts: Sequence[Any] | None = None, **columns: Any) -> Scores:
        """Score a batch with every component and combine them into the weighted total."""
        samples, given = make_samples(completions, prompts, columns, "composition")
        if any(c.reward.is_async for c in self.components):
            return run_sync(self._ascore_samples(samples, given))
        return self._combine(self._score_sync(samples, given), len(samples))

    async def ascore(
        self, completions: Sequence[Any], prompts: Sequence[Any] | None = None, **columns: Any
    ) -> Scores:
        """:meth:`score` for async code: components concurrently, the event loop never blocked."""
        if not any(c.reward.is_async for c in self.components):  # all of it in one worker thread
            return await asyncio.to_thread(self.score, completions, prompts, **columns)
        samples, given = await asyncio.to_thread(make_samples, completions, prompts, columns, "composition")
        return await self._ascore_samples(samples, given)

    def _score_sync(self, samples: list[Sample], given: list[str]) -> dict[str, RewardOutput]:
        return {c.name: c.reward.evaluate_samples(samples, given) for c in self.components if not c.reward.is_async}

    async def _ascore_samples(self, samples: list[Sample], given: list[str]) -> Scores:
        slow = [c for c in self.components if c.reward.is_async]
        fast = asyncio.to_thread(self._score_sync, samples, given)
        done = await asyncio.gather(fast, *(c.reward.aevaluate_samples(samples, given) for c in slow))
        outputs = {**done[0], **{c.name: out for c, out in zip(slow, done[1:])}}
        return self._combine({c.name: outputs[c.name] for c in self.components}, len(samples))

    def _combine(self, outputs: dict[str, RewardOutput], n: int) -> Scores:
        weights = {c.name: float(c.weight) for c in self.components}
        total = weighted_totals([(weights[name], out.scores) for name, out in outputs.items()], n)
        return Scores(
            components={name: out.scores for name, out in outputs.items()},
            weights=weights,
            total=total,
            extra={name: out.extra for name, out in outputs.items() if out.extra},
            metrics={name: out.metrics for name, out in outputs.items() if out.metrics},
            errors={name: out.errors for name, out in outputs.items() if out.errors},
        )

    def __repr__(self) -> str:
        inner = ", ".join(f"{c.name}×{c.weight:g}" for c in self.components)
        return f"Composition({inner})"

