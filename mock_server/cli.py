"""`mock-server` / `python -m mock_server`: parse flags, print the banner, run uvicorn.

The only module that prints, besides the per-request log line (`mock_server.requestlog`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mock_server.apis import load_api
from mock_server.app import create_app
from mock_server.fixtures import FixtureError
from mock_server.guard import is_loopback
from mock_server.middleware import MAX_DELAY_MS
from mock_server.settings import ALL_APIS, Settings

MAX_SESSIONS = 10_000
MAX_JOURNAL = 100_000


def parse(argv: list[str] | None) -> Settings:
    parser = argparse.ArgumentParser(
        prog="mock-server", description="Serve stateful fakes of the five pipeline APIs from their OpenAPI specs."
    )
    defaults = Settings()
    parser.add_argument("--host", default=defaults.host, help="interface to listen on (default %(default)s)")
    parser.add_argument("--port", type=int, default=defaults.port, help="port (default %(default)s)")
    parser.add_argument(
        "--api",
        action="append",
        choices=ALL_APIS,
        metavar="NAME",
        help=f"serve only this API (repeatable): {', '.join(ALL_APIS)}",
    )
    parser.add_argument("--fixtures", type=Path, help="YAML file mapping API names to fixture data (replaces defaults)")
    parser.add_argument("--seed", type=int, help="make ids and timestamps of created objects repeat run to run")
    parser.add_argument("--latency", type=int, default=0, metavar="MS", help="delay every response by MS milliseconds")
    parser.add_argument("--any-token", action="store_true", help="accept any non-empty credential")
    parser.add_argument(
        "--cors-origin", action="append", metavar="ORIGIN", help="allowed CORS origin (repeatable; default: any)"
    )
    parser.add_argument(
        "--admin-token", metavar="TOKEN", help="bearer token /__admin requires (needed for admin beyond loopback)"
    )
    parser.add_argument("--validate-responses", action="store_true", help="500 on any response that breaks its spec")
    parser.add_argument(
        "--max-sessions",
        type=int,
        default=defaults.max_sessions,
        metavar="N",
        help="named X-Mock-Session sessions alive at once besides the default (default %(default)s)",
    )
    parser.add_argument(
        "--journal-size",
        type=int,
        default=defaults.journal_size,
        metavar="N",
        help="requests each session's journal keeps, GET /__admin/requests (default %(default)s)",
    )
    parser.add_argument("--quiet", action="store_true", help="no line per request on stdout")
    parser.add_argument(
        "--log-format", choices=("text", "json"), default="text", help="per-request line format (default %(default)s)"
    )
    args = parser.parse_args(argv)
    if not 0 <= args.latency <= MAX_DELAY_MS:
        parser.error(f"--latency must be between 0 and {MAX_DELAY_MS} ms")
    if not 1 <= args.max_sessions <= MAX_SESSIONS:
        parser.error(f"--max-sessions must be between 1 and {MAX_SESSIONS}")
    if not 0 <= args.journal_size <= MAX_JOURNAL:
        parser.error(f"--journal-size must be between 0 and {MAX_JOURNAL}")
    return Settings(
        host=args.host,
        port=args.port,
        apis=tuple(dict.fromkeys(args.api)) if args.api else ALL_APIS,
        fixtures=args.fixtures,
        seed=args.seed,
        latency_ms=args.latency,
        any_token=args.any_token,
        admin_token=args.admin_token,
        cors_origins=tuple(args.cors_origin) if args.cors_origin else defaults.cors_origins,
        validate_responses=args.validate_responses,
        max_sessions=args.max_sessions,
        journal_size=args.journal_size,
        log_format=None if args.quiet else args.log_format,
    )


def banner(settings: Settings) -> str:
    root = f"http://{settings.host}:{settings.port}"
    lines = [f"pipeline-contracts mock on {root}  (admin: {root}/__admin/ui/)"]
    for name in settings.apis:
        api = load_api(name)
        lines.append(f"  {name:<18} {root}   ui: {root}/{name}/ui/")
        lines.append(f"  {'':<18} credentials: {api.credentials_help}")
    if settings.any_token:
        lines.append("  --any-token: any non-empty credential is accepted")
    if not is_loopback(settings.host):
        lines.append(f"  WARNING: --host {settings.host} is not loopback: other machines can reach every API")
        if not settings.admin_token:
            lines.append("  admin API: OFF (every /__admin request is 403); start with --admin-token TOKEN to use it")
    if settings.admin_token:
        lines.append("  admin API: needs 'Authorization: Bearer <--admin-token>'")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    import uvicorn

    from mock_server.server import config

    settings = parse(argv)
    try:
        app = create_app(settings)
    except FixtureError as exc:
        print(f"mock-server: bad fixture: {exc}", file=sys.stderr)
        return 2
    print(banner(settings), flush=True)
    uvicorn.Server(config(app, settings.host, settings.port)).run()
    return 0
