"""A curriculum that follows the reward: each reasoning-gym task's level moves with how its prompts score.

GRPO learns nothing from a prompt whose completions all score the same (the diagnostics'
no-signal test, :func:`rewardkit.diagnostics.components.zero_variance_share`): a task the policy
has mastered, or one it cannot do at all, only spends generation time. For each task of
``dataset.reasoning_gym`` the curriculum keeps its last ``window`` prompt groups (the completions
of one prompt, scored by the ``reasoning_gym`` component) and, once it has that many:

- **raises** the task's level when its accuracy (the share of completions scoring at least
  ``pass_score``) is at least ``raise_at``: the task saturates;
- **lowers** it when the accuracy is at most ``lower_at`` and at least ``flat_to_lower`` of its
  groups have zero variance: nothing passes and nothing varies. A task whose failing scores still
  vary (reasoning-gym's partial credit: a reversed spelling scored by similarity) gives GRPO a
  signal where it is, and lowering it would trade that for easier items whose completions agree;
- otherwise moves it when at least ``no_signal`` of its groups have zero variance (up when the
  accuracy is at least one half, else down), but never back to the level its accuracy last moved
  it away from. That direction is a guess: a policy sure of each item (every group all right or
  all wrong, at any level) gives no signal anywhere, and the guess would send the task back and
  forth between a level it passes by halves and one where nothing passes;

then starts the task's window afresh. Levels are reasoning-gym's own curriculum levels (every
attribute at that level, :meth:`BaseCurriculum.set_global_level`), from 0 to the task's highest.
The rows the trainer draws after a change are generated at the new level (the same item index,
re-generated, its prompt rebuilt), through a ``datasets`` transform on the training set; the
completions already generated are not. Each log gets, per task, ``rewardkit/curriculum/<task>/level``
and, over the groups scored since the last log, ``…/accuracy`` and ``…/zero_variance_share``;
each change is printed and appended to ``curriculum.jsonl`` in the output directory (step, task,
levels, accuracy, zero-variance share, reason), and ``rewardkit diagnose`` draws the levels.

One process's view: under several ranks each rank follows the groups it scores (levels may then
differ between ranks). The transform runs where the rows are read, so the data loader must run
in the training process (``dataloader_num_workers: 0``, the default).
"""

from __future__ import annotations

import collections
import json
import sys
from pathlib import Path
from typing import Any, Sequence

from transformers import TrainerCallback

from rewardkit.cache import LRUCache
from rewardkit.diagnostics.components import zero_variance_share
from rewardkit.diagnostics.curriculum import PREFIX
from rewardkit.diagnostics.table import group_key, groups
from rewardkit.errors import ConfigError

from .callbacks import add_to_logs
from .data import build_prompt
from .tasks import CurriculumSpec, TaskGenerators, TasksSpec

RENDERED_KEPT = 4096
EVENTS_FILE = "curriculum.jsonl"


class Group:
    """The scores of one prompt's completions."""

    def __init__(self, scores: Sequence[float | None], pass_score: float) -> None:
        self.scores = [s for s in scores if s is not None]
        self.passed = sum(1 for s in self.scores if s >= pass_score)


def figures(window: Sequence[Group]) -> tuple[float | None, float | None]:
    """Accuracy (share of scored completions that pass) and zero-variance share of some groups."""
    scored = sum(len(g.scores) for g in window)
    accuracy = sum(g.passed for g in window) / scored if scored else None
    values = [s for g in window for s in g.scores]
    bounds, start = [], 0
    for g in window:
        bounds.append(list(range(start, start + len(g.scores))))
        start += len(g.scores)
    return accuracy, zero_variance_share(values, bounds)[0]


def decide(spec: CurriculumSpec, accuracy: float | None, zero_share: float | None) -> tuple[int, str, str]:
    """The level step (+1, -1 or 0) for a task's window, why, and the rule that decided it
    ("accuracy" or "no_signal"; "" for no step)."""
    if accuracy is None:
        return 0, "", ""
    if accuracy >= spec.raise_at:
        return 1, f"accuracy {accuracy:.2f} >= raise_at {spec.raise_at:g}", "accuracy"
    if accuracy <= spec.lower_at and zero_share is not None and zero_share >= spec.flat_to_lower:
        reason = f"accuracy {accuracy:.2f} <= lower_at {spec.lower_at:g}, {zero_share:.0%} of groups without signal"
        return -1, reason, "accuracy"
    if zero_share is not None and zero_share >= spec.no_signal:
        step = 1 if accuracy >= 0.5 else -1
        return step, f"{zero_share:.0%} of groups without signal at accuracy {accuracy:.2f}", "no_signal"
    return 0, "", ""


