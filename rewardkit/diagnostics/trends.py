"""A training run over its steps: per-step curves and the flags a reward designer should see.

Curves per step: each component's mean, its zero-variance share and its correlation with
completion length (from the live figures ``rewardkit/diag/<name>/...`` the run logged, else
computed from the completions it logged), the total's zero-variance share and std, the mean
completion length, the share cut at the length limit and the share of the logged completions
that decline (see :mod:`.refusals`).

Flags compare the first and the last quarter of the steps (at least :data:`MIN_STEPS` steps):

- ``length_drift``: the mean completion length moved by :data:`LENGTH_DRIFT` or more; the
  components that correlate with length are named as the likely cause;
- ``rising_while_correctness_falls``: a weighted component trends up while a correctness
  component trends down (a trend is the correlation of the per-step mean with the step number,
  at least :data:`TREND` in size);
- ``collapsing_variance``: a component's (or the total's) zero-variance share rose by
  :data:`COLLAPSE_RISE` to :data:`COLLAPSED` or more, or the total's std fell to a quarter:
  the groups stop telling completions apart and the advantages vanish;
- ``refusal_drift``: the share of completions that decline rose by :data:`REFUSAL_RISE` or more;
  the components that pay declining completions more are named as the likely cause.
"""

from __future__ import annotations

from typing import Any, Sequence

from .components import component_figures
from rewardkit.stats import finite_number, mean, trend
from .refusals import refusal_phrase
from .table import ScoredTable, groups

MIN_STEPS = 4
LENGTH_DRIFT = 0.25
TREND = 0.5
COLLAPSED = 0.8
COLLAPSE_RISE = 0.3
STD_FALL = 0.25
LENGTH_LINK = 0.3  # a component this correlated with length is named as a cause of drift
REFUSAL_RISE = 0.2  # rise of the share of declining completions, first to last quarter
LIVE = "rewardkit/diag/{name}/{figure}"


def step_curves(table: ScoredTable) -> dict[str, Any]:
    """Per-step series (None where a step has no value); ``steps`` gives the x axis."""
    records = {r["step"]: r for r in table.metrics}
    by_step: dict[int, list[int]] = {}
    for i, row in enumerate(table.rows):
        if row.step is not None:
            by_step.setdefault(row.step, []).append(i)
    steps = sorted(set(records) | set(by_step))
    computed = {step: _figures_of(table, indices) for step, indices in by_step.items()}
    curves: dict[str, Any] = {"steps": steps, "components": {}}
    for name in table.names:
        series: dict[str, list[float | None]] = {}
        for figure, logged in (("mean", f"rewards/{name}/mean"),
                               ("zero_variance_share", LIVE.format(name=name, figure="zero_variance_share")),
                               ("length_correlation", LIVE.format(name=name, figure="length_correlation"))):
            series[figure] = [
                _value(records.get(s, {}).get(logged), computed.get(s, {}).get(name, {}).get(figure)) for s in steps
            ]
        curves["components"][name] = series
    curves["total_zero_variance_share"] = [_value(records.get(s, {}).get("frac_reward_zero_std")) for s in steps]
    curves["total_std"] = [_value(records.get(s, {}).get("reward_std")) for s in steps]
    curves["mean_length"] = [
        _value(records.get(s, {}).get("completions/mean_length"),
               mean([table.rows[i].length for i in by_step[s]]) if s in by_step else None)
        for s in steps
    ]
    curves["truncated_share"] = [_value(records.get(s, {}).get("completions/clipped_ratio")) for s in steps]
    declining = [refusal_phrase(r.completion) is not None for r in table.rows]
    curves["refusal_share"] = [mean([declining[i] for i in by_step[s]]) if s in by_step else None for s in steps]
    logged_length = any(records.get(s, {}).get("completions/mean_length") is not None for s in steps)
    curves["length_unit"] = "tokens" if logged_length else table.length_unit
    return curves


def _figures_of(table: ScoredTable, indices: list[int]) -> dict[str, dict[str, Any]]:
    rows = [table.rows[i] for i in indices]
    scores = {n: [r.scores.get(n) for r in rows] for n in table.names}
    lengths = [float(r.length) for r in rows]
    return component_figures(scores, table.weights, lengths, groups([r.group for r in rows]), full=False)


