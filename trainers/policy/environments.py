"""A rewardkit composition as the ``get_reward`` of TRL's ``environment_factory`` environments.

TRL's ``GRPOTrainer(environment_factory=MyEnv)`` makes one environment per rollout, calls its
``reset(**row)`` with the dataset row, exposes its public methods to the model as tools, and,
when the class defines ``get_reward()``, adds that as one more reward column (weight 1, named
after the class). Subclass :class:`RewardkitEnvironment`, name a composition, write the tools::

    class Weather(RewardkitEnvironment):
        composition = "tools.yaml"                 # a preset, a YAML path or a mapping

        def get_weather(self, city: str) -> str:
            \"\"\"The weather in a city.

            Args:
                city: the city's name
            \"\"\"
            return TABLE[city]

    GRPOTrainer(..., environment_factory=Weather)

Every tool call is recorded as the trajectory TRL shows the model (an assistant turn with the call,
a ``tool`` turn with the result, or ``{'error': ...}`` when the tool raised, which is re-raised for
TRL to report); ``get_reward`` scores that trajectory with the composition, the row's columns as
dataset columns, and returns the weighted total (None when unscorable). The environment sees the
calls and what the tools answered, not the model's final text: rewards of the final answer belong
in ``reward_funcs`` (:func:`~.trl_rewards.trl_rewards`), which TRL calls with the whole
conversation and, as ``environments``, these instances (each row's under the ``environments``
column). A subclass's own ``reset`` is wrapped so the record starts afresh either way.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
from typing import Any, Callable, ClassVar, Iterator

from rewardkit.composition_loader import shared_composition

# TRL's own names on an environment: not tools.
NOT_TOOLS = ("reset", "get_reward")


class RewardkitEnvironment:
    """Base of TRL environments whose reward is a rewardkit composition of their recorded trajectory."""

    composition: ClassVar[Any] = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for name, member in list(vars(cls).items()):
            if not inspect.isfunction(member) or name.startswith("_"):
                continue
            if name == "reset":
                setattr(cls, name, _resetting(member))
            elif name not in NOT_TOOLS:
                setattr(cls, name, _recorded(member))

    def reset(self, **row: Any) -> str | None:
        """Start a rollout: keep the row's columns, forget the calls. Returns no observation."""
        self.__dict__["_row"] = dict(row)
        self.__dict__["_trajectory"] = []
        return None

    @property
    def trajectory(self) -> list[dict[str, Any]]:
        """The calls made since the last reset and what the tools answered, as chat messages."""
        return self.__dict__.setdefault("_trajectory", [])

    @property
    def row(self) -> dict[str, Any]:
        """The dataset row of the current rollout (what TRL passed to ``reset``)."""
        return self.__dict__.setdefault("_row", {})

    def get_reward(self) -> float | None:
        """The composition's weighted total for the recorded trajectory."""
        if self.composition is None:
            raise TypeError(f"{type(self).__name__} must set the class attribute 'composition'")
        columns = {k: [v] for k, v in self.row.items() if k not in ("prompt", "completion") and isinstance(k, str)}
        return shared_composition(self.composition).score([list(self.trajectory)], None, **columns).total[0]

    def _record(self, name: str, arguments: dict[str, Any], result: Any) -> None:
        call = {"type": "function", "function": {"name": name, "arguments": arguments}}
        self.trajectory.append({"role": "assistant", "content": "", "tool_calls": [call]})
        self.trajectory.append({"role": "tool", "name": name, "content": result if isinstance(result, list) else str(result)})


def _resetting(reset: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(reset)
    def wrapper(self: RewardkitEnvironment, **row: Any) -> Any:
        RewardkitEnvironment.reset(self, **row)
        return reset(self, **row)

    return wrapper


def _arguments(tool: Callable[..., Any], args: tuple, kwargs: dict[str, Any]) -> dict[str, Any]:
    try:
        bound = inspect.signature(tool).bind(None, *args, **kwargs)
    except TypeError:
        return dict(kwargs)
    return {k: v for k, v in bound.arguments.items() if k != next(iter(bound.arguments))}


@contextlib.contextmanager
def _recording(env: RewardkitEnvironment, tool: Callable[..., Any], args: tuple, kwargs: dict[str, Any]) -> Iterator[dict]:
    """Record one call of ``tool`` on ``env``: the result the block leaves in the yielded dict, or
    the error it raised (re-raised, for TRL to report)."""
    outcome: dict[str, Any] = {}
    try:
        yield outcome
    except Exception as exc:
        env._record(tool.__name__, _arguments(tool, args, kwargs), {"error": str(exc)})
        raise
    env._record(tool.__name__, _arguments(tool, args, kwargs), outcome.get("result"))


def _recorded(tool: Callable[..., Any]) -> Callable[..., Any]:
    """``tool`` recording each call and its result (or error) on the environment; signature,
    docstring and type hints kept, which TRL turns into the tool's schema."""
    if inspect.iscoroutinefunction(tool):

        @functools.wraps(tool)
        async def async_wrapper(self: RewardkitEnvironment, *args: Any, **kwargs: Any) -> Any:
            with _recording(self, tool, args, kwargs) as outcome:
                outcome["result"] = await tool(self, *args, **kwargs)
            return outcome["result"]

        return async_wrapper

    @functools.wraps(tool)
    def wrapper(self: RewardkitEnvironment, *args: Any, **kwargs: Any) -> Any:
        with _recording(self, tool, args, kwargs) as outcome:
            outcome["result"] = tool(self, *args, **kwargs)
        return outcome["result"]

    return wrapper
