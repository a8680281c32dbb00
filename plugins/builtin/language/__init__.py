"""Language consistency (DeepSeek-R1): the reward, text cleaning and segmenting, and the langdetect backend.

DeepSeek-R1 (2025, section 2.3.3) adds a language-consistency reward during RL "calculated as the
proportion of target language words in the CoT" to stop the chain of thought from mixing languages.
This plugin registers that reward and the ``langdetect`` detector backend it uses by default.
"""

from rewardkit.hookspecs import hookimpl

from .langdetect_backend import LangdetectDetector
from .reward import LanguageConsistency, LanguageConsistencyParams


@hookimpl
def register_language_detectors(register):
    register("langdetect", LangdetectDetector)


@hookimpl
def register_rewards(register):
    register(LanguageConsistency)


__all__ = ["LangdetectDetector", "LanguageConsistency", "LanguageConsistencyParams"]
