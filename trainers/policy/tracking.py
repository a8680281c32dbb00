"""Experiment tracking (``report_to``): which package each tracker needs, checked before a run starts.

transformers reports a missing tracker package with a traceback from deep inside ``Trainer``;
a run checks the trackers it names first and fails in one line naming what to install.
"""

from __future__ import annotations

import importlib.util
import os
from typing import Any

from rewardkit.errors import MissingDependencyError

# The trackers the `tracking` extra installs, and the modules transformers reaches them through.
TRACKER_MODULES = {"tensorboard": ("tensorboard", "tensorboardX"), "wandb": ("wandb",), "trackio": ("trackio",)}
INSTALL = "pip install 'rewardkit[tracking]'"


def trackers(report_to: Any) -> list[str]:
    """``report_to`` (a name, a list of names, ``none`` or ``None``) as a list of tracker names."""
    if report_to is None:
        return []
    names = [report_to] if isinstance(report_to, str) else list(report_to)
    return [n for n in names if n != "none"]


def check_trackers(report_to: Any) -> None:
    """Raise a one-line error naming the install command when a tracker's package is missing."""
    for name in trackers(report_to):
        modules = TRACKER_MODULES.get(name)
        if modules and not any(importlib.util.find_spec(m) for m in modules):
            raise MissingDependencyError(
                f"report_to {name}: the '{modules[0]}' package is not installed; "
                f"install it with: {INSTALL} (or pip install {modules[0]})"
            )


def describe_trackers(report_to: Any, output_dir: str) -> str:
    """Where the run reports to, for the run header."""
    names = trackers(report_to)
    if not names:
        return "none (--report-to tensorboard|wandb|trackio)"
    events = os.environ.get("TENSORBOARD_LOGGING_DIR") or f"{output_dir}/runs/"
    where = {"tensorboard": f"tensorboard (events under {events})"}
    return ", ".join(where.get(n, n) for n in names)
