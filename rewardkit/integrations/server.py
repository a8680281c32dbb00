"""The HTTP app behind ``rewardkit serve``: one composition, scored over HTTP for any trainer.

Endpoints (JSON in and out):

- ``GET /health``: ``{"status": "ok", "components": N, "pid": ...}``; never needs the token.
- ``GET /rewards``: the composition: each component's name, reward, weight, params and columns.
- ``POST /score``: ``{"completions": [...], "prompts": [...] (optional), "<column>": [...], ...}``,
  dataset columns at the top level as TRL passes them to rewards. Reply: ``total``,
  ``components``, ``weights``, ``errors`` (``{name: [[row, message], ...]}``), ``extra``,
  ``metrics``: what ``Composition.score`` gives in-process, ``None`` as ``null``.
- ``POST /get_reward``: OpenRLHF's remote reward protocol (``query``, ``prompts``, ``labels`` ->
  ``rewards``, ``scores``, ``extra_logs``; see :mod:`.openrlhf`).
- ``POST /verify``: NeMo Gym's resources-server protocol (``responses_create_params`` and
  ``response`` -> the request with ``reward`` and ``reward_components``; see :mod:`.nemo_gym`).
- ``POST /rm_remote``: the ``rm_remote`` reward's protocol (``inputs`` -> ``scores``, the weighted
  totals); ``POST /rm_remote/<component>``: that component's own scores, so a TRL run can keep
  one remote reward per component, each logged and weighted on its side.

Bad input never reaches the composition: a body that is not JSON, a field of the wrong type, a
column of the wrong length, a missing column, a body or batch over the limits, each get a 4xx
reply ``{"error": "...", "field": "<the field>"}``. A reward that fails on a sample is reported
as in-process (its error score, listed under ``errors``); anything else that fails while scoring
is a 500 with the same shape, and the server goes on. Scoring endpoints await
``Composition.ascore``: synchronous rewards run in a worker thread and async ones (a judge) on the
event loop, so one request waiting on a slow reward never holds up another; the rewards'
verifier pools are process-wide and thread-safe, so concurrent requests share them. With a token configured (an
environment variable named by ``token_env``), every endpoint but ``/health`` needs
``Authorization: Bearer <token>``.
"""

from __future__ import annotations

import hmac
import json
import logging
import os
import socket
from dataclasses import asdict, dataclass
from typing import Any, Awaitable, Callable

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException

from rewardkit.composition import Composition, Scores
from rewardkit.composition_loader import load_composition
from rewardkit.errors import ConfigError, MissingColumnError
from rewardkit.integrations.compositions import check_none_score, gold_column
from rewardkit.integrations.nemo_gym import verify_inputs, verify_reply
from rewardkit.integrations.openrlhf import openrlhf_batch, openrlhf_reply
from rewardkit.row_scoring import columns_of
from rewardkit.stats import finite_number

SETTINGS_ENV = "REWARDKIT_SERVE_SETTINGS"
logger = logging.getLogger("rewardkit.serve")

# A completion or prompt: a string, or a list of chat messages.
Text = str | list[dict[str, Any]]


@dataclass(frozen=True)
class ServeSettings:
    """How ``rewardkit serve`` runs: the composition spec and the limits a request must keep."""

    composition: Any = None  # preset name, YAML path or mapping (what app_from_env loads)
    max_batch: int = 4096  # completions per request
    max_body_bytes: int = 32 * 2**20
    token_env: str = "REWARDKIT_TOKEN"  # environment variable holding the bearer token (unset: no auth)
    gold: str | None = None  # column OpenRLHF's labels fill (default: the composition's gold column)
    none_score: float = 0.0  # what /get_reward sends for an unscorable sample (OpenRLHF needs numbers)


class ApiError(HTTPException):
    """A request the server refuses: its status, the field at fault and why."""

    def __init__(self, status: int, field: str | None, message: str) -> None:
        super().__init__(status, message)
        self.field = field


class ScoreBody(BaseModel):
    model_config = ConfigDict(extra="allow")  # the dataset columns

    completions: list[Text]
    prompts: list[Text | None] | None = None


class RewardBody(BaseModel):
    """OpenRLHF's request."""

    query: list[str]
    prompts: list[str] | None = None
    labels: list[Any] | None = None


class VerifyBody(BaseModel):
    """NeMo Gym's ``BaseVerifyRequest``: the Responses-API request and response, and the task's fields."""

    model_config = ConfigDict(extra="allow")

    responses_create_params: dict[str, Any]
    response: dict[str, Any]


class RemoteInput(BaseModel):
    prompt: Text | None = None
    completion: Text
    columns: dict[str, Any] = Field(default_factory=dict)


class RemoteBody(BaseModel):
    """rm_remote's request (its ``model`` field is accepted and not used)."""

    model: str | None = None
    inputs: list[RemoteInput]


