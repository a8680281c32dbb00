"""The sandbox_fusion and piston backends against stand-ins of the services on a local port
(tests/_code_services.py): every test kind and language, and failures that score None, never 0."""

from __future__ import annotations

import socket

import pytest

from _code import fenced
from _code_services import FakePiston, FakeSandboxFusion, have_gpp
from rewardkit import get_reward
from rewardkit.testing import check_reward_contract


DOUBLE = {"inputs": ["2\n", "5\n"], "outputs": ["4\n", "10\n"]}
SERVICES = {"sandbox_fusion": FakeSandboxFusion, "piston": FakePiston}
QUICK = {"max_retries": 2, "backoff": 0.01, "timeout": 20.0}


@pytest.fixture(params=sorted(SERVICES))
def service(request):
    server = SERVICES[request.param]()
    yield request.param, server
    server.close()


def reward_for(name: str, url: str, **options):
    return get_reward(
        "code_pass_rate", sandbox=name, sandbox_options={"url": url, **QUICK, **options}, limits={"timeout": 2.0, "problem_timeout": 30.0}
    )


def test_stdio_call_and_assert_tests_run_on_the_service(service):
    name, server = service
    reward = reward_for(name, server.url)
    stdio = reward.evaluate([fenced("print(int(input()) * 2)"), fenced("print(int(input()) + 2)")], input_output=[DOUBLE] * 2)
    assert stdio.scores == [1.0, 0.5]
    assert stdio.extra["first_failure"][1] == "test 1 failed; input '5\\n'; expected '10\\n'; got '7\\n'"
    call = {"fn_name": "add", "inputs": [[1, 2], [2, 2]], "outputs": [[3], [5]]}
    add = fenced("def add(a, b):\n    print('debug output')\n    return a + b")
    assert reward([add], input_output=[call]) == [0.5]
    asserts = ["assert add(1, 2) == 3", "assert add(2, 2) == 5"]
    assert reward([add, fenced("import sys\nsys.exit(0)")], test_list=[asserts] * 2) == [0.5, 0.0]
    assert {r.get("language") for r in server.requests} == {"python"}


@pytest.mark.skipif(not have_gpp(), reason="the stand-in services compile C++ with g++: apt-get install g++")
def test_cpp_programs_and_compile_errors_on_the_service(service):
    name, server = service
    info = {"language": "cpp", "test_cases": [{"input": "3\n", "output": "9\n"}]}
    square = fenced("#include <iostream>\nint main() { long n; std::cin >> n; std::cout << n * n; }", "cpp")
    out = reward_for(name, server.url).evaluate([square, fenced("int main( {", "cpp")], verification_info=[info] * 2)
    assert out.scores == [1.0, 0.0]
    assert "error" in out.extra["compile_error"][1]


def test_a_program_over_its_time_limit_times_out(service):
    name, server = service
    out = reward_for(name, server.url).evaluate([fenced("while True:\n    pass")], input_output=[DOUBLE])
    assert out.scores == [0.0]
    assert out.extra["timed_out"] == [2]


def test_the_run_limits_are_sent_in_each_apis_units(service):
    name, server = service
    reward = get_reward(
        "code_pass_rate", sandbox=name, sandbox_options={"url": server.url}, limits={"timeout": 2.5, "memory_mb": 256}
    )
    reward([fenced("print(1)")], input_output=[{"inputs": [""], "outputs": ["1"]}])
    (sent,) = server.requests
    if name == "sandbox_fusion":
        assert (sent["run_timeout"], sent["memory_limit_MB"], sent["stdin"]) == (2.5, 256, "")
    else:
        assert (sent["run_timeout"], sent["run_memory_limit"], sent["files"][0]["name"]) == (2500, 256 << 20, "main.py")


def test_transient_failures_are_retried(service):
    name, _ = service
    server = SERVICES[name](fail_first=2, status=503)
    try:
        assert reward_for(name, server.url)([fenced("print(4)")], input_output=[{"inputs": [""], "outputs": ["4"]}]) == [1.0]
        assert len(server.requests) == 3
    finally:
        server.close()


@pytest.mark.parametrize(
    "behave, options, why",
    [
        ({"behave": "always_fail", "status": 500}, {}, "HTTP 500"),
        ({"behave": "always_fail", "status": 404}, {}, "HTTP 404"),
        ({"behave": "service_error"}, {}, ""),
        ({"behave": "garbage"}, {}, "not JSON"),
        ({"behave": "slow", "slow": 3.0}, {"timeout": 0.5, "max_retries": 0}, "timed out: no complete response within 0.5 s"),
    ],
)
def test_a_failing_service_scores_none_never_zero(service, behave, options, why):
    name, _ = service
    server = SERVICES[name](**behave)
    try:
        programs = [fenced("print(4)"), fenced("print(2 + 2)")]
        out = reward_for(name, server.url, **options).evaluate(programs, input_output=[{"inputs": [""], "outputs": ["4"]}] * 2)
    finally:
        server.close()
    assert out.scores == [None, None]
    assert out.metrics["sandbox_error"] == 2
    assert why in out.extra["error"][0]
    if behave.get("status") == 404:
        assert len(server.requests) == 2  # one per program: a 4xx is not retried


def test_an_unreachable_service_scores_none():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # nothing listens there once closed
    out = reward_for("piston", f"http://127.0.0.1:{port}").evaluate([fenced("print(1)")], input_output=[DOUBLE])
    assert out.scores == [None]
    assert "ConnectError" in out.extra["error"][0]


def test_requests_in_flight_are_bounded():
    server = FakeSandboxFusion(behave="slow", slow=0.2)
    try:
        spec = {"inputs": [""] * 6, "outputs": ["1"] * 6}
        reward = reward_for("sandbox_fusion", server.url, concurrency=3)
        assert reward([fenced("print(1)")] * 4, input_output=[spec] * 4) == [1.0] * 4
    finally:
        server.close()
    assert server.most_in_flight == 3


def test_piston_cuts_test_limits_to_the_services_maximum():
    server = FakePiston()
    try:
        reward = get_reward("code_pass_rate", sandbox="piston", sandbox_options={"url": server.url}, limits={"timeout": 10.0})
        assert reward([fenced("print(1)")], input_output=[{"inputs": [""], "outputs": ["1"]}]) == [1.0]
    finally:
        server.close()
    assert server.requests[0]["run_timeout"] == 3000


def test_a_service_backend_keeps_the_contract():
    server = FakeSandboxFusion()
    try:
        reward = reward_for("sandbox_fusion", server.url)
        assert "pickling" in check_reward_contract(reward, columns={"input_output": DOUBLE})
    finally:
        server.close()
