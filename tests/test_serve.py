"""`rewardkit serve`: a real server on a free local port, spoken to over HTTP.

The numbers must be exactly what ``Composition.score`` gives in-process; bad input must get a 4xx
naming the field and leave the server up; concurrent clients must each get their own batch's scores.
"""

from __future__ import annotations

import http.client
import json
import random
import signal
import subprocess
import sys
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")

from _servers import processes_left, request, running, serve_command  # noqa: E402

from rewardkit import Composition, Reward, get_reward, load_composition  # noqa: E402
from rewardkit.composition import Component  # noqa: E402
from rewardkit.integrations.openrlhf import openrlhf_rewards  # noqa: E402
from rewardkit.integrations.server import HTTP_PROTOCOL, ServeSettings, create_app  # noqa: E402
from rewardkit.jsonl import read_jsonl  # noqa: E402
from rewardkit.pool import cpu_count  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
GSM8K = read_jsonl(REPO / "rewardkit" / "data" / "gsm8k" / "test.jsonl")


def gsm8k_batch(start: int, size: int, seed: int = 0) -> dict:
    """A /score body: completions of several kinds for GSM8K test rows, with their gold column."""
    rng = random.Random(seed)
    completions, answers = [], []
    for row in GSM8K[start : start + size]:
        n = int(row["answer"].rsplit("####", 1)[1].strip().replace(",", ""))
        completions.append(
            rng.choice(
                [
                    f"<reasoning>\nwork\n</reasoning>\n<answer>\n{n}\n</answer>\n",
                    f"<reasoning>\nwork\n</reasoning>\n<answer>\n{n + 1}\n</answer>\n",
                    f"The answer is $\\boxed{{{n}}}$.",
                    f"<answer>{n:,}.00</answer> trailing",
                    "no answer at all",
                ]
            )
        )
        answers.append(row["answer"])
    return {"completions": completions, "answer": answers}


def as_json(value):
    """What a value looks like after a JSON round trip (tuples become lists)."""
    return json.loads(json.dumps(value))


def fresh_scores(body: dict):
    """The batch scored in-process by a composition of its own (so no verdict cache is shared with the server's)."""
    columns = {k: v for k, v in body.items() if k not in ("completions", "prompts")}
    return load_composition("gsm8k").score(body["completions"], body.get("prompts"), **columns)


def assert_same_as_in_process(reply: dict, scores) -> None:
    """Every field equal; a fresh server and a fresh composition see the batch in the same cache state."""
    assert reply["total"] == scores.total
    assert reply["components"] == scores.components
    assert reply["weights"] == scores.weights
    assert reply["errors"] == as_json(scores.errors)
    assert reply["extra"] == as_json(scores.extra)
    assert reply["metrics"] == scores.metrics


class Explodes(Reward):
    """Raises on completions that say "boom" (an in-batch reward error), 1.0 otherwise."""

    name = "explodes"

    def score(self, sample):
        if "boom" in sample.completion:
            raise ValueError("boom")
        return 1.0


@pytest.fixture(scope="module")
def gsm8k():
    return load_composition("gsm8k")


LIMITS = ServeSettings(composition="gsm8k", max_batch=64, max_body_bytes=64 * 1024)


@pytest.fixture(scope="module")
def server(gsm8k):
    with running(create_app(gsm8k, LIMITS)) as url:
        yield url


