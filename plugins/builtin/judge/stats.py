"""What judging one batch cost: calls, cache hits, retries, failures, tokens, latency, money."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from rewardkit.reward import Batch


@dataclass
class CallStats:
    """Counters of one batch; :meth:`report` puts them in the batch's metrics.

    ``calls`` are requests sent to the server (cache misses; a call's retries are one call),
    ``failures`` the calls that gave no reply, ``unparsed`` the replies that gave no usable answer.
    """

    calls: int = 0
    cache_hits: int = 0
    retries: int = 0
    failures: int = 0
    unparsed: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    logprob_fallbacks: int = 0  # logprobs asked, but the score was read from the text (none sent, or a split number)
    disagreements: int = 0  # judge_verdict with swap: the two orders gave different verdicts
    latencies: list[float] = field(default_factory=list)  # seconds, of every call that got a reply

    def report(self, batch: Batch, input_price: float | None, output_price: float | None) -> None:
        """Count the batch's calls, tokens and ``cost`` (when prices per million tokens are
        given); ``latency_p50``/``_p95`` are figures of the batch, when a call got a reply."""
        for name in ("calls", "cache_hits", "retries", "failures", "unparsed", "prompt_tokens", "completion_tokens"):
            batch.count(name, getattr(self, name))
        for name in ("logprob_fallbacks", "disagreements"):  # only where they happen
            if getattr(self, name):
                batch.count(name, getattr(self, name))
        if self.latencies:
            batch.figure("latency_p50", percentile(self.latencies, 50), weight=len(self.latencies))
            batch.figure("latency_p95", percentile(self.latencies, 95), weight=len(self.latencies))
        if input_price is not None or output_price is not None:
            batch.count("cost", (self.prompt_tokens * (input_price or 0) + self.completion_tokens * (output_price or 0)) / 1e6)


def percentile(values: list[float], q: float) -> float:
    """The nearest-rank ``q``-th percentile of ``values`` (one of the values, never interpolated)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]
