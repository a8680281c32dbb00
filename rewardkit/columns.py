"""What dataset columns a reward reads, in words, for ``rewardkit list`` and ``rewardkit check``.

A reward names the columns it always needs in ``columns`` / :meth:`~rewardkit.Reward.required_columns`;
many read columns their parameters name, whose defaults are the usual column names: every
parameter called ``..._column`` (one column; a list: the first of them the batch has) or
``columns`` (each of them). A column parameter left unset is shown with its description, which
says what the reward reads instead.
"""

from __future__ import annotations

from typing import Any

from .reward import Reward


def is_column_param(key: str) -> bool:
    return key == "columns" or key.endswith("_column")


def column_uses(reward: Reward | type[Reward]) -> list[str]:
    """One phrase per column (or choice of columns) ``reward`` reads: an instance with its
    parameters, a class with its defaults."""
    cls = reward if isinstance(reward, type) else type(reward)
    fields = cls.Params.model_fields
    values = _values(reward, fields)
    phrases: list[str] = []
    named: set[str] = set()
    for key, value in values.items():
        if not is_column_param(key):
            continue
        if value is None:
            phrases.append(f"{key} unset: {fields[key].description or 'no column'}")
        elif isinstance(value, str):
            phrases.append(f"{value} ({key})")
            named.add(value)
        elif value:  # a list: the first the batch has (..._column) or each of them (columns)
            phrases.append(f"{(' or ' if key != 'columns' else ', ').join(map(str, value))} ({key})")
            named.update(map(str, value))
    required = reward.required_columns() if not isinstance(reward, type) else tuple(cls.columns)
    return [c for c in required if c not in named] + phrases


def column_names(reward: Reward | type[Reward]) -> list[str]:
    """The column names ``reward`` reads (with its defaults, for a class), in order."""
    cls = reward if isinstance(reward, type) else type(reward)
    names = list(reward.required_columns() if not isinstance(reward, type) else cls.columns)
    for key, value in _values(reward, cls.Params.model_fields).items():
        if is_column_param(key) and value:
            names += [value] if isinstance(value, str) else [str(v) for v in value]
    return list(dict.fromkeys(names))


def _values(reward: Reward | type[Reward], fields: dict[str, Any]) -> dict[str, Any]:
    if isinstance(reward, type):
        return {k: None if f.is_required() else f.get_default(call_default_factory=True) for k, f in fields.items()}
    return {k: getattr(reward.params, k, None) for k in fields}
