"""rm_remote against a local HTTP server: batching, schema, retries, timeouts, failures as None."""

from __future__ import annotations

import json
import socket
import threading
import time
import tracemalloc
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from rewardkit import ParamsError, get_reward


class ScoringServer:
    """A local scoring endpoint whose behaviour each test chooses per path.

    Every good response scores a completion by its length in characters. ``fail_first`` makes the
    first N requests to a path fail with ``status``.
    """

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.headers: list[dict] = []
        self.hits: dict[str, int] = {}
        self.sent: dict[str, int] = {}  # bytes of body written per path, by the streaming routes
        self.done = threading.Event()  # a streaming route has stopped writing
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep pytest output clean
                pass

            def do_POST(self):  # noqa: N802 - http.server's name
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with server.lock:
                    server.requests.append(body)
                    server.headers.append(dict(self.headers))
                    hit = server.hits[self.path] = server.hits.get(self.path, 0) + 1
                server.handle(self, self.path, hit, body)

        class Server(ThreadingHTTPServer):
            def handle_error(self, request, client_address):  # a client that timed out: expected
                pass

        self.httpd = Server(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    @staticmethod
    def scores(body):
        out = []
        for item in body["inputs"]:
            completion = item["completion"]
            if isinstance(completion, list):
                completion = "".join(m["content"] for m in completion)
            out.append(float(len(completion)))
        return out

    def send(self, handler, status, payload, headers=()):
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        for key, value in headers:
            handler.send_header(key, value)
        handler.end_headers()
        handler.wfile.write(data)

    def handle(self, handler, path, hit, body):
        route = path.strip("/").split("/")
        kind = route[0]
        if kind == "ok":
            self.send(handler, 200, {"scores": self.scores(body)})
        elif kind == "list":
            self.send(handler, 200, self.scores(body))
        elif kind == "flaky":  # /flaky/<status>/<n>[/<retry-after>]: the first n requests fail with <status>
            status, n = int(route[1]), int(route[2])
            if hit <= n:
                self.send(handler, status, {"error": "try again"}, [("Retry-After", route[3] if len(route) > 3 else "0")])
            else:
                self.send(handler, 200, {"scores": self.scores(body)})
        elif kind == "status":  # /status/<code>: always that status
            self.send(handler, int(route[1]), {"error": "nope"})
        elif kind == "slow":  # /slow/<seconds>
            time.sleep(float(route[1]))
            self.send(handler, 200, {"scores": self.scores(body)})
        elif kind == "notjson":
            self.send(handler, 200, b"<html>oops</html>")
        elif kind == "short":
            self.send(handler, 200, {"scores": self.scores(body)[:-1]})
        elif kind == "nulls":  # null for empty completions, a string for "x"
            values = [None if s == 0 else ("bad" if s == 1 else s) for s in self.scores(body)]
            self.send(handler, 200, {"scores": values})
        elif kind == "drip":  # /drip/<headers|body>/<seconds>: one byte every <seconds>
            data = json.dumps({"scores": self.scores(body)}).encode().ljust(60)
            if route[1] == "headers":
                handler.wfile.write(b"HTTP/1.1 200 OK\r\n")
                data = b"X-Pad: " + b"a" * 53
            else:
                handler.send_response(200)
                handler.send_header("Content-Length", str(len(data)))
                handler.end_headers()
            self.stream(handler, path, (data[i : i + 1] for i in range(len(data))), pause=float(route[2]))
        elif kind == "huge":  # /huge/<declared|undeclared>[/<status>]: 256 MiB of body
            block = b" " * 2**16
            handler.send_response(int(route[2]) if len(route) > 2 else 200)
            if route[1] == "declared":
                handler.send_header("Content-Length", str(4096 * len(block)))
            handler.send_header("Connection", "close")
            handler.end_headers()
            self.stream(handler, path, (block for _ in range(4096)))

    def stream(self, handler, path, chunks, pause=0.0):
        """Write ``chunks`` one by one, ``pause`` seconds apart, until done or the client goes away."""
        try:
            for chunk in chunks:
                handler.wfile.write(chunk)
                handler.wfile.flush()
                with self.lock:
                    self.sent[path] = self.sent.get(path, 0) + len(chunk)
                time.sleep(pause)
        except OSError:  # the client shut the connection
            pass
        finally:
            self.done.set()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    srv = ScoringServer()
    yield srv
    srv.close()


def remote(url, **params):
    params.setdefault("timeout", 2.0)
    params.setdefault("backoff", 0.01)
    params.setdefault("backoff_max", 0.05)
    return get_reward("rm_remote", url=url, **params)


class TestSuccess:
    def test_scores_come_back_in_order_and_batches_respect_batch_size(self, server):
        completions = ["a", "bb", "ccc", "dddd", "eeeee"]
        out = remote(f"{server.url}/ok", batch_size=2).evaluate(completions)
        assert out.scores == [1.0, 2.0, 3.0, 4.0, 5.0]
        assert [len(r["inputs"]) for r in server.requests] == [2, 2, 1]
        assert out.metrics["requests"] == 3 and out.metrics["failed"] == 0 and out.metrics["retries"] == 0

    def test_concurrent_requests_keep_the_order(self, server):
        completions = ["x" * k for k in range(1, 12)]
        out = remote(f"{server.url}/slow/0.05", batch_size=2, concurrency=4).evaluate(completions)
        assert out.scores == [float(k) for k in range(1, 12)]

    def test_request_carries_model_raw_messages_and_columns(self, server):
        prompt = [{"role": "user", "content": "hi"}]
        completion = [{"role": "assistant", "content": "hello"}]
        reward = remote(f"{server.url}/ok", model="rm-7b", columns=["answer"])
        assert reward.required_columns() == ("answer",)
        assert reward([completion], [prompt], answer=["42"]) == [5.0]
        (body,) = server.requests
        assert body == {
            "model": "rm-7b",
            "inputs": [{"prompt": prompt, "completion": completion, "columns": {"answer": "42"}}],
        }

    def test_text_payload_sends_plain_strings(self, server):
        remote(f"{server.url}/ok", payload="text")(
            [[{"role": "assistant", "content": "hello"}]], [[{"role": "user", "content": "hi"}]]
        )
        assert server.requests[0]["inputs"] == [{"prompt": "hi", "completion": "hello"}]

    def test_a_bare_list_response_is_accepted(self, server):
        assert remote(f"{server.url}/list")(["abc"]) == [3.0]

    def test_bearer_token_is_read_from_the_environment(self, server, monkeypatch):
        monkeypatch.setenv("RK_TEST_TOKEN", "s3cret")
        remote(f"{server.url}/ok", api_key_env="RK_TEST_TOKEN", headers={"X-Run": "7"})(["a"])
        assert server.headers[0]["Authorization"] == "Bearer s3cret"
        assert server.headers[0]["X-Run"] == "7"

    def test_missing_token_variable_fails_at_construction(self, monkeypatch):
        monkeypatch.delenv("RK_TEST_TOKEN", raising=False)
        with pytest.raises(ParamsError, match="RK_TEST_TOKEN"):
            remote("http://127.0.0.1:1/ok", api_key_env="RK_TEST_TOKEN")

    def test_url_must_be_http(self):
        with pytest.raises(ParamsError, match="url"):
            get_reward("rm_remote", url="ftp://example.org")


class TestRetries:
    @pytest.mark.parametrize("status", [500, 502, 503, 429, 408])
    def test_transient_statuses_are_retried_until_success(self, server, status):
        out = remote(f"{server.url}/flaky/{status}/2", max_retries=3).evaluate(["ab", "c"])
        assert out.scores == [2.0, 1.0]
        assert out.metrics["retries"] == 2 and out.metrics["requests"] == 3 and out.metrics["failed"] == 0

    def test_retries_are_bounded_and_failures_are_none_with_a_count(self, server):
        out = remote(f"{server.url}/status/500", max_retries=2, batch_size=2).evaluate(["a", "b", "c"])
        assert out.scores == [None, None, None]
        assert out.metrics["failed"] == 3
        assert out.metrics["requests"] == 6  # two requests, each tried 1 + 2 times
        assert "HTTP 500" in out.extra["error"][0] and "after 3 attempts" in out.extra["error"][0]

    def test_client_errors_are_not_retried(self, server):
        out = remote(f"{server.url}/status/400", max_retries=5).evaluate(["a"])
        assert out.scores == [None] and out.metrics["requests"] == 1 and out.metrics["retries"] == 0

    def test_a_slow_server_times_out_within_the_bound(self, server):
        start = time.perf_counter()
        out = remote(f"{server.url}/slow/30", timeout=0.2, max_retries=1).evaluate(["a"])
        elapsed = time.perf_counter() - start
        assert out.scores == [None]
        assert out.metrics["requests"] == 2 and out.metrics["failed"] == 1
        assert "timed out" in out.extra["error"][0].lower()
        assert elapsed < 15  # two attempts of 0.2 s; waiting for the replies would take 60 s

    def test_connection_refused_is_retried_then_none(self):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]  # closed again before the request: nothing listens
        out = remote(f"http://127.0.0.1:{port}/ok", max_retries=2).evaluate(["a", "b"])
        assert out.scores == [None, None]
        assert out.metrics["requests"] == 3 and out.metrics["failed"] == 2

    def test_retry_after_is_honoured_up_to_backoff_max(self, server):
        start = time.perf_counter()
        assert remote(f"{server.url}/flaky/429/1/30", backoff=0.0, backoff_max=0.3)(["a"]) == [1.0]
        assert time.perf_counter() - start < 15  # waited backoff_max (0.3 s), not the server's Retry-After: 30


