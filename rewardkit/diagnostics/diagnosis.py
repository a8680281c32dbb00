"""A diagnosis of one input: every figure, finding, suspect, refusal gap, second opinion and training flag, as plain data.

:func:`load` reads a scored JSONL file or a training run directory; :func:`diagnose` turns it into
one JSON-ready dict (what ``diagnostics.json`` holds and the report shows); :func:`write` writes
both files; :func:`summary` is the few lines ``rewardkit diagnose`` prints.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from rewardkit.composition_loader import load_composition
from rewardkit.errors import ConfigError
from rewardkit.registry import Registry, default_registry
from rewardkit.tables import format_table

from .components import component_figures, total_figures
from .curriculum import curriculum_curves
from .findings import component_findings
from .phrases import rising_phrase
from .refusals import paying, refusal_figures, refusal_findings
from .run_directory import is_run_directory, read_run_directory
from .scored_file import read_scored_file
from .second_opinions import checked_components, second_opinions
from .suspects import KINDS, find_suspects
from .table import ScoredTable, groups
from .trends import flags, step_curves

FORMAT_PLUGIN = "rewardkit.plugins.format"
TEXT_LIMIT = 4000  # characters of a suspect's completion kept in the report
TIMED_OUT = frozenset(("timeout", "deadline_missed"))  # verdicts of a verification stopped by a time limit


def load(
    path: str | Path,
    *,
    rewards: Any = None,
    key: str = "rewardkit",
    completion_key: str = "completion",
    prompt_key: str = "prompt",
    group_by: str | None = None,
    registry: Registry | None = None,
) -> ScoredTable:
    """A scored file or a run directory as a table; ``rewards`` (a composition file or preset) gives
    the weights and which reward each component (alias) is."""
    composition = load_composition(rewards, registry) if rewards is not None else None
    weights = dict(zip(composition.names, composition.weights)) if composition is not None else None
    path = Path(path)
    if path.is_dir():
        if not is_run_directory(path):
            raise ConfigError(f"{path}: not a scored JSONL file or a training run directory (no metrics.jsonl or completions/)")
        table = read_run_directory(path, weights=weights)
    else:
        table = read_scored_file(path, key=key, completion_key=completion_key, prompt_key=prompt_key,
                                 group_by=group_by, weights=weights)
    if composition is not None:
        table.reward_names = {c.name: c.reward.name for c in composition.components}
    return table


def _failures(rows: list[Any], name: str) -> dict[str, int]:
    """How often each failure a reward names per sample (``failure`` in its detail: the tool rewards'
    ``wrong_type``, ``missing_call``...) occurs, most frequent first."""
    counts = Counter(
        detail["failure"] for r in rows
        if isinstance(detail := r.extra.get(name), dict) and isinstance(detail.get("failure"), str)
    )  # fmt: skip
    return dict(counts.most_common())


def diagnose(table: ScoredTable, registry: Registry | None = None, *, second_opinion: bool = True, top: int = 20) -> dict[str, Any]:
    registry = registry or default_registry()
    rows = table.rows
    lengths = table.lengths()
    grouped = groups([r.group for r in rows])
    families = _families(table, registry)
    components = component_figures({n: table.scores(n) for n in table.names}, table.weights, lengths, grouped)
    for name, figures in components.items():
        figures["reward"] = table.reward_names.get(name, name)
        figures["family"] = families.get(name)
        figures["errors"] = sum(1 for r in rows if name in r.errors) + _logged(table, f"rewardkit/{name}/errors")
        figures["timeouts"] = sum(1 for r in rows if _timed_out(r.extra.get(name, {}))) \
            or _logged(table, f"rewardkit/{name}/timeouts") + _logged(table, f"rewardkit/{name}/deadline_missed")
        figures["failures"] = _failures(rows, name)
    total = total_figures([r.total for r in rows], lengths, grouped)
    checked = list(checked_components(table, registry))  # correctness components: they have a second opinion
    correctness = next((n for n in checked if table.weights.get(n)), checked[0] if checked else None)
    formats = [n for n, f in families.items() if f == "format" and table.weights.get(n)]
    suspects, skipped = find_suspects(table, registry, format_components=formats, correctness=correctness) if rows else ([], [])
    opinions = second_opinions(table, registry) if second_opinion and rows else {}
    by_index = {r.index: r for r in rows}
    refusals = refusal_figures(table)
    result: dict[str, Any] = {
        "input": {
            "path": table.source,
            "kind": table.kind,
            "rows": len(rows),
            "groups": len(grouped),
            "groups_of_two_or_more": sum(1 for g in grouped if len(g) > 1),
            "length_unit": table.length_unit,
            "notes": table.notes + [f"skipped check: {s}" for s in skipped],
        },
        "components": components,
        "total": total,
        "findings": component_findings(components, total) + refusal_findings(refusals, table.weights),
        "refusals": refusals,
        "suspects": {
            "counts": {kind: sum(1 for s in suspects if kind in s.kinds) for kind in KINDS},
            "rows": len(suspects),
            "several": sum(1 for s in suspects if len(s.kinds) > 1),  # rows counted under more than one kind
            "top": [_shown(s, by_index[s.row]) for s in suspects[:top]],
            "all": [{"row": s.row, "kinds": s.kinds, "reasons": s.reasons} for s in suspects],
        },
        "second_opinions": opinions,
    }
    for name, opinion in opinions.items():
        for d in opinion["disagreements"]:
            d["completion"] = _clip(by_index[d["row"]].completion)
        if opinion["disagreements"]:
            result["findings"].append({
                "kind": "second_opinion", "components": [name],
                "message": f"{name} and its second opinion ({opinion['checker']}) disagree on "
                           f"{len(opinion['disagreements'])} of {opinion['judged']} rows",
            })
    if table.kind == "run":
        curves = step_curves(table)
        links = {n: c["length_correlation"] for n, c in components.items()}
        paid = paying(refusals, table.weights)
        spread = rising_phrase(table)
        result["training"] = {"curves": curves, "flags": flags(curves, table, checked, links, paid) + ([spread] if spread else [])}
        result["training"]["curriculum"] = curriculum_curves(table.metrics)
        result["findings"] += result["training"]["flags"]
    return result


def _families(table: ScoredTable, registry: Registry) -> dict[str, str | None]:
    """'format' for components from the format plugin (or, for unknown rewards, named like one)."""
    rewards = registry.catalogue("reward")
    found = {}
    for name in table.names:
        reward = table.reward_names.get(name, name)
        if reward in rewards:
            found[name] = "format" if rewards[reward].provider == FORMAT_PLUGIN else rewards[reward].provider.rsplit(".", 1)[-1]
        else:
            found[name] = "format" if "format" in name else None
    return found


def _timed_out(detail: dict[str, Any]) -> bool:
    """Whether a row's detail says a verification was stopped by its own limit or its batch's budget."""
    return any(isinstance(v, str) and v in TIMED_OUT for v in detail.values())


def _logged(table: ScoredTable, key: str) -> int:
    """A run's per-step counter summed over its steps (0 for a scored file)."""
    return int(round(sum(r.get(key) or 0 for r in table.metrics)))


