"""The math rewards: answer correctness checked with math-verify and sympy, and the GSM8K integer check.

``math_correctness`` (also registered as ``accuracy``) extracts the completion's final answer with
an ordered list of extractors, reads the gold answer from a dataset column, and asks
:class:`.verifier.Verifier` for the verdict: plain numerals are compared without sympy,
everything else in a pool of worker processes under a hard time limit. Nothing here imports
sympy or math-verify; the workers do.
"""

from __future__ import annotations

import functools
import sys
from collections import Counter
from operator import attrgetter
from typing import Any, Callable, Literal, Sequence

from pydantic import Field

from rewardkit.errors import MissingColumnError, ParamsError
from rewardkit.registry import registry_of
from rewardkit.reward import Batch, Reward, RewardParams, Sample

from rewardkit.cache import LRUCache

from .extractors import DEFAULT_EXTRACTORS, GUESSING_EXTRACTORS, NOT_FOUND, Found, answer_by, find_answer
from .numerals import parse_numeral
from .verifier import MAX_ANSWER_CHARS, Verdict, Verifier, gold_answer

# Per-batch counts reported every call (zeros included, so logged curves have no gaps).
COUNTED = (
    "timeouts", "deadline_missed", "gold_unreadable", "no_answer", "refused", "numeral", "exact", "numeric", "cache", "sympy",
    "floor",
)
GOLD_CACHE_SIZE = 10_000
_HOW, _ANSWER, _EXTRACTOR = attrgetter("how"), attrgetter("answer"), attrgetter("extractor")
ANSWERS = "math.answers"  # Sample.derived keys (with the extractor and settings): what each extractor found


class VerificationError(RuntimeError):
    """A worker failed while verifying a sample (the sample gets the reward's error score)."""


class ExtractorParams(RewardParams):
    extractors: list[str] = Field(
        DEFAULT_EXTRACTORS,
        min_length=1,
        description="answer extractors tried in order; the first that finds an answer wins",
    )
    answer_tag: str = Field("answer", description="tag read by the answer_tag and xml_answer extractors")
    tidy: bool = Field(
        True,
        description="read the answer out of what the extractor found (a box, $...$, a closing full stop, prose "
        "around it); false: the text as found, stripped (the GSM8K notebook's)",
    )


class ExtractingReward(Reward):
    """A reward that finds the completion's final answer with the configured extractors."""

    Params = ExtractorParams

    def __init__(self, params: Any = None, **kwargs: Any) -> None:
        super().__init__(params, **kwargs)
        self._resolve_extractors()  # unknown names fail now, not mid-training

    def _resolve_extractors(self) -> list[tuple[str, Callable[..., str | None]]]:
        resolved = self.__dict__.get("_extractor_fns")
        if resolved is None:
            known = registry_of(self).catalogue("extractor")
            unknown = [n for n in self.params.extractors if n not in known]
            if unknown:
                raise ParamsError(
                    f"reward '{self.name}': unknown extractor(s) {', '.join(map(repr, unknown))} "
                    f"(known: {', '.join(sorted(known))})"
                )
            resolved = [(n, known[n].value) for n in self.params.extractors]
            self._extractor_fns = resolved
        return resolved

    def extract(self, text: str) -> Found:
        """The tidied answer in ``text``, the extractor that found it, and whether it was marked."""
        return find_answer(text, self._resolve_extractors(), tidied=self.params.tidy, tag=self.params.answer_tag)

    def extract_completion(self, sample: Sample) -> Found:
        """:meth:`extract` of the sample's completion, shared with the other math rewards scoring
        the same batch (what each extractor found is kept on the sample)."""
        return self.answers([sample])[0]

    def answers(self, samples: Sequence[Sample]) -> list[Found]:
        """:meth:`extract_completion` of each sample, in one pass. What each extractor (with these
        settings) found in a completion is kept in its ``Sample.derived``, so that the math rewards
        of a composition (``int_answer`` and ``math_correctness``) extract each answer once."""
        steps = self.__dict__.get("_answer_steps")
        if steps is None:
            p = self.params
            steps = self._answer_steps = [
                (sys.intern(f"{ANSWERS}:{name}:{id(extract)}:{p.tidy}:{p.answer_tag}"), name, extract)
                for name, extract in self._resolve_extractors()
            ]
        options, tidied = {"tag": self.params.answer_tag}, self.params.tidy
        out = []
        for sample in samples:
            derived, found = sample.derived, NOT_FOUND
            for key, name, extract in steps:
                found = derived.get(key)
                if found is None:
                    found = derived[key] = answer_by(sample.completion, name, extract, options, tidied)
                if found is not NOT_FOUND:
                    break
            out.append(found)
        return out

    def __getstate__(self) -> dict[str, Any]:
        # Resolved functions may come from third-party plugins (lambdas); the verifier holds a
        # process-local pool. Both are rebuilt lazily after unpickling.
        state = super().__getstate__()
        for key in ("_extractor_fns", "_answer_steps", "_verifier", "_gold_cache"):
            state.pop(key, None)
        return state


