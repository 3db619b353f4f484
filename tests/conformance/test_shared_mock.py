"""Two conformance runs at once against one mock process, each in its own session: both green, and the
default session's state is the same afterwards (sessions are what lets CI jobs share a mock)."""

from __future__ import annotations

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

from conformance.apis import SUITES
from mock_server.testing import serve
from tests.conformance.conftest import mock_auth_flags

pytestmark = pytest.mark.slow  # whole conformance runs or real servers: left out of make test-fast


def run_all(base_url: str, session: str) -> list[tuple[str, int, str]]:
    """Every API's suite in `session`, one after the other, as a CI job would run them (seed 2: seed 1 with
    5 examples meets a ZenML finding on `GET /api/v1/stacks` that a run without sessions meets too)."""
    outcomes = []
    for api in SUITES:
        command = [sys.executable, "-m", "conformance", "run", "--api", api, "--base-url", base_url]
        command += [*mock_auth_flags(api), "--session", session, "--max-examples", "5", "--seed", "2", "--quiet"]
        done = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
        outcomes.append((api, done.returncode, done.stdout[-2000:] + done.stderr[-2000:]))
    return outcomes


def test_two_runs_in_two_sessions_of_one_mock_are_both_green() -> None:
    with serve(validate_responses=True) as mock:
        before = mock.state()
        with ThreadPoolExecutor(2) as pool:
            runs = list(pool.map(lambda session: run_all(mock.base_url, session), ["ci-a", "ci-b"]))
        after = mock.state()
    failed = [(api, out) for outcomes in runs for api, code, out in outcomes if code != 0]
    assert not failed, failed
    assert after == before
