"""Trajectories everywhere: NeMo Gym's /verify, verl's decoded multi-turn responses, OpenRLHF agent
steps, TRL's environments argument, and `rewardkit score` on stored trajectories."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from _servers import request, running
from pydantic import BaseModel

from rewardkit.composition_loader import load_composition
from rewardkit.integrations import openrlhf, verl
from rewardkit.integrations.server import ServeSettings, create_app

TOOLS = [{"type": "function", "name": "get_weather", "parameters": {
    "type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"], "additionalProperties": False}}]  # fmt: skip
COMPOSITION = {"rewards": [
    {"name": "tool_call_match", "params": {"ground_truth_column": "expected_call"}},
    {"name": "tool_call_format", "weight": 0.5},
    {"name": "tool_use", "weight": 1.0},
]}  # fmt: skip


# NeMo Gym's documented models (nemo_gym/base_resources_server.py): the request, and the reply that
# extends it with the reward and, for several objectives, reward_components.
class BaseVerifyRequest(BaseModel):
    responses_create_params: dict
    response: dict


class BaseVerifyResponse(BaseVerifyRequest):
    reward: float


class BaseMultiRewardVerifyResponse(BaseVerifyResponse):
    reward_components: dict[str, float]


def verify_request(output: list, city: str = "Paris") -> dict:
    """A NeMo Gym verify request whose response is built with openai's own Response model where it can be."""
    from openai.types.responses import Response

    items = [item for item in output if item.get("type") != "function_call_output"]
    response = Response.model_validate({
        "id": "resp_1", "created_at": 1.0, "model": "policy", "object": "response", "output": items,
        "parallel_tool_calls": True, "tool_choice": "auto", "tools": TOOLS,
    }).model_dump(mode="json", exclude_none=True)  # fmt: skip
    response["output"] = output  # NeMo Gym's output union also holds function_call_output items
    return {
        "responses_create_params": {"input": [{"role": "user", "content": f"Weather in {city}?", "type": "message"}],
                                    "instructions": "Use the tools.", "tools": TOOLS},
        "response": response,
        "expected_call": {"name": "get_weather", "arguments": {"city": city}},
        "verifier_metadata": {"task": 7},
    }  # fmt: skip


CALL = {"type": "function_call", "name": "get_weather", "arguments": '{"city": "Paris"}', "call_id": "c1", "status": "completed"}
RESULT = {"type": "function_call_output", "call_id": "c1", "output": "Sunny, 21 C"}
ANSWER = {"type": "message", "id": "m1", "role": "assistant", "status": "completed",
          "content": [{"type": "output_text", "text": "It is sunny.", "annotations": []}]}  # fmt: skip


@pytest.fixture(scope="module")
def server():
    with running(create_app(load_composition(COMPOSITION), ServeSettings(composition=COMPOSITION))) as url:
        yield url


def test_verify_answers_nemo_gym_with_reward_and_components(server):
    body = verify_request([CALL, RESULT, ANSWER])
    status, reply = request(server + "/verify", body)
    assert status == 200
    parsed = BaseMultiRewardVerifyResponse.model_validate(reply)
    assert reply["expected_call"] == body["expected_call"] and reply["verifier_metadata"] == {"task": 7}
    assert parsed.response == body["response"]
    assert parsed.reward_components == {"tool_call_match": 1.0, "tool_call_format": 1.0, "tool_use": 0.0}
    assert parsed.reward == 1.5


def test_verify_scores_wrong_and_failed_calls(server):
    wrong = {**CALL, "arguments": '{"city": "Lyon", "units": "c"}'}
    failed = {**RESULT, "output": "Error: the weather service is down"}
    status, reply = request(server + "/verify", verify_request([wrong, failed, ANSWER]))
    assert status == 200
    assert reply["reward_components"] == {"tool_call_match": 0.0, "tool_call_format": 0.0, "tool_use": -0.25}
    status, reply = request(server + "/verify", verify_request([ANSWER]))
    assert reply["reward_components"]["tool_call_match"] == 0.0 and reply["reward"] == 0.0


def test_verify_refuses_a_request_without_output_items(server):
    body = verify_request([CALL])
    body["response"]["output"] = "not items"
    status, reply = request(server + "/verify", body)
    assert status == 422 and reply["field"] == "response"
    status, reply = request(server + "/verify", {"response": {}})
    assert status == 422 and reply["field"] == "responses_create_params"


# verl's tool agent loop decodes the whole multi-turn response (Qwen's template: calls as
# <tool_call> text, results as <tool_response> in user turns) into one solution string.
VERL_RESPONSE = (
    '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call><|im_end|>\n'
    "<|im_start|>user\n<tool_response>\nSunny, 21 C\n</tool_response><|im_end|>\n"
    "<|im_start|>assistant\nIt is sunny in Paris.<|im_end|>"
)