class Curriculum(TrainerCallback):
    """Follows the ``reasoning_gym`` component's scores per task and moves the tasks' levels (module docstring)."""

    def __init__(self, spec: TasksSpec, seed: int, prompt: Any, output_dir: str | Path | None = None, stream=None) -> None:
        from .tasks import _registry

        assert spec.curriculum is not None
        self.spec = spec
        self.rules = spec.curriculum
        self.prompt = prompt
        self.generators = TaskGenerators(spec, seed, spec.size)
        _, factory = _registry()
        self.max_level: dict[str, int] = {}
        for task in spec.tasks:
            attributes = factory.create_curriculum(task.name).attributes.values()
            self.max_level[task.name] = max(len(a.levels) for a in attributes) - 1
            self.generators.levels[task.name] = min(task.level or 0, self.max_level[task.name])
        self.windows = {t.name: collections.deque(maxlen=self.rules.window) for t in spec.tasks}
        self.since_log: dict[str, list[Group]] = {t.name: [] for t in spec.tasks}
        self.left_on_accuracy: dict[str, int] = {}  # task -> the level its accuracy last moved it away from
        self.events: list[dict[str, Any]] = []
        self.events_path = Path(output_dir) / EVENTS_FILE if output_dir is not None else None
        self.stream = stream
        self.step = 0
        self._rendered = LRUCache(RENDERED_KEPT)  # (task, level, index) -> row: a group's copies are read together

    # -- wiring ------------------------------------------------------------------------------------------

    @classmethod
    def for_run(cls, config: Any, rewards: Any, args: Any) -> "Curriculum":
        """The curriculum of a train config (``dataset.reasoning_gym.curriculum``), observing its rewards."""
        tasks = config.dataset.reasoning_gym
        if args.dataloader_num_workers:
            raise ConfigError(
                "dataset.reasoning_gym.curriculum: the rows are re-generated where they are read, so the data loader "
                "must run in the training process; remove trainer.dataloader_num_workers"
            )
        seed = tasks.seed if tasks.seed is not None else config.seed
        curriculum = cls(tasks, seed, config.prompt, args.output_dir)
        curriculum.attach(rewards)
        return curriculum

    def attach(self, rewards: Any) -> None:
        """Observe the scores of the composition entry ``curriculum.reward`` (a TRLRewards' functions)."""
        funcs = [f for f in rewards.funcs if f.__name__ == self.rules.reward]
        if not funcs:
            raise ConfigError(
                f"dataset.reasoning_gym.curriculum: reward '{self.rules.reward}' is not an entry of the composition "
                f"(entries: {', '.join(f.__name__ for f in rewards.funcs)})"
            )
        funcs[0].observers.append(self.observe)

    def follow(self, rows: Any) -> Any:
        """The training rows, re-generated at each task's current level whenever they are read."""
        rows.set_transform(self.render)
        return rows

    def render(self, batch: dict[str, list[Any]]) -> dict[str, list[Any]]:
        """A ``datasets`` transform: each row as its task's generator makes it at the current level."""
        columns = list(batch)
        out: dict[str, list[Any]] = {c: [] for c in columns}
        for j in range(len(batch[columns[0]])):
            row = {c: batch[c][j] for c in columns}
            task = row["task"]
            index = json.loads(row["metadata"])["source_index"]
            key = (task, self.generators.levels[task], index)
            fresh = self._rendered.get(key)
            if fresh is None:
                fresh = self.generators.row(index, task)
                fresh["prompt"] = build_prompt(fresh, self.prompt, "question")
                self._rendered.put(key, fresh)
            for c in columns:
                out[c].append(fresh.get(c, row[c]))
        return out

    # -- fed by the reward function -----------------------------------------------------------------------

    def observe(self, component: Any, scores: Sequence[float | None], completions: Sequence[Any],
                prompts: Sequence[Any] | None, kwargs: dict[str, Any]) -> None:
        if component.__name__ != self.rules.reward or prompts is None:
            return
        tasks = kwargs.get("task")
        if not isinstance(tasks, (list, tuple)) or len(tasks) != len(scores):
            return
        for members in groups([group_key(p) for p in prompts]):
            task = tasks[members[0]]
            if task not in self.windows:
                continue
            group = Group([scores[i] for i in members], self.rules.pass_score)
            self.windows[task].append(group)
            self.since_log[task].append(group)
            self._maybe_move(task)

    def _maybe_move(self, task: str) -> None:
        window = self.windows[task]
        if len(window) < self.rules.window:
            return
        accuracy, zero_share = figures(window)
        step, reason, rule = decide(self.rules, accuracy, zero_share)
        level = self.generators.levels[task]
        new = min(max(level + step, 0), self.max_level[task])
        if new == level or (rule == "no_signal" and new == self.left_on_accuracy.get(task)):
            return
        if rule == "accuracy":
            self.left_on_accuracy[task] = level
        self.generators.levels[task] = new
        window.clear()
        event = {"step": self.step, "task": task, "from": level, "to": new, "accuracy": accuracy,
                 "zero_variance_share": zero_share, "groups": self.rules.window, "reason": reason}  # fmt: skip
        self.events.append(event)
        print(f"curriculum: step {self.step}: {task} level {level} -> {new} ({reason})", file=self.stream or sys.stderr, flush=True)
        if self.events_path is not None:
            self.events_path.parent.mkdir(parents=True, exist_ok=True)
            with open(self.events_path, "a", encoding="utf-8") as handle:
                handle.write(json.dumps(event) + "\n")

    # -- trainer events ---------------------------------------------------------------------------------

    def on_train_begin(self, args, state, control, **kwargs):
        if self.events_path is not None and state.global_step == 0 and self.events_path.exists():
            self.events_path.unlink()  # a fresh run (a resumed one appends)

    def on_step_end(self, args, state, control, **kwargs):
        self.step = state.global_step

    def on_log(self, args, state, control, logs=None, **kwargs):
        if logs is None or "loss" not in logs:
            return
        values: dict[str, float] = {}
        for task, level in self.generators.levels.items():
            values[f"{PREFIX}/{task}/level"] = float(level)
            accuracy, zero_share = figures(self.since_log[task])
            if accuracy is not None:
                values[f"{PREFIX}/{task}/accuracy"] = accuracy
            if zero_share is not None:
                values[f"{PREFIX}/{task}/zero_variance_share"] = zero_share
            self.since_log[task] = []
        add_to_logs(state, logs, values)
