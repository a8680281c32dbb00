"""A composition as OpenRLHF's reward: its ``reward_func(queries, prompts, labels)`` file and ``/get_reward`` body.

OpenRLHF takes ``--remote_rm_url`` as an HTTP endpoint (``rewardkit serve`` answers its
``/get_reward``) or as a Python file whose ``reward_func(queries, prompts, labels)`` it calls in
its rollout workers. This module is such a file::

    --remote_rm_url $(python -c "import rewardkit.integrations.openrlhf as m; print(m.__file__)")

The composition comes from the ``REWARDKIT_COMPOSITION`` environment variable (a preset name or
a YAML path; Ray workers need it in the job's ``runtime_env``), else from ``rewardkit.yaml`` next
to the file OpenRLHF loaded (copy this file into your project beside one). A file of your own can
also say ``reward_func = make_reward_func("rewards.yaml")``.

OpenRLHF's ``query`` is the prompt and the response decoded together, special tokens included;
the response is what follows the prompt, less the end-of-turn tokens at its end (``<|im_end|>``,
``</s>``...). ``labels`` fill the composition's gold column. The reply, per OpenRLHF's protocol:
``rewards`` (the weighted total, used for the advantages), ``scores`` (the same, for dynamic
filtering) and ``extra_logs`` (each component and ``unscored``, logged per sample). OpenRLHF
needs numbers: an unscorable sample gets ``none_score`` (0.0) and ``unscored`` 1.0.

OpenRLHF's multi-turn agents (``--agent_func_path``) reward each step themselves: an
``AgentInstance.step(states)`` returns ``rewards``, ``scores``, ``environment_feedback`` and
``done``, and the executor adds up ``rewards.item()`` over the steps. :func:`agent_step_reward`
scores the step's ``action_text`` (the prompt: ``observation_text``; the gold column: ``label``)
and returns the reward fields of that reply::

    async def step(self, states, **kwargs):
        reward = agent_step_reward("tools.yaml", states)
        return {**reward, "environment_feedback": feedback, "done": done}
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Callable, Sequence

from rewardkit.composition import Composition, Scores
from rewardkit.composition_loader import shared_composition
from rewardkit.errors import ConfigError
from rewardkit.integrations.compositions import UNSCORED_KEY, filled, gold_column

COMPOSITION_ENV = "REWARDKIT_COMPOSITION"
COMPOSITION_FILE = "rewardkit.yaml"
# Special tokens that end a turn, as they appear when decoded: <|im_end|>, <|eot_id|>, <|endoftext|>,
# </s>, <eos>, <end_of_turn>, <｜end▁of▁sentence｜>. Whitespace before them belongs to the response.
END_OF_TURN = re.compile(r"(?:(?:<\|[^<>|\s]{1,40}\|>|</s>|<eos>|<end_of_turn>|<｜[^<>｜]{1,40}｜>)\s*)+\Z")


def response_text(query: str, prompt: str | None) -> str:
    """The response in ``query`` (prompt + response): after the prompt, without trailing end-of-turn tokens.

    When the decoded query does not start with the prompt exactly (a tokenizer that does not
    round-trip), the longest common prefix is taken as the prompt.

    >>> response_text("<|im_start|>user\\nHi<|im_end|>\\n<|im_start|>assistant\\nHello\\n<|im_end|>",
    ...               "<|im_start|>user\\nHi<|im_end|>\\n<|im_start|>assistant\\n")
    'Hello\\n'
    """
    if prompt:
        cut = len(prompt) if query.startswith(prompt) else len(os.path.commonprefix([query, prompt]))
        query = query[cut:]
    return END_OF_TURN.sub("", query)


def openrlhf_rewards(
    composition: Composition,
    queries: Sequence[str],
    prompts: Sequence[str] | None,
    labels: Sequence[Any] | None,
    *,
    gold: str | None = None,
    none_score: float = 0.0,
) -> dict[str, Any]:
    """OpenRLHF's reward reply for a batch: ``rewards``, ``scores`` and ``extra_logs``, as lists."""
    completions, columns = openrlhf_batch(composition, queries, prompts, labels, gold)
    return openrlhf_reply(composition.score(completions, prompts, **columns), none_score)


def openrlhf_batch(
    composition: Composition,
    queries: Sequence[str],
    prompts: Sequence[str] | None,
    labels: Sequence[Any] | None,
    gold: str | None = None,
) -> tuple[list[str], dict[str, list[Any]]]:
    """The completions and dataset columns an OpenRLHF request asks to score."""
    n = len(queries)
    for name, values in (("prompts", prompts), ("labels", labels)):
        if values is not None and len(values) != n:
            raise ConfigError(f"OpenRLHF: got {len(values)} {name} for {n} queries")
    completions = [response_text(q, None if prompts is None else prompts[i]) for i, q in enumerate(queries)]
    return completions, {} if labels is None else {gold_column(composition, gold): list(labels)}


def openrlhf_reply(scores: Scores, none_score: float) -> dict[str, Any]:
    """OpenRLHF's reply: the total as ``rewards`` and ``scores``, components and ``unscored`` as ``extra_logs``."""
    scores = filled(scores, none_score)
    return {
        "rewards": scores.total,
        "scores": scores.total,
        "extra_logs": {**scores.components, UNSCORED_KEY: scores.unscored},
    }


def make_reward_func(
    composition: Any, *, gold: str | None = None, none_score: float = 0.0
) -> Callable[[Sequence[str], Sequence[str], Sequence[Any]], dict[str, Any]]:
    """A ``reward_func(queries, prompts, labels)`` for a composition (preset, YAML path or mapping),
    which is built on the first call in each process."""

    def reward_func(queries: Sequence[str], prompts: Sequence[str], labels: Sequence[Any]) -> dict[str, Any]:
        return openrlhf_rewards(shared_composition(composition), queries, prompts, labels, gold=gold, none_score=none_score)

    return reward_func


def reward_func(queries: Sequence[str], prompts: Sequence[str], labels: Sequence[Any]) -> dict[str, Any]:
    """OpenRLHF's entry point: the composition named by ``REWARDKIT_COMPOSITION`` or ``rewardkit.yaml`` beside this file."""
    spec = os.environ.get(COMPOSITION_ENV)
    if not spec:
        beside = Path(__file__).with_name(COMPOSITION_FILE)
        if not beside.is_file():
            raise ConfigError(
                f"set {COMPOSITION_ENV} to a preset name or a composition YAML path, "
                f"or put {COMPOSITION_FILE} next to {Path(__file__)}"
            )
        spec = str(beside)
    return openrlhf_rewards(shared_composition(spec), queries, prompts, labels)


class StepReward(float):
    """A reward number with ``.item()``, which OpenRLHF's agent executor calls on each step's rewards."""

    def item(self) -> float:
        return float(self)


def agent_step_reward(
    composition: Any, states: dict[str, Any], *, gold: str | None = None, none_score: float = 0.0
) -> dict[str, Any]:
    """The ``rewards``, ``scores`` and ``extra_logs`` of one OpenRLHF agent step: its ``action_text``
    scored by the composition (a preset, YAML path or mapping, built once per process)."""
    shared = shared_composition(composition)
    label = states.get("label")
    columns = {} if label is None else {gold_column(shared, gold): [label]}
    reply = openrlhf_reply(shared.score([states["action_text"]], [states.get("observation_text")], **columns), none_score)
    return {
        "rewards": StepReward(reply["rewards"][0]),
        "scores": StepReward(reply["scores"][0]),
        "extra_logs": {name: values[0] for name, values in reply["extra_logs"].items()},
    }