def test_verl_scores_a_decoded_multi_turn_response():
    kwargs = {"composition": {"rewards": [{"name": "tool_call_match"}, {"name": "tool_use"}]}}
    truth = [{"get_weather": {"city": ["Paris"]}}]
    result = verl.compute_score("tools", VERL_RESPONSE, truth, {"tools": TOOLS}, **kwargs)
    assert result == {"score": 1.0, "tool_call_match": 1.0, "tool_use": 0.0, "unscored": 0.0}
    failed = VERL_RESPONSE.replace("Sunny, 21 C", "Error executing tool 'get_weather': timeout")
    assert verl.compute_score("tools", failed, truth, {"tools": TOOLS}, **kwargs)["tool_use"] == -0.25


def test_openrlhf_agent_steps_add_up_as_its_executor_adds_them():
    composition = {"rewards": [{"name": "tool_call_match", "params": {"allow_extra_calls": True}}, {"name": "tool_use"}]}
    label = json.dumps([{"get_weather": {"city": ["Paris"]}}])
    steps = ['<tool_call>{"name": "get_weather", "arguments": {"city": "Paris"}}</tool_call>', "It is sunny."]
    total, observation = 0.0, "<|im_start|>user\nWeather in Paris?<|im_end|>\n<|im_start|>assistant\n"
    for action in steps:
        result = openrlhf.agent_step_reward(composition, {"observation_text": observation, "action_text": action, "label": label})
        total += result["rewards"].item()  # as OpenRLHF's MultiTurnAgentExecutor does
        observation += action
    assert total == 1.0 and result["extra_logs"] == {"tool_call_match": 0.0, "tool_use": 0.0, "unscored": 0.0}


def test_trl_reward_functions_take_the_environments_argument():
    from rewardkit.trainers.policy.trl_rewards import trl_rewards

    class Env:
        pass

    funcs = trl_rewards(load_composition({"rewards": [{"name": "tool_use"}]})).funcs
    trajectory = [{"role": "assistant", "tool_calls": [{"type": "function", "function": {"name": "f", "arguments": {}}}]},
                  {"role": "tool", "content": "{'error': 'Tool f not found.'}"}, {"role": "assistant", "content": "No."}]  # fmt: skip
    assert funcs[0]([trajectory, trajectory], prompts=[[{"role": "user", "content": "q"}]] * 2, environments=[Env(), Env()]) == [-0.25, -0.25]


def test_score_reads_conversations_and_nemo_gym_rollouts(tmp_path):
    rows = [
        {"messages": [{"role": "user", "content": "Weather?"}, {"role": "assistant", "tool_calls": [
            {"type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}}]},
            {"role": "tool", "content": "Sunny"}, {"role": "assistant", "content": "Sunny."}],
         "expected_call": {"name": "get_weather", "arguments": {"city": "Paris"}}, "tools": TOOLS},
        {**verify_request([CALL, RESULT, ANSWER]), "reward": 1.0},
    ]  # fmt: skip
    data = tmp_path / "rollouts.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    (tmp_path / "rewards.yaml").write_text(json.dumps(COMPOSITION))
    out = tmp_path / "scored.jsonl"
    for completion_key, source in (("messages", rows[:1]), ("completion", rows[1:])):
        data.write_text("".join(json.dumps(r) + "\n" for r in source))
        done = subprocess.run(
            [sys.executable, "-m", "rewardkit.cli", "score", str(tmp_path / "rewards.yaml"), str(data), "--out", str(out),
             "--completion-key", completion_key], capture_output=True, text=True,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        scored = [json.loads(line)["rewardkit"] for line in out.read_text().splitlines()]
        assert scored[0]["components"] == {"tool_call_match": 1.0, "tool_call_format": 1.0, "tool_use": 0.0}


def test_diagnose_names_the_failures_of_a_scored_file(tmp_path):
    from rewardkit.diagnostics.diagnosis import diagnose, load

    truth = [{"get_weather": {"city": ["Paris"]}}]
    completions = ['<tool_call>{"name": "get_weather", "arguments": {"city": 3}}</tool_call>'] * 3 + ["Sunny."] * 2
    rows = [{"completion": c, "ground_truth": truth} for c in completions]
    data, out = tmp_path / "rows.jsonl", tmp_path / "scored.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    done = subprocess.run([sys.executable, "-m", "rewardkit.cli", "score", "tools", str(data), "--out", str(out)],
                          capture_output=True, text=True)  # fmt: skip
    assert done.returncode == 0, done.stderr
    result = diagnose(load(out, rewards="tools"), second_opinion=False)
    assert result["components"]["tool_call_match"]["failures"] == {"wrong_type": 3, "missing_call": 2}
    assert any(f["kind"] == "failures" and "wrong_type 3" in f["message"] for f in result["findings"])
