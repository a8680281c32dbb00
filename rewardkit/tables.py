"""Plain aligned text tables for the terminal: scores per row, and per-component summaries."""

from __future__ import annotations

from typing import Any, Mapping


def format_table(header: list[str], rows: list[list[Any]]) -> str:
    """A plain aligned text table; floats get 3 decimals, None shows as 'None'."""

    def cell(value: Any) -> str:
        if isinstance(value, float):
            return f"{value:.3f}"
        return "None" if value is None else str(value)

    body = [[cell(v) for v in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in body)) if body else len(h) for i, h in enumerate(header)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths))) for r in body]
    return "\n".join(lines)


def summary_table(summary: Mapping[str, Mapping[str, Any]], weights: Mapping[str, float]) -> str:
    """A :meth:`rewardkit.Scores.summary` as a table, with each component's weight."""
    header = ["component", "weight", "mean", "std", "min", "max", "None", "errors"]
    rows = [
        [name, weights.get(name, ""), s["mean"], s["std"], s["min"], s["max"], s["none"], s["errors"]]
        for name, s in summary.items()
    ]
    return format_table(header, rows)
