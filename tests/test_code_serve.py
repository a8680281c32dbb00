"""Code rewards through a real `rewardkit serve` on a local port.

The server runs on uvicorn's event loop (uvloop where installed), which starts the sandboxes:
as root the sandbox runs as user 65534 (it once scored every sample 0.0 there, uvloop refusing
``subprocess``'s ``user=``), as anyone else as themselves. A backend that fails scores None, never 0.
"""

from __future__ import annotations

import pytest

pytest.importorskip("uvicorn")

from _code import PlainProcesses, fenced, require_local_sandbox  # noqa: E402
from _servers import free_port, request, serve_command  # noqa: E402

from rewardkit import hookimpl  # noqa: E402

TESTS = ["assert add(2, 3) == 5", "assert add(1, 1) == 2"]
RIGHT, WRONG = fenced("def add(a, b):\n    return a + b"), fenced("def add(a, b):\n    return a + b if a > 1 else 0")
STDIO = {"inputs": ["2\n"], "outputs": ["4\n"]}


def test_code_rewards_score_through_serve(tmp_path):
    require_local_sandbox()
    config = tmp_path / "code.yaml"
    config.write_text("rewards:\n  - name: code_pass_rate\n    params: {limits: {timeout: 5.0}}\n")
    with serve_command(str(config)) as (url, _):
        status, reply = request(url + "/score", {"completions": [RIGHT, WRONG, fenced("print(int(input()) * 2)")],
                                                  "test_list": [TESTS, TESTS, None], "input_output": [None, None, STDIO]})
    assert status == 200, reply
    assert reply["components"]["code_pass_rate"] == [1.0, 0.5, 1.0]
    assert reply["metrics"]["code_pass_rate"]["sandbox_error"] == 0


def test_a_failing_backend_scores_none_through_serve(tmp_path):
    config = tmp_path / "code.yaml"
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    config.write_text(
        "rewards:\n  - name: code_pass_rate\n    params:\n      sandbox: sandbox_fusion\n"
        f"      sandbox_options: {{url: '{url}', max_retries: 0}}\n"
    )
    with serve_command(str(config)) as (server, _):
        status, reply = request(server + "/score", {"completions": [RIGHT, WRONG], "test_list": [TESTS, TESTS]})
    assert status == 200, reply
    assert reply["components"]["code_pass_rate"] == [None, None]
    assert reply["metrics"]["code_pass_rate"]["sandbox_error"] == 2


class Breaks(PlainProcesses):
    """A backend that fails with an error of its own (not a SandboxError), as uvloop's refusal did."""

    name = "breaks"

    async def run(self, program):
        raise ValueError("unexpected kwargs: user, group, extra_groups")


class BreaksPlugin:
    @hookimpl
    def register_sandboxes(self, register):
        register(Breaks.name, Breaks)


def test_any_failure_of_the_backend_scores_none_not_zero(reward_registry):
    reward_registry.register(BreaksPlugin(), name="breaks")
    reward = reward_registry.reward("code_pass_rate", {"sandbox": "breaks"})
    out = reward.evaluate([RIGHT, WRONG], test_list=[TESTS, TESTS])
    assert out.scores == [None, None]
    assert out.metrics["sandbox_error"] == 2
    assert "ValueError: unexpected kwargs" in out.extra["error"][0]
