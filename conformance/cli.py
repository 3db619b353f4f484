"""`conformance run ...`: parse, run, report, exit 0 conforms / 1 failures / 2 usage error or unreachable."""

from __future__ import annotations

import argparse
import datetime
import os
import re
import sys
from pathlib import Path

from conformance import allowlist
from conformance.allowlist import AllowlistError
from conformance.annotations import github_annotations
from conformance.apis import SUITES
from conformance.gate import parse_rate
from conformance.progress import Progress, StreamProgress
from conformance.report import console, junit
from conformance.report_html import write_html
from conformance.report_json import write_json
from conformance.runner import run
from conformance.selection import PHASES, Selection, operation_ids
from conformance.settings import Auth, RunConfig
from conformance.target import Unreachable
from contracts import load_document

EXIT_OK, EXIT_FAILURES, EXIT_USAGE = 0, 1, 2
SESSION_NAME = re.compile(r"[A-Za-z0-9._-]{1,64}")


def _pair(value: str) -> tuple[str, str]:
    user, sep, password = value.partition(":")
    if not sep or not user:
        raise argparse.ArgumentTypeError(f"expected USER:PASS, got {value!r}")
    return user, password


def _rate(value: str) -> str:
    try:
        parse_rate(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return value


def _phases(value: str) -> frozenset[str]:
    names = {name.strip() for name in value.split(",") if name.strip()}
    unknown = names - set(PHASES)
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"expected a comma-separated list of {', '.join(PHASES)}, got {value!r}")
    return frozenset(names)


def _session(value: str) -> str:
    if not SESSION_NAME.fullmatch(value):
        raise argparse.ArgumentTypeError(f"expected 1-64 characters of A-Z a-z 0-9 . _ -, got {value!r}")
    return value


def _seconds(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        seconds = 0.0
    if seconds <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, got {value!r}")
    return seconds


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
    cmd.add_argument("--read-only", action="store_true", help="never send POST/PUT/DELETE (safe against production)")
    cmd.add_argument("--allow", type=Path, metavar="FILE", help="YAML file of known deviations to accept")
    cmd.add_argument("--workers", type=int, default=defaults.workers, help="Schemathesis workers")
    cmd.add_argument(
        "--session",
        type=_session,
        metavar="NAME",
        help="send X-Mock-Session: NAME on every request (a session of its own on a shared mock)",
    )
    gentle = cmd.add_argument_group("limits (for a production server)")
    gentle.add_argument("--rate-limit", type=_rate, metavar="N/s|N/m", help="at most N requests per second/minute")
    gentle.add_argument("--max-time", type=_seconds, metavar="SECONDS", help="stop the whole run after this long")
    gentle.add_argument(
        "--request-timeout",
        type=_seconds,
        default=defaults.request_timeout,
        metavar="SECONDS",
        help=f"a request without an answer after this long is a failure (default {defaults.request_timeout:g})",
    )
    gentle.add_argument("--operation", action="append", default=[], metavar="ID", help="only this operationId")
    gentle.add_argument(
        "--exclude-operation", action="append", default=[], metavar="ID", help="never call this operationId"
    )
    gentle.add_argument(
        "--phases", type=_phases, default=frozenset(PHASES), metavar="LIST", help=f"any of {','.join(PHASES)}"
    )
    out = cmd.add_argument_group("reports")
    out.add_argument("--junit-xml", type=Path, metavar="PATH", help="also write a JUnit XML report")
    out.add_argument("--report-html", type=Path, metavar="PATH", help="also write a self-contained HTML report")
    out.add_argument("--report-json", type=Path, metavar="PATH", help="also write the result as JSON (see docs)")
    out.add_argument("--write-allowlist", type=Path, metavar="FILE", help="write the failures as known deviations")
    out.add_argument("--quiet", action="store_true", help="no progress line on stderr")
    return root


def _unknown_operations(apis: tuple[str, ...], ids: list[str]) -> list[str]:
    known = {op for api in apis for op in operation_ids(load_document(SUITES[api].spec_path))}
    return sorted(set(ids) - known)


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    apis = tuple(SUITES) if args.api == "all" else (args.api,)
    unknown = _unknown_operations(apis, [*args.operation, *args.exclude_operation])
    if unknown:
        print(f"conformance: no operationId {', '.join(map(repr, unknown))} in {args.api}", file=sys.stderr)
        return EXIT_USAGE
    config = RunConfig(
        apis=apis,
        base_url=args.base_url,
        auth=Auth(token=args.token, basic=args.basic, login=args.login),
        max_examples=args.max_examples,
        seed=args.seed,
        junit_xml=args.junit_xml,
        read_only=args.read_only,
        allow_file=args.allow,
        workers=args.workers,
        rate_limit=args.rate_limit,
        max_time=args.max_time,
        request_timeout=args.request_timeout,
        selection=Selection(frozenset(args.operation), frozenset(args.exclude_operation), args.phases),
        session=args.session,
    )
    progress = Progress() if args.quiet else StreamProgress(sys.stderr, sys.stderr.isatty())
    try:
        result = run(config, progress)
    except (Unreachable, AllowlistError) as exc:
        print(f"conformance: {exc}", file=sys.stderr)
        return EXIT_USAGE
    print(console(result))
    if os.environ.get("GITHUB_ACTIONS") == "true":
        for line in github_annotations(result):
            print(line)
    if config.junit_xml:
        junit(result, config.junit_xml)
    if args.report_html:
        write_html(result, args.report_html)
    if args.report_json:
        write_json(result, args.report_json)
    if args.write_allowlist:
        args.write_allowlist.write_text(allowlist.dump(result.failures, datetime.date.today()), encoding="utf-8")
        print(f"wrote {len(result.failures)} failure(s) as known deviations to {args.write_allowlist}")
    return EXIT_OK if result.ok else EXIT_FAILURES