class MathCorrectnessParams(ExtractorParams):
    gold_column: str | list[str] = Field(
        ["answer", "solution"],
        description="dataset column with the gold answer; a list: the first one the batch has",
    )
    compare: Literal["math", "text"] = Field(
        "math",
        description="math: the answer's value against the gold's, as math-verify decides; text: the answer as text "
        "equal to the gold answer as text (the GSM8K notebook's ==; with tidy false, '$18' and '18.' are not 18)",
    )
    correct: float = Field(1.0, description="score of a correct answer")
    wrong: float = Field(0.0, description="score of a wrong, missing or unparseable answer")
    timeout: float = Field(1.0, gt=0, description="hard limit in CPU seconds (of its worker) per verification")
    on_timeout: Literal["wrong", "none"] = Field(
        "wrong",
        description="an answer whose own verification runs past timeout (9^{9^{9^9}}): scored wrong, since the "
        "completion chose to write it, or None",
    )
    deadline: float | None = Field(
        60.0,
        gt=0,
        description="seconds the verifications of a whole batch may take, from the first one's start; what is not "
        "verified by then scores None, counted as deadline_missed (None: no limit)",
    )
    workers: int | None = Field(
        None, ge=1, description="verification worker processes (default: this process's share of the CPUs)"
    )
    cache_size: int = Field(100_000, ge=0, description="(gold, answer) verdicts cached; 0 disables")
    max_answer_chars: int = Field(
        MAX_ANSWER_CHARS, ge=1, description="longer extracted answers are not parsed (scored wrong)"
    )
    reasoning_delimiters: list[str] | None = Field(
        None,
        min_length=1,
        description="judge only the text after the last occurrence of the first of these found (e.g. [\"</think>\"]); "
        "none found: the reasoning is incomplete and scores wrong (TRL's reasoning_accuracy_reward)",
    )
    start_workers: bool = Field(
        True,
        description="start the verification workers in the background when the reward is built, so that the "
        "first batch that needs sympy does not wait for them (a few seconds); false: on first need",
    )
    math_verify_floor: bool | None = Field(
        None,
        description="where the extractors guess (or find nothing) and the answer is wrong, let math-verify's "
        "own extraction over the whole completion decide; default: on when the extractors include "
        f"{' or '.join(sorted(GUESSING_EXTRACTORS))}",
    )


