"""The reward contract: a batch-callable, picklable, parameter-validated scorer.

A reward is called the way TRL's ``GRPOTrainer`` calls reward functions::

    reward(completions, prompts=None, **columns) -> list[float | None]

Dataset columns arrive as same-length lists; keyword arguments that are not per-row lists
(``trainer_state``, ``log_extra``, ...) are accepted and ignored unless used. ``None`` means the
sample cannot be scored by this reward; it never stands for an error. An exception raised while
scoring one sample is counted and that sample gets the reward's error score (``on_error``), so a
single bad completion cannot stop a training run; contract violations raise. A sample whose
completion or prompt is not text or chat messages (a content part with text None) is treated the
same way without reaching the reward at all.

**Slow rewards** (a judge over HTTP, code in a sandbox, a scoring server) have one contract. The
reward writes ``async def score(self, sample)``, or, when samples are scored together (one
request for several samples, a prompt's group judged in one call), ``async def
score_batch(self, batch)`` that hands each group to :meth:`Reward.gather_scores`. Either way:

- at most ``concurrency`` samples (groups) are in flight at once;
- a batch may take at most ``deadline`` seconds. Then what is still running is cancelled (its
  ``finally`` blocks run); every sample scored by then keeps its score, every other one scores
  ``None`` and is counted as ``deadline_missed``. "Ran out of time" means ``None``, counted, in
  every family: the machine or the service was slow, not the completion wrong. (An answer that
  makes its own check run past a per-answer limit is another matter: ``math_correctness``
  scores it wrong, see its ``on_timeout``.)

Both come from the reward's parameters when its ``Params`` subclass :class:`SlowRewardParams`.
An ``async def score_batch`` that does not use :meth:`Reward.gather_scores` is one group: past the
deadline all its samples are ``None``. Errors, ``None``, ``on_error`` and per-sample detail
behave exactly as for synchronous rewards. ``await reward.aevaluate(...)`` is the async face;
``reward(...)`` and :meth:`Reward.evaluate` still work from synchronous code.

**Metrics** a reward reports per batch are of two declared kinds: :meth:`Batch.count` (calls,
cache hits, timeouts: added up over batches) and :meth:`Batch.figure` (a mean, a latency
percentile: one value per batch, a :class:`Figure`); :func:`merge_metrics` merges a run's batches
honestly (counts summed, figures as their weighted mean with the range over batches).

**Secrets** (an API key read from the variable named by ``api_key_env``) never reach a sample's
detail, errors or metrics: :meth:`Reward.secrets` names them and every output is scrubbed.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import itertools
import math
import os
import types
import typing
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Awaitable, Callable, ClassVar, Mapping, Sequence

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .concurrency import gather_limited, run_sync
from .errors import ContractError, MissingColumnError, ParamsError, RewardkitError, scrub, shown
from .stats import is_finite_number
from .text import MalformedText, completion_text, prompt_text

if TYPE_CHECKING:
    from .registry import Registry


class RewardParams(BaseModel):
    """Base of every reward's parameter model: unknown keys and wrong types are rejected."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class SlowRewardParams(RewardParams):
    """Parameters every async reward takes: samples in flight, and a whole batch's time budget."""

    concurrency: int = Field(8, ge=1, description="samples scored at once (calls in flight)")
    deadline: float | None = Field(
        None, gt=0, description="seconds a whole batch may take; samples not scored by then score None (deadline_missed)"
    )


@dataclass(frozen=True)
class Sample:
    """One row of a batch: the completion and prompt as text, plus that row's dataset columns."""

    completion: str
    prompt: str | None = None
    row: Mapping[str, Any] = field(default_factory=dict)
    raw_completion: Any = None
    raw_prompt: Any = None
    malformed: str | None = None  # why the completion or prompt is not text; never scored
    # What a reward derives from the completion (an extracted answer), kept by the first reward of
    # a composition that needs it for the others scoring the same batch; keys name their family.
    derived: dict[Any, Any] = field(default_factory=dict, repr=False, compare=False)


