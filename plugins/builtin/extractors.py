"""Built-in answer extractors: find the final answer in a completion or a gold solution.

An extractor is ``fn(text: str, **options) -> str | None``: the answer it finds, or None. Rewards
take an ordered list of extractor names and use the first that finds something. Options a reward
passes (``tag``) go to every extractor, so an extractor accepts and ignores the ones it does not
use. Extractors run in the trainer's process on model text: keep them linear-time and never
evaluate what they find. The implementations live in :mod:`rewardkit.answers`.

=============  ==================================================================================
name           finds
=============  ==================================================================================
answer_tag     the content of the last ``<answer>`` tag (``tag`` option), to ``</answer>`` or the end
boxed          the content of the last complete ``\\boxed{…}`` (braces balanced)
gsm8k          what follows GSM8K's last ``####`` on its line (gold solutions: ``#### 1,234``)
answer_is      what "the answer is …" / "Final answer: …" / "Answer: …" says, to the end of the sentence
last_number    the last number (``-1,234.5``, ``$18``, ``3/4``, ``50%``)
whole          the whole text (gold columns that hold only the answer)
=============  ==================================================================================
"""

from __future__ import annotations

from rewardkit.answers import answer_is, answer_tag, boxed, gsm8k, last_number, whole
from rewardkit.hookspecs import hookimpl

EXTRACTORS = {
    "answer_tag": answer_tag,
    "boxed": boxed,
    "gsm8k": gsm8k,
    "answer_is": answer_is,
    "last_number": last_number,
    "whole": whole,
}


@hookimpl
def register_extractors(register):
    for name, function in EXTRACTORS.items():
        register(name, function)