class MathCorrectness(ExtractingReward):
    """Whether the completion's final answer equals the gold answer, as math-verify decides.

    The gold column may hold a bare answer (MATH's ``answer``: ``\\frac{14}{3}``), a GSM8K solution
    (``…#### 1,234``) or a MATH solution (its last ``\\boxed{}``). Scores: ``correct`` (1.0) when
    equivalent, ``wrong`` (0.0) when not, when no answer is found, when the answer cannot be parsed
    and when its verification runs past ``timeout`` (its worker is killed; ``on_timeout: none``
    scores it None instead); ``None`` when the gold cannot be read, so the trainer skips the
    sample instead of learning from a false score, and when the batch's ``deadline`` ran out
    before the sample was verified (queued verifications are dropped, running ones killed),
    as for every reward that runs out of time (:mod:`rewardkit.reward`).

    Where the extractors had to guess (the last number or math span, one box of several, no answer
    found) and the answer is wrong, math-verify's own extraction over the whole completion has the
    last word (``math_verify_floor``), so no answer math-verify gets right is lost.

    Reported per sample (TRL ``log_extra``): ``answer``, ``gold``, ``extractor``, ``verdict`` (how
    the verdict was reached). Counted per batch (``log_metric``): ``timeouts``, ``deadline_missed``,
    ``gold_unreadable``, ``no_answer``, ``refused``, ``numeral`` (fast path), ``exact`` (common
    LaTeX forms without sympy), ``numeric`` (values clearly apart: wrong without sympy), ``cache``,
    ``sympy``, ``floor`` (right by math-verify's extraction).

    >>> MathCorrectness()(["<answer>\\n$1,234.00\\n</answer>", "\\\\boxed{1235}"], answer=["#### 1,234"] * 2)
    [1.0, 0.0]
    """

    name = "math_correctness"
    description = "final answer equals the gold answer (math-verify + sympy, bounded, numeral fast path)"
    Params = MathCorrectnessParams
    error_score = 0.0

    def __init__(self, params: Any = None, **kwargs: Any) -> None:
        super().__init__(params, **kwargs)
        if self.params.start_workers and self.params.compare == "math":
            self.verifier().start_workers()

    def required_columns(self) -> tuple[str, ...]:
        column = self.params.gold_column
        if isinstance(column, str):
            return (column,)
        return (column[0],) if len(column) == 1 else ()

    def gold_column_for(self, batch: Batch) -> str:
        column = self.params.gold_column
        candidates = [column] if isinstance(column, str) else list(column)
        present = batch.samples[0].row if batch.samples else {}
        for name in candidates:
            if name in present:
                return name
        raise MissingColumnError(
            f"reward '{self.__name__}' needs the gold answer column "
            + " or ".join(repr(c) for c in candidates)
            + f" as a list of {len(batch)} values (columns given: {', '.join(sorted(present)) or 'none'});"
            " set gold_column to use another",
            column=candidates[0],
        )

    def verifier(self) -> Verifier:
        verifier = self.__dict__.get("_verifier")
        if verifier is None:
            p = self.params
            verifier = Verifier(workers=p.workers, cache_size=p.cache_size, max_answer_chars=p.max_answer_chars)
            self._verifier = verifier
        return verifier

    def golds_of(self, values: list[Any]) -> list[str | None]:
        """:meth:`gold_for` of each value, each distinct value read once (a GRPO batch repeats
        each gold once per completion of its prompt)."""
        read: dict[Any, str | None] = {}  # a text by itself, a number with its type (1, 1.0 and True differ)
        golds = []
        for value in values:
            key = value if type(value) is str else (type(value), value) if isinstance(value, (int, float)) else None
            gold = read.get(key, read)
            if gold is read:
                gold = read[key] = None if key is None else self.gold_for(value)
            golds.append(gold)
        return golds

    def gold_for(self, value: Any) -> str | None:
        if not isinstance(value, (str, int, float)) or isinstance(value, bool):
            return None
        cache = self.__dict__.get("_gold_cache")
        if cache is None:
            cache = self._gold_cache = LRUCache(GOLD_CACHE_SIZE)
        return cache.get_or_compute((type(value), value), lambda: gold_answer(value))

    def floor_on(self) -> bool:
        floor = self.params.math_verify_floor
        return floor if floor is not None else bool(GUESSING_EXTRACTORS & set(self.params.extractors))

    def judged_text(self, completion: str) -> str | None:
        """The text after the reasoning delimiter (``reasoning_delimiters``), None when absent."""
        delimiters = self.params.reasoning_delimiters
        if delimiters is None:
            return completion
        for delimiter in delimiters:
            if delimiter in completion:
                return completion.rsplit(delimiter, 1)[1]
        return None

    def score_batch(self, batch: Batch) -> list[float | None]:
        if not batch.samples:
            return []
        column = self.gold_column_for(batch)
        golds = self.golds_of([s.row.get(column) for s in batch.samples])
        if self.params.reasoning_delimiters is None:
            texts: list[str | None] = [s.completion for s in batch.samples]
            found = self.answers(batch.samples)
        else:
            texts = [self.judged_text(s.completion) for s in batch.samples]
            found = [self.extract(t) if t is not None else NOT_FOUND for t in texts]
        if self.params.compare == "text":
            verdicts = [_text_verdict(g, f.answer) for g, f in zip(golds, found)]
        else:
            verdicts = self.verifier().check_found(
                golds, found, texts, floor=self.floor_on(), timeout=self.params.timeout, batch_timeout=self.params.deadline
            )
        # Whole columns at once (what batch.note does one sample at a time).
        batch.extra["answer"] = list(map(_ANSWER, found))
        batch.extra["gold"] = golds
        batch.extra["extractor"] = list(map(_EXTRACTOR, found))
        batch.extra["verdict"] = [v.how if t is not None else "incomplete_reasoning" for v, t in zip(verdicts, texts)]
        counts = dict.fromkeys(COUNTED, 0)
        for how, count in Counter(map(_HOW, verdicts)).items():
            metric = "timeouts" if how == "timeout" else how
            if metric in counts:
                counts[metric] += count
        for key, value in counts.items():
            batch.count(key, value)
        scores: list[float | None] = []
        known: dict[int, float | None] = {}  # the score of each distinct verdict (a batch shares them)
        for i, (verdict, text) in enumerate(zip(verdicts, texts)):
            if text is None:
                scores.append(self.params.wrong)  # incomplete reasoning, whatever the gold
            elif verdict.how == "error":
                scores.append(self.guarded(batch, i, self._score, verdict))
            else:
                score = known.get(id(verdict), known)
                if score is known:
                    score = known[id(verdict)] = self._score(verdict)
                scores.append(score)  # type: ignore[arg-type]
        return scores

    def _score(self, verdict: Verdict) -> float | None:
        if verdict.how == "error":
            raise VerificationError(verdict.detail or "verification failed")
        if verdict.correct is None or verdict.how == "deadline_missed":
            return None
        if verdict.how == "timeout" and self.params.on_timeout == "none":
            return None
        return self.params.correct if verdict.correct else self.params.wrong


