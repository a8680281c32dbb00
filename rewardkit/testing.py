"""Pytest helpers for reward authors (registered as a pytest plugin through ``pytest11``).

Fixtures:
    reward_registry: an isolated registry (built-ins only, no third-party autoload) installed as the
        process default for the test, so ``get_reward`` and YAML loading see exactly what the test adds.
    inline_reward: ``inline_reward(RewardClass, ...)`` registers throwaway rewards in that registry.

Functions:
    assert_scores(reward, cases): table-driven assertion, reporting every mismatching case at once.
    check_reward_contract(reward, columns): runs a reward through the TRL contract battery.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import math
import pickle
from typing import Any, Iterator, Mapping, Sequence

import pytest

from .errors import MissingColumnError, RewardkitError, shown
from .hookspecs import hookimpl
from .registry import Registry, set_default_registry
from .reward import Reward


class InlinePlugin:
    """A plugin object that registers the given reward classes."""

    def __init__(self, *rewards: type[Reward]) -> None:
        self.rewards = rewards

    @hookimpl
    def register_rewards(self, register):
        for reward in self.rewards:
            register(reward)


_inline_ids = itertools.count()


@contextlib.contextmanager
def registered(registry: Registry, *rewards: type[Reward], name: str = "inline") -> Iterator[str]:
    """Register reward classes in ``registry`` for the duration of a ``with`` block."""
    plugin_name = registry.register(InlinePlugin(*rewards), name=f"{name}:{next(_inline_ids)}")
    try:
        yield plugin_name
    finally:
        registry.unregister(plugin_name)


@pytest.fixture
def reward_registry() -> Iterator[Registry]:
    """An isolated registry with the built-in plugins, installed as the default for this test."""
    registry = Registry(autoload=False)
    previous = set_default_registry(registry)
    try:
        yield registry
    finally:
        set_default_registry(previous)


@pytest.fixture
def inline_reward(reward_registry: Registry):
    """Register throwaway reward classes: ``inline_reward(MyReward)``; removed after the test."""
    stack = contextlib.ExitStack()

    def register(*rewards: type[Reward]) -> Registry:
        stack.enter_context(registered(reward_registry, *rewards))
        return reward_registry

    with stack:
        yield register


# -- table-driven assertions -------------------------------------------------------------------


def _case(case: Any) -> dict[str, Any]:
    if isinstance(case, Mapping):
        unknown = set(case) - {"completion", "expected", "prompt", "columns", "id"}
        if unknown:
            raise TypeError(f"assert_scores: unknown case keys {sorted(unknown)}")
        return dict(case)
    if isinstance(case, (tuple, list)) and len(case) in (2, 3):
        return {"completion": case[0], "expected": case[1], "columns": case[2] if len(case) == 3 else {}}
    raise TypeError(f"assert_scores: a case is (completion, expected[, columns]) or a dict, got {shown(case)}")


def assert_scores(
    reward: Reward,
    cases: Sequence[Any],
    *,
    rel: float = 1e-6,
    abs: float = 1e-9,  # noqa: A002 - mirrors pytest.approx
    **shared_columns: Any,
) -> list[float | None]:
    """Score every case in one batch and assert each score, listing all mismatches on failure.

    A case is ``(completion, expected)``, ``(completion, expected, {column: value})`` or a dict
    with ``completion``, ``expected`` and optional ``prompt``, ``columns``, ``id``. ``expected``
    may be ``None`` (cannot be scored). Columns given as keywords apply to every case.
    """
    rows = [_case(c) for c in cases]
    names = sorted({k for r in rows for k in r.get("columns", {})} | set(shared_columns))
    columns = {
        name: [r.get("columns", {}).get(name, shared_columns.get(name)) for r in rows] for name in names
    }
    prompts = [r.get("prompt") for r in rows] if any("prompt" in r for r in rows) else None
    scores = reward([r["completion"] for r in rows], prompts=prompts, **columns)
    failures = []
    for i, (row, got) in enumerate(zip(rows, scores)):
        want = row["expected"]
        ok = got is None if want is None else got is not None and got == pytest.approx(want, rel=rel, abs=abs)
        if not ok:
            label = row.get("id", f"case {i}")
            failures.append(f"  {label}: expected {shown(want)}, got {shown(got)} for {shown(row['completion'])}")
    if failures:
        raise AssertionError(f"{reward.__name__}: {len(failures)} of {len(rows)} cases differ:\n" + "\n".join(failures))
    return scores


# -- contract battery --------------------------------------------------------------------------

_TEXTS = {
    "plain": "The answer is 42.",
    "empty": "",
    "unicode": "Ответ: 42 🎉 答案是四十二 — naïve café ∑x² 😀",
    "long": "word " * 20_000,
    "xml": "<reasoning>\nsix times seven\n</reasoning>\n<answer>\n42\n</answer>\n",
}


def check_reward_contract(
    reward: Reward, columns: Mapping[str, Any] | None = None, prompt: str = "What is 6 times 7?"
) -> list[str]:
    """Run ``reward`` through the contract battery; raise AssertionError listing every breach.

    ``columns`` gives one valid value for each dataset column the reward needs. Checked: plain and
    conversational formats, prompts omitted, empty, unicode/emoji and 100,000-character completions,
    missing columns (must raise MissingColumnError), None column values, extra keyword arguments
    (TRL's trainer_state, completion_ids, log_extra, log_metric and unknown ones), the
    one-score-per-completion rule, the async face (``aevaluate``) and a call from inside a running
    event loop (both must give the call's scores), pickling and ``__name__``. A completion scores the same as a
    string and as an assistant message under a user-turn prompt. Returns the names of the checks run.
    """
    columns = dict(columns or {})
    failures: list[str] = []
    done: list[str] = []
    texts = list(_TEXTS.values())
    n = len(texts)

    def cols(value_for=lambda k, v: v, count: int = n) -> dict[str, list[Any]]:
        return {k: [value_for(k, v)] * count for k, v in columns.items()}

    def run(check: str, *args: Any, **kwargs: Any) -> list[float | None] | None:
        done.append(check)
        try:
            scores = reward(*args, **kwargs)
        except RewardkitError as exc:
            failures.append(f"{check}: raised {type(exc).__name__}: {exc}")
            return None
        except Exception as exc:  # noqa: BLE001 - reported as a breach
            failures.append(f"{check}: crashed with {type(exc).__name__}: {exc}")
            return None
        completions = args[0]
        if not isinstance(scores, list) or len(scores) != len(completions):
            failures.append(f"{check}: returned {shown(scores)} for {len(completions)} completions")
            return None
        for s in scores:
            if s is not None and (not isinstance(s, float) or math.isnan(s)):
                failures.append(f"{check}: score {shown(s)} is not a float or None")
        return scores

    missing = [c for c in reward.required_columns() if c not in columns]
    if missing:
        raise ValueError(f"check_reward_contract: give a valid value for column(s) {missing} in `columns`")

    plain = run("plain strings", texts, prompts=[prompt] * n, **cols())
    run("no prompts", texts, **cols())
    chat = [[{"role": "assistant", "content": t}] for t in texts]
    chat_scores = run("conversational messages", chat, prompts=[[{"role": "user", "content": prompt}]] * n, **cols())
    if plain is not None and chat_scores is not None and plain != chat_scores:
        failures.append(f"conversational messages: scores {chat_scores} differ from plain strings {plain}")
    system_turn = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": prompt}]
    run("conversational with a system turn", chat, prompts=[system_turn] * n, **cols())
    run("empty batch", [], prompts=[], **cols(count=0))

    logged: dict[str, list[Any]] = {"extra": [], "metric": []}
    run(
        "extra keyword arguments",
        texts,
        prompts=[prompt] * n,
        trainer_state=object(),
        completion_ids=[[1, 2, 3]] * n,
        log_extra=lambda column, values: logged["extra"].append((column, values)),
        log_metric=lambda name, value: logged["metric"].append((name, value)),
        some_unused_column=list(range(n)),
        **cols(),
    )
    for column, values in logged["extra"]:
        if not isinstance(column, str) or len(values) != n:
            failures.append(f"log_extra: column {shown(column)} got {len(values)} values for {n} completions")
    for name, value in logged["metric"]:
        if not isinstance(name, str) or not isinstance(value, float):
            failures.append(f"log_metric: {shown(name)} = {shown(value)} is not a named float")

    if columns:
        run("None column values", texts, prompts=[prompt] * n, **cols(lambda k, v: None))
        done.append("missing columns")
        try:
            reward(texts, prompts=[prompt] * n)
            failures.append("missing columns: scored without its required columns instead of raising")
        except MissingColumnError:
            pass
        except Exception as exc:  # noqa: BLE001
            failures.append(f"missing columns: raised {type(exc).__name__} instead of MissingColumnError: {exc}")

    done.append("async face")
    try:
        awaited = asyncio.run(reward.aevaluate(texts, [prompt] * n, **cols())).scores
        if plain is not None and awaited != plain:
            failures.append(f"async face: aevaluate gave {awaited} where the call gave {plain}")
    except Exception as exc:  # noqa: BLE001
        failures.append(f"async face: {type(exc).__name__}: {exc}")

    async def from_a_running_loop() -> list[float | None]:  # Jupyter, an async server
        return reward(texts, prompts=[prompt] * n, **cols())

    done.append("called inside a running event loop")
    try:
        inside = asyncio.run(from_a_running_loop())
        if plain is not None and inside != plain:
            failures.append(f"called inside a running event loop: {inside} where the call gave {plain}")
    except Exception as exc:  # noqa: BLE001
        failures.append(f"called inside a running event loop: {type(exc).__name__}: {exc}")

    done.append("pickling")
    try:
        clone = pickle.loads(pickle.dumps(reward))
        if clone.__name__ != reward.__name__:
            failures.append(f"pickling: __name__ {shown(clone.__name__)} != {shown(reward.__name__)}")
        if plain is not None and clone(texts, prompts=[prompt] * n, **cols()) != plain:
            failures.append("pickling: the unpickled reward scores differently")
    except Exception as exc:  # noqa: BLE001
        failures.append(f"pickling: {type(exc).__name__}: {exc}")

    if not isinstance(reward.__name__, str) or not reward.__name__:
        failures.append(f"__name__ is {shown(reward.__name__)}")
    if failures:
        raise AssertionError(f"reward '{reward.__name__}' breaks the contract:\n  " + "\n  ".join(failures))
    return done
