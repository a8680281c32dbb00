"""What judging one batch cost: calls, cache hits, retries, failures, tokens, latency, money."""

from __future__ import annotations

import math
from dataclasses import dataclass, field


@dataclass
class CallStats:
    """Counters of one batch; :meth:`metrics` turns them into the batch's metrics.

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

    def metrics(self, input_price: float | None, output_price: float | None) -> dict[str, float]:
        """The batch's metrics; ``latency_p50``/``_p95`` when a call got a reply, ``cost`` when
        prices (per million tokens) are given."""
        out = {
            "calls": float(self.calls),
            "cache_hits": float(self.cache_hits),
            "retries": float(self.retries),
            "failures": float(self.failures),
            "unparsed": float(self.unparsed),
            "prompt_tokens": float(self.prompt_tokens),
            "completion_tokens": float(self.completion_tokens),
        }
        for name in ("logprob_fallbacks", "disagreements"):  # only where they happen
            if getattr(self, name):
                out[name] = float(getattr(self, name))
        if self.latencies:
            out["latency_p50"] = percentile(self.latencies, 50)
            out["latency_p95"] = percentile(self.latencies, 95)
        if input_price is not None or output_price is not None:
            out["cost"] = (self.prompt_tokens * (input_price or 0) + self.completion_tokens * (output_price or 0)) / 1e6
        return out


def percentile(values: list[float], q: float) -> float:
    """The nearest-rank ``q``-th percentile of ``values`` (one of the values, never interpolated)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]