class TestBounds:
    """One attempt takes at most ``timeout`` in total and reads at most ``max_response_bytes``."""

    @pytest.mark.parametrize("where", ["body", "headers"])
    def test_a_server_that_drips_bytes_cannot_stretch_the_timeout(self, server, where):
        start = time.perf_counter()
        out = remote(f"{server.url}/drip/{where}/0.1", timeout=0.5, max_retries=1).evaluate(["a"])
        elapsed = time.perf_counter() - start
        assert out.scores == [None]  # the whole drip (6 s) would have been a valid response
        assert out.metrics["requests"] == 2 and "no complete response within 0.5 s" in out.extra["error"][0]
        assert elapsed < 6.0  # two attempts of 0.5 s and a backoff; one whole drip takes 6 s
        assert server.done.wait(10) and server.sent[f"/drip/{where}/0.1"] < 60

    @pytest.mark.parametrize("length", ["declared", "undeclared"])
    def test_a_huge_response_is_refused_without_being_read_whole(self, server, length):
        tracemalloc.start()
        try:
            out = remote(f"{server.url}/huge/{length}", max_response_bytes=100_000, max_retries=3).evaluate(["a"])
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert out.scores == [None] and out.metrics["retries"] == 0
        assert "larger than max_response_bytes (100000)" in out.extra["error"][0]
        assert peak < 8 * 2**20  # of a 256 MiB body
        assert server.done.wait(10) and server.sent[f"/huge/{length}"] < 64 * 2**20

    def test_a_huge_error_body_is_not_read_whole(self, server):
        tracemalloc.start()
        try:
            out = remote(f"{server.url}/huge/declared/500", max_retries=0).evaluate(["a"])
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert out.scores == [None] and out.extra["error"][0].startswith("HTTP 500")
        assert peak < 8 * 2**20