_SAME_TEXT, _OTHER_TEXT, _NO_TEXT = Verdict(True, "text"), Verdict(False, "text"), Verdict(False, "no_answer")
_NO_GOLD = Verdict(None, "gold_unreadable")


def _text_verdict(gold: str | None, answer: str | None) -> Verdict:
    """``compare: text``: the answer equals the gold answer as text."""
    if gold is None:
        return _NO_GOLD
    if answer is None:
        return _NO_TEXT
    return _SAME_TEXT if answer == gold else _OTHER_TEXT


class Accuracy(MathCorrectness):
    """``math_correctness`` under the name of TRL's ``accuracy_reward`` (same parameters and verdicts)."""

    name = "accuracy"
    description = "alias of math_correctness (the name TRL's accuracy_reward has)"


class IntAnswerParams(ExtractorParams):
    extractors: list[str] = Field(
        ["answer_tag"], min_length=1, description="answer extractors tried in order (the recipe: answer_tag)"
    )
    score: float = Field(0.5, description="score when the extracted answer is an integer")
    digits_only: bool = Field(
        False,
        description="the recipe's str.isdigit() check (rejects -3 and 1,234); default: any integer numeral",
    )


class IntAnswer(ExtractingReward):
    """The GSM8K recipe's integer check: ``score`` when the extracted answer is an integer.

    By default an integer numeral counts (``42``, ``-3``, ``1,234``, ``$18``, ``18 apples``), not
    ``18.5`` or ``3/4``; ``digits_only`` applies the recipe's ``str.isdigit()`` literally.

    >>> IntAnswer()(["<answer>\\n1,234\\n</answer>", "<answer>\\n2.5\\n</answer>", "no tag 7"])
    [0.5, 0.0, 0.0]
    """

    name = "int_answer"
    description = "0.5 when the extracted answer is an integer (GSM8K recipe)"
    Params = IntAnswerParams
    pure = True

    def score(self, sample: Sample) -> float:
        return self.score_samples([sample])[0]

    def score_samples(self, samples: list[Sample]) -> list[float | None]:
        score, is_integer = self.params.score, str.isdigit if self.params.digits_only else is_integer_numeral
        return [0.0 if answer is None or not is_integer(answer) else score for answer, _, _ in self.answers(samples)]


@functools.lru_cache(maxsize=65536)
def is_integer_numeral(answer: str) -> bool:
    """Whether ``answer`` is an integer numeral (``42``, ``-3``, ``1,234``, ``$18``), cached: a
    GRPO batch gives the same few answers many times."""
    numeral = parse_numeral(answer)
    return numeral is not None and numeral.is_integer
