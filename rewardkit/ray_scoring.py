"""``rewardkit score --ray``: a job's pieces scored by a pool of Ray actors (Ray Data's
``map_batches`` over the pieces, one piece per call), each writing its parts itself.

Each actor builds the composition once, from the spec resolved on the driver, so what depends on
the machine is decided on the node the actor lands on: a code reward's sandbox check (a node that
cannot run it fails the run in one line naming the node), the default sizes. It owns its verifier
processes (``REWARDKIT_POOL_SIZE`` = its CPUs), so per-answer time limits and batch budgets hold
inside it exactly as in one process, and it reads, scores and writes whole pieces with the same
:class:`~rewardkit.scoring_job.PieceScorer` a local run uses: rows never travel through Ray, only
the pieces' descriptions and results, and the input and ``--out`` must be on storage every node
sees (one machine, NFS, a mounted bucket). Scores and summary are those of a local run.

A killed worker or node loses nothing: Ray Data restarts the actor (``max_restarts=-1``) and runs
its piece again (``max_task_retries=-1``; the actor needs a free CPU on a live node: spare
capacity, or a node an autoscaler starts), and parts are renamed into place only when complete.
A finished piece whose result was held by the dead node is run again by Ray and read back from
its part rather than scored twice.

Endpoint limits are the endpoint's, not each actor's: the ``concurrency``, ``requests_per_minute``
and ``tokens_per_minute`` of a reward that calls a ``base_url`` (the judges) are divided between
the actors (at least 1 call in flight each).

``--ray`` alone starts a cluster for the run on this machine, bound to 127.0.0.1 only, without
dashboard or usage reporting; ``--ray auto`` or ``--ray HOST:PORT`` joins a running one.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
from typing import Any, Iterator, Sequence

from .composition_loader import load_composition
from .errors import ConfigError, import_optional
from .registry import default_registry
from .row_sources import Piece
from .scoring_job import Job, JobOptions, PieceResult, PieceScorer, written_result

SHARED_LIMITS = ("concurrency", "requests_per_minute", "tokens_per_minute")
LOCAL_CLUSTER_ENV = {
    "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0",  # Ray's single-machine mode: every server on 127.0.0.1
    "RAY_USAGE_STATS_ENABLED": "0",
}
OBJECT_STORE_BYTES = 200 * 2**20  # only pieces' descriptions and results go through it
ACTOR_START_SECONDS = 600  # the actors' start (resources, imports, the composition) may take this long


def split_endpoint_limits(entries: Sequence[dict], actors: int) -> list[dict]:
    """``entries`` with the endpoint limits of each reward that calls a ``base_url`` divided by ``actors``."""
    known = default_registry().catalogue("reward")
    split = []
    for entry in entries:
        reward = known.get(entry["name"])
        fields = reward.value.Params.model_fields if reward is not None else {}
        params = dict(entry.get("params") or {})
        if "base_url" in fields:
            for name in SHARED_LIMITS:
                if name in fields:
                    value = params.get(name, fields[name].default)
                    if value is not None:
                        share = value / actors
                        params[name] = max(1, int(share)) if name == "concurrency" else share
        split.append({**entry, "params": params})
    return split


class PieceActor:
    """One Ray actor: a composition built on its node, scoring the pieces it is handed."""

    def __init__(self, entries: list[dict], options: dict[str, Any], folder: str | None, cpus: float) -> None:
        os.environ["REWARDKIT_POOL_SIZE"] = str(max(1, int(cpus)))  # its verifier pool: its own CPUs
        self.failure: str | None = None
        self.node = _node()
        try:
            self.scorer = PieceScorer(load_composition(entries), JobOptions(**options), folder, node=self.node)
        except Exception as exc:  # reported once, naming the node, by the driver
            self.failure = f"node {self.node}: {exc}"

    def __call__(self, batch: dict[str, Any]) -> dict[str, list[str]]:
        pieces = [Piece(**json.loads(text)) for text in batch["piece"]]
        if self.failure is not None:
            return {"result": [json.dumps({"failure": self.failure}) for _ in pieces]}
        return {"result": [json.dumps(self._score(piece).as_json()) for piece in pieces]}

    def _score(self, piece: Piece) -> PieceResult:
        # Ray runs a finished piece again when its result was held by a node that died: its part
        # is on shared storage already, so it is read back rather than scored twice.
        scorer = self.scorer
        if scorer.parts is not None and (done := written_result(scorer.parts, piece, scorer.options)) is not None:
            return done
        return scorer(piece)


def _actor_class(entries: list[dict], options: dict[str, Any], folder: str | None, cpus: float) -> type:
    """A :class:`PieceActor` class that carries its arguments (the class is what Ray ships to each
    actor), rather than constructor arguments of their own in the object store."""

    class ScoringActor(PieceActor):
        def __init__(self) -> None:
            super().__init__(entries, options, folder, cpus)

    return ScoringActor


def _node() -> str:
    """The node this actor runs on: its address, host name and Ray node id."""
    ray = import_optional("ray", "ray", "scoring on Ray (--ray)")
    try:
        address, node = ray.util.get_node_ip_address(), ray.get_runtime_context().get_node_id()[:12]
    except Exception:  # not in a Ray worker (the actor class called directly)
        address, node = "?", "?"
    return f"{address} ({socket.gethostname()}, node id {node})"


def score_on_ray(
    address: str,
    entries: list[dict],
    options: JobOptions,
    job: Job,
    pending: list[Piece],
    actors: int | None,
    actor_cpus: float,
) -> Iterator[PieceResult]:
    """Score ``pending`` on the cluster at ``address`` (``local``: one started for the run),
    yielding each piece's result as it is done."""
    if actor_cpus <= 0:
        raise ConfigError("--actor-cpus must be positive")
    if actors is not None and actors < 1:
        raise ConfigError("--actors must be at least 1")
    if not pending:
        return
    if address == "local":
        # read when ray is imported, and inherited by the processes it starts; a token of the run's
        # own rather than one Ray would write to ~/.ray for every later cluster on the machine
        for key, value in {**LOCAL_CLUSTER_ENV, "RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": secrets.token_hex(32)}.items():
            os.environ.setdefault(key, value)
    # lazy: Ray is the optional [ray] extra, imported only for --ray
    ray = import_optional("ray", "ray", "scoring on Ray (--ray)")
    import_optional("ray.data", "ray", "scoring on Ray (--ray)")
    started = not ray.is_initialized()
    if started:
        _connect(ray, address)
    try:
        _configure(ray)
        cpus = ray.cluster_resources().get("CPU", 1)
        count = min(actors or max(1, int(cpus // actor_cpus)), len(pending))
        pieces = ray.data.from_items([{"piece": json.dumps(p.as_json())} for p in pending], override_num_blocks=len(pending))
        scored = pieces.map_batches(
            _actor_class(
                split_endpoint_limits(entries, count),
                options.identity() | {"show": options.show},
                None if job.folder is None else os.path.abspath(job.folder),
                actor_cpus,
            ),
            batch_size=1,
            batch_format="numpy",
            compute=ray.data.ActorPoolStrategy(size=count),
            num_cpus=actor_cpus,
        )
        for row in scored.iter_rows():
            data = json.loads(row["result"])
            if "failure" in data:
                raise ConfigError(data["failure"])
            yield PieceResult.from_json(data)
    finally:
        if started:
            ray.shutdown()


def _connect(ray: Any, address: str) -> None:
    try:
        if address == "local":
            # "local": always a new cluster, never one found running on the machine (RAY_ADDRESS, `ray start`)
            ray.init(address="local", include_dashboard=False, object_store_memory=OBJECT_STORE_BYTES,
                     log_to_driver=False, logging_level="WARNING")  # fmt: skip
        else:
            ray.init(address=address, log_to_driver=False, logging_level="WARNING")
    except ConnectionError as exc:
        raise ConfigError(f"--ray {address}: cannot connect: {exc}") from None


def _configure(ray: Any) -> None:
    """Every actor started (its node checked) before the first piece is handed out, so each gets
    pieces and a node that cannot build the composition is always reported; Ray Data's progress
    bars and per-run log lines off: the run prints its own progress."""
    import logging

    context = ray.data.DataContext.get_current()
    context.wait_for_min_actors_s = ACTOR_START_SECONDS
    context.enable_progress_bars = False
    context.print_on_execution_start = False
    logging.getLogger("ray").setLevel(logging.WARNING)
    logging.getLogger("ray.data").setLevel(logging.ERROR)  # warns that progress bars are off