class Figure(float):
    """A per-batch figure among a batch's metrics (a mean, a latency percentile), not a count:
    batches are merged by the mean of their figures weighted by ``weight`` (how many values
    each summarises), never by adding them up. Every other metric value is a count.

    >>> f = Figure(0.25, weight=8); f + 1, f.weight
    (1.25, 8.0)
    """

    weight: float

    def __new__(cls, value: float, weight: float = 1.0) -> Figure:
        figure = super().__new__(cls, value)
        figure.weight = float(weight)
        return figure

    def __reduce__(self) -> tuple[Any, ...]:
        return Figure, (float(self), self.weight)

    def __repr__(self) -> str:
        return f"Figure({float(self)!r}, weight={self.weight:g})"


@dataclass
class Batch:
    """A normalised batch, and what scoring it reports besides the scores."""

    samples: list[Sample]
    extra: dict[str, list[Any]] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    errors: list[tuple[int, str]] = field(default_factory=list)
    scored: dict[int, float | None] = field(default_factory=dict, repr=False)  # by gather_scores, as groups finish

    def __len__(self) -> int:
        return len(self.samples)

    def note(self, key: str, index: int, value: Any) -> None:
        """Record a per-sample detail (an extracted answer, a detected language) under ``key``."""
        if key not in self.extra:
            self.extra[key] = [None] * len(self.samples)
        self.extra[key][index] = value

    def count(self, metric: str, amount: float = 1) -> None:
        """Add ``amount`` to a count (calls, timeouts, cache hits...): summed over batches too."""
        self.metrics[metric] = self.metrics.get(metric, 0) + amount

    def figure(self, metric: str, value: float, weight: float = 1.0) -> None:
        """Set a per-batch figure (a mean over ``weight`` values, a latency percentile): see :class:`Figure`."""
        self.metrics[metric] = Figure(value, weight)


@dataclass
class RewardOutput:
    """Scores of one call plus the detail the reward reported."""

    scores: list[float | None]
    extra: dict[str, list[Any]]
    metrics: dict[str, float]
    errors: list[tuple[int, str]]

    def spread(self, rows: Sequence[int], n: int, failed: Mapping[int, str], fill: float | None) -> RewardOutput:
        """This output of the samples at ``rows`` as an output of ``n`` samples, where the samples
        in ``failed`` get the score ``fill`` and their message as an error."""
        scores: list[float | None] = [fill] * n
        extra: dict[str, list[Any]] = {key: [None] * n for key in self.extra}
        for j, i in enumerate(rows):
            scores[i] = self.scores[j]
            for key, values in self.extra.items():
                extra[key][i] = values[j]
        errors = sorted([(rows[j], message) for j, message in self.errors] + list(failed.items()))
        return RewardOutput(scores, extra, self.metrics, errors)


def _is_column(value: Any, n: int) -> bool:
    return isinstance(value, (list, tuple)) and len(value) == n


