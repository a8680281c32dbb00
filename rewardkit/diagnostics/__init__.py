"""Reward diagnostics: which component teaches, which is gamed, and which rows prove it.

``rewardkit diagnose INPUT --out DIR`` on a scored JSONL file (``rewardkit score --out``) or a
training run directory. From Python::

    from rewardkit.diagnostics import diagnose, load, write
    result = diagnose(load("scored.jsonl"))
    write(result, "diagnostics/")          # diagnostics.json and report.html
"""

from .diagnosis import diagnose, load, summary, write

__all__ = ["diagnose", "load", "summary", "write"]
