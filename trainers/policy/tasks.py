"""reasoning-gym tasks as training data: a run's prompts built by reasoning-gym's generators, the same for the same seed.

::

    dataset:
      reasoning_gym:
        size: 256                  # training rows (the evaluation split: eval_size rows, seeded apart)
        seed: 42                   # default: the run's seed
        tasks:
          - {name: leg_counting, weight: 2, level: 0}                    # level: reasoning-gym's curriculum level
          - {name: basic_arithmetic, config: {max_terms: 2}}             # config: generator settings
        curriculum: {raise_at: 0.8, lower_at: 0.1}                       # optional: see curriculum.py

Row ``i`` takes its task as reasoning-gym's composite dataset does (``Random(seed + i)`` picks
one by weight) and is item ``i`` of that task's generator (seeded ``seed + 1 + position``, or
the task's own ``seed``), so the first rows of a longer set are the rows of a shorter one. A
task's settings are its defaults, then those of its curriculum ``level`` (reasoning-gym's own
curriculum classes: every attribute at that level, as ``set_global_level`` sets them), then its
``config``. Each row holds ``question``, ``answer``, ``task`` and ``metadata``: reasoning-gym's
metadata as JSON text with the settings that differ from the task's defaults under
``rewardkit_config``, so the ``reasoning_gym`` reward builds the verifier the item needs.
The prompt is built from ``question`` like any dataset's (``prompt.system``, template, examples).

Tasks whose verifier passes wrong answers (:data:`~rewardkit.plugins.reasoning_gym.families.FORGEABLE`)
are refused unless the task says ``allow_forgeable: true``. reasoning-gym is imported only when
rows are built.
"""

from __future__ import annotations

import contextlib
import dataclasses
import difflib
import io
import json
import random
from typing import TYPE_CHECKING, Any

from pydantic import Field, model_validator

from rewardkit.diagnostics.findings import NO_SIGNAL
from rewardkit.errors import ConfigError, import_optional
from rewardkit.plugins.reasoning_gym.rows import CONFIG_KEY, UNSCORED_SETTINGS, metadata_text

from ..run_config import Strict

if TYPE_CHECKING:
    from datasets import Dataset

EVAL_SEED_OFFSET = 1_000_003  # the evaluation split's seed: the run's plus this (no item shared by design)


class TaskSpec(Strict):
    name: str = Field(description="the reasoning-gym task (dataset) name, e.g. leg_counting")
    weight: float = Field(1.0, gt=0, description="share of the rows, relative to the other tasks' weights")
    level: int | None = Field(None, ge=0, description="reasoning-gym curriculum level of every attribute (default: none)")
    config: dict[str, Any] = Field(default_factory=dict, description="generator settings, over the level's")
    seed: int | None = Field(None, description="the task generator's seed (default: the set's seed + 1 + position)")
    allow_forgeable: bool = Field(False, description="use a task whose verifier passes wrong answers anyway")


class CurriculumSpec(Strict):
    raise_at: float = Field(0.8, ge=0, le=1, description="a task's accuracy at or above which its level goes up")
    lower_at: float = Field(0.1, ge=0, le=1, description="a task's accuracy at or below which its level goes down")
    flat_to_lower: float = Field(
        0.5, ge=0, le=1,
        description="lowering on accuracy also needs this share of the task's groups with zero variance: a task whose "
        "scores below pass_score still vary (partial credit) has signal and keeps its level",
    )  # fmt: skip
    no_signal: float = Field(
        NO_SIGNAL, gt=0, le=1,
        description="zero-variance share of a task's groups at or above which it moves (up if accuracy >= 0.5, else down)",
    )  # fmt: skip
    pass_score: float = Field(1.0, description="a completion passes when its reasoning_gym score is at least this")
    window: int = Field(8, ge=1, description="groups of a task scored since its last change before it may change again")
    reward: str = Field("reasoning_gym", description="the composition entry whose scores the curriculum follows")

    @model_validator(mode="after")
    def _ordered(self) -> "CurriculumSpec":
        if self.lower_at >= self.raise_at:
            raise ValueError(f"lower_at ({self.lower_at}) must be below raise_at ({self.raise_at})")
        return self


class TasksSpec(Strict):
    tasks: list[TaskSpec] = Field(min_length=1, description="the tasks rows are drawn from")
    size: int = Field(500, gt=0, description="training rows")
    eval_size: int = Field(100, gt=0, description="rows of the evaluation split")
    seed: int | None = Field(None, description="default: the run's seed")
    curriculum: CurriculumSpec | None = Field(None, description="move each task's level with its reward (curriculum.py)")

    def describe(self) -> str:
        """``leg_counting×2 (level 0), basic_arithmetic×1, seed 42``, with the curriculum when there is one."""
        parts = [f"{t.name}×{t.weight:g}" + (f" (level {t.level})" if t.level is not None else "") for t in self.tasks]
        seed = "" if self.seed is None else f", seed {self.seed}"
        return ", ".join(parts) + seed + (", levels follow the reward (curriculum)" if self.curriculum else "")

    @model_validator(mode="after")
    def _distinct(self) -> "TasksSpec":
        names = [t.name for t in self.tasks]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ValueError(f"task {repeated[0]!r} is listed twice (give it one entry with its weight)")
        return self


