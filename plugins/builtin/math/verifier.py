"""Deciding whether an answer matches the gold answer: fast, bounded and safe.

:func:`verify_answer` is the public verdict on a gold answer and a prediction; the math rewards use
the same :class:`Verifier` on whole batches. For each (gold, prediction) pair:

1. answers that are too long or nested too deeply to be real answers are refused without parsing
   (a refused gold gives None, a refused prediction is wrong);
2. when both are plain numerals (``1,234``, ``$18.00``, ``50%``, ``\\frac{1}{2}``) the verdict comes
   from :mod:`.numerals` in microseconds, without sympy;
3. when both are common LaTeX forms (``3\\sqrt{13}``, ``\\frac{\\pi}{2}``, tuples, intervals, sets,
   matrices of those) :mod:`.exact` decides them exactly, without sympy, and two answers with the
   same reading are equal; words (``\\text{Evelyn}``), assignments (``x = 5``) and a tuple,
   interval or matrix with a term added (``(3, 4) + 37``, which math-verify cannot read) are
   compared by their structure (:mod:`.structure`);
4. answers whose values are clearly apart (another number, the gold plus a term, a variable
   renamed: :mod:`.numeric` evaluates both, with variables at fixed points) are not equal,
   without sympy; that path never says "equal";
5. a pair seen before is answered from an LRU cache;
6. everything else goes to a persistent pool of worker processes
   (:mod:`rewardkit.pool`) running :func:`.symbolic.check` (math-verify's LaTeX parser
   and ``verify``), each pair under a hard time limit: a pair that runs over has its worker
   killed and is scored wrong. Identical pairs in one batch are verified once, and pairs with the
   same gold are kept on one worker, which parses that gold once.

**The floor**: when the prediction was found by guessing (the last number or math span, one box
of several, nothing found) or cannot be parsed, and the verdict so far is "wrong", the worker
also runs math-verify's own default extraction over the whole completion
(:func:`.symbolic.floor`); if that finds the gold answer, the pair is right. So no answer that
math-verify gets right is lost, while answers the text marks clearly are judged as marked.

The gold answer always comes first: verification is not symmetric (``x = 5`` as gold accepts
``5``; ``5`` as gold also accepts ``x = 5``, but ``2x + 1 = 5`` does not reduce).

Nothing here imports sympy or math-verify; only the workers do.
"""

from __future__ import annotations

import numbers
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable, Sequence

from rewardkit.cache import LRUCache
from rewardkit.once import Once
from rewardkit.stats import finite_number

from .exact import Exact, compare_exact, exact_form, rational
from .expressions import Form, read_form
from .extractors import DEFAULT_CHAIN, NOT_FOUND, Found, boxed, find_answer, gsm8k, tidy, whole
from .numerals import MAX_NUMERAL_CHARS, Numeral, compare_numerals, parse_numeral
from .numeric import Numeric, compare_numeric, numeric_form, sample_numeral
from .structure import (
    compare_linear_equations,
    compare_words,
    container_plus_term,
    is_relation,
    never_a_number,
    unwrap_assignments,
    without_unit,
)

if TYPE_CHECKING:  # the pool module (multiprocessing) is imported on first need
    from rewardkit.pool import Outcome, TimeLimitedPool

DEFAULT_TIMEOUT = 1.0
MAX_ANSWER_CHARS = 1000
MAX_FLOOR_CHARS = 100_000  # longer completions get no floor (math-verify's regexes on megabytes)
READINGS_CACHE_SIZE = 20_000
MAX_NESTING = 50
WORKER_MEMORY_MB = 4096
WORKER_MODULE = "rewardkit.plugins.math.worker_preload"


@dataclass(frozen=True)
class Verdict:
    """The verdict on one pair and how it was reached.

    ``correct`` is True or False, or None when the gold answer cannot be read. ``how`` is one of
    ``numeral`` (fast path), ``exact`` (common LaTeX forms, words and relations, without sympy), ``numeric`` (values
    clearly apart, without sympy: always wrong), ``cache``, ``sympy``,
    ``floor`` (right by math-verify's own extraction over the completion), ``timeout`` (scored
    wrong), ``deadline_missed`` (not verified within the batch's ``batch_timeout``; the reward scores it None),
    ``error`` (the worker failed; scored wrong), ``no_answer`` (no prediction),
    ``refused`` (an answer too long or too deeply nested to parse), ``gold_unreadable``.
    """

    correct: bool | None
    how: str
    detail: str | None = None


SAME_NUMERAL, OTHER_NUMERAL = Verdict(True, "numeral"), Verdict(False, "numeral")


