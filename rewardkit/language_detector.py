"""The language detector interface that the ``register_language_detectors`` hook names.

A detector backend is a class registered through that hook::

    class MyDetector(LanguageDetector):
        name = "mine"
        def detect(self, text: str) -> list[tuple[str, float]]:
            return [("en", 0.9), ("de", 0.1)]   # candidates, most probable first

    @hookimpl
    def register_language_detectors(register):
        register("mine", MyDetector)

Detectors must be deterministic: the same text gives the same answer in every run and process.
The built-in backend (langdetect) and the reward that uses detectors live in
``rewardkit.plugins.language``.
"""

from __future__ import annotations

from typing import ClassVar, Sequence


class LanguageDetector:
    """Base class of language detector backends.

    Subclasses set ``name`` and implement :meth:`detect`; they may override :meth:`detect_many`
    when the backend is faster on batches. ``seed`` must make the backend deterministic.
    """

    name: ClassVar[str] = ""

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed

    def detect(self, text: str) -> list[tuple[str, float]]:
        """Candidate languages of ``text`` as ``(code, probability)``, most probable first.

        Codes are ISO 639-1 (``en``, ``ko``), optionally with a region (``zh-cn``). An empty list
        means the backend could not tell.
        """
        raise NotImplementedError

    def detect_many(self, texts: Sequence[str]) -> list[list[tuple[str, float]]]:
        """:meth:`detect` for each text."""
        return [self.detect(t) for t in texts]

    @classmethod
    def supported(cls) -> frozenset[str] | None:
        """Codes this backend can return (checked against a reward's target), or None if unknown."""
        return None
