"""A real two-node Ray cluster on this machine for the tests, every process on 127.0.0.1.

The head starts with ``ray start --head --node-ip-address 127.0.0.1``. With Ray's cluster mode
on, ``ray start`` rewrites 127.0.0.1 to the machine's outward address (and binds 0.0.0.0); with
it off (``RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0``) every server binds 127.0.0.1 but ``ray start``
refuses to add a second node. So the second raylet joins through the object ``ray start`` itself
creates, ``ray._private.node.Node(params, head=False)``, in a process of its own. Each cluster has
its own temporary folder, and only the processes under it are stopped (never ``ray stop``, which
would stop every Ray cluster on the machine). Token authentication with a token of the test's own
(nothing written to ~/.ray); no dashboard, no usage reporting.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

RAY = str(Path(sys.executable).with_name("ray"))

JOIN = """
import sys
import ray._private.node as node, ray._private.parameter as parameter
params = parameter.RayParams(
    gcs_address=sys.argv[1], node_ip_address="127.0.0.1", num_cpus=int(sys.argv[3]),
    object_store_memory=100 * 2**20, temp_dir=sys.argv[2], include_log_monitor=False, node_manager_port=0,
)
node.Node(params, head=False, shutdown_at_exit=False, spawn_reaper=False)
"""

WAIT_FOR_NODES = """
import sys, time, ray
ray.init(address=sys.argv[1], logging_level="ERROR")
deadline = time.monotonic() + 120
while sum(n["Alive"] for n in ray.nodes()) < int(sys.argv[2]):
    if time.monotonic() > deadline:
        sys.exit("the nodes did not join")
    time.sleep(0.5)
"""


def ray_env() -> dict[str, str]:
    """This process's environment for Ray processes: loopback only, a token of its own, quiet."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAY_")}
    env.update(
        RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER="0",
        RAY_USAGE_STATS_ENABLED="0",
        RAY_AUTH_MODE="token",
        RAY_AUTH_TOKEN=secrets.token_hex(32),
    )
    return env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class TwoNodeCluster:
    """A head with ``head_cpus`` CPUs and a second node with ``worker_cpus``, on 127.0.0.1; the
    second node's processes get ``worker_env`` on top of the cluster's environment."""

    def __init__(self, head_cpus: int = 2, worker_cpus: int = 1, worker_env: dict[str, str] | None = None) -> None:
        self.env = ray_env()
        self.temp = tempfile.mkdtemp(prefix="rk-ray-", dir="/tmp")  # short: Ray's socket paths have a length limit
        self.address = f"127.0.0.1:{free_port()}"
        port = self.address.rsplit(":", 1)[1]
        subprocess.run(
            [RAY, "start", "--head", "--node-ip-address=127.0.0.1", f"--port={port}", "--include-dashboard=false",
             f"--num-cpus={head_cpus}", f"--object-store-memory={100 * 2**20}", f"--temp-dir={self.temp}",
             "--disable-usage-stats"],
            env=self.env, check=True, capture_output=True, timeout=300,
        )  # fmt: skip
        self.worker_cpus, self.worker_env = worker_cpus, {**self.env, **(worker_env or {})}
        self.join_second_node()

    def join_second_node(self) -> None:
        """Start the second node (again, after :meth:`kill_second_node`)."""
        before = {p.pid for p in self.processes()}
        subprocess.run(
            [sys.executable, "-c", JOIN, self.address, self.temp, str(self.worker_cpus)],
            env=self.worker_env, check=True, capture_output=True, timeout=300,
        )  # fmt: skip
        self.worker_raylet = next(p for p in self.processes() if p.pid not in before and p.name() == "raylet")
        subprocess.run([sys.executable, "-c", WAIT_FOR_NODES, self.address, "2"], env=self.env, check=True, timeout=300)

    def processes(self) -> list[psutil.Process]:
        """Every process of this cluster: those naming its folder, and their descendants."""
        found: dict[int, psutil.Process] = {}
        for process in psutil.process_iter(["cmdline"]):
            try:
                if any(self.temp in part for part in process.info["cmdline"] or ()):
                    for p in [process, *process.children(recursive=True)]:
                        found[p.pid] = p
            except psutil.Error:
                continue
        return list(found.values())

    def kill_second_node(self) -> None:
        """The second node dies at once: its raylet and everything it started (workers, agents)."""
        _kill([self.worker_raylet, *self.worker_raylet.children(recursive=True)])

    def stop(self) -> None:
        _kill(self.processes())
        shutil.rmtree(self.temp, ignore_errors=True)


def _kill(processes: list[psutil.Process]) -> None:
    for process in processes:
        try:
            process.kill()
        except psutil.Error:
            pass
    psutil.wait_procs(processes, timeout=30)


def wait_for(condition, timeout: float = 600, every: float = 0.2) -> None:
    """Poll ``condition`` until it is true (a test's own guard against a hang, not a time limit on
    what is tested: the run being watched has no deadline)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("gave up waiting")
        time.sleep(every)