def _plain_digits(answer: str) -> bool:
    """ASCII digits only, short enough to be read as a numeral (``0042``; not ``4.2`` or ``²``)."""
    return answer.isdigit() and answer.isascii() and len(answer) <= MAX_NUMERAL_CHARS


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
# Plain words with no number and no LaTeX ("forty two", "not a number"; two words of two letters
# or more): nothing to verify against. A one-word gold ("Evelyn"), letters that are math
# ("a b", "x y") and text in LaTeX (\text{east}) are answers.
_PLAIN_WORDS = re.compile(r"[A-Za-z]+(?:[\s,.'-]+[A-Za-z]+)+[\s.]*")
_LONG_WORD = re.compile(r"[A-Za-z]{2,}")


def gold_answer(gold: object) -> str | None:
    """The answer in a gold column value: after GSM8K's ``####``, else the last ``\\boxed{}``, else all of it.

    Numbers (a dataset column of ints) are read as their decimal text; None, NaN and other types
    give None, and so do prose without a number or LaTeX (``forty two``, ``not a number``: TRL's
    accuracy reward skips such golds too) and GSM8K's ``####`` with nothing after it. (A gold the
    workers can parse to nothing but its own text, ``\\frac{``, is unreadable there.)
    """
    if isinstance(gold, numbers.Integral) and not isinstance(gold, bool):
        gold = str(int(gold))  # every digit (a float would round 10**20 + 1)
    elif not isinstance(gold, str):
        number = finite_number(gold)  # None, bools, NaN (a missing value from pandas), other types: None
        if number is None:
            return None
        gold = repr(number)
    if "####" in gold and gsm8k(gold) is None:
        return None  # GSM8K's marker with nothing after it
    for extract in GOLD_EXTRACTORS:
        found = extract(gold)
        if found is not None:
            answer = tidy(found)
            return None if answer is None or _prose(answer) else answer
    return None


def _prose(answer: str) -> bool:
    return _PLAIN_WORDS.fullmatch(answer) is not None and len(_LONG_WORD.findall(answer)) >= 2


class Reading:
    """What the caller's process reads of an answer without sympy: a plain numeral, an exact value
    (an integer or fraction numeral is both), and its expression form, evaluated on first need."""

    __slots__ = ("numeral", "_exact", "form", "_numeric")

    def __init__(self, numeral: Numeral | None, exact: Exact | None | bool, form: Form | None) -> None:
        """``exact`` True: the numeral's own value, made on first need (two numerals never need it)."""
        self.numeral, self._exact, self.form = numeral, exact, form
        self._numeric: Numeric | None | bool = False  # False: not evaluated yet

    @property
    def exact(self) -> Exact | None:
        if self._exact is True:
            self._exact = rational(self.numeral.value)  # type: ignore[union-attr]
        return self._exact  # type: ignore[return-value]

    @property
    def numeric(self) -> Numeric | None:
        if self._numeric is False:
            self._numeric = sample_numeral(self.numeral) if self.numeral is not None else numeric_form(self.form)
        return self._numeric  # type: ignore[return-value]


def read_answer(answer: str) -> Reading:
    """Read an answer once: its numeral, else its expression form (parsed once, shared by the
    exact and the numeric paths); a trailing unit in ``\\text``/``\\mbox`` dropped as math-verify drops it."""
    answer = without_unit(answer)
    numeral = parse_numeral(answer)
    if numeral is None:
        form = read_form(answer)
        return Reading(None, exact_form(form), form)
    if numeral.kind != "decimal" and not numeral.percent:
        return Reading(numeral, True, None)
    return Reading(numeral, None, None)  # decimals and percentages follow math-verify's float rules


READINGS = LRUCache(READINGS_CACHE_SIZE)  # answer -> Reading: each gold read once per process