def make_samples(
    completions: Sequence[Any], prompts: Sequence[Any] | None, kwargs: Mapping[str, Any], label: str
) -> tuple[list[Sample], list[str]]:
    """Normalise TRL-style arguments into samples; also returns the names of the per-row columns."""
    if isinstance(completions, (str, bytes)) or not isinstance(completions, Sequence):
        raise ContractError(f"reward '{label}': completions must be a list, got {type(completions).__name__}")
    n = len(completions)
    if prompts is not None and not _is_column(prompts, n):
        raise ContractError(f"reward '{label}': got {len(prompts)} prompts for {n} completions")
    columns = {k: v for k, v in kwargs.items() if _is_column(v, n)}
    names = list(columns)
    if len(names) == 1:  # the common case (a gold column), without a zip per row
        rows = [{names[0]: value} for value in columns[names[0]]]
    else:
        rows = [dict(zip(names, values)) for values in zip(*columns.values())] if names else [{} for _ in range(n)]
    # A GRPO batch repeats each prompt once per completion: each prompt object is read once.
    prompt_texts: dict[int, tuple[str | None, str | None]] = {}
    # Sample(...) without the frozen dataclass's object.__setattr__ per field (a batch builds one
    # sample per row; this takes half the time). Fields left out of __dict__ are None, their
    # class defaults (prompt, raw_prompt, malformed).
    new, set_dict = object.__new__, object.__setattr__
    samples = []
    for completion, prompt, row in zip(completions, itertools.repeat(None) if prompts is None else prompts, rows):
        sample = new(Sample)
        try:
            text = completion_text(completion)
        except MalformedText as exc:
            set_dict(sample, "__dict__", {"completion": "", "row": row, "raw_completion": completion, "raw_prompt": prompt,
                                          "malformed": str(exc), "derived": {}})  # fmt: skip
        else:
            if prompt is None:
                set_dict(sample, "__dict__", {"completion": text, "row": row, "raw_completion": completion, "derived": {}})
            else:
                read = prompt_texts.get(id(prompt))
                if read is None:
                    try:
                        read = (prompt_text(prompt), None)
                    except MalformedText as exc:
                        read = (None, str(exc))
                    prompt_texts[id(prompt)] = read
                as_text, malformed = read
                set_dict(sample, "__dict__", {
                    "completion": text if malformed is None else "", "prompt": as_text, "row": row,
                    "raw_completion": completion, "raw_prompt": prompt, "malformed": malformed, "derived": {},
                })  # fmt: skip
        samples.append(sample)
    return samples, names


def require_columns(given: Sequence[str], required: Sequence[str], n: int, reward_name: str) -> None:
    """Raise MissingColumnError naming the reward and the first required column not given."""
    for name in required:
        if name not in given:
            listed = ", ".join(sorted(given)) or "none"
            raise MissingColumnError(
                f"reward '{reward_name}' needs the dataset column '{name}' as a list of {n} "
                f"values (columns given: {listed})",
                column=name,
            )


