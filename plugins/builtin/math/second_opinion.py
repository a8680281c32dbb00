"""A second opinion on math correctness: math-verify's default ``parse`` and ``verify`` of the whole completion.

``math_correctness`` extracts an answer with its own extractors and decides with its own fast
paths; this checker does neither. It hands the whole completion to ``math_verify.parse`` with its
default extraction (LaTeX and plain expressions, math-verify's own answer finding) and asks
``math_verify.verify`` against the gold answer, so ``rewardkit diagnose`` can list the rows where
the two disagree. Like every verification it runs in the verifier's worker pool under the
verifier's hard time limit (math-verify's own signal-based timeouts are off: the pool kills
overruns), with the workers' parse guard on, so no model text reaches ``eval``.
"""

from __future__ import annotations

from typing import Any, Sequence

from .verifier import DEFAULT_TIMEOUT, default_verifier, gold_answer


def second_opinion(
    completions: Sequence[str], golds: Sequence[Any], *, timeout: float = DEFAULT_TIMEOUT
) -> list[bool | None]:
    """math-verify's verdict on each completion against its gold; None where it has none.

    A gold may be a bare answer, a GSM8K solution or a MATH solution (read as the reward reads
    it). None: the gold cannot be read, or the check ran past ``timeout`` or failed.
    """
    readable = [gold_answer(g) for g in golds]
    jobs = [(i, (c, g)) for i, (c, g) in enumerate(zip(completions, readable)) if g is not None and isinstance(c, str)]
    verdicts: list[bool | None] = [None] * len(completions)
    if jobs:
        pool = default_verifier().pool()
        outcomes = pool.map(_judge_in_worker, [job for _, job in jobs], timeout=timeout, affinity=[g for _, (_, g) in jobs])
        for (i, _), outcome in zip(jobs, outcomes):
            verdicts[i] = outcome.value if outcome.ok else None
    return verdicts


def _judge_in_worker(completion: str, gold: str) -> bool | None:
    """The task the workers run: math-verify's defaults, the gold as inline LaTeX (its documented form)."""
    from math_verify import parse, verify

    gold_parsed = parse(f"${gold}$", parsing_timeout=None)
    if not gold_parsed:
        return None
    return bool(verify(gold_parsed, parse(completion, parsing_timeout=None), timeout_seconds=None))
