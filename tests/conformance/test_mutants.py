"""Mutation tests: the suite fails the run on every fault-injected mock and names a check that catches it.

The assertions read the run result (its findings, their checks and operations), not the console
text, so a change of the report's layout cannot make a caught fault look missed or the reverse.
The score is printed at the end of the run (see conftest.py); anything under 100% fails here first.
"""

from __future__ import annotations

import pytest

from conformance.report import console
from conformance.runner import run
from conformance.settings import RunConfig
from conformance.target import mock_auth
from tests.conformance.mutants import MUTANTS, Mutant

pytestmark = pytest.mark.slow  # whole conformance runs or real servers: left out of make test-fast


@pytest.mark.parametrize("mutant", MUTANTS, ids=[f"{m.api}: {m.name}" for m in MUTANTS])
def test_suite_catches_the_fault(mutant: Mutant, served, record_mutation) -> None:
    # Given the mock of one API with exactly one broken promise
    with served(mutant.api, wrap=mutant.wrap) as base_url:
        # When the suite checks it
        result = run(RunConfig(apis=(mutant.api,), base_url=base_url, auth=mock_auth(mutant.api), seed=3))
    named = [finding for finding in result.failures if finding.check in mutant.catches]
    record_mutation(f"{mutant.api}: {mutant.name}", not result.ok and bool(named))
    # Then it fails the run and names one of the checks that catch this fault, at a documented operation
    assert not result.ok, console(result)
    assert named, f"expected one of {mutant.catches} among the failures:\n{console(result)}"
    (api_result,) = result.results
    documented = {operation for operation, _ in api_result.statuses_documented}
    assert {finding.operation for finding in named} <= documented, console(result)
