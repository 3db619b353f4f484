"""`conformance run ...`: parse, run, report, exit 0 conforms / 1 failures / 2 usage error or unreachable."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from conformance.allowlist import AllowlistError
from conformance.apis import SUITES
from conformance.report import console, junit
from conformance.runner import run
from conformance.settings import Auth, RunConfig
from conformance.target import Unreachable

EXIT_OK, EXIT_FAILURES, EXIT_USAGE = 0, 1, 2


def _pair(value: str) -> tuple[str, str]:
    user, sep, password = value.partition(":")
    if not sep or not user:
        raise argparse.ArgumentTypeError(f"expected USER:PASS, got {value!r}")
    return user, password


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="conformance", description="Check whether a server keeps its API contract.")
    commands = root.add_subparsers(dest="command", required=True)
    cmd = commands.add_parser("run", help="run the suite against a server (default: the in-process mock)")
    cmd.add_argument("--api", required=True, choices=[*SUITES, "all"], help="which API's contract to check")
    cmd.add_argument("--base-url", help="server root, e.g. https://acme-api.esper.cloud/api/pipelines")
    auth = cmd.add_mutually_exclusive_group()
    auth.add_argument("--token", help="bearer token (Authorization: Bearer T)")
    auth.add_argument("--basic", type=_pair, metavar="USER:PASS", help="HTTP basic credentials")
    auth.add_argument("--login", type=_pair, metavar="USER:PASS", help="log in at /api/v1/login (ZenML) for a token")
    defaults = RunConfig(apis=())
    cmd.add_argument("--max-examples", type=int, default=defaults.max_examples, help="fuzzing examples per operation")
    cmd.add_argument("--seed", type=int, help="make the generated requests repeat run to run")
    cmd.add_argument("--junit-xml", type=Path, metavar="PATH", help="also write a JUnit XML report")
    cmd.add_argument("--read-only", action="store_true", help="never send POST/PUT/DELETE (safe against production)")
    cmd.add_argument("--allow", type=Path, metavar="FILE", help="YAML file of known deviations to accept")
    cmd.add_argument("--workers", type=int, default=defaults.workers, help="Schemathesis workers")
    return root


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    config = RunConfig(
        apis=tuple(SUITES) if args.api == "all" else (args.api,),
        base_url=args.base_url,
        auth=Auth(token=args.token, basic=args.basic, login=args.login),
        max_examples=args.max_examples,
        seed=args.seed,
        junit_xml=args.junit_xml,
        read_only=args.read_only,
        allow_file=args.allow,
        workers=args.workers,
    )
    try:
        result = run(config)
    except (Unreachable, AllowlistError) as exc:
        print(f"conformance: {exc}", file=sys.stderr)
        return EXIT_USAGE
    print(console(result))
    if config.junit_xml:
        junit(result, config.junit_xml)
    return EXIT_OK if result.ok else EXIT_FAILURES
