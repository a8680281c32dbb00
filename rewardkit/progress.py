"""Progress of a long scoring run on stderr: rows done, rows per second, time left.

Silent for runs shorter than one interval, so short runs print nothing extra; after that one
line per interval (ten seconds by default).
"""

from __future__ import annotations

import sys
import time
from typing import TextIO


def duration(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


class Progress:
    """Counts rows as pieces finish; ``expected`` is the rows the run will score (an upper bound
    for JSONL, whose blank lines are counted as rows until read). ``interval`` 0: never prints."""

    def __init__(self, expected: int, interval: float = 10.0, stream: TextIO | None = None) -> None:
        self.expected = expected
        self.interval = interval
        self.stream = stream or sys.stderr
        self.rows = 0
        self.started = time.monotonic()
        self.shown = self.started

    def add(self, rows: int) -> None:
        self.rows += rows
        now = time.monotonic()
        if self.interval > 0 and now - self.shown >= self.interval:
            self.shown = now
            print(self.line(now), file=self.stream, flush=True)

    def line(self, now: float | None = None) -> str:
        elapsed = max((now or time.monotonic()) - self.started, 1e-9)
        rate = self.rows / elapsed
        share = f" of {self.expected:,} ({100 * self.rows / self.expected:.1f}%)" if self.expected else ""
        left = max(self.expected - self.rows, 0)
        eta = f", about {duration(left / rate)} left" if rate > 0 and left else ""
        return f"scored {self.rows:,} rows{share} in {duration(elapsed)}: {rate:,.0f} rows/s{eta}"
