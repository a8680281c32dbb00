"""Running a detector over segments: one instance per backend and seed, and a cache of verdicts."""

from __future__ import annotations

from typing import Sequence

from rewardkit.cache import LRUCache
from rewardkit.language_detector import LanguageDetector
from rewardkit.once import Once

from .codes import normalize_code
from .segments import Segment

DETECT_CHARS = 400

_detectors = Once(lambda cls, seed: cls(seed=seed), after_fork="keep")  # their models are loaded once, kept by a fork


def detector_instance(cls: type[LanguageDetector], seed: int = 0) -> LanguageDetector:
    """The process-wide instance of the backend class ``cls`` for ``seed`` (built on first use)."""
    return _detectors.get(cls, seed)


def language_shares(
    detector: LanguageDetector, segs: Sequence[Segment], cache: LRUCache | None = None
) -> tuple[list[str], dict[str, int]]:
    """Detected top language of each segment, and the total length per language.

    A segment the detector cannot tell is counted under ``"unknown"``. Segments longer than
    ``DETECT_CHARS`` (merged same-script chunks) are detected on their first ``DETECT_CHARS``
    characters but weigh their full length.
    """
    known = {s.text: cache.get(s.text) for s in segs} if cache is not None else {}
    todo = list(dict.fromkeys(s.text for s in segs if known.get(s.text) is None))
    # a long same-script chunk is detected on its first DETECT_CHARS characters (bounds the cost)
    samples = [text[:DETECT_CHARS] for text in todo]
    for text, candidates in zip(todo, detector.detect_many(samples) if todo else []):
        lang = normalize_code(candidates[0][0]) if candidates else "unknown"
        known[text] = lang
        if cache is not None:
            cache.put(text, lang)
    langs = [known[s.text] for s in segs]
    totals: dict[str, int] = {}
    for s, lang in zip(segs, langs):
        totals[lang] = totals.get(lang, 0) + s.length
    return langs, totals
