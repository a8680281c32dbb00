"""The reward curves of a run: one panel per component and one for the weighted total."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Sequence

from rewardkit.diagnostics.run_directory import read_metrics
from rewardkit.stats import finite_number

__all__ = ["moving_average", "plot_rewards", "read_metrics"]  # read_metrics: the one reader, re-exported


def moving_average(values: Sequence[float | None], window: int) -> list[float | None]:
    out: list[float | None] = []
    for i in range(len(values)):
        seen = [v for v in map(finite_number, values[max(0, i - window + 1) : i + 1]) if v is not None]
        out.append(sum(seen) / len(seen) if seen else None)
    return out


def plot_rewards(
    records: Sequence[dict[str, Any]],
    names: Sequence[str],
    out: str | Path,
    *,
    weights: Sequence[float] | None = None,
    title: str | None = None,
) -> Path:
    """Write a PNG with each component's mean reward per step (±std band, moving average) and the total."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = [(f"rewards/{n}/mean", f"rewards/{n}/std", n) for n in names]
    panels.append(("reward", "reward_std", "total (weighted)"))
    cols = min(3, len(panels))
    rows = math.ceil(len(panels) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.0 * rows), squeeze=False)
    steps = [r["step"] for r in records]
    window = max(3, len(records) // 10) if len(records) >= 6 else 1
    for k, (mean_key, std_key, label) in enumerate(panels):
        ax = axes[k // cols][k % cols]
        means = [finite_number(r.get(mean_key)) for r in records]
        stds = [finite_number(r.get(std_key)) for r in records]
        xs = [s for s, m in zip(steps, means) if m is not None]
        ms = [m for m in means if m is not None]
        ax.plot(xs, ms, color="tab:blue", alpha=0.35 if window > 1 else 1.0, linewidth=1, marker=".",
                label="mean per step (band: ±std)")
        lo = [m - (s or 0) for m, s in zip(means, stds) if m is not None]
        hi = [m + (s or 0) for m, s in zip(means, stds) if m is not None]
        if xs:
            ax.fill_between(xs, lo, hi, color="tab:blue", alpha=0.1, linewidth=0)
        if window > 1:
            smooth = moving_average(means, window)
            ax.plot(steps, [float("nan") if v is None else v for v in smooth], color="tab:blue", linewidth=2,
                    label=f"moving average ({window} steps)")
        weight = f"  ×{weights[k]:g}" if weights is not None and k < len(weights) else ""
        ax.set_title(f"{label}{weight}", fontsize=10)
        ax.set_xlabel("step", fontsize=8)
        ax.tick_params(labelsize=8)
        ax.grid(alpha=0.3)
    axes[0][0].legend(fontsize=7, loc="best")
    for k in range(len(panels), rows * cols):
        axes[k // cols][k % cols].axis("off")
    if title:
        fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out
