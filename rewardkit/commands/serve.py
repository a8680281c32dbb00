"""``rewardkit serve SPEC``: score with a composition over HTTP (:mod:`rewardkit.integrations.server`)."""

from __future__ import annotations

import argparse
import ipaddress
import os
import sys

from rewardkit.errors import ConfigError, MissingDependencyError

DESCRIPTION = """\
Score with a composition over HTTP, for trainers on other machines or frameworks. Endpoints:
GET /health, GET /rewards (the composition), POST /score (completions and dataset columns in,
every component's scores and the total out), POST /get_reward (OpenRLHF's remote reward
protocol) and POST /rm_remote[/COMPONENT] (the rm_remote reward's protocol, so a TRL run can score
on this machine); OpenAPI docs at /docs.

It listens on 127.0.0.1 (this machine only) unless --host says otherwise. When the environment
variable named by --token-env (default REWARDKIT_TOKEN) is set, every endpoint but /health needs
the header "Authorization: Bearer TOKEN". --workers N runs N server processes on one port, each
with its own composition and a verifier pool of 1/N of the CPUs (REWARDKIT_POOL_SIZE overrides).
Needs pip install 'rewardkit[serve]'.

example:
  REWARDKIT_TOKEN=secret rewardkit serve gsm8k --host 0.0.0.0 --port 8000 --workers 4
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("composition", metavar="REWARDS", help="a preset name or a composition YAML file")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1, this machine only)")
    parser.add_argument("--port", type=int, default=8000, help="port to listen on (default: 8000)")
    parser.add_argument(
        "--workers", type=int, default=1, help="server processes, each with its own verifier pool of 1/N of the CPUs"
    )
    parser.add_argument("--max-batch", type=int, default=4096, help="completions per request (default: 4096)")
    parser.add_argument("--max-body-mb", type=float, default=32.0, help="request body limit in MiB (default: 32)")
    parser.add_argument(
        "--token-env", default="REWARDKIT_TOKEN", help="environment variable with the bearer token (unset: no auth)"
    )
    parser.add_argument("--gold-column", help="column OpenRLHF's labels fill (default: the composition's gold column)")
    parser.add_argument(
        "--none-score", type=float, default=0.0, help="what /get_reward sends for an unscorable sample (default: 0.0)"
    )
    parser.add_argument("--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"],
                        help="uvicorn's log level (default: info)")
    parser.add_argument("--no-access-log", action="store_true", help="do not log every request")


def run(args: argparse.Namespace) -> int:
    try:
        import uvicorn

        from rewardkit.integrations.server import HTTP_PROTOCOL, SETTINGS_ENV, ServeSettings, create_app, settings_env
    except ImportError as exc:
        raise MissingDependencyError(
            f"rewardkit serve needs fastapi and uvicorn ({exc}); install them with: pip install 'rewardkit[serve]'"
        ) from None
    from rewardkit.composition_loader import load_composition, locate
    from rewardkit.pool import POOL_SIZE_ENV, close_shared_pools, cpu_count

    for flag, value, low in (("--workers", args.workers, 1), ("--max-batch", args.max_batch, 1), ("--port", args.port, 0)):
        if value < low:
            raise ConfigError(f"{flag} must be at least {low}, got {value}")
    if not args.max_body_mb > 0:
        raise ConfigError(f"--max-body-mb must be positive, got {args.max_body_mb}")
    spec = locate(args.composition).spec  # a path made absolute means the same in uvicorn's workers
    composition = load_composition(spec)  # a bad spec fails here, in one line, before any process starts
    settings = ServeSettings(
        composition=spec,
        max_batch=args.max_batch,
        max_body_bytes=int(args.max_body_mb * 2**20),
        token_env=args.token_env,
        gold=args.gold_column,
        none_score=args.none_score,
    )
    auth = bool(os.environ.get(args.token_env))
    if not auth and not _loopback(args.host):
        print(f"rewardkit serve: warning: listening on {args.host} without a token (set ${args.token_env})", file=sys.stderr)
    print(
        f"rewardkit serve: {args.composition} ({', '.join(composition.names)}) on http://{args.host}:{args.port}, "
        f"{args.workers} worker(s), bearer token {'required' if auth else 'off'}",
        file=sys.stderr,
    )
    options = dict(
        host=args.host, port=args.port, log_level=args.log_level, access_log=not args.no_access_log, http=HTTP_PROTOCOL
    )
    if args.workers == 1:
        uvicorn.run(create_app(composition, settings), **options)
    else:  # uvicorn's worker processes build the app from the settings in their environment
        close_shared_pools()  # this process only checked the spec: the verifier workers it started would sit unused
        os.environ[SETTINGS_ENV] = settings_env(settings)
        # each process's verifier pool gets its share of the CPUs, as torchrun's ranks do
        os.environ.setdefault(POOL_SIZE_ENV, str(max(1, cpu_count() // args.workers)))
        uvicorn.run("rewardkit.integrations.server:app_from_env", factory=True, workers=args.workers, **options)
    return 0


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
