"""The HTML report: one self-contained page (styles inline, plots as data URIs) for people who would rather look than read."""

from __future__ import annotations

from html import escape
from typing import Any

from .suspects import KINDS

STYLE = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;max-width:1180px;padding:24px;color:#222}
h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:32px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}
.meta{color:#666}.note{color:#8a6d00;background:#fff8e1;padding:6px 10px;border-radius:4px;margin:6px 0}
table{border-collapse:collapse;margin:8px 0;font-size:13px}th,td{padding:4px 8px;border-bottom:1px solid #eee;text-align:right}
th{background:#f6f6f6}td:first-child,th:first-child,td:nth-child(2),th:nth-child(2){text-align:left}
.bad{background:#fde2e2}.plot{max-width:100%;display:block;margin:10px 0;border:1px solid #eee}
.finding{margin:4px 0}.tag{display:inline-block;font-size:11px;padding:1px 7px;border-radius:9px;background:#eee;margin-right:6px}
.tag.kind{background:#fde2e2;color:#8b1a1a}.card{border:1px solid #ddd;border-radius:6px;padding:10px 14px;margin:12px 0}
pre{white-space:pre-wrap;word-break:break-word;background:#f8f8f8;padding:8px;border-radius:4px;max-height:360px;overflow:auto;font-size:12px}
summary{cursor:pointer;color:#555}
"""


def _num(value: Any, pct: bool = False) -> str:
    if value is None:
        return "–"
    if pct:
        return f"{value:.0%}"
    if isinstance(value, float):
        return f"{value:.3g}"
    return str(value)


def _img(uri: str | None, alt: str) -> str:
    return f'<img class="plot" alt="{escape(alt)}" src="{uri}">' if uri else ""


def _components(result: dict[str, Any]) -> str:
    head = ["component", "reward", "weight", "mean", "std", "min", "max", "None", "errors", "timeouts",
            "at max", "no-signal groups", "variance share", "r(length)"]
    flagged = {name for f in result["findings"] for name in f["components"]}
    rows = []
    for name, c in result["components"].items():
        cells = [escape(name), escape(str(c["reward"])), _num(c["weight"]), _num(c["mean"]), _num(c["std"]), _num(c["min"]),
                 _num(c["max"]), _num(c["none"]), _num(c["errors"]), _num(c["timeouts"]), _num(c["saturation"], True),
                 _num(c["zero_variance_share"], True), _num(c["variance_share"], True), _num(c["length_correlation"])]
        rows.append(f'<tr{" class=bad" if name in flagged else ""}>' + "".join(f"<td>{x}</td>" for x in cells) + "</tr>")
    t = result["total"]
    total = ["total (weighted)", "", "", _num(t["mean"]), _num(t["std"]), _num(t["min"]), _num(t["max"]),
             _num(t["rows"] - t["scored"]), "", "", "", _num(t["zero_variance_share"], True), "", _num(t["length_correlation"])]
    rows.append("<tr>" + "".join(f"<td><b>{x}</b></td>" for x in total) + "</tr>")
    return "<table><tr>" + "".join(f"<th>{h}</th>" for h in head) + "</tr>" + "".join(rows) + "</table>"


def _refusals(refusals: dict[str, Any]) -> str:
    """A line on the rows that decline and each component's mean on them vs the others (none: nothing)."""
    if not refusals["declining"]:
        return ""
    means = "; ".join(
        f"{escape(n)} {_num(c['mean_declining'])} vs {_num(c['mean_others'])}"
        + (f" ({c['gap_std']:+.1f} std)" if c["gap_std"] is not None else "")
        for n, c in refusals["components"].items() if c["mean_declining"] is not None and c["mean_others"] is not None
    )
    return (f"<p><b>{refusals['declining']} of {refusals['rows']} rows ({_num(refusals['share'], True)}) decline</b> "
            "(the suspects show them). Mean score on declining rows vs the others: " + (means or "–") + ".</p>")


def _findings(findings: list[dict[str, Any]]) -> str:
    if not findings:
        return "<p>Nothing stands out.</p>"
    return "".join(
        f'<div class="finding"><span class="tag">{escape(f["kind"].replace("_", " "))}</span>{escape(f["message"])}</div>'
        for f in findings
    )


def _suspects(suspects: dict[str, Any]) -> str:
    counts = "".join(f"<tr><td>{escape(label)}</td><td>{suspects['counts'][kind]}</td></tr>" for kind, label in KINDS.items())
    several = f" ({suspects['several']} of them fail more than one check)" if suspects.get("several") else ""
    parts = [f"<p>{suspects['rows']} suspect rows{several}. Per check (a row may fail several):</p>"
             f"<table><tr><th>check</th><th>rows</th></tr>{counts}</table>"]
    if suspects["top"]:
        parts.append(f"<p>The top {len(suspects['top'])}, most checks failed first, then the best paid:</p>")
    for s in suspects["top"]:
        tags = "".join(f'<span class="tag kind">{escape(KINDS[k])}</span>' for k in s["kinds"])
        scores = ", ".join(f"{escape(n)} {_num(v)}" for n, v in s["scores"].items())
        step = f" · step {s['step']}" if s.get("step") is not None else ""
        parts.append(
            f'<div class="card"><div><b>row {s["row"]}</b>{step} · total {_num(s["total"])} · {scores}</div>'
            f"<div>{tags}</div><ul>" + "".join(f"<li>{escape(r)}</li>" for r in s["reasons"]) + "</ul>"
            f"<details><summary>prompt (end)</summary><pre>{escape(s['prompt'])}</pre></details>"
            f"<pre>{escape(s['completion'])}</pre></div>"
        )
    return "".join(parts)


def _curriculum(curves: dict[str, Any]) -> str:
    changes = curves["changes"]
    rows = "".join(f"<tr><td>{c['step']}</td><td>{escape(c['task'])}</td><td>{c['from']} → {c['to']}</td></tr>" for c in changes)
    listed = f"<table><tr><th>step</th><th>task</th><th>level</th></tr>{rows}</table>" if changes else "<p>No level changed.</p>"
    return (f"<h3>Curriculum</h3><p>{len(curves['tasks'])} tasks whose levels follow the reward; "
            f"{len(changes)} level changes (each with its reason in curriculum.jsonl).</p>" + listed)


def _second_opinions(opinions: dict[str, Any]) -> str:
    if not opinions:
        return "<p>No component has a registered second opinion (or it was turned off).</p>"
    parts = []
    for name, o in opinions.items():
        parts.append(
            f"<p><b>{escape(name)}</b> re-checked by {escape(o['checker'])}: {o['judged']} rows judged by both, "
            f"{o['agree']} agree, <b>{len(o['disagreements'])} disagree</b>, {o['no_opinion']} without a verdict from one side.</p>"
        )
        for d in o["disagreements"][:50]:
            parts.append(
                f'<div class="card"><b>row {d["row"]}</b>: the reward says {"correct" if d["reward"] else "wrong"}, '
                f'the second opinion {"correct" if d["second_opinion"] else "wrong"} · answer read '
                f"{escape(repr(d['answer']))} · gold {escape(repr(d['gold']))}<pre>{escape(d['completion'])}</pre></div>"
            )
    return "".join(parts)


def render(result: dict[str, Any], *, plots: bool = True) -> str:
    """The report page for a diagnosis (``plots=False``: without the matplotlib figures)."""
    from .plots import all_plots

    images = all_plots(result) if plots else {}
    info = result["input"]
    notes = "".join(f'<div class="note">{escape(n)}</div>' for n in info["notes"])
    body = [
        f"<h1>Reward diagnostics</h1><div class=meta>{escape(info['path'])} · {info['kind']} · {info['rows']} rows · "
        f"{info['groups_of_two_or_more']} prompt groups of 2+ completions · lengths in {info['length_unit']}</div>{notes}",
        "<h2>Findings</h2>" + _findings(result["findings"]),
        "<h2>Components</h2><p>Rows with a finding are shaded. <i>at max</i>: share of scored rows at the component's "
        "highest score; <i>no-signal groups</i>: share of prompt groups where every completion got the same score; "
        "<i>variance share</i>: its part of the within-group variance of the weighted total (the shares add up to 100%).</p>"
        + _components(result) + _refusals(result["refusals"]),
        _img(images.get("signal"), "signal per component"),
        _img(images.get("histograms"), "score distributions"),
        _img(images.get("correlations"), "correlations"),
    ]
    if result.get("training"):
        flags = result["training"]["flags"]
        body.append("<h2>Over the training run</h2>" + (_findings(flags) if flags else "<p>No flags.</p>")
                    + _img(images.get("training"), "training curves"))
        if result["training"].get("curriculum"):
            body.append(_curriculum(result["training"]["curriculum"]) + _img(images.get("curriculum"), "curriculum"))
    body.append("<h2>Suspects</h2>" + _suspects(result["suspects"]))
    body.append("<h2>Second opinion</h2>" + _second_opinions(result["second_opinions"]))
    body.append('<p class="meta">Written by <code>rewardkit diagnose</code>; every figure is in diagnostics.json next to this page.</p>')
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>rewardkit diagnostics</title>'
        f"<style>{STYLE}</style></head><body>" + "".join(body) + "</body></html>\n"
    )