class TestValidRequests:
    def test_health_is_small_and_says_ok(self, server):
        status, body = request(server + "/health")
        assert status == 200 and body["status"] == "ok" and body["components"] == 5

    def test_rewards_lists_names_weights_params_and_columns(self, server, gsm8k):
        status, body = request(server + "/rewards")
        assert status == 200
        assert [c["name"] for c in body["components"]] == gsm8k.names
        assert [c["weight"] for c in body["components"]] == gsm8k.weights
        math = body["components"][-1]
        assert math["reward"] == "math_correctness" and math["params"]["correct"] == 2.0
        assert body["gold_column"] == "answer" and body["limits"]["max_batch"] == 64

    def test_score_gives_exactly_the_in_process_numbers(self):
        batch = gsm8k_batch(0, 40)
        batch["completions"][1] = "\\boxed{\\frac{10}{1}}"  # through the verifier pool
        with running(create_app(load_composition("gsm8k"))) as url:
            status, reply = request(url + "/score", batch)
        assert status == 200
        assert_same_as_in_process(reply, fresh_scores(batch))
        assert reply["metrics"]["math_correctness"]["numeral"] > 0

    def test_none_stays_null_and_chat_messages_and_prompts_are_taken(self):
        body = {
            "completions": [
                [{"role": "assistant", "content": "<answer>\n7\n</answer>"}],
                "<answer>\n7\n</answer>",
                "\\boxed{7}",
            ],
            "prompts": [[{"role": "user", "content": "3 + 4?"}], "3 + 4?", None],
            "answer": ["#### 7", None, "#### 7"],  # no gold: math_correctness cannot score the row
        }
        with running(create_app(load_composition("gsm8k"))) as url:
            status, reply = request(url + "/score", body)
        assert status == 200
        assert_same_as_in_process(reply, fresh_scores(body))
        assert reply["components"]["math_correctness"] == [2.0, None, 2.0]

    def test_a_reward_error_inside_a_batch_is_reported_like_in_process(self):
        composition = Composition([Component(Explodes(), 1.0), Component(get_reward("xml_count"), 0.5)])
        batch = {"completions": ["fine", "boom", "<answer>\n1\n</answer>"]}
        with running(create_app(composition)) as url:
            status, reply = request(url + "/score", batch)
        assert status == 200
        assert_same_as_in_process(reply, composition.score(batch["completions"]))
        assert reply["errors"] == {"explodes": [[1, "ValueError: boom"]]}

    def test_an_empty_batch_scores_nothing(self, server):
        status, reply = request(server + "/score", {"completions": [], "answer": []})
        assert status == 200 and reply["total"] == []


BAD_REQUESTS = [
    # (what, body bytes, content type, status, field)
    ("not JSON", b"{not json", "application/json", 400, "body"),
    ("not a JSON body", b"completions=a", "application/x-www-form-urlencoded", 415, "Content-Type"),
    ("a list body", b"[1, 2]", "application/json", 422, "body"),
    ("no completions", b'{"answer": ["#### 1"]}', "application/json", 422, "completions"),
    ("completions a string", b'{"completions": "hi"}', "application/json", 422, "completions"),
    ("a number as completion", b'{"completions": ["a", 5], "answer": ["1", "2"]}', "application/json", 422, "completions[1]"),
    ("prompts of another length", b'{"completions": ["a"], "prompts": ["p", "q"], "answer": ["1"]}', "application/json", 422, "prompts"),
    ("a column too short", b'{"completions": ["a", "b"], "answer": ["1"]}', "application/json", 422, "answer"),
    ("a column not a list", b'{"completions": ["a"], "answer": "1"}', "application/json", 422, "answer"),
    ("the gold column missing", b'{"completions": ["a"]}', "application/json", 422, "answer"),
    ("rm_remote's shape on /score", b'{"inputs": [{"completion": "a"}]}', "application/json", 422, "completions"),
]


class TestInvalidRequests:
    @pytest.mark.parametrize("what, data, content_type, status, field", BAD_REQUESTS, ids=[b[0] for b in BAD_REQUESTS])
    def test_bad_input_gets_a_4xx_naming_the_field(self, server, what, data, content_type, status, field):
        got, body = request(server + "/score", data=data, headers={"Content-Type": content_type})
        assert (got, body["field"]) == (status, field), body
        assert isinstance(body["error"], str) and body["error"]
        assert request(server + "/health")[0] == 200  # and the server is still up

    def test_a_batch_over_the_limit_is_refused(self, server):
        status, body = request(server + "/score", {"completions": ["x"] * 65, "answer": ["1"] * 65})
        assert (status, body["field"]) == (413, "completions") and "64" in body["error"]

    def test_a_declared_body_over_the_limit_is_refused_unread(self, server):
        status, body = request(server + "/score", {"completions": ["x" * 70_000], "answer": ["1"]})
        assert (status, body["field"]) == (413, "body")

    def test_a_streamed_body_over_the_limit_is_refused(self, server):
        host, port = server.removeprefix("http://").split(":")
        conn = http.client.HTTPConnection(host, int(port), timeout=30)
        chunks = [b'{"completions": ["'] + [b"x" * 8192] * 10 + [b'"], "answer": ["1"]}']
        conn.request("POST", "/score", body=iter(chunks), headers={"Content-Type": "application/json"}, encode_chunked=True)
        response = conn.getresponse()
        body = json.loads(response.read())
        conn.close()
        assert (response.status, body["field"]) == (413, "body")

    def test_openrlhf_lists_of_different_lengths_are_refused(self, server):
        status, body = request(server + "/get_reward", {"query": ["a", "b"], "prompts": ["", ""], "labels": ["1"]})
        assert (status, body["field"]) == (422, "labels")

    def test_an_unknown_component_is_a_404(self, server):
        status, body = request(server + "/rm_remote/nope", {"inputs": [{"completion": "a"}]})
        assert (status, body["field"]) == (404, "component") and "math_correctness" in body["error"]

    def test_a_failing_composition_is_a_500_and_the_server_goes_on(self):
        class WrongCount(Reward):
            name = "wrong_count"

            def score_batch(self, batch):
                return [1.0]  # one score whatever the batch size: a contract violation

        with running(create_app(Composition([WrongCount()]))) as url:
            status, body = request(url + "/score", {"completions": ["a", "b"]})
            assert status == 500 and "returned 1 scores for 2 completions" in body["error"]
            status, body = request(url + "/score", {"completions": ["a"]})
            assert status == 200 and body["total"] == [1.0]


