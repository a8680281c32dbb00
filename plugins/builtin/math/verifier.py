"""Deciding whether an answer matches the gold answer: fast, bounded and safe.

:func:`verify_answer` is the public verdict on two answer strings; the math rewards use the same
:class:`Verifier` on whole batches. For each (gold, prediction) pair:

1. answers that are too long or nested too deeply to be real answers are refused without parsing
   (a refused gold gives None, a refused prediction is wrong);
2. when both are plain numerals (``1,234``, ``$18.00``, ``50%``, ``\\frac{1}{2}``) the verdict comes
   from :mod:`.numerals` in microseconds, without sympy;
3. a pair seen before is answered from an LRU cache;
4. everything else goes to a persistent pool of worker processes
   (:mod:`rewardkit.pool`) running :func:`.symbolic.check` (math-verify's LaTeX parser
   and ``verify``), each pair under a hard time limit: a pair that runs over has its worker
   killed and is scored wrong. Identical pairs in one batch are verified once, and pairs with the
   same gold are kept on one worker.

The gold answer always comes first: verification is not symmetric (``x = 5`` as gold accepts
``5``; ``5`` as gold also accepts ``x = 5``, but ``2x + 1 = 5`` does not reduce).

Nothing here imports sympy or math-verify; only the workers do.
"""

from __future__ import annotations

import math
import os
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable, Sequence

from rewardkit.cache import LRUCache

from .extractors import boxed, gsm8k, tidy, whole
from .numerals import compare_numerals, parse_numeral

if TYPE_CHECKING:  # the pool module (multiprocessing) is imported on first need
    from rewardkit.pool import Outcome, TimeLimitedPool

DEFAULT_TIMEOUT = 1.0
MAX_ANSWER_CHARS = 1000
MAX_NESTING = 50
WORKER_MEMORY_MB = 4096
WORKER_MODULE = "rewardkit.plugins.math.worker_preload"


@dataclass(frozen=True)
class Verdict:
    """The verdict on one pair and how it was reached.

    ``correct`` is True or False, or None when the gold answer cannot be read. ``how`` is one of
    ``numeral`` (fast path), ``cache``, ``sympy``, ``timeout`` (scored wrong), ``error`` (the
    worker failed; scored wrong), ``no_answer`` (no prediction), ``refused`` (an answer too long or
    too deeply nested to parse), ``gold_unreadable``.
    """

    correct: bool | None
    how: str
    detail: str | None = None


def nesting_depth(text: str) -> int:
    """Deepest nesting of (), [] and {} in ``text`` (unbalanced closers are ignored)."""
    depth = deepest = 0
    for ch in text:
        if ch in "([{":
            depth += 1
            if depth > deepest:
                deepest = depth
        elif ch in ")]}" and depth:
            depth -= 1
    return deepest


def refused(answer: str, max_chars: int = MAX_ANSWER_CHARS) -> bool:
    """Too long or too deeply nested to be a real answer (and a way to stall a parser)."""
    if len(answer) > max_chars:
        return True
    if len(answer) <= MAX_NESTING:  # too short to nest that deep
        return False
    openers = answer.count("(") + answer.count("[") + answer.count("{")
    return openers > MAX_NESTING and nesting_depth(answer) > MAX_NESTING


GOLD_EXTRACTORS = (gsm8k, boxed, whole)


def gold_answer(gold: object) -> str | None:
    """The answer in a gold column value: after GSM8K's ``####``, else the last ``\\boxed{}``, else all of it.

    Numbers (a dataset column of ints) are read as their decimal text; None, NaN and other types
    give None.
    """
    if isinstance(gold, bool) or gold is None:
        return None
    if isinstance(gold, float) and not math.isfinite(gold):  # a missing value from pandas
        return None
    if isinstance(gold, (int, float)):
        gold = repr(gold) if isinstance(gold, float) else str(gold)
    if not isinstance(gold, str):
        return None
    for extract in GOLD_EXTRACTORS:
        found = extract(gold)
        if found is not None:
            return tidy(found)
    return None


_MISSING = object()