class Reward:
    """Base class of every reward. Subclasses set the class attributes and implement ``score``.

    Class attributes:
        name: registry name, also the default ``__name__`` (TRL's metric key).
        description: one line shown by ``rewardkit list``.
        Params: a :class:`RewardParams` subclass; defaults are the recipe's values.
        columns: dataset columns the reward needs (override :meth:`required_columns` when a
            parameter names them).
        error_score: the score a sample gets when scoring it raised or its completion or prompt
            is malformed (override per entry with ``on_error``; ``"raise"`` re-raises instead);
            None leaves such a sample unscored (still counted as an error).
        pure: ``score`` is a function of the sample alone (with no effect but what it caches), so a batch is
            scored in one pass (:meth:`score_samples`) and scored again sample by sample (each
            failure counted) only when one raises: the cheap rewards then pay nothing per sample
            for the guard.
    """

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    Params: ClassVar[type[RewardParams]] = RewardParams
    columns: ClassVar[tuple[str, ...]] = ()
    error_score: ClassVar[float | None] = 0.0
    pure: ClassVar[bool] = False

    def __init__(
        self,
        params: Mapping[str, Any] | RewardParams | None = None,
        *,
        alias: str | None = None,
        on_error: float | str | None = None,
        registry: Registry | None = None,
        **param_kwargs: Any,
    ) -> None:
        if not self.name:
            raise TypeError(f"{type(self).__name__} must set the class attribute 'name'")
        self.params = self.parse_params({**dict(params or {}), **param_kwargs})
        self.alias = alias
        self.__name__ = alias or self.name
        if on_error is not None and on_error != "raise" and not is_finite_number(on_error):
            raise ParamsError(f"reward '{self.__name__}': on_error must be a finite number or 'raise', got {shown(on_error)}")
        self.on_error = on_error
        self.registry = registry  # where named helpers (extractors, detectors) are looked up

    def __getstate__(self) -> dict[str, Any]:
        # A registry holds plugin modules and cannot be pickled; an unpickled reward looks its
        # helpers up in the process-wide registry of the process that unpickles it.
        return {**self.__dict__, "registry": None}

    @classmethod
    def parse_params(cls, values: Mapping[str, Any] | RewardParams) -> RewardParams:
        """Validate ``values`` against :attr:`Params`, naming the reward and key on failure."""
        if isinstance(values, cls.Params):
            return values
        try:
            return cls.Params.model_validate(dict(values))
        except ValidationError as exc:
            problems = []
            for err in exc.errors():
                key = ".".join(str(p) for p in err["loc"]) or "(params)"
                if err["type"] == "extra_forbidden":
                    known = ", ".join(_fields_at(cls.Params, err["loc"][:-1])) or "none"
                    problems.append(f"unknown parameter '{key}' (known: {known})")
                else:
                    problems.append(f"parameter '{key}': {err['msg']}")
            raise ParamsError(f"reward '{cls.name}': " + "; ".join(problems)) from None

    def required_columns(self) -> tuple[str, ...]:
        """Dataset columns this instance needs; a batch without them raises MissingColumnError."""
        return tuple(self.columns)

    # -- scoring -----------------------------------------------------------------------------

    def score(self, sample: Sample) -> float | None:
        """Score one sample. Subclasses implement this or override :meth:`score_batch`."""
        raise NotImplementedError(f"{type(self).__name__} must implement score or score_batch")

    def score_samples(self, samples: list[Sample]) -> list[float | None]:
        """A pure reward's scores of ``samples`` in one pass: ``score`` of each, unless a reward
        scores the whole list at once (the same scores, with no per-sample call)."""
        score = self.score
        return [score(sample) for sample in samples]

    def score_batch(self, batch: Batch) -> list[float | None]:
        """Score every sample; one sample's exception gives that sample the error score."""
        samples = batch.samples
        if self.pure:
            return self.in_one_pass(batch, lambda: self.score_samples(samples), lambda i: self.score(samples[i]))
        return [self.guarded(batch, i, self.score, sample) for i, sample in enumerate(samples)]

    def in_one_pass(
        self, batch: Batch, whole: Callable[[], list[float | None]], each: Callable[[int], float | None]
    ) -> list[float | None]:
        """``whole()``, the batch's scores in one pass with no per-sample guard; only if it raises,
        every sample again by ``each(index)``, each failure caught and counted (:meth:`guarded`)."""
        try:
            return whole()
        except RewardkitError:
            raise
        except Exception:  # noqa: BLE001 - scored again below, where each failure is counted
            return [self.guarded(batch, i, each, i) for i in range(len(batch.samples))]

    def guarded(self, batch: Batch, index: int, fn, *args: Any) -> float | None:
        """Run ``fn(*args)`` for sample ``index``, turning an unexpected exception into the error score."""
        try:
            return fn(*args)
        except RewardkitError:
            raise
        except Exception as exc:  # noqa: BLE001 - a bad completion must not stop training
            return self._failed(batch, index, exc)

    async def gather_scores(
        self,
        batch: Batch,
        score: Callable[[list[int]], Awaitable[Sequence[float | None]]],
        groups: Sequence[list[int]] | None = None,
    ) -> list[float | None]:
        """The batch's scores: ``await score(rows)`` gives the scores of the samples at ``rows``,
        for each group of rows (default: every sample on its own), at most ``concurrency`` groups
        at once. A group's scores are kept as soon as it is done, so a batch cut at its deadline
        keeps them; a group that raised gives each of its rows the error score.
        """
        groups = [[i] for i in range(len(batch))] if groups is None else groups

        async def one(rows: list[int]) -> None:
            try:
                values = list(await score(rows))
            except RewardkitError:
                raise
            except Exception as exc:  # noqa: BLE001 - one group's failure must not stop training
                values = [self._failed(batch, i, exc) for i in rows]
            if len(values) != len(rows):
                raise ContractError(f"reward '{self.__name__}' gave {len(values)} scores for a group of {len(rows)}")
            batch.scored.update(zip(rows, values))

        await gather_limited([lambda rows=rows: one(rows) for rows in groups], self.limits()[0], None)
        return [batch.scored.get(i) for i in range(len(batch))]

    def secrets(self) -> tuple[str, ...]:
        """Values never to show in this reward's detail, errors or metrics: by default the key in
        the environment variable named by an ``api_key_env`` parameter."""
        env = self.__dict__.get("_key_env", False)
        if env is False:  # the parameter once per reward (pydantic is slow to answer for a missing attribute)
            env = self._key_env = getattr(self.params, "api_key_env", None)
        key = os.environ.get(env) if env else None
        return (key,) if key else ()

    def _failed(self, batch: Batch, index: int, exc: Exception) -> float | None:
        if self.on_error == "raise":
            raise exc
        batch.errors.append((index, f"{type(exc).__name__}: {exc}"))
        return self.error_value()

    def error_value(self) -> float | None:
        """The score of a sample whose scoring raised: ``on_error``, else the class's ``error_score``."""
        value = self.error_score if self.on_error is None else self.on_error
        return None if value is None else float(value)

    def evaluate(
        self, completions: Sequence[Any], prompts: Sequence[Any] | None = None, **kwargs: Any
    ) -> RewardOutput:
        """Score a batch and return the scores together with the reported detail."""
        return self.evaluate_samples(*make_samples(completions, prompts, kwargs, self.__name__))

    def evaluate_samples(self, samples: list[Sample], columns: Sequence[str]) -> RewardOutput:
        """Score samples normalised once (a composition shares them between its rewards).

        Malformed samples never reach :meth:`score_batch`: each gets the error score and an error.
        An async reward is run to completion (see :func:`rewardkit.concurrency.run_sync`).
        """
        if self.is_async:
            return run_sync(self.aevaluate_samples(samples, columns))
        rows, failed = self._scorable(samples, columns)
        batch = Batch([samples[i] for i in rows] if failed else list(samples))
        return self._assemble(batch, self.score_batch(batch), rows, len(samples), failed)

    async def aevaluate(
        self, completions: Sequence[Any], prompts: Sequence[Any] | None = None, **kwargs: Any
    ) -> RewardOutput:
        """:meth:`evaluate` for async code; a synchronous reward runs in a worker thread."""
        return await self.aevaluate_samples(*make_samples(completions, prompts, kwargs, self.__name__))

    async def aevaluate_samples(self, samples: list[Sample], columns: Sequence[str]) -> RewardOutput:
        """:meth:`evaluate_samples` for async code: never blocks the event loop it is awaited on."""
        if not self.is_async:
            return await asyncio.to_thread(self.evaluate_samples, samples, columns)
        rows, failed = self._scorable(samples, columns)
        batch = Batch([samples[i] for i in rows] if failed else list(samples))
        return self._assemble(batch, await self._ascore_batch(batch), rows, len(samples), failed)

    @property
    def is_async(self) -> bool:
        """True when the reward's ``score`` or ``score_batch`` is a coroutine function."""
        return _is_async_class(type(self))

    def limits(self) -> tuple[int, float | None]:
        """An async reward's samples (groups) in flight and whole-batch deadline (seconds, None: none)."""
        return getattr(self.params, "concurrency", 8), getattr(self.params, "deadline", None)

    async def _ascore_batch(self, batch: Batch) -> list[Any]:
        """The batch's scores by ``score_batch`` (or ``score`` per sample), cut at the deadline:
        then the samples scored so far keep their scores and the rest are None, counted."""
        if inspect.iscoroutinefunction(type(self).score_batch):
            work = self.score_batch(batch)
        else:

            async def each(rows: list[int]) -> list[float | None]:
                return [await self.score(batch.samples[i]) for i in rows]

            work = self.gather_scores(batch, each)
        task = asyncio.ensure_future(work)
        try:
            await asyncio.wait({task}, timeout=self.limits()[1])
        finally:
            if not task.done():  # the deadline, or this coroutine was cancelled: cancelled, not abandoned
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        if not task.cancelled():
            return task.result()
        batch.count("deadline_missed", len(batch) - len(batch.scored))
        return [batch.scored.get(i) for i in range(len(batch))]

    def _scorable(self, samples: list[Sample], columns: Sequence[str]) -> tuple[Sequence[int], dict[int, str]]:
        """The rows to score, and the malformed ones with why (or raise, with ``on_error: raise``)."""
        require_columns(columns, self.required_columns(), len(samples), self.__name__)
        failed = {i: f"MalformedText: {s.malformed}" for i, s in enumerate(samples) if s.malformed is not None}
        if not failed:
            return range(len(samples)), failed
        if self.on_error == "raise":
            index = next(iter(failed))
            raise MalformedText(f"reward '{self.__name__}': sample {index}: {samples[index].malformed}")
        return [i for i in range(len(samples)) if i not in failed], failed

    def _assemble(
        self, batch: Batch, raw: Any, rows: Sequence[int], n: int, failed: dict[int, str]
    ) -> RewardOutput:
        if not isinstance(raw, (list, tuple)) or len(raw) != len(batch):
            got = len(raw) if isinstance(raw, (list, tuple)) else type(raw).__name__
            raise ContractError(
                f"reward '{self.__name__}' returned {got} scores for {len(batch)} completions"
            )
        out = RewardOutput(_as_scores(raw, self.__name__), batch.extra, batch.metrics, batch.errors)
        out = out.spread(rows, n, failed, self.error_value()) if failed else out
        secrets = self.secrets()
        if secrets:
            out.extra = scrub(out.extra, secrets)
            out.errors = scrub(out.errors, secrets)
        return out

    def evaluate_and_log(
        self, completions: Sequence[Any], prompts: Sequence[Any] | None = None, **kwargs: Any
    ) -> RewardOutput:
        """:meth:`evaluate`, passing the detail to TRL's ``log_extra``/``log_metric`` when given."""
        out = self.evaluate(completions, prompts, **kwargs)
        forward_report(self.__name__, out, kwargs.get("log_extra"), kwargs.get("log_metric"))
        return out

    def __call__(
        self, completions: Sequence[Any], prompts: Sequence[Any] | None = None, **kwargs: Any
    ) -> list[float | None]:
        return self.evaluate_and_log(completions, prompts, **kwargs).scores

    # -- introspection -----------------------------------------------------------------------

    @classmethod
    def describe(cls) -> dict[str, Any]:
        """Name, description, columns and parameters (type and default) of this reward."""
        params = {}
        for key, info in cls.Params.model_fields.items():
            params[key] = {
                "type": type_name(info.annotation),
                "default": None if info.is_required() else info.get_default(call_default_factory=True),
                "required": info.is_required(),
                "description": info.description or "",
            }
        return {
            "name": cls.name,
            "description": cls.description,
            "columns": list(cls.columns),
            "params": params,
        }

    def __repr__(self) -> str:
        shown = self.params.model_dump(exclude_defaults=True)
        args = ", ".join(f"{k}={v!r}" for k, v in shown.items())
        alias = f", alias={self.alias!r}" if self.alias else ""
        return f"{type(self).__name__}({args}{alias})"


