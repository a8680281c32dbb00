"""Small stand-ins for SandboxFusion and Piston on a local port, for the tests.

The real services cannot run here (they are container deployments), so these implement each
API's request and response shapes as their documentation gives them (SandboxFusion's
``POST /run_code``, Piston's ``POST /api/v2/execute``) and really run the (trusted, test-written)
programs with plain subprocesses: Python with this interpreter, C++ with g++. Each can be told
to misbehave: fail the first requests with a status, always fail, answer too slowly, answer
garbage, or report its own error.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


def execute(language: str, code: str, stdin: str, run_timeout: float, compile_timeout: float) -> dict[str, Any]:
    """Compile (C++) and run a program: {compile: (code, out, err) | None, run: (code, out, err, timed_out) | None}."""
    with tempfile.TemporaryDirectory() as workdir:
        compiled = None
        if language == "cpp":
            Path(workdir, "main.cpp").write_text(code)
            done = subprocess.run(
                ["g++", "-O2", "-o", "main", "main.cpp"], cwd=workdir, capture_output=True, text=True, timeout=compile_timeout
            )
            compiled = (done.returncode, done.stdout, done.stderr)
            if done.returncode != 0:
                return {"compile": compiled, "run": None}
            argv = ["./main"]
        else:
            Path(workdir, "main.py").write_text(code)
            argv = [sys.executable, "main.py"]
        try:
            done = subprocess.run(argv, cwd=workdir, input=stdin, capture_output=True, text=True, timeout=run_timeout)
            ran = (done.returncode, done.stdout, done.stderr, False)
        except subprocess.TimeoutExpired as exc:
            ran = (None, (exc.stdout or b"").decode(), (exc.stderr or b"").decode(), True)
        return {"compile": compiled, "run": ran}


class FakeService:
    """A threaded HTTP server; ``behave`` picks how it answers: ok, fail_first (with ``status``),
    always_fail, slow, garbage, service_error."""

    path = ""

    def __init__(self, behave: str = "ok", status: int = 503, fail_first: int = 0, slow: float = 0.0) -> None:
        self.behave, self.status, self.fail_first, self.slow = behave, status, fail_first, slow
        self.requests: list[dict[str, Any]] = []
        self.in_flight = 0
        self.most_in_flight = 0
        self.lock = threading.Lock()
        service = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive and no Nagle delay, as the services' own servers
            disable_nagle_algorithm = True

            def log_message(self, *args):
                pass

            def do_POST(self):  # noqa: N802 - http.server's name
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with service.lock:
                    service.requests.append(body)
                    hit = len(service.requests)
                    service.in_flight += 1
                    service.most_in_flight = max(service.most_in_flight, service.in_flight)
                try:
                    status, payload = service.respond(self.path, hit, body)
                    data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up (a timeout test)
                    pass
                finally:
                    with service.lock:
                        service.in_flight -= 1

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request, client_address):
                pass

        self.httpd = Server(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def respond(self, path: str, hit: int, body: dict[str, Any]) -> tuple[int, Any]:
        if path != self.path:
            return 404, {"detail": "Not Found"}
        if self.behave == "always_fail" or hit <= self.fail_first:
            return self.status, {"detail": "unavailable"}
        if self.behave == "slow":
            time.sleep(self.slow)
        if self.behave == "garbage":
            return 200, b"<html>proxy error</html>"
        return self.answer(body)

    def answer(self, body: dict[str, Any]) -> tuple[int, Any]:
        raise NotImplementedError


class FakeSandboxFusion(FakeService):
    """``POST /run_code`` as SandboxFusion documents it (a FastAPI app: a malformed request is a 422)."""

    path = "/run_code"

    def answer(self, body):
        if not isinstance(body.get("code"), str) or body.get("language") not in {"python", "cpp"}:
            return 422, {"detail": [{"loc": ["body", "language"], "msg": "value is not a valid enumeration member"}]}
        if self.behave == "service_error":
            return 200, {"status": "SandboxError", "message": "executor pod lost", "compile_result": None, "run_result": None}
        done = execute(body["language"], body["code"], body.get("stdin") or "", body.get("run_timeout", 10), body.get("compile_timeout", 10))
        compile_result = None
        if done["compile"] is not None:
            code, out, err = done["compile"]
            compile_result = {"status": "Finished", "execution_time": 0.1, "return_code": code, "stdout": out, "stderr": err}
        run_result = None
        if done["run"] is not None:
            code, out, err, timed_out = done["run"]
            run_result = {
                "status": "TimeLimitExceeded" if timed_out else "Finished",
                "execution_time": 0.01, "return_code": code, "stdout": out, "stderr": err,
            }  # fmt: skip
        ok = run_result is not None and run_result["status"] == "Finished" and run_result["return_code"] == 0
        return 200, {
            "status": "Success" if ok else "Failed", "message": "", "compile_result": compile_result,
            "run_result": run_result, "executor_pod_name": None, "files": {},
        }  # fmt: skip


class FakePiston(FakeService):
    """``POST /api/v2/execute`` as Piston documents it, with its default limits (3 s runs, 10 s compiles)."""

    path = "/api/v2/execute"
    RUN_TIMEOUT_MAX_MS = 3000
    LANGUAGES = {"python": "python", "py": "python", "c++": "cpp", "cpp": "cpp", "g++": "cpp"}

    def answer(self, body):
        language = self.LANGUAGES.get(body.get("language"))
        if language is None or not body.get("version"):
            return 400, {"message": f"{body.get('language')}-{body.get('version')} runtime is unknown"}
        if body.get("run_timeout", 0) > self.RUN_TIMEOUT_MAX_MS:
            return 400, {"message": f"run_timeout cannot exceed the configured limit of {self.RUN_TIMEOUT_MAX_MS}"}
        if self.behave == "service_error":
            return 500, {"message": "Internal Server Error"}
        (file,) = body["files"]
        done = execute(language, file["content"], body.get("stdin", ""), body["run_timeout"] / 1000, body["compile_timeout"] / 1000)
        reply: dict[str, Any] = {"language": "python" if language == "python" else "c++", "version": "3.10.0"}
        if done["compile"] is not None:
            code, out, err = done["compile"]
            reply["compile"] = {"stdout": out, "stderr": err, "output": out + err, "code": code, "signal": None}
        if done["run"] is not None:
            code, out, err, timed_out = done["run"]
            reply["run"] = {
                "stdout": out, "stderr": err, "output": out + err,
                "code": None if timed_out else code, "signal": "SIGKILL" if timed_out else None,
            }  # fmt: skip
        return 200, reply  # after a failed compile there is no run stage


def have_gpp() -> bool:
    return shutil.which("g++") is not None
