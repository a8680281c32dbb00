"""Length rewards: a target length, DAPO's soft overlong punishment, n-gram repetition."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import Field

from rewardkit.hookspecs import hookimpl
from rewardkit.errors import MissingColumnError
from rewardkit.reward import Batch, Reward, RewardParams, Sample


@lru_cache(maxsize=4)
def load_tokenizer(path: str):
    """A tokenizer from a local directory, loaded once per process (never downloaded)."""
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(path, local_files_only=True)


class LengthUnit(RewardParams):
    unit: Literal["auto", "chars", "tokens"] = Field(
        "auto",
        description="chars, or tokens (from TRL's completion_ids, else the tokenizer); auto: tokens when known",
    )
    tokenizer: str | None = Field(None, description="local tokenizer directory for unit=tokens")


def completion_lengths(reward: Reward, batch: Batch, params: LengthUnit) -> list[int]:
    """Length of each completion in the unit the parameters ask for; notes the unit used."""
    ids = [s.row.get("completion_ids") for s in batch.samples]
    have_ids = all(isinstance(i, (list, tuple)) for i in ids)
    unit = params.unit
    if unit == "auto":
        unit = "tokens" if (have_ids or params.tokenizer) else "chars"
    if unit == "chars":
        lengths = [len(s.completion) for s in batch.samples]
    elif have_ids:
        lengths = [len(i) for i in ids]
    elif params.tokenizer:
        tok = load_tokenizer(params.tokenizer)
        lengths = [len(tok(s.completion, add_special_tokens=False)["input_ids"]) for s in batch.samples]
    else:
        raise MissingColumnError(
            f"reward '{reward.__name__}': unit=tokens needs TRL's completion_ids column or a 'tokenizer' path",
            column="completion_ids",
        )
    for i in range(len(batch)):
        batch.note("unit", i, unit)
    return lengths


class LengthTargetParams(LengthUnit):
    ideal: int = Field(50, gt=0, description="the target length")
    normalize: Literal["none", "negative", "positive"] = Field(
        "none",
        description="none: -|ideal-len|; negative: that divided by ideal, clipped to [-1, 0]; positive: 1 + negative",
    )


class LengthTarget(Reward):
    """The course's length reward: ``-|ideal - length|``, optionally normalised.

    >>> LengthTarget(ideal=5, unit="chars")(["abc", "abcdefg"])
    [-2.0, -2.0]
    """

    name = "length_target"
    description = "-|ideal - length| in characters or tokens, optionally normalised to [-1,0] or [0,1]"
    Params = LengthTargetParams

    @property
    def error_score(self) -> float:
        """A sample that cannot be scored (malformed chat content) scores as a completion of length
        0 would: the worst of a normalised range, never the best (0 is the ideal length's score)."""
        p = self.params
        return {"none": -float(p.ideal), "negative": -1.0, "positive": 0.0}[p.normalize]

    def score_batch(self, batch: Batch) -> list[float]:
        p = self.params
        scores = []
        for length in completion_lengths(self, batch, p):
            distance = abs(p.ideal - length)
            if p.normalize == "none":
                scores.append(-float(distance))
            else:
                shortfall = min(1.0, distance / p.ideal)
                scores.append(-shortfall if p.normalize == "negative" else 1.0 - shortfall)
        return scores


class SoftOverlongParams(LengthUnit):
    max_length: int = Field(1024, gt=0, description="L_max: lengths above it score -1")
    cache: int = Field(256, gt=0, description="L_cache: the soft zone below L_max with a linear penalty")


class SoftOverlong(Reward):
    """DAPO's soft overlong punishment (Yu et al. 2025, eq. 13).

    0 up to ``max_length - cache``, falling linearly to -1 at ``max_length``, -1 beyond.
    """

    name = "soft_overlong"
    description = "DAPO soft overlong punishment: 0, then linear to -1 over the last `cache` units, -1 beyond"
    Params = SoftOverlongParams
    error_score = -1.0  # the full punishment: 0 would reward a sample that cannot be measured

    def score_batch(self, batch: Batch) -> list[float]:
        p = self.params
        start = p.max_length - p.cache
        scores = []
        for length in completion_lengths(self, batch, p):
            if length <= start:
                scores.append(0.0)
            elif length <= p.max_length:
                scores.append((start - length) / p.cache)
            else:
                scores.append(-1.0)
        return scores


class RepetitionParams(RewardParams):
    ngram_size: int = Field(3, gt=0, description="n of the n-grams compared")
    max_penalty: float = Field(-1.0, le=0, description="score when every n-gram is a repeat")
    unit: Literal["words", "chars"] = Field("words", description="n-grams of words, or of characters (for CJK)")


class RepetitionPenalty(Reward):
    """N-gram repetition penalty ("Demystifying Long Chain-of-Thought", Yeo et al. 2025).

    ``max_penalty * (1 - distinct n-grams / all n-grams)``; 0 when there are fewer than n units.
    """

    name = "repetition_penalty"
    description = "max_penalty × share of repeated n-grams (words or characters)"
    Params = RepetitionParams
    pure = True

    @property
    def error_score(self) -> float:
        """The full penalty: 0 (no repetition) would reward a sample that cannot be scored."""
        return self.params.max_penalty

    def score(self, sample: Sample) -> float:
        p = self.params
        units = sample.completion.lower().split() if p.unit == "words" else list(sample.completion)
        n = p.ngram_size
        if len(units) < n:
            return 0.0
        grams = [tuple(units[i : i + n]) for i in range(len(units) - n + 1)]
        return p.max_penalty * (1.0 - len(set(grams)) / len(grams))


@hookimpl
def register_rewards(register):
    for reward in (LengthTarget, SoftOverlong, RepetitionPenalty):
        register(reward)
