"""LLM-as-judge rewards over any OpenAI-compatible endpoint (vLLM, llama.cpp, SGLang, ``transformers serve``, hosted APIs).

``judge_score`` (:mod:`.score`), ``judge_verdict`` (:mod:`.verdict`), ``rubric`` (:mod:`.rubric`)
and ``judge_rank`` (:mod:`.rank`) share :mod:`.base` (parameters, scoring a batch unit by unit
under its deadline) and :mod:`.client` (calls: concurrency, rate limits, retries, the reply
cache of :mod:`.reply_cache`, the counters of :mod:`.stats`). What a judge reads is built by
:mod:`.prompts` with the quoting of :mod:`.quoting`; what it answered is read by :mod:`.parsing`.
The ``openai`` and ``aiolimiter`` packages (the ``judge`` extra) are imported on first use, so
rewardkit loads without them; requests go through :mod:`rewardkit.http`.
"""

from rewardkit.hookspecs import hookimpl

from .rank import JudgeRank
from .rubric import Rubric
from .score import JudgeScore
from .verdict import JudgeVerdict


@hookimpl
def register_rewards(register):
    for reward in (JudgeScore, JudgeVerdict, Rubric, JudgeRank):
        register(reward)