def _value(*candidates: Any) -> float | None:
    """The first of ``candidates`` that is a finite number."""
    return next((v for v in map(finite_number, candidates) if v is not None), None)


def _ends(series: Sequence[float | None]) -> tuple[float | None, float | None]:
    """Means of the first and the last quarter of a series (None-free)."""
    present = [v for v in series if v is not None]
    if len(present) < MIN_STEPS:
        return None, None
    k = max(1, round(len(present) / 4))
    return mean(present[:k]), mean(present[-k:])


def flags(
    curves: dict[str, Any],
    table: ScoredTable,
    correctness: Sequence[str],
    length_links: dict[str, float | None],
    refusal_gaps: dict[str, float],
) -> list[dict[str, Any]]:
    """The flags the curves raise, each with a kind, the component(s) and a sentence.

    ``refusal_gaps``: the weighted components that pay declining completions differently, with
    their gap in std (:func:`.refusals.paying`).
    """
    found: list[dict[str, Any]] = []
    first, last = _ends(curves["mean_length"])
    if first and last is not None and abs(last - first) / first >= LENGTH_DRIFT:
        linked = [f"{n} (r={r:+.2f})" for n, r in length_links.items() if r is not None and abs(r) >= LENGTH_LINK and table.weights.get(n)]
        cause = f"; correlated with length: {', '.join(linked)}" if linked else ""
        found.append({"kind": "length_drift", "components": [n.split(" ")[0] for n in linked],
                      "message": f"completion length drifted from {first:.0f} to {last:.0f} {curves['length_unit']} "
                                 f"({(last - first) / first:+.0%}){cause}"})
    comps = curves["components"]
    falling = [c for c in correctness if _direction(comps[c]["mean"]) < 0]
    for c in falling:
        for name in table.names:
            if name == c or name in correctness or not table.weights.get(name) or _direction(comps[name]["mean"]) <= 0:
                continue
            a, b = _ends(comps[name]["mean"])
            ca, cb = _ends(comps[c]["mean"])
            found.append({"kind": "rising_while_correctness_falls", "components": [name, c],
                          "message": f"{name} rose ({a:.3g} → {b:.3g}) while {c} fell ({ca:.3g} → {cb:.3g})"})
    for name in table.names:
        a, b = _ends(comps[name]["zero_variance_share"])
        if a is not None and b is not None and b >= COLLAPSED and b - a >= COLLAPSE_RISE:
            found.append({"kind": "collapsing_variance", "components": [name],
                          "message": f"{name} gives every completion of a prompt the same score in {b:.0%} of groups "
                                     f"at the end (from {a:.0%}): it stops teaching"})
    a, b = _ends(curves["total_zero_variance_share"])
    if a is not None and b is not None and b >= COLLAPSED and b - a >= COLLAPSE_RISE:
        found.append({"kind": "collapsing_variance", "components": ["total"],
                      "message": f"the total reward is the same for every completion of a prompt in {b:.0%} of groups "
                                 f"at the end (from {a:.0%}): the advantages vanish"})
    a, b = _ends(curves["total_std"])
    if a and b is not None and b <= STD_FALL * a:
        found.append({"kind": "collapsing_variance", "components": ["total"],
                      "message": f"the total reward's std fell from {a:.3g} to {b:.3g}"})
    a, b = _ends(curves["refusal_share"])
    if a is not None and b is not None and b - a >= REFUSAL_RISE:
        payers = [n for n, gap in refusal_gaps.items() if gap > 0]
        if not payers:
            cause = ""
        elif len(payers) == 1:
            cause = f"; {payers[0]} pays them more ({refusal_gaps[payers[0]]:+.1f} std)"
        else:
            cause = "; " + ", ".join(f"{n} ({refusal_gaps[n]:+.1f} std)" for n in payers) + " pay them more"
        found.append({"kind": "refusal_drift", "components": payers,
                      "message": f"the share of completions that decline rose from {a:.0%} to {b:.0%}{cause}"})
    return found


def _direction(series: Sequence[float | None]) -> int:
    """+1 when a series trends up, -1 when it trends down (see :data:`TREND`), else 0."""
    present = [v for v in series if v is not None]
    if len(present) < MIN_STEPS:
        return 0
    r = trend(present)
    first, last = _ends(present)
    if r is None or first is None or last is None:
        return 0
    if r >= TREND and last > first:
        return 1
    if r <= -TREND and last < first:
        return -1
    return 0