class TestAuth:
    @pytest.fixture
    def secured(self, gsm8k, monkeypatch):
        monkeypatch.setenv("TEST_SERVE_TOKEN", "s3cret")
        with running(create_app(gsm8k, ServeSettings(token_env="TEST_SERVE_TOKEN"))) as url:
            yield url

    def test_scoring_needs_the_bearer_token(self, secured):
        batch = gsm8k_batch(0, 2)
        assert request(secured + "/score", batch)[0] == 401
        status, body = request(secured + "/rewards", headers={"Authorization": "Bearer wrong"})
        assert (status, body["field"]) == (401, "Authorization")
        assert request(secured + "/score", batch, headers={"Authorization": "Bearer s3cret"})[0] == 200

    def test_health_needs_no_token(self, secured):
        assert request(secured + "/health")[0] == 200


def test_concurrent_clients_each_get_their_own_batch_scored(server, gsm8k, shared_data):
    """16 clients at once, GSM8K and MATH-500 batches mixed: every reply is that batch's in-process result."""
    math = read_jsonl(shared_data / "math500" / "test.jsonl")
    batches = [gsm8k_batch(16 * i, 16, seed=i) for i in range(8)]
    for i in range(8):  # LaTeX answers go through the shared verifier pool
        rows = math[12 * i : 12 * i + 12]
        batches.append(
            {
                "completions": [f"So the answer is $\\boxed{{{r['answer']}}}$." if j % 3 else "\\boxed{-1}" for j, r in enumerate(rows)],
                "answer": [r["answer"] for r in rows],
            }
        )
    with ThreadPoolExecutor(16) as pool:
        replies = list(pool.map(lambda b: request(server + "/score", b), batches))
    for batch, (status, reply) in zip(batches, replies):
        assert status == 200
        expected = gsm8k.score(batch["completions"], answer=batch["answer"])
        assert (reply["total"], reply["components"]) == (expected.total, expected.components)


class TestProtocols:
    def test_rm_remote_scores_through_the_server_as_the_composition_does(self, server, gsm8k):
        batch = gsm8k_batch(100, 20, seed=3)
        batch["answer"][0] = None  # no gold: None at the server -> null -> None, counted as server_none
        prompts = ["question"] * 20
        expected = gsm8k.score(batch["completions"], prompts, answer=batch["answer"])
        remote = get_reward("rm_remote", url=server + "/rm_remote", columns=["answer"], batch_size=8, concurrency=2)
        out = remote.evaluate(batch["completions"], prompts, answer=batch["answer"])
        assert out.scores == expected.total
        assert out.metrics["failed"] == 0 and out.metrics["requests"] == 3
        one = get_reward("rm_remote", url=server + "/rm_remote/math_correctness", columns=["answer"])
        assert one(batch["completions"], prompts, answer=batch["answer"]) == expected.components["math_correctness"]
        assert one.evaluate(batch["completions"], prompts, answer=batch["answer"]).metrics["server_none"] == 1

    def test_get_reward_speaks_openrlhf(self, server, gsm8k):
        prompt = "<|im_start|>user\nWhat is 3 + 4?<|im_end|>\n<|im_start|>assistant\n"
        responses = ["<reasoning>\nadd\n</reasoning>\n<answer>\n7\n</answer>\n", "\\boxed{8}", "7"]
        body = {"query": [prompt + r + "<|im_end|>" for r in responses], "prompts": [prompt] * 3, "labels": ["7", "7", None]}
        status, reply = request(server + "/get_reward", body)
        assert status == 200
        assert reply == as_json(openrlhf_rewards(gsm8k, body["query"], body["prompts"], body["labels"]))
        expected = gsm8k.score(responses, body["prompts"], answer=body["labels"])
        assert reply["rewards"] == reply["scores"] == expected.total
        assert reply["extra_logs"]["strict_format"] == expected.components["strict_format"] == [0.5, 0.0, 0.0]
        assert reply["extra_logs"]["math_correctness"] == [2.0, 0.0, 0.0]  # the row without a label: None -> 0.0

    def test_get_reward_flags_unscorable_rows_with_the_none_score(self):
        composition = load_composition([{"name": "math_correctness"}])
        body = {"query": ["Q\\boxed{7}", "Q\\boxed{7}"], "prompts": ["Q", "Q"], "labels": ["7", None]}
        with running(create_app(composition, ServeSettings(none_score=-1.0))) as url:
            status, reply = request(url + "/get_reward", body)
        assert status == 200
        assert reply["rewards"] == [1.0, -1.0] and reply["extra_logs"]["unscored"] == [0.0, 1.0]