def _clip(text: str) -> str:
    return text if len(text) <= TEXT_LIMIT else text[:TEXT_LIMIT] + f"\n… ({len(text) - TEXT_LIMIT} more characters)"


def _shown(suspect: Any, row: Any) -> dict[str, Any]:
    return {
        "row": suspect.row,
        "step": row.step,
        "kinds": suspect.kinds,
        "reasons": suspect.reasons,
        "total": row.total,
        "scores": row.scores,
        "prompt": _clip(row.prompt_text)[-600:],
        "completion": _clip(row.completion),
    }


def write(result: dict[str, Any], out: str | Path, *, plots: bool = True) -> dict[str, Path]:
    """Write ``diagnostics.json`` and the self-contained ``report.html`` into ``out``."""
    from .report import render

    out = Path(out)
    html = render(result, plots=plots)  # first: a missing plotting library fails before anything is written
    out.mkdir(parents=True, exist_ok=True)
    paths = {"json": out / "diagnostics.json", "report": out / "report.html"}
    paths["json"].write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    paths["report"].write_text(html, encoding="utf-8")
    return paths


def summary(result: dict[str, Any], limit: int = 8) -> str:
    """The short text ``rewardkit diagnose`` prints: the components table, findings, suspects, second opinions."""
    info = result["input"]
    lines = [f"{info['rows']} rows ({info['kind']}: {info['path']}), {info['groups_of_two_or_more']} prompt groups "
             f"of 2+ completions; lengths in {info['length_unit']}", ""]
    header = ["component", "weight", "mean", "std", "at max", "no-signal groups", "variance share", "r(length)"]
    table = [[n, c["weight"], c["mean"], c["std"], _pct(c["saturation"]), _pct(c["zero_variance_share"]),
              _pct(c["variance_share"]), c["length_correlation"]] for n, c in result["components"].items()]
    lines.append(format_table(header, table))
    if result["findings"]:
        lines += ["", "findings:"] + [f"  - {f['message']}" for f in result["findings"][:limit]]
        if len(result["findings"]) > limit:
            lines.append(f"  ... {len(result['findings']) - limit} more in the report")
    lines += ["", _suspect_line(result["suspects"])]
    s = result["suspects"]
    for shown in s["top"][:3]:
        lines.append(f"  row {shown['row']}: {'; '.join(shown['reasons'])}")
    for name, o in result["second_opinions"].items():
        lines.append(f"second opinion on {name}: {o['agree']} of {o['judged']} agree, "
                     f"{len(o['disagreements'])} disagreements, {o['no_opinion']} without an opinion")
    for note in info["notes"]:
        lines.append(f"note: {note}")
    return "\n".join(lines)


def _suspect_line(s: dict[str, Any]) -> str:
    """How many rows are suspect, and how many of them each check flagged (a row may fail several)."""
    if not s["rows"]:
        return "suspects: none"
    counts = ", ".join(f"{k} in {n}" for k, n in s["counts"].items() if n)
    several = f" ({s['several']} of them fail more than one check)" if s.get("several") else ""
    return f"suspects: {s['rows']} row{'s' if s['rows'] != 1 else ''}; {counts}{several}"


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0%}"
