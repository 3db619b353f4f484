"""The suite passes against the mock for every API, with the mock validating its own responses."""

from __future__ import annotations

import pytest

from conformance.apis import SUITES
from conformance.report import console
from conformance.runner import run
from conformance.settings import RunConfig
from conformance.target import mock_auth

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
