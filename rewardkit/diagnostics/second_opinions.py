"""Second opinions: a correctness component's verdicts re-checked by an independent checker.

Plugins register checkers by reward name through the ``register_second_opinions`` hook (the math
plugin registers math-verify's default ``parse``/``verify`` for ``math_correctness`` and
``accuracy``). Each checker gets the completions and the gold answers, and its verdicts are
compared with the component's: the disagreements are listed, each with the row, both verdicts,
the answer the reward read and the gold.
"""

from __future__ import annotations

from typing import Any

from rewardkit.registry import Registry

from .table import ScoredRow, ScoredTable
from .verdicts import as_verdicts

GOLD_COLUMNS = ("answer", "solution")


def gold_of(row: ScoredRow, component: str) -> Any:
    """The gold answer the component read (its ``gold`` detail), else the row's answer/solution column."""
    gold = row.extra.get(component, {}).get("gold")
    if gold is not None:
        return gold
    return next((row.columns[c] for c in GOLD_COLUMNS if row.columns.get(c) is not None), None)


def checked_components(table: ScoredTable, registry: Registry) -> dict[str, Any]:
    """The components that have a registered second opinion, with their checker."""
    checkers = registry.catalogue("second_opinion")
    found = {}
    for name in table.names:
        reward = table.reward_names.get(name, name)
        if reward in checkers:
            found[name] = checkers[reward].value
    return found


def second_opinions(table: ScoredTable, registry: Registry) -> dict[str, dict[str, Any]]:
    """Per checked component: how many rows both judged, how many they agree on, the disagreements."""
    results = {}
    for name, checker in checked_components(table, registry).items():
        rows = [r for r in table.rows if r.scores.get(name) is not None]
        ours = as_verdicts([r.scores[name] for r in rows])
        theirs = checker([r.completion for r in rows], [gold_of(r, name) for r in rows]) if rows else []
        disagreements = []
        judged = 0
        for row, mine, other in zip(rows, ours, theirs):
            if mine is None or other is None:
                continue
            judged += 1
            if mine != other:
                detail = row.extra.get(name, {})
                disagreements.append({
                    "row": row.index,
                    "reward": mine,
                    "second_opinion": other,
                    "answer": detail.get("answer"),
                    "gold": gold_of(row, name),
                })
        results[name] = {
            "checker": registry.catalogue("second_opinion")[table.reward_names.get(name, name)].provider,
            "rows": len(rows),
            "judged": judged,
            "no_opinion": len(rows) - judged,
            "agree": judged - len(disagreements),
            "disagreements": disagreements,
        }
    return results
