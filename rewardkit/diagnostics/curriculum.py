"""A training run's curriculum, read back from its metrics: each task's level, accuracy and no-signal share per log.

A run whose reasoning-gym task levels follow the reward (``dataset.reasoning_gym.curriculum``)
logs, per task, ``rewardkit/curriculum/<task>/level`` at every log and, over the groups scored
since the previous log, ``…/accuracy`` and ``…/zero_variance_share``. The report draws the levels
and the accuracies, and lists every change.
"""

from __future__ import annotations

from typing import Any, Sequence

PREFIX = "rewardkit/curriculum"
FIGURES = ("level", "accuracy", "zero_variance_share")


def curriculum_curves(metrics: Sequence[dict[str, Any]]) -> dict[str, Any] | None:
    """``{"steps", "tasks": {task: {figure: [value or None per step]}}, "changes": [...]}``, or None
    when the run had no curriculum."""
    records = [r for r in metrics if any(k.startswith(PREFIX + "/") for k in r)]
    if not records:
        return None
    names = sorted({k[len(PREFIX) + 1 :].rsplit("/", 1)[0] for r in records for k in r if k.startswith(PREFIX + "/")})
    steps = [r.get("step") for r in records]
    tasks = {
        name: {figure: [r.get(f"{PREFIX}/{name}/{figure}") for r in records] for figure in FIGURES} for name in names
    }
    changes = []
    for name, series in tasks.items():
        previous = None
        for step, level in zip(steps, series["level"]):
            if level is not None and previous is not None and level != previous:
                changes.append({"step": step, "task": name, "from": int(previous), "to": int(level)})
            previous = level if level is not None else previous
    changes.sort(key=lambda c: (c["step"], c["task"]))
    return {"steps": steps, "tasks": tasks, "changes": changes}