def create_app(composition: Composition, settings: ServeSettings | None = None) -> FastAPI:
    """The FastAPI app scoring with ``composition`` under ``settings``."""
    settings = settings or ServeSettings()
    none_score = check_none_score(settings.none_score, "serve")
    gold = gold_column(composition, settings.gold)
    singles = {c.name: Composition([c.reward]) for c in composition.components}
    token = os.environ.get(settings.token_env) or None

    app = FastAPI(title="rewardkit", description="Scores completions with a rewardkit composition.")
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)

    async def authorize(request: Request) -> None:
        if token is None:
            return
        given = request.headers.get("authorization", "")
        if not (given.startswith("Bearer ") and hmac.compare_digest(given[7:].encode(), token.encode())):
            raise ApiError(401, "Authorization", "missing or wrong bearer token (Authorization: Bearer <token>)")

    def check_batch(field: str, n: int) -> None:
        if n > settings.max_batch:
            raise ApiError(413, field, f"{n} items is over the limit of {settings.max_batch} per request (--max-batch)")

    @app.get("/health")
    async def health() -> dict[str, Any]:
        return {"status": "ok", "components": len(composition.components), "pid": os.getpid()}

    scoring = APIRouter(dependencies=[Depends(authorize)])

    @scoring.get("/rewards")
    async def rewards() -> dict[str, Any]:
        return {
            "composition": settings.composition if isinstance(settings.composition, str) else None,
            "components": [
                {
                    "name": c.name,
                    "reward": c.reward.name,
                    "weight": c.weight,
                    "params": c.reward.params.model_dump(mode="json"),
                    "columns": list(c.reward.required_columns()),
                    "on_error": c.reward.on_error,
                }
                for c in composition.components
            ],
            "required_columns": composition.required_columns(),
            "gold_column": gold,
            "limits": {"max_batch": settings.max_batch, "max_body_bytes": settings.max_body_bytes},
        }

    @scoring.post("/score")
    async def score(body: ScoreBody) -> Response:
        n = len(body.completions)
        check_batch("completions", n)
        if body.prompts is not None and len(body.prompts) != n:
            raise ApiError(422, "prompts", f"got {len(body.prompts)} prompts for {n} completions")
        columns = body.model_extra or {}
        if "inputs" in columns:
            raise ApiError(422, "completions", "this is rm_remote's request shape: send it to /rm_remote")
        for name, values in columns.items():
            if not isinstance(values, list) or len(values) != n:
                got = f"{len(values)} values" if isinstance(values, list) else type(values).__name__
                raise ApiError(422, name, f"column '{name}' must be a list of {n} values (one per completion), got {got}")
        scores = await _scored(composition.ascore(body.completions, body.prompts, **columns))
        return _json(_scores_payload(scores))

    @scoring.post("/get_reward")
    async def get_reward(body: RewardBody) -> Response:
        n = len(body.query)
        check_batch("query", n)
        for name in ("prompts", "labels"):
            values = getattr(body, name)
            if values is not None and len(values) != n:
                raise ApiError(422, name, f"got {len(values)} {name} for {n} queries")
        completions, columns = openrlhf_batch(composition, body.query, body.prompts, body.labels, gold)
        scores = await _scored(composition.ascore(completions, body.prompts, **columns))
        return _json(openrlhf_reply(scores, none_score))

    @scoring.post("/verify")
    async def verify(body: VerifyBody) -> Response:
        request = body.model_dump()
        try:
            completion, prompt, columns = verify_inputs(request)
        except ConfigError as exc:
            raise ApiError(422, "response", str(exc)) from None
        scores = await _scored(composition.ascore([completion], [prompt], **{k: [v] for k, v in columns.items()}))
        return _json(verify_reply(request, scores, none_score))

    async def remote(body: RemoteBody, scorer: Composition, pick: Callable[[Scores], list]) -> Response:
        check_batch("inputs", len(body.inputs))
        completions = [item.completion for item in body.inputs]
        prompts = [item.prompt for item in body.inputs]
        columns = columns_of([item.columns for item in body.inputs])
        if any(k in ("completions", "prompts") for k in columns):
            raise ApiError(422, "columns", "'completions' and 'prompts' cannot be column names")
        has_prompts = any(p is not None for p in prompts)
        scores = await _scored(scorer.ascore(completions, prompts if has_prompts else None, **columns))
        return _json({"scores": pick(scores)})

    @scoring.post("/rm_remote")
    async def rm_remote(body: RemoteBody) -> Response:
        return await remote(body, composition, lambda s: s.total)

    @scoring.post("/rm_remote/{component}")
    async def rm_remote_component(component: str, body: RemoteBody) -> Response:
        if component not in singles:
            raise ApiError(404, "component", f"no component '{component}' (components: {', '.join(singles)})")
        return await remote(body, singles[component], lambda s: s.components[component])

    app.include_router(scoring)
    return app


