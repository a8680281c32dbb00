"""The ``langdetect`` detector backend (imports langdetect on first detection)."""

from __future__ import annotations

import importlib.util
import os

from rewardkit.language_detector import LanguageDetector
from rewardkit.once import Once

from .codes import normalize_code


class LangdetectDetector(LanguageDetector):
    """langdetect (a port of Google's language-detection; 55 languages), seeded.

    langdetect samples n-grams at random, so unseeded it can answer differently for the same text.
    Each instance owns its own ``DetectorFactory`` with ``seed`` set, and every detection reseeds
    its generator, so a text's result depends on nothing but the text and the seed (the global
    ``langdetect.DetectorFactory`` is left untouched).
    """

    name = "langdetect"

    def __init__(self, seed: int = 0) -> None:
        super().__init__(seed)
        self._factory = Once(self._load, after_fork="keep")

    def _load(self):
        from langdetect.detector_factory import PROFILES_DIRECTORY, DetectorFactory

        factory = DetectorFactory()
        factory.load_profile(PROFILES_DIRECTORY)
        factory.seed = self.seed
        return factory

    def detect(self, text: str) -> list[tuple[str, float]]:
        from langdetect.lang_detect_exception import LangDetectException

        detector = self._factory.get().create()
        detector.append(text)
        try:
            found = detector.get_probabilities()
        except LangDetectException:  # no letters it knows
            return []
        return [(lang.lang, float(lang.prob)) for lang in found]

    @classmethod
    def supported(cls) -> frozenset[str] | None:
        spec = importlib.util.find_spec("langdetect")
        if spec is None or not spec.submodule_search_locations:
            return None
        profiles = os.path.join(list(spec.submodule_search_locations)[0], "profiles")
        try:
            return frozenset(normalize_code(name) for name in os.listdir(profiles) if not name.startswith("."))
        except OSError:
            return None
