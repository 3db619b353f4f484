"""`run(config) -> RunResult`: per API, the target, then the properties, then Schemathesis, then the
known deviations. No printing: the CLI renders the result (Schemathesis's engine/CLI split).
"""

from __future__ import annotations

import datetime
import multiprocessing
import os
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from urllib.parse import urlsplit

import httpx

from conformance import allowlist
from conformance.apis import SUITES, Suite
from conformance.findings import ApiResult, Finding, RunResult
from conformance.gate import Gate, TimeBudgetExceeded
from conformance.progress import Progress
from conformance.property_runner import run_properties
from conformance.schemathesis_run import documented_statuses, run_schemathesis
from conformance.selection import operation_ids
from conformance.settings import RunConfig
from conformance.spec import location
from conformance.target import Credentials, Tally, check_reachable, client_for, credentials, mock_auth, mock_server
from contracts import load_document


def run(config: RunConfig, progress: Progress | None = None) -> RunResult:
    progress = progress or Progress()
    entries = allowlist.load(config.allow_file) if config.allow_file else []
    results: list[ApiResult] = []
    stopped: str | None = None
    try:
        if _concurrent(config):
            results = _run_concurrently(config, progress)
        else:
            gate = Gate(config.rate_limit, config.max_time)
            with _base_url(config, gate) as base_url:
                for name in config.apis:
                    result = ApiResult(api=name)
                    results.append(result)
                    _timed_api(name, config, base_url, gate, result, progress)
    except TimeBudgetExceeded as exc:
        stopped = str(exc)
    finally:
        progress.close()
    errors: list[str] = []
    for result in results:
        result.findings, expired = allowlist.apply(entries, result.findings, datetime.date.today())
        errors.extend(e for e in expired if e not in errors)
    return RunResult(results, errors, stopped)


def _timed_api(name: str, config: RunConfig, base_url: str, gate: Gate, result: ApiResult, progress: Progress) -> None:
    started = time.perf_counter()
    try:
        _run_api(SUITES[name], config, base_url, gate, result, progress)
    finally:
        result.seconds = time.perf_counter() - started


def _concurrent(config: RunConfig) -> bool:
    """Several APIs against the in-process mock, with no run-wide rate limit or time budget to share:
    each API runs in a process of its own against its own mock, on as many cores as the machine has.
    (In one process the suite and the mock share one interpreter lock: one core for both.)"""
    return config.base_url is None and len(config.apis) > 1 and not config.rate_limit and config.max_time is None


def _run_concurrently(config: RunConfig, progress: Progress) -> list[ApiResult]:
    workers = min(len(config.apis), os.cpu_count() or 1)
    # The longest first (zenml-pipelines has the most operations), so no core idles at the end.
    order = sorted(config.apis, key=lambda name: -len(operation_ids(load_document(SUITES[name].spec_path))))
    context = multiprocessing.get_context("spawn")  # no fork of a process that may hold threads
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        futures = {name: pool.submit(_api_in_own_process, name, config, progress.for_worker()) for name in order}
        return [futures[name].result() for name in config.apis]


def _api_in_own_process(name: str, config: RunConfig, progress: Callable[[], Progress]) -> ApiResult:
    gate = Gate(None, None)
    result = ApiResult(api=name)
    with mock_server((name,)) as base_url:
        _timed_api(name, config, base_url, gate, result, progress())
    return result


def _run_api(suite: Suite, config: RunConfig, base_url: str, gate: Gate, result: ApiResult, progress: Progress) -> None:
    spec = load_document(suite.spec_path)
    selection = config.selection
    documented_statuses(spec, result, selection)
    if not selection.selected(spec):
        return
    auth = config.auth if config.auth.given or config.base_url else mock_auth(suite.name)
    session = config.session_headers  # the login too: a token is valid only in the session it came from
    with client_for(base_url, session, gate, config.request_timeout) as plain:
        creds = credentials(base_url, auth, suite.login_path, plain)
    headers = {**creds.headers, **session}
    if creds.login_problem is not None:
        result.findings.append(_login_finding(suite, base_url, creds))
        if not creds.usable:
            return
    # Properties first: they read the data as the server holds it, before fuzzing and the
    # stateful phase have created, changed and deleted objects at random.
    if "properties" in selection.phases:

        def guard(request: httpx.Request) -> None:
            selection.check_request(spec, request.method, urlsplit(str(request.url)).path)

        with client_for(base_url, headers, gate, config.request_timeout, guard, Tally(spec, result)) as client:
            try:
                run_properties(suite, config, client, result, progress)
            finally:
                result.phases_run.append("properties")
                progress.step_done(result, "properties", len(result.properties_run), len(result.properties_run))
    run_schemathesis(suite, config, base_url, headers, result, gate, progress)


def _login_finding(suite: Suite, base_url: str, creds: Credentials) -> Finding:
    spec = load_document(suite.spec_path)
    operation = f"POST {suite.login_path}"
    return Finding(
        api=suite.name,
        check="login_as_documented",
        operation=operation,
        spec_location=location(suite.spec_path, spec, operation),
        expected="HTTP 200 with an access_token for a valid login (HTTP 401 for wrong credentials)",
        received=(creds.login_problem or "")
        + ("" if creds.usable else "\nthe other checks of this API did not run: the login gave no token"),
        curl=f"curl -X POST -d 'username=...&password=...' {base_url}{suite.login_path}",
    )


@contextmanager
def _base_url(config: RunConfig, gate: Gate) -> Iterator[str]:
    if config.base_url:
        with client_for(config.base_url, {}, gate, config.request_timeout) as client:
            check_reachable(client, config.base_url)
        yield config.base_url.rstrip("/")
    else:
        with mock_server(config.apis) as base_url:
            yield base_url
