"""Per-component figures: distribution, saturation, signal within prompt groups, who drives the advantage.

GRPO learns from differences between the completions of one prompt (a group). So besides each
component's distribution this measures, per component:

- ``zero_variance_share``: the share of groups (with two or more scored completions) in which it
  gives every completion the same score: there it teaches nothing;
- ``variance_share``: its share of the within-group variance of the weighted total, the quantity
  the advantages are made of. With ``c_k = w_k * score_k`` (0 where the component is None, as the
  total leaves it out) and deviations from each group's mean, the share of component k is
  ``sum(d_k * d_total) / sum(d_total ** 2)``; the shares add up to 1 (one can be negative when a
  component works against the others);
- its correlation with completion length and with each other component (Pearson, over the rows
  where both are present).

The same function serves a whole file and one training step (the live callback).
"""

from __future__ import annotations

from typing import Any, Sequence

from rewardkit.stats import TOLERANCE, constant, histogram, pearson, score_stats, weighted_total


def zero_variance_share(values: Sequence[float | None], groups: Sequence[Sequence[int]]) -> tuple[float | None, int]:
    """Share of groups (two or more scored rows) where every score is equal, and how many groups counted."""
    counted = flat = 0
    for group in groups:
        present = [values[i] for i in group if values[i] is not None]
        if len(present) < 2:
            continue
        counted += 1
        flat += constant(present)  # type: ignore[arg-type]
    return (flat / counted if counted else None), counted


def variance_shares(
    scores: dict[str, Sequence[float | None]], weights: dict[str, float], groups: Sequence[Sequence[int]]
) -> dict[str, float | None]:
    """Each component's share of the within-group variance of the weighted total (None: no variance)."""
    names = list(scores)
    n = len(next(iter(scores.values()))) if scores else 0
    contribution = {k: [weights.get(k, 1.0) * v if v is not None else 0.0 for v in scores[k]] for k in names}
    w = [weights.get(k, 1.0) for k in names]
    scored = [weighted_total([scores[k][i] for k in names], w) is not None for i in range(n)]
    covariance = dict.fromkeys(names, 0.0)
    variance = 0.0
    for group in groups:
        rows = [i for i in group if scored[i]]
        if len(rows) < 2:
            continue
        deviations = {}
        for k in names:
            m = sum(contribution[k][i] for i in rows) / len(rows)
            deviations[k] = [contribution[k][i] - m for i in rows]
        total = [sum(deviations[k][j] for k in names) for j in range(len(rows))]
        variance += sum(t * t for t in total)
        for k in names:
            covariance[k] += sum(d * t for d, t in zip(deviations[k], total))
    if variance <= TOLERANCE:
        return dict.fromkeys(names)
    return {k: covariance[k] / variance for k in names}


def component_figures(
    scores: dict[str, Sequence[float | None]],
    weights: dict[str, float],
    lengths: Sequence[float],
    groups: Sequence[Sequence[int]],
    *,
    full: bool = True,
) -> dict[str, dict[str, Any]]:
    """The figures of every component (``full``: also the histogram and the correlations with each other)."""
    shares = variance_shares(scores, weights, groups)
    figures: dict[str, dict[str, Any]] = {}
    for name, values in scores.items():
        present = [v for v in values if v is not None]
        top = max(present) if present else None
        zero_share, counted = zero_variance_share(values, groups)
        entry: dict[str, Any] = {
            "weight": weights.get(name, 1.0),
            "rows": len(values),
            "scored": len(present),
            **score_stats(values),
            "saturation": (sum(1 for v in present if top - v <= TOLERANCE) / len(present)) if present else None,
            "zero_variance_share": zero_share,
            "groups": counted,
            "variance_share": shares[name],
            "length_correlation": pearson(values, lengths),
        }
        if full:
            entry["histogram"] = histogram(present)
            entry["correlations"] = {
                other: pearson(values, scores[other]) for other in scores if other != name
            }
        figures[name] = entry
    return figures


def total_figures(total: Sequence[float | None], lengths: Sequence[float], groups: Sequence[Sequence[int]]) -> dict[str, Any]:
    """The weighted total's distribution, its zero-variance share and length correlation."""
    present = [v for v in total if v is not None]
    zero_share, counted = zero_variance_share(total, groups)
    stats = score_stats(total)
    del stats["none"]
    return {
        "rows": len(total),
        "scored": len(present),
        **stats,
        "zero_variance_share": zero_share,
        "groups": counted,
        "length_correlation": pearson(total, lengths),
        "histogram": histogram(present),
    }
