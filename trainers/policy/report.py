"""What a run reports: per-component means over its first and last steps, score tables, reward shares."""

from __future__ import annotations

import sys
from typing import Any, Sequence

from rewardkit.stats import finite_number
from rewardkit.tables import format_table, summary_table

FIRST_LAST_WINDOW = 5


def format_share(share: float | None) -> str:
    """A reward share as a percentage; tiny shares read '<0.1%' rather than '0.0%'."""
    if share is None:
        return "n/a"
    return "<0.1%" if 0 < share < 0.001 else f"{100 * share:.1f}%"


def peak_memory() -> int | None:
    """The most memory (resident set, bytes) this process has held so far; None where the platform
    does not say (Windows has no ``resource`` module)."""
    try:
        import resource
    except ImportError:
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024  # macOS counts bytes, Linux kilobytes


def format_gb(size: int | None) -> str:
    return "n/a" if size is None else f"{size / 1e9:.1f} GB"


def mean(values: Sequence[Any]) -> float | None:
    """Mean of the finite numbers among ``values`` (None, NaN and non-numbers left out); None if none."""
    nums = [v for v in map(finite_number, values) if v is not None]
    return sum(nums) / len(nums) if nums else None


def first_last(records: Sequence[dict[str, Any]], names: Sequence[str]) -> dict[str, Any]:
    """Mean of each component (and the total) over the first and the last few logged steps."""
    if not records:
        return {}
    k = max(1, min(FIRST_LAST_WINDOW, len(records) // 2))
    head, tail = records[:k], records[-k:]
    keys = [(n, f"rewards/{n}/mean") for n in names] + [("total", "reward")]
    table = {name: {"first": mean([r.get(key) for r in head]), "last": mean([r.get(key) for r in tail])}
             for name, key in keys}
    return {"window": k, "first_steps": [head[0]["step"], head[-1]["step"]],
            "last_steps": [tail[0]["step"], tail[-1]["step"]], "components": table}


def first_last_table(data: dict[str, Any], weights: Sequence[float]) -> str:
    if not data:
        return "no training steps were logged"
    (a, b), (c, d) = data["first_steps"], data["last_steps"]
    weight = list(weights) + [None]
    rows = []
    for (name, v), w in zip(data["components"].items(), weight):
        change = None if v["first"] is None or v["last"] is None else v["last"] - v["first"]
        rows.append([name, "" if w is None else f"{w:g}", v["first"], v["last"], change])
    header = ["component", "weight", f"steps {a}-{b}", f"steps {c}-{d}", "change"]
    return f"mean reward per component, first vs last {data['window']} steps\n" + format_table(header, rows)


def score_table(composition: Any, scores: Any) -> str:
    """The per-component table of a composition's scores (mean, std, min, max, None, errors)."""
    return summary_table(scores.summary(), dict(zip(composition.names, composition.weights)))
