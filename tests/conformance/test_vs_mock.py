"""The suite passes against the mock for every API, with the mock validating its own responses."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from conformance.apis import SUITES
from conformance.report import console
from conformance.runner import run
from conformance.settings import RunConfig
from conformance.target import mock_auth
from contracts import load_spec, login_path, operations
from mock_server import Settings, create_app
from mock_server.testing import serve_app

pytestmark = pytest.mark.slow  # whole conformance runs or real servers: left out of make test-fast


@pytest.mark.parametrize("api", list(SUITES))
def test_mock_conforms(api: str, served) -> None:
    # Given a fresh mock of the API that turns any response breaking its spec into a 500
    with served(api) as base_url:
        # When the whole suite runs against it at default settings
        result = run(RunConfig(apis=(api,), base_url=base_url, auth=mock_auth(api), seed=1))
    # Then nothing is found, and the suite really exercised it
    assert result.ok, console(result)
    (api_result,) = result.results
    assert api_result.requests > 100
    assert api_result.properties_run
    exercised = {label for label, _ in api_result.statuses_documented} & set(api_result.per_operation)
    assert len(exercised) == api_result.operations_total


CONTRACT_CHECKS = frozenset({"response_schema_conformance", "status_code_conformance"})


@pytest.mark.parametrize("api", list(SUITES))
def test_documented_error_faults_stay_inside_the_contract(api: str, tmp_path: Path) -> None:
    # Given a mock that answers a fifth of the requests to every operation with a documented error
    # (but the login: a suite that cannot log in sends nothing else; and those that document no error)
    spec = load_spec(api)
    ids = [
        op.operation_id
        for op in operations(spec)
        if op.template != login_path(spec) and any(code >= "400" for code in op.spec["responses"])
    ]
    rules = [{"api": api, "operation": op, "rate": 0.2, "fault": {"status": "any-documented-error"}} for op in ids]
    faults = tmp_path / "faults.yaml"
    faults.write_text(yaml.safe_dump({"rules": rules}))
    app = create_app(Settings(apis=(api,), validate_responses=True, faults=faults, seed=1))
    with serve_app(app) as base_url:
        # When the whole suite runs against it
        result = run(RunConfig(apis=(api,), base_url=base_url, auth=mock_auth(api), seed=1))
    # Then no response breaks the schema or the documented statuses (stateful properties may fail)
    broken = [f for f in result.failures if f.check in CONTRACT_CHECKS]
    assert not broken, console(result)
    assert result.results[0].requests > 20  # the suite stops exploring an operation at its first failure
