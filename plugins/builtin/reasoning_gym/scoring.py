"""The scoring side, run only in the worker processes: reasoning-gym's own ``score_answer`` for a row's task.

A task's verifier is its dataset's ``score_answer``, bound to a dataset built with the row's
generator settings (:func:`.rows.settings_key`), as reasoning-gym's ``get_score_answer_fn``
builds one with the defaults. Building one costs from nothing to 0.7 s (``arc_agi`` reads its
task files, ``group_anagrams`` and ``word_ladder`` their word lists), and an answer's time limit
should not pay for it: :func:`build_defaults` builds every task's verifier with its default
settings when the workers' module is imported (in the fork server, before any worker counts as
ready; about 3.5 s and 45 MB for all 105). Verifiers of other settings are built on first use;
each worker keeps the last :data:`SCORERS_KEPT` of those, and the reward sends the answers of one
(task, settings) to the same worker when it can. The entry handed to the verifier is rebuilt from the row: its ``answer`` and
its ``metadata`` (never a pickled entry). Nothing here is imported by the trainer's process.
"""

from __future__ import annotations

import collections
import json
from typing import Any, Callable

from rewardkit.stats import finite_number

from . import guard

SCORERS_KEPT = 64
DEFAULTS = "{}"  # the settings key of a task's defaults
_defaults: dict[str, Callable[[Any, dict[str, Any]], Any]] = {}  # task -> its default verifier, kept for good
_scorers: collections.OrderedDict[tuple[str, str], Callable[[Any, dict[str, Any]], Any]] = collections.OrderedDict()


def known_tasks() -> list[str]:
    """The names of every task reasoning-gym registers (``composite`` is a mixture of them, not a task)."""
    from reasoning_gym.factory import DATASETS

    return sorted(name for name in DATASETS if name != "composite")


def build_defaults() -> None:
    """Build every task's verifier with its default settings (once per process)."""
    import contextlib
    import io

    with contextlib.redirect_stdout(io.StringIO()):  # a few datasets print while they load
        for task in known_tasks():
            if task not in _defaults:
                built = _build(task, DEFAULTS)
                if not isinstance(built, str):
                    _defaults[task] = built


def verifier(task: str, settings: str) -> Callable[[Any, dict[str, Any]], Any] | str:
    """The bound ``score_answer`` of ``task`` built with ``settings`` (JSON), or why there is none."""
    if settings == DEFAULTS and task in _defaults:
        return _defaults[task]
    key = (task, settings)
    found = _scorers.get(key)
    if found is not None:
        _scorers.move_to_end(key)
        return found
    built = _build(task, settings)
    if not isinstance(built, str):
        _scorers[key] = built
        while len(_scorers) > SCORERS_KEPT:
            _scorers.popitem(last=False)
    return built


def _build(task: str, settings: str) -> Callable[[Any, dict[str, Any]], Any] | str:
    from reasoning_gym.factory import DATASETS

    if task not in DATASETS or task == "composite":
        return "unknown_task"
    dataset_class, config_class = DATASETS[task]
    try:
        dataset = dataset_class(config=config_class(**json.loads(settings)))
    except Exception as exc:  # noqa: BLE001 - a row's settings the generator rejects
        return f"bad_settings: {type(exc).__name__}: {exc}"
    return dataset.score_answer


def score(
    task: str, settings: str, answer: str | None, gold: Any, metadata: dict[str, Any]
) -> tuple[str, Any, int]:
    """The task the workers run: ``("ok", score, refused)``, or ``(problem, detail, 0)`` when the row
    cannot be scored; ``refused`` counts the evaluations of code the guard refused meanwhile.

    An exception the verifier raises propagates (the reward scores that sample as an error)."""
    scorer = verifier(task, settings)
    if isinstance(scorer, str):
        return ("unknown_task", task, 0) if scorer == "unknown_task" else ("bad_settings", scorer, 0)
    guard.scoring(task)
    refused = guard.USES[task]["refused"]
    value = scorer(answer, {"answer": gold, "metadata": metadata})
    number = finite_number(value)
    if number is None:
        raise ValueError(f"{task}'s verifier returned {value!r}, not a finite number")
    return "ok", number, guard.USES[task]["refused"] - refused