def _registry() -> tuple[dict[str, Any], Any]:
    import_optional("reasoning_gym", "reasoning-gym", "dataset.reasoning_gym")
    from reasoning_gym import factory

    return {n: v for n, v in factory.DATASETS.items() if n != "composite"}, factory


def check_tasks(spec: TasksSpec, curriculum: bool = False) -> None:
    """Every task exists, is not forgeable (unless allowed) and has a curriculum where a level asks for one."""
    from rewardkit.plugins.reasoning_gym.families import FORGEABLE

    datasets, factory = _registry()
    for i, task in enumerate(spec.tasks):
        where = f"dataset.reasoning_gym.tasks[{i}] ({task.name})"
        if task.name not in datasets:
            close = difflib.get_close_matches(task.name, list(datasets), n=3)
            hint = f"did you mean {', '.join(close)}?" if close else f"its tasks: {', '.join(sorted(datasets))}"
            raise ConfigError(f"{where}: reasoning-gym has no such task; {hint}")
        if task.name in FORGEABLE and not task.allow_forgeable:
            raise ConfigError(
                f"{where}: its verifier {FORGEABLE[task.name]}; leave it out, or set allow_forgeable: true"
            )
        if (task.level is not None or curriculum) and not factory.has_curriculum(task.name):
            raise ConfigError(f"{where}: reasoning-gym has no curriculum for it; remove 'level' (and the curriculum)")


def task_config(task: TaskSpec, level: int | None, *, seed: int, size: int) -> Any:
    """The generator config of ``task`` at ``level`` (reasoning-gym's curriculum), its ``config`` on top."""
    datasets, factory = _registry()
    config_class = datasets[task.name][1]
    if level is None:
        base = config_class()
    else:
        curriculum = factory.create_curriculum(task.name)
        curriculum.set_global_level(level)
        base = curriculum.generate_configuration({})
    try:
        config = dataclasses.replace(base, **task.config, seed=seed, size=size)
        if hasattr(config, "validate"):
            config.validate()
    except (TypeError, ValueError, AssertionError) as exc:
        raise ConfigError(f"dataset.reasoning_gym: task {task.name} at level {level}: {type(exc).__name__}: {exc}") from None
    return config


def scored_settings(task_name: str, config: Any) -> dict[str, Any]:
    """The settings of ``config`` that differ from the task's defaults (seed and size aside), as JSON values."""
    datasets, _ = _registry()
    defaults = dataclasses.asdict(datasets[task_name][1]())
    changed = {k: v for k, v in dataclasses.asdict(config).items() if k not in UNSCORED_SETTINGS and defaults.get(k) != v}
    try:
        return json.loads(json.dumps(changed))
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"dataset.reasoning_gym: task {task_name}: a setting is not JSON ({exc}); rows carry settings as JSON") from None


class TaskGenerators:
    """Each task's generator at its current level; ``row(i)`` is row ``i`` of the set (see the module docstring)."""

    def __init__(self, spec: TasksSpec, seed: int, size: int) -> None:
        self.spec = spec
        self.seed = seed
        self.size = size
        self.names = [t.name for t in spec.tasks]
        self.weights = [t.weight for t in spec.tasks]
        self.levels: dict[str, int | None] = {t.name: t.level for t in spec.tasks}
        self._generators: dict[tuple[str, int | None], tuple[Any, dict[str, Any]]] = {}

    def task_of(self, i: int) -> str:
        return random.Random(self.seed + i).choices(self.names, weights=self.weights, k=1)[0]

    def generator(self, name: str, level: int | None) -> tuple[Any, dict[str, Any]]:
        """The dataset generating ``name`` at ``level``, and the settings its rows carry."""
        key = (name, level)
        if key not in self._generators:
            position = self.names.index(name)
            task = self.spec.tasks[position]
            config = task_config(task, level, seed=task.seed if task.seed is not None else self.seed + 1 + position,
                                 size=self.size)  # fmt: skip
            datasets, _ = _registry()
            self._generators[key] = (datasets[name][0](config=config), scored_settings(name, config))
        return self._generators[key]

    def row(self, i: int, name: str | None = None) -> dict[str, Any]:
        """Row ``i`` (of task ``name``, default: the task the set draws for it) at its task's current level."""
        name = name or self.task_of(i)
        dataset, settings = self.generator(name, self.levels[name])
        with contextlib.redirect_stdout(io.StringIO()):  # a few generators print (bf, codeio)
            item = dataset[i]
        metadata = dict(item["metadata"])
        if settings:
            metadata[CONFIG_KEY] = settings
        return {"question": item["question"], "answer": item["answer"], "task": name, "metadata": metadata_text(metadata)}


def task_rows(spec: TasksSpec, run_seed: int, *, evaluation: bool = False, limit: int | None = None) -> "Dataset":
    """The training (or evaluation) rows of ``spec``: the first ``limit`` of them when given."""
    import datasets

    check_tasks(spec, curriculum=spec.curriculum is not None)
    seed = (spec.seed if spec.seed is not None else run_seed) + (EVAL_SEED_OFFSET if evaluation else 0)
    size = spec.eval_size if evaluation else spec.size
    generators = TaskGenerators(spec, seed, size)
    count = size if limit is None else min(size, limit)
    return datasets.Dataset.from_list([generators.row(i) for i in range(count)])
