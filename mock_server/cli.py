"""`mock-server` / `python -m mock_server`: parse flags, print the banner, run uvicorn.

The only module that prints, besides the per-request log line (`mock_server.requestlog`)."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from mock_server.api import BasicAuth, Login, Token
from mock_server.apis import load_api
from mock_server.app import create_app
from mock_server.faults import FaultError
from mock_server.fixtures import FixtureError
from mock_server.guard import is_loopback
from mock_server.middleware import MAX_DELAY_MS
from mock_server.persist import MAX_STATE_INTERVAL_S, StateFileError
from mock_server.settings import ALL_APIS, Settings
from mock_server.specs import SpecError

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
    parser.add_argument(
        "--state-file", type=Path, metavar="FILE", help="load the state from FILE at start, save it there while serving"
    )
    parser.add_argument(
        "--state-interval",
        type=float,
        default=defaults.state_interval_s,
        metavar="SECONDS",
        help="save a changed state this often (default %(default)s; a kill -9 loses at most this much)",
    )
    parser.add_argument("--validate-responses", action="store_true", help="500 on any response that breaks its spec")
    parser.add_argument("--faults", type=Path, metavar="FILE", help="YAML file of fault rules in force from the start")
    parser.add_argument(
        "--reload", action="store_true", help="watch the specs, fixture files and faults file; swap in what changed"
    )
    parser.add_argument(
        "--specs", type=Path, metavar="DIR", help="serve the <api>.yaml specs of DIR (default: packaged)"
    )
    parser.add_argument(
        "--proxy",
        action="append",
        metavar="NAME=URL",
        help="forward API NAME to the real server at URL and check each exchange against the spec (repeatable)",
    )
    parser.add_argument(
        "--proxy-timeout", type=float, default=defaults.proxy_timeout, metavar="S", help="upstream timeout (504)"
    )
    parser.add_argument("--proxy-strict", action="store_true", help="502 with the violations for a contract break")
    parser.add_argument("--proxy-quiet-headers", action="store_true", help="no X-Contract-Violations header")
    parser.add_argument("--record", type=Path, metavar="FILE", help="with --proxy: record upstream answers as fixtures")
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
    proxies = tuple(_proxy(parser, value) for value in args.proxy or ())
    if args.record and not proxies:
        parser.error("--record needs --proxy NAME=URL: it records what a real server answers")
    missing = [name for name, _ in proxies if args.api and name not in args.api]
    if missing:
        parser.error(f"--proxy {missing[0]}=...: also pass --api {missing[0]} (only served APIs can be proxied)")
    if args.proxy_timeout <= 0:
        parser.error("--proxy-timeout must be more than 0 seconds")
    if not 0 <= args.latency <= MAX_DELAY_MS:
        parser.error(f"--latency must be between 0 and {MAX_DELAY_MS} ms")
    if not 0 < args.state_interval <= MAX_STATE_INTERVAL_S:
        parser.error(f"--state-interval must be over 0 and at most {MAX_STATE_INTERVAL_S} seconds")
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
        state_file=args.state_file,
        state_interval_s=args.state_interval,
        faults=args.faults,
        reload=args.reload,
        specs_dir=args.specs,
        proxies=proxies,
        proxy_timeout=args.proxy_timeout,
        proxy_strict=args.proxy_strict,
        proxy_quiet_headers=args.proxy_quiet_headers,
        record=args.record,
        max_sessions=args.max_sessions,
        journal_size=args.journal_size,
        log_format=None if args.quiet else args.log_format,
    )


def _proxy(parser: argparse.ArgumentParser, value: str) -> tuple[str, str]:
    name, _, url = value.partition("=")
    if name not in ALL_APIS:
        parser.error(f"--proxy {value}: {name!r} is not an API; known: {', '.join(ALL_APIS)}")
    if not url.startswith(("http://", "https://")):
        parser.error(f"--proxy {value}: give the upstream as NAME=http://host:port")
    return name, url


def banner(settings: Settings) -> str:
    root = f"http://{settings.host}:{settings.port}"
    lines = [f"pipeline-contracts mock on {root}  (admin: {root}/__admin/ui/)"]
    for name in settings.apis:
        api = load_api(name)
        lines.append(f"  {name:<18} {root}   ui: {root}/{name}/ui/")
        lines.append(f"  {'':<18} credentials: {describe(api.credentials)}")
    lines.append("  (those of the default fixtures; every user, key and token: GET /__admin/state)")
    for name, url in settings.proxies:
        lines.append(f"  {name:<18} proxied to {url}, checked against its spec")
    if settings.any_token:
        lines.append("  --any-token: any non-empty credential is accepted")
    if settings.faults:
        lines.append(f"  fault rules from {settings.faults} (GET {root}/__admin/faults shows them)")
    if settings.reload:
        lines.append("  --reload: edits to the specs, fixture files and faults file are swapped in live")
    if not is_loopback(settings.host):
        lines.append(f"  WARNING: --host {settings.host} is not loopback: other machines can reach every API")
        if not settings.admin_token:
            lines.append("  admin API: OFF (every /__admin request is 403); start with --admin-token TOKEN to use it")
    if settings.admin_token:
        lines.append("  admin API: needs 'Authorization: Bearer <--admin-token>'")
    if settings.state_file is not None:
        lines.append(f"  state: {settings.state_file} (saved every {settings.state_interval_s:g} s when changed)")
    return "\n".join(lines)


def describe(credential: Token | BasicAuth | Login) -> str:
    """What a client sends, as the banner says it (the same mapping as `MockServer.headers`)."""
    if isinstance(credential, Token):
        return f"Authorization: Bearer {credential.value}"
    if isinstance(credential, BasicAuth):
        return f"HTTP Basic {credential.username}:{credential.password}"
    form = f"username={credential.username}&password={credential.password}"
    return f"POST {credential.path} with the form {form}, then Authorization: Bearer <access_token>"


def main(argv: list[str] | None = None) -> int:
    import uvicorn

    from mock_server.gc_pauses import FrozenAfterStartup
    from mock_server.server import config

    settings = parse(argv)
    try:
        app = create_app(settings)
    except StateFileError as exc:
        print(f"mock-server: {exc}", file=sys.stderr)
        return 2
    except FixtureError as exc:
        print(f"mock-server: bad fixture: {exc}", file=sys.stderr)
        return 2
    except FaultError as exc:
        print(f"mock-server: bad fault rules: {exc}", file=sys.stderr)
        return 2
    except SpecError as exc:
        print(f"mock-server: bad spec: {exc}", file=sys.stderr)
        return 2
    print(banner(settings), flush=True)
    if settings.reload:
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(logging.Formatter("mock-server: %(message)s"))
        logging.getLogger("mock_server.reload").addHandler(handler)
    uvicorn.Server(config(FrozenAfterStartup(app), settings.host, settings.port)).run()
    return 0