def _fields_at(model: type[BaseModel], path: Sequence[Any]) -> list[str]:
    """The fields of the model at ``path`` inside ``model`` (a nested parameter model such as
    ``limits``), so that an unknown nested key is answered with its own model's keys."""
    for step in path:
        info = model.model_fields.get(str(step))
        inner = info.annotation if info is not None else None
        if not (isinstance(inner, type) and issubclass(inner, BaseModel)):
            return []
        model = inner
    return list(model.model_fields)


def type_name(annotation: Any) -> str:
    """A short readable name for a parameter's type: ``int``, ``auto|chars``, ``list[str]``."""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is typing.Literal:
        return "|".join(str(a) for a in args)
    if origin in (typing.Union, types.UnionType):
        return " | ".join(type_name(a) for a in args)
    if origin is not None:
        inner = ", ".join(type_name(a) for a in args)
        return f"{getattr(origin, '__name__', str(origin))}[{inner}]" if inner else getattr(origin, "__name__", str(origin))
    if annotation is type(None):
        return "None"
    return getattr(annotation, "__name__", str(annotation))


_FLOAT = frozenset({float})


@functools.cache
def _is_async_class(cls: type) -> bool:  # per class, not per call: a composition asks on every batch
    return inspect.iscoroutinefunction(cls.score) or inspect.iscoroutinefunction(cls.score_batch)