class Verifier:
    """Verdicts on (gold answer, predicted answer) pairs, with caches and a worker pool.

    Args:
        workers: size of the worker pool (default: this process's share of the CPUs, see
            :func:`rewardkit.pool.default_pool_size`). Pools are shared per size within a
            process, started on first need (batches decided without sympy never start one).
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

    def start_workers(self) -> None:
        """Have the fork server that the workers are forked from start now, in the background,
        so that the first batch that needs sympy does not wait for its imports and warm-up.

        Only the server process is launched here: nothing waits for it, and a process that
        exits right away is not held up (the server, multiprocessing's own, ends with this
        process). The workers fork from it, warm, on first need. Where there is no fork server
        (``spawn``), workers start on first need."""
        from rewardkit.pool import start_fork_server

        start_fork_server((WORKER_MODULE,))

    def reading(self, answer: str) -> Reading:
        """The answer as read in this process (:func:`read_answer`, cached)."""
        return READINGS.get_or_compute(answer, lambda: read_answer(answer))

    def check_many(
        self,
        pairs: Sequence[tuple[str | None, str | None]],
        *,
        timeout: float = DEFAULT_TIMEOUT,
        floors: Sequence[tuple[str, bool] | None] | None = None,
        batch_timeout: float | None = None,
    ) -> list[Verdict]:
        """One :class:`Verdict` per (gold answer, predicted answer) pair; answers already extracted.

        ``floors`` gives, per pair, None or (the whole completion, whether its answer was marked as
        one): where the answer was guessed or cannot be parsed and is wrong, math-verify's own
        extraction over the completion has the last word. ``batch_timeout`` bounds the pool's
        time on the whole batch (:meth:`rewardkit.pool.TimeLimitedPool.map`'s ``budget``).
        """
        verdicts: list[Verdict | None] = [None] * len(pairs)
        jobs: dict[tuple[str, str, str | None, bool], list[int]] = {}
        # A local verdict depends on the pair and on whether (and how surely) a floor is there, not
        # on the floor's text: a GRPO group's repeated answers are decided once.
        decided: dict[tuple[str | None, str | None, bool, bool], Verdict] = {}
        for i, (gold, pred) in enumerate(pairs):
            floor = floors[i] if floors is not None else None
            if floor is not None and len(floor[0]) > MAX_FLOOR_CHARS:
                floor = None
            key = (gold, pred, floor is None, floor is None or floor[1])
            verdict = decided.get(key)
            if verdict is None:
                verdict, job = self._decide_locally(gold, pred, floor)
                if verdict is None:
                    jobs.setdefault(job, []).append(i)
                    continue
                decided[key] = verdict
            verdicts[i] = verdict
        if jobs:
            # The gold is the affinity key: its pairs stay on one worker, which parses it once.
            outcomes = self.pool().map(
                _check_in_worker, list(jobs), timeout=timeout, affinity=[j[0] for j in jobs], budget=batch_timeout
            )
            for job, outcome in zip(jobs, outcomes):
                verdict = self._from_outcome(job[0], job[1], outcome)
                for i in jobs[job]:
                    verdicts[i] = verdict
        return verdicts  # type: ignore[return-value]

    def check_found(
        self,
        golds: Sequence[str | None],
        found: Sequence[Found],
        texts: Sequence[object],
        *,
        floor: bool = True,
        timeout: float = DEFAULT_TIMEOUT,
        batch_timeout: float | None = None,
    ) -> list[Verdict]:
        """Verdicts on the answers ``found`` in ``texts`` against gold answers; with ``floor``,
        each text (when it is one) is the floor's completion."""
        floors = [(t, f.sure) if isinstance(t, str) else None for t, f in zip(texts, found)] if floor else None
        return self.check_many(
            [(g, f.answer) for g, f in zip(golds, found)], timeout=timeout, floors=floors, batch_timeout=batch_timeout
        )

    def verify_texts(
        self, pairs: Iterable[tuple[object, object]], *, timeout: float = DEFAULT_TIMEOUT
    ) -> list[Verdict]:
        """Verdicts on (gold column value, prediction text) pairs: the gold read as
        :func:`gold_answer` reads it, the answer found as the reward's default extractors find it."""
        pairs = list(pairs)
        golds = [gold_answer(gold) for gold, _ in pairs]
        found = [find_answer(p, DEFAULT_CHAIN) if isinstance(p, str) else NOT_FOUND for _, p in pairs]
        return self.check_found(golds, found, [p for _, p in pairs], timeout=timeout)

    def _decide_locally(
        self, gold: str | None, pred: str | None, floor: tuple[str, bool] | None
    ) -> tuple[Verdict | None, tuple[str, str, str | None, bool]]:
        """A verdict reached without sympy, or the job for a worker."""
        no_job = ("", "", None, True)
        if gold is None or refused(gold, self.max_answer_chars):
            return Verdict(None, "gold_unreadable"), no_job
        if pred is not None and refused(pred, self.max_answer_chars):
            return Verdict(False, "refused"), no_job
        floor_text, sure = floor if floor is not None else (None, True)
        if pred is not None and _plain_digits(gold) and _plain_digits(pred):  # two integers: their digits decide
            same = gold.lstrip("0") == pred.lstrip("0")
            if same or floor_text is None or sure:
                return (SAME_NUMERAL if same else OTHER_NUMERAL), no_job
        gold_side, pred_side, verdict = gold, pred, None
        if pred is not None:  # words and assignments, by their structure
            if is_relation(gold) or is_relation(pred):
                gold_side, pred_side, verdict = unwrap_assignments(gold, pred)
                if verdict is None and gold_side is gold and pred_side is pred:
                    verdict = compare_linear_equations(gold, pred)
            if verdict is None and ("\\" in gold_side or "\\" in pred_side):  # a word is a LaTeX command
                verdict = compare_words(gold_side, pred_side)
            if verdict is not None:
                if verdict or floor_text is None or sure:
                    return Verdict(verdict, "exact"), no_job
                return None, (gold, pred, floor_text, sure)
        gold_reading = self.reading(gold_side)
        if pred_side is not None and container_plus_term(pred_side) and never_a_number(
            gold_reading.form, gold_reading.exact, gold_reading.numeric
        ):
            # math-verify keeps only the prediction's text: wrong. Its extraction over a completion
            # that is only "$prediction$" (the floor) finds no more than numbers in it: wrong too.
            if floor_text is None or floor_text.strip() == f"${pred_side}$":
                return Verdict(False, "exact"), no_job
        if pred_side is None:
            if gold_reading.numeral is not None and floor_text is None:
                return Verdict(False, "no_answer"), no_job
            # The worker tells a readable gold (wrong) from an unreadable one (None), and floors.
            return None, (gold, "", floor_text, False)
        how, verdict = "", None
        pred_reading = self.reading(pred_side)
        if gold_reading.numeral is not None and pred_reading.numeral is not None:
            how, verdict = "numeral", compare_numerals(gold_reading.numeral, pred_reading.numeral)
        elif gold_reading.exact is not None and pred_reading.exact is not None:
            how, verdict = "exact", compare_exact(gold_reading.exact, pred_reading.exact)
        if verdict is None and gold_reading.form is not None and gold_reading.form == pred_reading.form:
            how, verdict = "exact", True  # the same reading: latex2sympy builds the same expression
        if verdict is None and (gold_reading.numeral is None or pred_reading.numeral is None):
            how, verdict = "numeric", compare_numeric(gold_reading.numeric, pred_reading.numeric)
        if verdict is None:
            cached = self.cache.get((gold, pred))  # (verdict, whether pred parsed), or None
            if cached is not None:
                own, pred_readable = cached
                if own is None:
                    return Verdict(None, "gold_unreadable"), no_job
                how, verdict = "cache", own
                sure = sure and pred_readable
        if verdict is True or (verdict is False and (floor_text is None or sure)):
            return Verdict(verdict, how), no_job
        return None, (gold, pred, floor_text, sure)

    def _from_outcome(self, gold: str, pred: str, outcome: Outcome) -> Verdict:
        if outcome.timed_out:
            return Verdict(False, "deadline_missed" if outcome.over_budget else "timeout")
        if outcome.error is not None:
            return Verdict(False, "error", outcome.error)
        own, pred_readable, floored = outcome.value
        self.cache.put((gold, pred), (own, pred_readable))
        if own is None:
            return Verdict(None, "gold_unreadable")
        if floored:
            return Verdict(True, "floor")
        if not pred:
            return Verdict(False, "no_answer")
        return Verdict(bool(own), "sympy")


def _check_in_worker(gold: str, pred: str, floor_text: str | None, sure: bool) -> tuple[bool | None, bool, bool]:
    """The task the workers run (imports sympy there, never in the caller): the verdict, whether
    the prediction parsed to mathematics (not just math-verify's fallback string), and whether
    the floor found the answer."""
    from .symbolic import check, floor, parse_answer

    own = check(gold, pred)
    if own is not False:
        return own, True, False  # decided: whether the prediction parses matters only to a wrong one
    pred_readable = bool(pred) and any(not isinstance(p, str) for p in parse_answer(pred))
    floored = floor_text is not None and not (sure and pred_readable) and floor(gold, floor_text)
    return own, pred_readable, floored


_default_verifier = Once(Verifier)


def default_verifier() -> Verifier:
    """The process-wide verifier behind :func:`verify_answer`."""
    return _default_verifier.get()


def verify_answer(gold: str, prediction: str, *, timeout: float = DEFAULT_TIMEOUT) -> bool | None:
    """Whether ``prediction`` gives the same answer as ``gold``; None when the gold cannot be read.

    The same verdict the ``math_correctness`` reward gives. ``gold`` may be a bare answer
    (``\\frac{1}{2}``), a GSM8K solution (``…#### 1,234``) or a MATH solution (its last
    ``\\boxed{}``); ``prediction`` may be an answer or a whole completion, read with the reward's
    default extractors (and, where those guess, math-verify's own extraction as the floor). The
    gold comes first: verification is not symmetric. A verification that runs past ``timeout``
    seconds is stopped and counts as False.

    >>> verify_answer("#### 1,234", "$1,234.00")
    True
    >>> verify_answer(r"\\frac{1}{2}", "0.5"), verify_answer("1/2", "50%"), verify_answer("12", "13")
    (True, True, False)
    >>> verify_answer("12", "Final answer: the smallest $k$ is 12.")
    True
    """
    return verify_answers([(gold, prediction)], timeout=timeout)[0]


def verify_answers(
    pairs: Iterable[tuple[str, str]], *, timeout: float = DEFAULT_TIMEOUT
) -> list[bool | None]:
    """:func:`verify_answer` for many pairs at once (verified in parallel in the worker pool)."""
    return [v.correct for v in default_verifier().verify_texts(pairs, timeout=timeout)]
