"""The ``lingua`` detector backend (lingua-language-detector; imported on first use)."""

from __future__ import annotations

from rewardkit.errors import import_optional
from rewardkit.extras import Needs
from rewardkit.language_detector import LanguageDetector
from rewardkit.once import Once


NEEDED_FOR = "the language detector 'lingua'"
DIGITS = 10  # of the probabilities kept


class LinguaDetector(LanguageDetector):
    """lingua (75 languages, built for short and mixed text), in its high-accuracy mode.

    Deterministic: lingua has no sampling, so ``seed`` changes nothing; its probabilities are rounded
    to 10 digits, below which they vary between processes. Its language models load on first use,
    per writing system: the first Latin-script text costs about half a minute and the models of
    every language about 1.1 GB of memory, once per process (bench/results/language_bench.md).
    """

    name = "lingua"
    needs = Needs(modules=("lingua",), extra="language")

    def __init__(self, seed: int = 0) -> None:
        super().__init__(seed)
        self._detector = Once(self._load, after_fork="keep")

    @staticmethod
    def _load():
        # imported here: the wheel is a 96 MB extension of language models, not needed unless
        # this backend is chosen
        lingua = import_optional("lingua", "language", NEEDED_FOR)
        return lingua.LanguageDetectorBuilder.from_all_languages().build()

    @staticmethod
    def _candidates(values) -> list[tuple[str, float]]:
        # lingua's sums run in an order that changes between processes (its hash maps are seeded
        # per process), so its probabilities differ in the last digits: rounded, ties broken by code.
        # Every language comes back; all zero means no letters it knows.
        found = [(v.language.iso_code_639_1.name.lower(), round(float(v.value), DIGITS)) for v in values]
        return sorted(((code, p) for code, p in found if p > 0), key=lambda c: (-c[1], c[0]))

    def detect(self, text: str) -> list[tuple[str, float]]:
        return self._candidates(self._detector.get().compute_language_confidence_values(text))

    @classmethod
    def supported(cls) -> frozenset[str] | None:
        lingua = import_optional("lingua", "language", NEEDED_FOR)  # a missing package fails when the reward is built
        return frozenset(language.iso_code_639_1.name.lower() for language in lingua.Language.all())
