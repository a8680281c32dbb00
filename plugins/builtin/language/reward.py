"""The language-consistency reward: the share of a completion (or of its reasoning) in the target language."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator

from rewardkit.cache import LRUCache
from rewardkit.errors import ParamsError
from rewardkit.registry import registry_of
from rewardkit.reward import Batch, Reward, RewardParams, Sample
from rewardkit.text import last_user_text

from .codes import code_matches, normalize_code, primary_code
from .detection import detector_instance, language_shares
from .segments import Segment, extract_tagged, segments

DETECTION_CACHE = 50_000  # segments whose detected language each reward instance remembers

_CODE = re.compile(r"^[a-z]{2,3}(?:-[a-z0-9]{2,8})?$")


class LanguageConsistencyParams(RewardParams):
    target: str = Field(
        "en",
        description="ISO 639-1 code of the wanted language (a region such as zh-tw must match exactly); "
        "'prompt': the language of the prompt's last user turn",
    )
    also_accept: list[str] = Field(
        [],
        description="other codes counted as the target (detectors confuse close languages on short text, "
        "e.g. [bg, mk, uk] for ru)",
    )
    target_column: str | None = Field(
        None, description="dataset column holding each row's target code (overrides target)"
    )
    tag: str | None = Field(
        None, description="judge only the text inside <tag>…</tag> (e.g. think, reasoning); None: the whole completion"
    )
    missing_tag: Literal["none", "zero", "whole"] = Field(
        "none",
        description="when tag is set and absent: none (not scored), zero (score 0), whole (judge the whole completion)",
    )
    tag_opened_in_prompt: Literal["auto"] | bool = Field(
        "auto",
        description="the chat template opened <tag> in the prompt; auto: the prompt text ends with it",
    )
    unit: Literal["words", "chars"] = Field(
        "words",
        description="words: letter runs, each CJK ideograph/kana one word; "
        "chars: letters (no spaces, digits, punctuation)",
    )
    min_length: int | None = Field(
        None, ge=1, description="segments shorter than this (in `unit`) are not judged; None: 3 words or 8 chars"
    )
    split_scripts: bool = Field(True, description="split a sentence where its writing system changes")
    chunk_length: int | None = Field(
        None,
        ge=0,
        description="join neighbouring same-script sentences up to this length before detection "
        "(short ones are misdetected); None: 10 words or 50 chars; 0: one sentence per segment",
    )
    max_segments: int = Field(
        100, ge=1, description="merge same-script neighbours above this many segments (bounds detection time)"
    )
    detector: str = Field("langdetect", description="registered language detector backend")
    seed: int = Field(0, description="detector seed (results are deterministic for a given seed)")

    @field_validator("also_accept")
    @classmethod
    def _check_also(cls, value: list[str]) -> list[str]:
        codes = [normalize_code(v) for v in value]
        bad = [c for c in codes if not _CODE.match(c)]
        if bad:
            raise ValueError(f"also_accept: {bad} are not ISO 639 language codes")
        return codes

    @field_validator("target")
    @classmethod
    def _check_target(cls, value: str) -> str:
        value = normalize_code(value)
        if value != "prompt" and not _CODE.match(value):
            raise ValueError(f"'{value}' is not an ISO 639 language code (e.g. en, ko, zh-cn) or 'prompt'")
        return value


class LanguageConsistency(Reward):
    """Share of the judged text written in the target language, in [0, 1].

    The judged text (the completion, or the inside of ``<tag>``) is cleaned of code, LaTeX/math,
    URLs and numbers, split into sentences and, where the writing system changes, into runs;
    neighbouring runs in one writing system are joined into chunks of about ``chunk_length``, and
    segments shorter than ``min_length`` are left out. Each remaining segment is detected, and the
    score is the length (in ``unit``) of the segments detected as the target over the length of
    every segment the detector could tell. Nothing left to judge gives None.

    Per sample it notes ``languages`` (share per detected language), ``target`` and ``judged``
    (the judged length); per batch it counts ``segments``, ``unjudged`` (None scores) and
    ``missing_tag``.

    >>> LanguageConsistency(target="en")(["Let me add the two numbers first, then divide by three."])
    [1.0]
    """

    name = "language_consistency"
    description = "share of the (reasoning) text in the target language (DeepSeek-R1); None: nothing to judge"
    Params = LanguageConsistencyParams

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        p = self.params
        self._backend = backend = registry_of(self).get("language_detector", p.detector)
        known = backend.supported() if hasattr(backend, "supported") else None
        if known and p.target != "prompt" and not any(code_matches(k, p.target) for k in known):
            shown = ", ".join(sorted(known))
            raise ParamsError(
                f"reward '{self.name}': detector '{p.detector}' cannot detect '{p.target}' (it knows: {shown})"
            )
        self._cache: LRUCache | None = None

    def required_columns(self) -> tuple[str, ...]:
        return (self.params.target_column,) if self.params.target_column else ()

    def __getstate__(self):
        return {**super().__getstate__(), "_cache": None}

    # -- helpers ---------------------------------------------------------------------------------

    def _detect(self, segs: list[Segment]) -> tuple[list[str], dict[str, int]]:
        if self._cache is None:
            self._cache = LRUCache(DETECTION_CACHE)
        return language_shares(detector_instance(self._backend, self.params.seed), segs, self._cache)

    def prompt_language(self, sample: Sample) -> str | None:
        """The language with the largest share of the prompt's last user turn (None if none)."""
        text = last_user_text(sample.raw_prompt) if sample.raw_prompt is not None else sample.prompt
        if not text:
            return None
        words = self.params.unit == "words"
        segs, _ = segments(text, min_length=1, unit=self.params.unit, chunk_length=10 if words else 50)
        if not segs:
            return None
        _, totals = self._detect(segs)
        totals.pop("unknown", None)
        if not totals:
            return None
        # the primary code: a prompt detected as zh-cn asks for Chinese, not for one script of it
        return primary_code(max(sorted(totals), key=lambda lang: totals[lang]))

    def judged_text(self, sample: Sample) -> str | None:
        p = self.params
        if p.tag is None:
            return sample.completion
        opened = p.tag_opened_in_prompt
        if opened == "auto":
            opened = bool(sample.prompt) and sample.prompt.rstrip().endswith(f"<{p.tag}>")
        return extract_tagged(sample.completion, p.tag, opened_in_prompt=opened)

    # -- scoring ---------------------------------------------------------------------------------

    def score_batch(self, batch: Batch) -> list[float | None]:
        return [self.guarded(batch, i, self._score_one, batch, i) for i in range(len(batch))]

    def _score_one(self, batch: Batch, i: int) -> float | None:
        p = self.params
        sample = batch.samples[i]
        if p.target_column:
            value = sample.row.get(p.target_column)
            target = normalize_code(value) if isinstance(value, str) and value.strip() else None
        elif p.target == "prompt":
            target = self.prompt_language(sample)
        else:
            target = p.target
        batch.note("target", i, target)
        if target is None:
            batch.count("no_target")
            batch.count("unjudged")
            return None

        text = self.judged_text(sample)
        if text is None:
            batch.count("missing_tag")
            if p.missing_tag == "zero":
                return 0.0
            if p.missing_tag == "none":
                batch.count("unjudged")
                return None
            text = sample.completion

        words = p.unit == "words"
        chunk = p.chunk_length if p.chunk_length is not None else (10 if words else 50)
        segs, _dropped = segments(
            text,
            min_length=p.min_length if p.min_length is not None else (3 if words else 8),
            unit=p.unit,
            split_on_script=p.split_scripts,
            chunk_length=chunk,
            max_segments=p.max_segments,
        )
        batch.count("segments", len(segs))
        _, totals = self._detect(segs)
        totals.pop("unknown", None)
        judged = sum(totals.values())
        batch.note("judged", i, judged)
        if judged == 0:
            batch.note("languages", i, {})
            batch.count("unjudged")
            return None
        batch.note("languages", i, {lang: round(n / judged, 4) for lang, n in sorted(totals.items())})
        accepted = [target, *p.also_accept]
        on_target = sum(n for lang, n in totals.items() if any(code_matches(lang, t) for t in accepted))
        return on_target / judged
