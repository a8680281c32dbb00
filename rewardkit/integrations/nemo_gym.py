"""NeMo Gym's ``/verify`` request and reply, and its rollout rows, as a composition's inputs and outputs.

NeMo Gym's resources servers answer ``POST /verify`` (``BaseVerifyRequest``) with the request's
fields plus ``reward`` (``BaseVerifyResponse``) and, for several objectives, ``reward_components``
(``BaseMultiRewardVerifyResponse``). The request holds ``responses_create_params`` (the OpenAI
Responses-API request: ``input``, a string or items, ``instructions``, ``tools``) and ``response``
(the Responses-API response: its ``output`` items, messages, ``function_call`` and
``function_call_output`` items, reasoning), plus the task's own fields (a ground truth,
``expected_call``, ``verifier_metadata``...). Rollout files (``rollouts.jsonl``) hold the same
rows with their ``reward``.

Here the ``response.output`` items are the completion (a trajectory: rewardkit's rewards read
the calls from it and the final answer out of it), the ``input`` (with ``instructions`` as a
system turn) the prompt, and every other top-level field a dataset column; the request's
``tools`` fill the ``tools`` column unless the row has one. The reply is the request as it came
with the composition's weighted total as ``reward`` and each component as ``reward_components``,
an unscorable sample given ``none_score`` (NeMo Gym needs numbers).
"""

from __future__ import annotations

from typing import Any, Mapping

from rewardkit.composition import Scores
from rewardkit.errors import ConfigError
from rewardkit.integrations.compositions import filled

REQUEST_FIELDS = ("responses_create_params", "response")


def is_verify_row(row: Mapping[str, Any]) -> bool:
    """Whether a row is a NeMo Gym verify request or rollout (it has both request fields)."""
    return all(isinstance(row.get(key), dict) for key in REQUEST_FIELDS)


def verify_inputs(body: Mapping[str, Any]) -> tuple[list[Any], Any, dict[str, Any]]:
    """``(completion, prompt, columns)`` of one verify request or rollout row."""
    params, response = body.get("responses_create_params"), body.get("response")
    if not isinstance(params, dict) or not isinstance(response, dict):
        raise ConfigError("a NeMo Gym verify request needs 'responses_create_params' and 'response' objects")
    output = response.get("output")
    if not isinstance(output, list):
        raise ConfigError("response.output must be a list of Responses-API items")
    prompt = params.get("input")
    instructions = params.get("instructions")
    if isinstance(instructions, str) and instructions:
        system = {"role": "system", "content": instructions}
        prompt = [system, *prompt] if isinstance(prompt, list) else [system, {"role": "user", "content": prompt or ""}]
    columns = {k: v for k, v in body.items() if k not in REQUEST_FIELDS and isinstance(k, str)}
    if columns.get("tools") is None and params.get("tools"):
        columns["tools"] = params["tools"]
    return output, prompt, columns


def verify_reply(body: Mapping[str, Any], scores: Scores, none_score: float) -> dict[str, Any]:
    """NeMo Gym's verify response for one request: the request, ``reward`` and ``reward_components``."""
    row = filled(scores, none_score)
    return {
        **body,
        "reward": row.total[0],
        "reward_components": {name: values[0] for name, values in row.components.items()},
    }