@pytest.mark.parametrize("loop", ["asyncio", "auto"])  # auto: uvloop where installed, which `rewardkit serve` gets
def test_connections_on_a_socket_bound_like_uvicorns_workers_get_tcp_nodelay(loop):
    """--workers N hands uvicorn a socket with proto 0; without TCP_NODELAY every keep-alive reply waits ~40 ms.
    (asyncio leaves it off on such a socket, uvloop turns it on: rewardkit's protocol sets it under either.)"""
    import socket
    import threading
    import time

    import uvicorn

    sock = socket.socket(socket.AF_INET)  # what uvicorn's Config.bind_socket makes: proto 0
    sock.bind(("127.0.0.1", 0))
    app = create_app(Composition([get_reward("xml_count")]))
    server = uvicorn.Server(uvicorn.Config(app, http=HTTP_PROTOCOL, loop=loop, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    try:
        client = http.client.HTTPConnection("127.0.0.1", sock.getsockname()[1], timeout=30)
        client.request("GET", "/health")
        assert client.getresponse().status == 200
        (connection,) = server.server_state.connections
        accepted = connection.transport.get_extra_info("socket")
        assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
        client.close()
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def fork_servers(parent: int) -> list[int]:
    """Children of ``parent`` that are multiprocessing fork servers (where verifier workers come from)."""
    return [pid for pid, cmdline in children_of(parent) if b"forkserver" in cmdline]


def worker_processes(parent: int) -> list[int]:
    """Children of ``parent`` started by multiprocessing's spawn (uvicorn's worker processes)."""
    return [pid for pid, cmdline in children_of(parent) if b"spawn_main" in cmdline]


def children_of(parent: int) -> list[tuple[int, bytes]]:
    """(pid, command line) of each process whose parent is ``parent``."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except (OSError, ValueError):
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == parent:
            found.append((int(entry.name), cmdline))
    return found


class TestCommand:
    def test_serve_runs_several_workers_and_stops_cleanly(self, monkeypatch):
        monkeypatch.delenv("REWARDKIT_POOL_SIZE", raising=False)
        marker = f"REWARDKIT_TEST_MARK={uuid.uuid4().hex}"
        key, value = marker.split("=")
        batch = gsm8k_batch(0, 8)
        expected = load_composition("gsm8k").score(batch["completions"], answer=batch["answer"]).total
        with serve_command("gsm8k", "--workers", "2", "--no-access-log", env={key: value}) as (url, process):
            with ThreadPoolExecutor(8) as pool:
                replies = list(pool.map(lambda _: request(url + "/score", batch), range(48)))
                pids = {request(url + "/health")[1]["pid"] for _ in range(60)}
            assert all(r == (200, replies[0][1]) for r in replies) and replies[0][1]["total"] == expected
            workers = set(worker_processes(process.pid))
            assert len(workers) == 2 and pids <= workers  # two processes serve the port, not the supervisor
            assert fork_servers(process.pid) == []  # the supervisor built the composition to check it, then let its verifier go
            share = f"REWARDKIT_POOL_SIZE={max(1, cpu_count() // 2)}".encode()
            assert all(share in Path(f"/proc/{pid}/environ").read_bytes().split(b"\0") for pid in workers)
            process.send_signal(signal.SIGINT)
            assert process.wait(timeout=60) == 0
        assert processes_left(marker) == []  # no server or verifier process left behind

    def test_a_bad_composition_fails_in_one_line_before_serving(self, tmp_path):
        done = subprocess.run(
            [sys.executable, "-m", "rewardkit.cli", "serve", str(tmp_path / "missing.yaml")],
            capture_output=True, text=True, timeout=120,
        )
        assert done.returncode == 2
        assert done.stderr.strip().count("\n") == 0 and "neither a preset" in done.stderr

    def test_without_the_extra_the_error_names_it(self):
        code = "import sys; sys.modules['fastapi'] = None; from rewardkit.cli import main; sys.exit(main(['serve', 'gsm8k']))"
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
        assert done.returncode == 2 and "pip install 'rewardkit[serve]'" in done.stderr