class TestMalformedResponses:
    def test_non_json_response_fails_the_request_without_retry(self, server):
        out = remote(f"{server.url}/notjson").evaluate(["a", "b"])
        assert out.scores == [None, None] and out.metrics["failed"] == 2 and out.metrics["retries"] == 0
        assert "not JSON" in out.extra["error"][0]

    def test_wrong_number_of_scores_fails_the_request(self, server):
        out = remote(f"{server.url}/short").evaluate(["a", "b"])
        assert out.scores == [None, None]
        assert "expected 2 scores, got 1" in out.extra["error"][0]

    def test_null_means_unscorable_and_a_non_number_is_a_failure(self, server):
        out = remote(f"{server.url}/nulls").evaluate(["", "x", "abc"])
        assert out.scores == [None, None, 3.0]
        assert out.metrics["server_none"] == 1 and out.metrics["failed"] == 1
        assert "invalid score" in out.extra["error"][1]

    def test_a_malformed_completion_is_none_and_never_sent(self, server):
        bad = [{"role": "assistant", "content": [{"type": "text", "text": None}]}]
        out = remote(f"{server.url}/ok").evaluate(["ab", bad])
        assert out.scores == [2.0, None] and [i for i, _ in out.errors] == [1]
        assert len(server.requests[0]["inputs"]) == 1

    def test_failures_are_never_zero(self, server):
        scores = remote(f"{server.url}/status/503", max_retries=0)(["a", "b"])
        assert scores == [None, None]


def test_reward_pickles(server):
    import pickle

    reward = remote(f"{server.url}/ok")
    clone = pickle.loads(pickle.dumps(reward))
    assert clone(["abcd"]) == [4.0] and clone.__name__ == "rm_remote"


def test_metrics_reach_trl_log_metric(server):
    metrics = {}
    remote(f"{server.url}/status/500", max_retries=0)(["a"], log_metric=metrics.__setitem__)
    assert metrics["rewardkit/rm_remote/failed"] == 1.0
    assert metrics["rewardkit/rm_remote/requests"] == 1.0
