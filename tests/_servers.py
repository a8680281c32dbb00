"""Real HTTP servers on free local ports for the tests, and a small JSON client (standard library only)."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Iterator


@contextlib.contextmanager
def running(app: Any) -> Iterator[str]:
    """Serve an ASGI app with uvicorn in a thread on a free port; yields its base URL."""
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def request(
    url: str, payload: Any = None, *, data: bytes | None = None, headers: dict[str, str] | None = None, timeout: float = 60
) -> tuple[int, Any]:
    """GET (no payload) or POST JSON; returns (status, decoded JSON body) for any status."""
    if payload is not None:
        data = json.dumps(payload).encode()
    sent = {"Content-Type": "application/json", **(headers or {})} if data is not None else dict(headers or {})
    req = urllib.request.Request(url, data=data, headers=sent, method="POST" if data is not None else "GET")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serve_command(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> Iterator[tuple[str, subprocess.Popen]]:
    """``rewardkit serve ARGS`` as a subprocess on a free port; yields (base URL, process), stops it after."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "rewardkit.cli", "serve", *args, "--port", str(port), "--log-level", "warning"],
        env={**os.environ, **(env or {})},
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"rewardkit serve exited with {process.returncode}:\n{process.stdout.read()}")
            try:
                if request(url + "/health", timeout=2)[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("rewardkit serve did not answer /health within 120 s")
            time.sleep(0.1)
        yield url, process
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def processes_left(marker: str, grace: float = 15.0) -> list[int]:
    """Processes whose environment carries ``marker`` still alive after ``grace`` seconds
    (helpers such as multiprocessing's resource tracker exit just after their parent)."""
    deadline = time.monotonic() + grace
    while True:
        found = processes_with_env(marker)
        if not found or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


def processes_with_env(marker: str) -> list[int]:
    """Live processes whose environment carries ``marker`` (what a test's subprocesses leave behind)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if marker.encode() in (entry / "environ").read_bytes() and "Z" not in (entry / "stat").read_text().rsplit(")", 1)[1][:3]:
                found.append(int(entry.name))
        except OSError:
            continue
    return found


@contextlib.contextmanager
def transformers_serve(model: Path, log: Path, *options: str) -> Iterator[str]:
    """``transformers serve MODEL [OPTIONS]`` (an OpenAI-compatible chat server) on a free port,
    offline and on one CPU thread (the machines running the tests are small and shared); yields
    its ``/v1`` URL. Its output goes to ``log``, which a start-up failure shows."""
    port = free_port()
    cli = Path(sys.executable).with_name("transformers")
    command = [str(cli), "serve", str(model), "--host", "127.0.0.1", "--port", str(port), "--device", "cpu", *options]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false"}
    with open(log, "w") as output:
        process = subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 300
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"transformers serve exited with {process.returncode}:\n{log.read_text()[-3000:]}")
            try:
                if request(f"http://127.0.0.1:{port}/health", timeout=2)[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"transformers serve did not answer /health within 300 s:\n{log.read_text()[-3000:]}")
            time.sleep(0.5)
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        process.kill()  # with continuous batching it waits for its generation thread on a terminate
        process.wait()
