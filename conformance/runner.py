"""`run(config) -> RunResult`: per API, the target, then the properties, then Schemathesis, then the
known deviations. No printing: the CLI renders the result (Schemathesis's engine/CLI split).
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Iterator
from contextlib import contextmanager

from conformance import allowlist
from conformance.apis import SUITES
from conformance.findings import ApiResult, RunResult
from conformance.generic import run_schemathesis
from conformance.property_runner import run_properties
from conformance.settings import RunConfig
from conformance.target import auth_headers, check_reachable, client_for, mock_server


def run(config: RunConfig) -> RunResult:
    entries = allowlist.load(config.allow_file) if config.allow_file else []
    results = []
    with _base_url(config) as base_url:
        for name in config.apis:
            suite = SUITES[name]
            auth = config.auth if config.auth.given or config.base_url else suite.mock_auth
            headers = auth_headers(base_url, auth, suite.login_path)
            result = ApiResult(api=name)
            started = time.perf_counter()
            # Properties first: they read the data as the server holds it, before fuzzing and the
            # stateful phase have created, changed and deleted objects at random.
            with client_for(base_url, headers) as client:
                run_properties(suite, config, client, result)
            run_schemathesis(suite, config, base_url, headers, result)
            result.seconds = time.perf_counter() - started
            results.append(result)
    errors: list[str] = []
    for result in results:
        result.findings, expired = allowlist.apply(entries, result.findings, datetime.date.today())
        errors.extend(e for e in expired if e not in errors)
    return RunResult(results, errors)


@contextmanager
def _base_url(config: RunConfig) -> Iterator[str]:
    if config.base_url:
        check_reachable(config.base_url)
        yield config.base_url.rstrip("/")
    else:
        with mock_server(config.apis) as base_url:
            yield base_url
