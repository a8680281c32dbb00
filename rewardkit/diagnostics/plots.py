"""The report's plots, drawn with matplotlib from a diagnosis and embedded as PNG data URIs.

matplotlib is imported on first use (the core installs without it): ``pip install
'rewardkit[diagnose]'`` brings it; without it ``rewardkit diagnose`` writes the report without
plots and says so (:data:`NEEDS`), as ``--no-plots`` does.
"""

from __future__ import annotations

import base64
import io
import math
from typing import Any

from rewardkit.errors import import_optional
from rewardkit.extras import Needs

NEEDS = Needs(modules=("matplotlib",), extra="diagnose")
COLORS = ["#4C72B0", "#DD8452", "#55A868", "#C44E52", "#8172B3", "#937860", "#DA8BC3", "#8C8C8C", "#CCB974", "#64B5CD"]


def _pyplot():
    matplotlib = import_optional("matplotlib", "diagnose", "the report's plots", " (or pass --no-plots)")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _data_uri(fig: Any) -> str:
    plt = _pyplot()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=96, bbox_inches="tight")
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _grid(n: int, width: float = 3.6, height: float = 2.6, cols: int = 3):
    plt = _pyplot()
    cols = max(1, min(cols, n))
    rows = math.ceil(n / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(width * cols, height * rows), squeeze=False)
    for k in range(n, rows * cols):
        axes[k // cols][k % cols].set_visible(False)
    return fig, [axes[k // cols][k % cols] for k in range(n)]


def histograms(result: dict[str, Any]) -> str:
    """One panel per component and one for the weighted total."""
    panels = [(n, c["histogram"], f"{n} (×{c['weight']:g})") for n, c in result["components"].items()]
    panels.append(("total", result["total"]["histogram"], "total (weighted)"))
    fig, axes = _grid(len(panels))
    for k, (ax, (_, hist, title)) in enumerate(zip(axes, panels)):
        color = COLORS[k % len(COLORS)]
        if hist["discrete"]:
            labels = [f"{v:g}" for v in hist["values"]]
            ax.bar(range(len(labels)), hist["counts"], color=color)
            ax.set_xticks(range(len(labels)), labels, rotation=45 if len(labels) > 6 else 0, fontsize=8)
        else:
            edges = hist["edges"]
            ax.bar(edges[:-1], hist["counts"], width=[b - a for a, b in zip(edges, edges[1:])], align="edge", color=color)
        ax.set_title(title, fontsize=10)
        ax.set_ylabel("rows", fontsize=8)
        ax.tick_params(labelsize=8)
    fig.suptitle("Distribution of each component's scores", fontsize=11)
    fig.tight_layout()
    return _data_uri(fig)


def signal(result: dict[str, Any]) -> str:
    """Per component: share of prompt groups with no signal, and share of the total's within-group variance."""
    plt = _pyplot()
    names = list(result["components"])
    comps = result["components"]
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 0.5 * len(names) + 1.6), sharey=True)
    ys = list(range(len(names)))
    zero = [comps[n]["zero_variance_share"] or 0.0 for n in names]
    share = [comps[n]["variance_share"] or 0.0 for n in names]
    left.barh(ys, zero, color="#C44E52")
    left.set_xlim(0, 1)
    left.set_title("groups where it gives every completion the same score\n(no GRPO signal)", fontsize=9)
    right.barh(ys, share, color="#4C72B0")
    right.axvline(0, color="black", linewidth=0.6)
    right.set_title("share of the within-group variance of the total\n(who drives the advantage)", fontsize=9)
    for ax, values in ((left, zero), (right, share)):
        for y, v in zip(ys, values):
            ax.text(v, y, f" {v:.0%}", va="center", fontsize=8)
        ax.tick_params(labelsize=8)
    left.set_yticks(ys, names)
    left.invert_yaxis()
    fig.tight_layout()
    return _data_uri(fig)


def correlations(result: dict[str, Any]) -> str:
    """Pearson correlations between components and with completion length, as a heat map."""
    plt = _pyplot()
    comps = result["components"]
    names = list(comps)
    labels = names + ["length"]
    size = len(labels)
    matrix = [[math.nan] * size for _ in range(size)]
    for i, a in enumerate(names):
        matrix[i][i] = 1.0
        for j, b in enumerate(names):
            if a != b and comps[a]["correlations"].get(b) is not None:
                matrix[i][j] = comps[a]["correlations"][b]
        r = comps[a]["length_correlation"]
        if r is not None:
            matrix[i][size - 1] = matrix[size - 1][i] = r
    matrix[size - 1][size - 1] = 1.0
    fig, ax = plt.subplots(figsize=(1.0 * size + 2.4, 0.8 * size + 1.4))
    image = ax.imshow(matrix, cmap="RdBu_r", vmin=-1, vmax=1)
    ax.set_xticks(range(size), labels, rotation=40, ha="right", fontsize=8)
    ax.set_yticks(range(size), labels, fontsize=8)
    for i in range(size):
        for j in range(size):
            v = matrix[i][j]
            ax.text(j, i, "–" if math.isnan(v) else f"{v:.2f}", ha="center", va="center", fontsize=8,
                    color="white" if not math.isnan(v) and abs(v) > 0.6 else "black")
    fig.colorbar(image, ax=ax, shrink=0.8, label="Pearson r")
    ax.set_title("Correlations (– : a constant component)", fontsize=10)
    fig.tight_layout()
    return _data_uri(fig)


def training(result: dict[str, Any]) -> str:
    """Per step: component means, zero-variance shares, length correlations, and completion length with
    the shares cut at the limit and declining."""
    curves = result["training"]["curves"]
    steps = curves["steps"]
    fig, axes = _grid(4, width=5.2, height=3.0, cols=2)
    titles = ("mean score per component", "groups with no signal (zero variance)", "correlation with completion length")
    for ax, figure, title in zip(axes, ("mean", "zero_variance_share", "length_correlation"), titles):
        for k, (name, series) in enumerate(curves["components"].items()):
            points = [(s, v) for s, v in zip(steps, series[figure]) if v is not None]
            if points:
                ax.plot(*zip(*points), marker=".", linewidth=1.2, color=COLORS[k % len(COLORS)], label=name)
        if figure == "zero_variance_share":
            points = [(s, v) for s, v in zip(steps, curves["total_zero_variance_share"]) if v is not None]
            if points:
                ax.plot(*zip(*points), linestyle="--", color="black", linewidth=1.2, label="total")
            ax.set_ylim(-0.05, 1.05)
        if figure == "length_correlation":
            ax.set_ylim(-1.05, 1.05)
            ax.axhline(0, color="grey", linewidth=0.6)
        ax.set_title(title, fontsize=10)
    axes[0].legend(fontsize=7, loc="best")
    ax = axes[3]
    points = [(s, v) for s, v in zip(steps, curves["mean_length"]) if v is not None]
    if points:
        ax.plot(*zip(*points), marker=".", color="#4C72B0", label="mean length")
    ax.set_title(f"completion length ({curves['length_unit']}) and shares", fontsize=10)
    shares = [(label, color, [(s, v) for s, v in zip(steps, curves[key]) if v is not None])
              for key, label, color in (("truncated_share", "share cut at the limit", "#C44E52"),
                                        ("refusal_share", "share that declines", "#8172B3"))]
    shares = [(label, color, points) for label, color, points in shares if points]
    if shares:
        twin = ax.twinx()
        for label, color, points in shares:
            twin.plot(*zip(*points), color=color, linestyle="--", marker=".", label=label)
        twin.set_ylim(-0.05, 1.05)
        twin.legend(fontsize=7, loc="lower right")
    ax.legend(fontsize=7, loc="upper left")
    for ax in axes:
        ax.set_xlabel("step", fontsize=8)
        ax.tick_params(labelsize=8)
    fig.tight_layout()
    return _data_uri(fig)


def curriculum(result: dict[str, Any]) -> str:
    """Per task: its level (steps) and its accuracy since the previous log (points), per log."""
    curves = result["training"]["curriculum"]
    steps = curves["steps"]
    fig, (levels, accuracy) = _grid(2, width=5.2, height=3.0, cols=2)
    for k, (task, series) in enumerate(curves["tasks"].items()):
        color = COLORS[k % len(COLORS)]
        for ax, figure, style in ((levels, "level", {"drawstyle": "steps-post"}), (accuracy, "accuracy", {"marker": "."})):
            points = [(s, v) for s, v in zip(steps, series[figure]) if v is not None]
            if points:
                ax.plot(*zip(*points), color=color, linewidth=1.2, label=task, **style)
    levels.set_title("task level (reasoning-gym curriculum)", fontsize=10)
    accuracy.set_title("accuracy since the previous log", fontsize=10)
    accuracy.set_ylim(-0.05, 1.05)
    levels.legend(fontsize=7, loc="best")
    for ax in (levels, accuracy):
        ax.set_xlabel("step", fontsize=8)
        ax.tick_params(labelsize=8)
    fig.tight_layout()
    return _data_uri(fig)


def all_plots(result: dict[str, Any]) -> dict[str, str]:
    """Every plot the report shows, by section, as data URIs."""
    plots = {"histograms": histograms(result), "signal": signal(result), "correlations": correlations(result)}
    if result.get("training") and result["training"]["curves"]["steps"]:
        plots["training"] = training(result)
    if result.get("training", {}).get("curriculum"):
        plots["curriculum"] = curriculum(result)
    return plots