class Verifier:
    """Verdicts on (gold answer, predicted answer) pairs, with a cache and a worker pool.

    Args:
        workers: size of the worker pool (default: this process's share of the CPUs, see
            :func:`rewardkit.pool.default_pool_size`). Pools are shared per size
            within a process, started on first need (pure-numeral batches never start one).
        cache_size: (gold, prediction) verdicts kept; 0 disables the cache.
        max_answer_chars: longer answers are refused without parsing.
    """

    def __init__(
        self, *, workers: int | None = None, cache_size: int = 100_000, max_answer_chars: int = MAX_ANSWER_CHARS
    ) -> None:
        self.workers = workers
        self.max_answer_chars = max_answer_chars
        self.cache = LRUCache(cache_size)

    def pool(self) -> TimeLimitedPool:
        from rewardkit.pool import shared_pool

        return shared_pool(self.workers, preload=(WORKER_MODULE,), memory_limit_mb=WORKER_MEMORY_MB)

    def check_many(
        self, pairs: Sequence[tuple[str | None, str | None]], *, timeout: float = DEFAULT_TIMEOUT
    ) -> list[Verdict]:
        """One :class:`Verdict` per (gold answer, predicted answer) pair; answers already extracted."""
        verdicts: list[Verdict | None] = [None] * len(pairs)
        jobs: dict[tuple[str, str], list[int]] = {}
        reasons: dict[int, str] = {}
        for i, (gold, pred) in enumerate(pairs):
            verdict, job, reason = self._decide_locally(gold, pred)
            if verdict is not None:
                verdicts[i] = verdict
            else:
                jobs.setdefault(job, []).append(i)
                reasons[i] = reason
        if jobs:
            # The gold is the affinity key: its pairs stay on one worker, which parses it once.
            outcomes = self.pool().map(_check_in_worker, list(jobs), timeout=timeout, affinity=[g for g, _ in jobs])
            for ((gold, pred), indices), outcome in zip(jobs.items(), outcomes):
                verdict = self._from_outcome(gold, pred, outcome)
                for i in indices:
                    if verdict.how == "no_answer":
                        verdicts[i] = Verdict(False, reasons[i])
                    else:
                        verdicts[i] = verdict
        return verdicts  # type: ignore[return-value]

    def _decide_locally(
        self, gold: str | None, pred: str | None
    ) -> tuple[Verdict | None, tuple[str, str], str]:
        """A verdict reached without sympy, or the job for a worker (and why a wrong one is wrong)."""
        if gold is None or refused(gold, self.max_answer_chars):
            return Verdict(None, "gold_unreadable"), ("", ""), ""
        gold_numeral = parse_numeral(gold)
        reason = "no_answer"
        if pred is not None and refused(pred, self.max_answer_chars):
            pred, reason = None, "refused"
        if pred is None:
            if gold_numeral is not None:
                return Verdict(False, reason), ("", ""), reason
            pred = ""  # the worker still tells a readable gold (wrong) from an unreadable one (None)
        elif gold_numeral is not None:
            pred_numeral = parse_numeral(pred)
            if pred_numeral is not None:
                verdict = compare_numerals(gold_numeral, pred_numeral)
                if verdict is not None:
                    return Verdict(verdict, "numeral"), ("", ""), reason
        cached = self.cache.get((gold, pred), _MISSING)
        if cached is not _MISSING:
            if cached is None:
                return Verdict(None, "gold_unreadable"), ("", ""), reason
            if not pred:
                return Verdict(False, reason), ("", ""), reason
            return Verdict(bool(cached), "cache"), ("", ""), reason
        return None, (gold, pred), reason

    def _from_outcome(self, gold: str, pred: str, outcome: Outcome) -> Verdict:
        if outcome.timed_out:
            return Verdict(False, "timeout")
        if outcome.error is not None:
            return Verdict(False, "error", outcome.error)
        correct = outcome.value
        self.cache.put((gold, pred), correct)
        if correct is None:
            return Verdict(None, "gold_unreadable")
        if not pred:
            return Verdict(False, "no_answer")
        return Verdict(bool(correct), "sympy")


def _check_in_worker(gold: str, pred: str) -> bool | None:
    """The task the workers run (imports sympy there, never in the caller)."""
    from .symbolic import check

    return check(gold, pred)


_default_verifier: Verifier | None = None
_default_lock = threading.Lock()


def _forget_verifier_after_fork() -> None:
    global _default_verifier, _default_lock
    _default_verifier, _default_lock = None, threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_verifier_after_fork)


def default_verifier() -> Verifier:
    """The process-wide verifier behind :func:`verify_answer`."""
    global _default_verifier
    with _default_lock:
        if _default_verifier is None:
            _default_verifier = Verifier()
        return _default_verifier


def verify_answer(gold: str, prediction: str, *, timeout: float = DEFAULT_TIMEOUT) -> bool | None:
    """Whether ``prediction`` is the same answer as ``gold``; None when the gold cannot be read.

    The same verdict the ``math_correctness`` reward gives, on answer strings. ``gold`` may be a
    bare answer (``\\frac{1}{2}``), a GSM8K solution (``…#### 1,234``) or a MATH solution (its last
    ``\\boxed{}``); ``prediction`` is an answer (a ``\\boxed{}`` in it is unwrapped; to score a whole
    completion, use the reward, which first extracts the answer). The gold comes first:
    verification is not symmetric. A verification that runs past ``timeout`` seconds is stopped
    and counts as False.

    >>> verify_answer("#### 1,234", "$1,234.00")
    True
    >>> verify_answer(r"\\frac{1}{2}", "0.5"), verify_answer("1/2", "50%"), verify_answer("12", "13")
    (True, True, False)
    """
    pred = tidy(prediction) if isinstance(prediction, str) else None
    return default_verifier().check_many([(gold_answer(gold), pred)], timeout=timeout)[0].correct


def verify_answers(
    pairs: Iterable[tuple[str, str]], *, timeout: float = DEFAULT_TIMEOUT
) -> list[bool | None]:
    """:func:`verify_answer` for many pairs at once (verified in parallel in the worker pool)."""
    prepared = [(gold_answer(g), tidy(p) if isinstance(p, str) else None) for g, p in pairs]
    return [v.correct for v in default_verifier().check_many(prepared, timeout=timeout)]