def _as_scores(raw: Sequence[Any], name: str) -> list[float | None]:
    """The scores as floats or None, refusing anything else (the common case, all finite floats,
    checked without a call per score)."""
    if set(map(type, raw)) <= _FLOAT and all(map(math.isfinite, raw)):
        return list(raw)
    return [_as_score(s, name) for s in raw]


def _as_score(value: Any, name: str) -> float | None:
    if value is None:
        return None
    try:
        score = float(value)
    except (TypeError, ValueError):
        raise ContractError(f"reward '{name}' returned a non-numeric score {shown(value)}") from None
    if not math.isfinite(score):
        which = "NaN" if math.isnan(score) else f"{score:+}"
        raise ContractError(f"reward '{name}' returned {which}; return None for an unscorable sample")
    return score


@dataclass(frozen=True)
class MergedMetric:
    """One metric over many batches: a count's sum, or a figure's weighted mean with its range."""

    value: float
    figure: bool = False
    low: float | None = None  # figures: the lowest and highest batch's figure
    high: float | None = None
    batches: int = 1


def merge_metrics(batches: Sequence[Mapping[str, float]]) -> dict[str, MergedMetric]:
    """The metrics of several batches of one reward as one: counts added up; :class:`Figure` values
    (per-batch means, percentiles) as their mean weighted by what each summarises, with the
    lowest and highest batch's figure (a percentile of percentiles would be a made-up number).

    >>> merged = merge_metrics([{"calls": 2, "p50": Figure(1.0, 1)}, {"calls": 3, "p50": Figure(4.0, 2)}])
    >>> merged["calls"].value, merged["p50"].value, merged["p50"].low, merged["p50"].high
    (5.0, 3.0, 1.0, 4.0)
    """
    sums: dict[str, float] = {}
    figures: dict[str, list[Figure]] = {}
    for metrics in batches:
        for key, value in metrics.items():
            if isinstance(value, Figure):
                figures.setdefault(key, []).append(value)
            else:
                sums[key] = sums.get(key, 0.0) + float(value)
    merged = {key: MergedMetric(total) for key, total in sums.items()}
    for key, values in figures.items():
        weight = sum(v.weight for v in values)
        mean = sum(v * v.weight for v in values) / weight if weight > 0 else sum(values) / len(values)
        merged[key] = MergedMetric(mean, True, float(min(values)), float(max(values)), len(values))
    return merged


def forward_report(name: str, out: RewardOutput, log_extra: Any, log_metric: Any) -> None:
    """Pass a reward's detail to TRL's ``log_extra``/``log_metric`` callbacks when given."""
    if callable(log_extra):
        for key, values in out.extra.items():
            log_extra(f"{name}/{key}", list(values))
    if callable(log_metric):
        log_metric(f"rewardkit/{name}/errors", float(len(out.errors)))
        for key, value in out.metrics.items():
            log_metric(f"rewardkit/{name}/{key}", float(value))