def app_from_env() -> FastAPI:
    """The app described by ``$REWARDKIT_SERVE_SETTINGS`` (how ``rewardkit serve`` hands its
    settings to uvicorn's worker processes)."""
    raw = os.environ.get(SETTINGS_ENV)
    if not raw:
        raise RuntimeError(f"{SETTINGS_ENV} is not set; start the server with `rewardkit serve`")
    settings = ServeSettings(**json.loads(raw))
    return create_app(load_composition(settings.composition), settings)


def settings_env(settings: ServeSettings) -> str:
    """``settings`` as the value of ``$REWARDKIT_SERVE_SETTINGS``."""
    return json.dumps(asdict(settings))


# -- plumbing ------------------------------------------------------------------------------------


async def _scored(scoring: Awaitable[Scores]) -> Scores:
    """Await a scoring call: a missing column is the client's mistake (422), anything else a 500."""
    try:
        return await scoring
    except MissingColumnError as exc:
        raise ApiError(422, exc.column or "columns", str(exc)) from None
    except Exception as exc:  # noqa: BLE001 - one failed request must not take the server down
        logger.exception("scoring failed")
        raise ApiError(500, None, f"scoring failed: {type(exc).__name__}: {exc}") from None


def _scores_payload(scores: Scores) -> dict[str, Any]:
    return {
        "total": scores.total,
        "components": scores.components,
        "weights": scores.weights,
        "errors": scores.errors,
        "extra": scores.extra,
        "metrics": scores.metrics,
    }


def _json(payload: Any, status: int = 200) -> Response:
    """JSON without FastAPI's per-value encoder; non-finite numbers become null, unknown types text."""
    try:
        body = json.dumps(payload, allow_nan=False, separators=(",", ":"))
    except (TypeError, ValueError):
        body = json.dumps(_finite(payload), allow_nan=False, separators=(",", ":"), default=str)
    return Response(body, status_code=status, media_type="application/json")


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return finite_number(value)
    if isinstance(value, dict):
        return {str(k): _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def _error(status: int, field: str | None, message: str) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse({"error": message, "field": field}, status_code=status, headers=headers)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    return _error(exc.status_code, getattr(exc, "field", None), str(exc.detail))


# pydantic names the member of a union it tried in the error location ("str", "list[dict[str,any]]").
def _is_union_tag(part: Any) -> bool:
    return isinstance(part, str) and (part in ("str", "int", "float", "bool", "none") or "[" in part)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    first = exc.errors()[0]
    content_type = request.headers.get("content-type", "application/json").split(";")[0].strip().lower()
    if not (content_type == "application/json" or content_type.endswith("+json")):  # FastAPI did not parse it
        return _error(415, "Content-Type", f"send the body as JSON with Content-Type: application/json (got {content_type})")
    if first.get("type") == "json_invalid":
        return _error(400, "body", f"the request body is not valid JSON: {first.get('ctx', {}).get('error', '')}".strip())
    field = ""
    parts = [p for p in first.get("loc", ()) if p != "body"]
    for part in parts:
        if _is_union_tag(part):
            continue
        field += f"[{part}]" if isinstance(part, int) else (f".{part}" if field else str(part))
    message = first.get("msg", "invalid")
    if any(_is_union_tag(p) for p in parts):
        message = "must be a string or a list of chat messages (objects with 'role' and 'content')"
    elif first.get("type") == "missing":
        message = "is required"
    field = field or "body"
    return _error(422, field, f"{field}: {message}")


def _http_protocol_base() -> type:
    """uvicorn's HTTP protocol as ``--http auto`` picks it: httptools when installed, else h11."""
    try:
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

        return HttpToolsProtocol
    except ImportError:
        from uvicorn.protocols.http.h11_impl import H11Protocol

        return H11Protocol


class NoDelayHTTPProtocol(_http_protocol_base()):  # type: ignore[misc]
    """uvicorn's HTTP protocol with Nagle's algorithm off on every connection.

    With ``--workers N`` uvicorn binds the listening socket itself with ``proto`` 0, and asyncio
    then leaves TCP_NODELAY off on the connections it accepts (uvicorn issue #3149): a response's
    headers and body go out as two writes, and each keep-alive request waits ~40 ms for the
    client's delayed ACK. ``rewardkit serve`` names this class as uvicorn's ``http`` protocol.
    """

    def connection_made(self, transport: Any) -> None:
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)


HTTP_PROTOCOL = f"{__name__}:NoDelayHTTPProtocol"


class BodyLimit:
    """ASGI middleware: a request body over ``max_bytes`` gets 413 (declared or streamed)."""

    def __init__(self, app: Any, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await _error(413, "body", self._message(int(declared)))(scope, receive, send)
            return
        received = 0

        async def limited() -> dict:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:  # FastAPI passes HTTPExceptions from body reading through
                    raise ApiError(413, "body", self._message(received))
            return message

        await self.app(scope, limited, send)

    def _message(self, size: int) -> str:
        return f"the request body ({size} bytes) is over the limit of {self.max_bytes} bytes (--max-body-mb)"
