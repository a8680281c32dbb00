"""Code-execution services as backends: SandboxFusion (``/run_code``) and Piston (``/api/v2/execute``).

They scale code rewards past one machine: run the service on your own CPU fleet behind a load
balancer and point ``url`` at it. Each test is one request, through :mod:`rewardkit.http` (the
transport every reward that calls a service shares): at most ``concurrency`` requests are in
flight per event loop (so per trainer process); a lost connection, a timed-out attempt, 408,
429 or 5xx are retried ``max_retries`` times with exponential backoff (``Retry-After`` honoured
up to ``backoff_max``); one attempt takes at most ``timeout`` seconds to its last byte and a
reply at most ``max_response_bytes``. A request that still fails, a 4xx, a reply that is not
the API's, or the service's own error status raises :class:`~.sandbox.SandboxError`: the sample
scores None, never 0.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field, field_validator

from rewardkit.http import HttpClient, HttpParams, ServiceError, check_url

from .sandbox import Execution, Program, ProgramSandbox, SandboxError, SandboxOptions


class ServiceOptions(HttpParams, SandboxOptions):
    url: str = Field(..., description="base URL of the service, e.g. http://sandbox:8080")
    concurrency: int = Field(32, ge=1, description="requests in flight at once (per trainer process)")
    timeout: float = Field(60.0, gt=0, description="seconds one request may take to its last byte (the run's own limits are sent too)")

    @field_validator("url")
    @classmethod
    def _check_url(cls, value: str) -> str:
        return check_url(value).rstrip("/")


class ServiceSandbox(ProgramSandbox):
    """A JSON-over-HTTP execution service: subclasses say where to POST, what to send, how to read the reply."""

    Options: ClassVar[type[SandboxOptions]] = ServiceOptions
    path: ClassVar[str] = ""

    def __init__(self, options=None) -> None:
        super().__init__(options)
        self.client = HttpClient(self.options.http(in_flight=self.options.concurrency))

    def payload(self, program: Program) -> dict[str, Any]:
        raise NotImplementedError

    def execution(self, reply: Any, program: Program) -> Execution:
        """The run described by the service's reply; raises SandboxError for the service's own failures."""
        raise NotImplementedError

    async def run(self, program: Program) -> Execution:
        try:
            reply = await self.client.post_json(self.options.url + self.path, self.payload(program))
        except ServiceError as exc:
            raise SandboxError(f"{self.name}: {exc}") from None
        try:
            return self.execution(reply, program)
        except (KeyError, TypeError, AttributeError) as exc:
            why = f"{type(exc).__name__}: {exc}"
            raise SandboxError(f"{self.name}: unexpected reply ({why}): {str(reply)[:300]}") from None


class SandboxFusion(ServiceSandbox):
    """ByteDance's SandboxFusion: ``POST /run_code`` with ``code``, ``language``, ``stdin``,
    ``compile_timeout``, ``run_timeout`` and ``memory_limit_MB``; the reply's ``status`` is
    ``Success``, ``Failed`` (the program failed: see ``compile_result`` and ``run_result``, each
    with ``status`` ``Finished``/``Error``/``TimeLimitExceeded``, ``return_code``, ``stdout``,
    ``stderr``) or ``SandboxError`` (the service failed)."""

    name = "sandbox_fusion"
    path = "/run_code"
    LANGUAGES: ClassVar[dict[str, str]] = {"python": "python", "cpp": "cpp"}

    def payload(self, program: Program) -> dict[str, Any]:
        limits = program.limits
        return {
            "code": program.code,
            "language": self.LANGUAGES[program.language],
            "stdin": program.stdin,
            "compile_timeout": limits.compile_timeout,
            "run_timeout": limits.timeout,
            "memory_limit_MB": limits.memory_mb,
        }

    def execution(self, reply: Any, program: Program) -> Execution:
        if reply["status"] == "SandboxError":
            raise SandboxError(f"sandbox_fusion: {reply.get('message') or 'SandboxError'}")
        compiled = reply.get("compile_result")
        if compiled and (compiled["status"] != "Finished" or compiled.get("return_code") not in (0, None)):
            why = "the compiler ran out of time" if compiled["status"] == "TimeLimitExceeded" else ""
            return Execution("compile_error", compile_output=(compiled.get("stderr") or compiled.get("stdout") or why))
        ran = reply.get("run_result")
        if ran is None:
            raise SandboxError(f"sandbox_fusion: no run_result ({reply.get('message') or reply['status']})")
        if ran["status"] == "TimeLimitExceeded":
            return Execution("timeout", ran.get("stdout") or "", ran.get("stderr") or "")
        code = ran.get("return_code")
        return Execution("finished", ran.get("stdout") or "", ran.get("stderr") or "", -1 if code is None else code)


class PistonOptions(ServiceOptions):
    versions: dict[str, str] = Field(
        {"python": "*", "cpp": "*"}, description="SemVer selector of each language's runtime on the service"
    )
    run_timeout_max: float = Field(
        3.0,
        gt=0,
        description="the service's longest run (PISTON_RUN_TIMEOUT, 3 s by default); longer test limits are cut to it",
    )
    compile_timeout_max: float = Field(
        10.0, gt=0, description="the service's longest compile (PISTON_COMPILE_TIMEOUT, 10 s by default)"
    )


class Piston(ServiceSandbox):
    """engineer-man's Piston: ``POST /api/v2/execute`` with ``language``, ``version``, ``files``,
    ``stdin`` and the limits in milliseconds and bytes; the reply's ``run`` (and ``compile`` for a
    compiled language) has ``stdout``, ``stderr``, ``code`` and ``signal`` (newer versions add
    ``status``: ``TO`` for a timeout, ``XX`` for the service's own failure). Errors come as 4xx
    with a ``message``."""

    name = "piston"
    Options = PistonOptions
    path = "/api/v2/execute"
    LANGUAGES: ClassVar[dict[str, tuple[str, str]]] = {"python": ("python", "main.py"), "cpp": ("c++", "main.cpp")}

    def payload(self, program: Program) -> dict[str, Any]:
        o, limits = self.options, program.limits
        language, filename = self.LANGUAGES[program.language]
        return {
            "language": language,
            "version": o.versions.get(program.language, "*"),
            "files": [{"name": filename, "content": program.code}],
            "stdin": program.stdin,
            "args": [],
            "run_timeout": int(1000 * min(limits.timeout, o.run_timeout_max)),
            "compile_timeout": int(1000 * min(limits.compile_timeout, o.compile_timeout_max)),
            "run_memory_limit": limits.memory_mb << 20,
            "compile_memory_limit": -1,
        }

    def execution(self, reply: Any, program: Program) -> Execution:
        compiled = reply.get("compile")
        if compiled and (compiled.get("code") != 0 or compiled.get("signal")):
            if compiled.get("status") == "XX":
                raise SandboxError(f"piston: {compiled.get('message') or 'internal error while compiling'}")
            return Execution("compile_error", compile_output=compiled.get("stderr") or compiled.get("output") or "")
        ran = reply["run"]
        status = ran.get("status")
        if status == "XX":
            raise SandboxError(f"piston: {ran.get('message') or 'internal error'}")
        stdout, stderr = ran.get("stdout") or "", ran.get("stderr") or ""
        if status == "TO" or (status is None and ran.get("signal") == "SIGKILL"):
            return Execution("timeout", stdout, stderr)
        code = ran.get("code")
        return Execution("finished", stdout, stderr, -1 if code is None else code)
