"""Sentences about the per-component figures: which component teaches, which drowns the others, which is odd.

Each finding has a ``kind``, the component(s) it is about and a ``message``; the thresholds are
the module constants.
"""

from __future__ import annotations

from typing import Any

NO_SIGNAL = 0.9  # zero-variance share of groups at or above which a component teaches (almost) nothing
MIN_GROUPS = 2
DOMINANT = 0.8  # share of the within-group variance of the total
SATURATED = 0.95
LENGTH_LINKED = 0.5
REDUNDANT = 0.99
MOSTLY_NONE = 0.5


def component_findings(components: dict[str, dict[str, Any]], total: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []

    def add(kind: str, names: list[str], message: str) -> None:
        found.append({"kind": kind, "components": names, "message": message})

    weighted = [n for n, c in components.items() if c["weight"]]
    for name, c in components.items():
        if c["scored"] == 0:
            add("never_scored", [name], f"{name} scored no row (None for all {c['rows']})")
            continue
        if c["zero_variance_share"] is not None and c["groups"] >= MIN_GROUPS and c["zero_variance_share"] >= NO_SIGNAL:
            add("no_signal", [name], f"{name} gives every completion of a prompt the same score in "
                f"{c['zero_variance_share']:.0%} of {c['groups']} groups: it gives GRPO no signal there")
        share = c["variance_share"]
        if share is not None and len(weighted) > 1 and share >= DOMINANT:
            add("dominant", [name], f"{name} makes {share:.0%} of the within-group variance of the total: "
                "it drives the advantages, the other components barely count")
        if share is not None and share < 0:
            add("opposing", [name], f"{name} works against the rest of the total within groups (variance share {share:.0%})")
        if c["saturation"] is not None and c["saturation"] >= SATURATED and c["min"] != c["max"]:
            add("saturated", [name], f"{name} is at its highest score ({c['max']:g}) for {c['saturation']:.0%} of rows")
        if c["min"] == c["max"] and c["scored"] > 1:
            add("constant", [name], f"{name} is {c['max']:g} for every scored row")
        r = c["length_correlation"]
        if r is not None and abs(r) >= LENGTH_LINKED:
            add("length_linked", [name], f"{name} {'rises' if r > 0 else 'falls'} with completion length (r={r:+.2f})")
        if c["none"] / max(1, c["rows"]) >= MOSTLY_NONE:
            add("mostly_none", [name], f"{name} is None (not scored) for {c['none'] / c['rows']:.0%} of rows")
        if c.get("errors"):
            add("errors", [name], f"{name} raised on {c['errors']} rows (scored with its error score)")
        if c.get("timeouts"):
            add("timeouts", [name], f"{name} timed out on {c['timeouts']} rows (scored wrong)")
        if c.get("failures"):
            named = ", ".join(f"{kind} {count}" for kind, count in list(c["failures"].items())[:4])
            add("failures", [name], f"{name} names what went wrong: {named} (rows)")
    names = list(components)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            r = components[a].get("correlations", {}).get(b)
            if r is not None and r >= REDUNDANT:
                add("redundant", [a, b], f"{a} and {b} move together (r={r:.2f}): one of them adds nothing")
    if total.get("zero_variance_share") is not None and total["groups"] >= MIN_GROUPS and total["zero_variance_share"] >= NO_SIGNAL:
        add("no_signal", ["total"], f"the total is the same for every completion of a prompt in "
            f"{total['zero_variance_share']:.0%} of {total['groups']} groups: no advantage to learn from")
    return found
