"""Mutation tests: the suite exits 1 on every fault-injected mock and names a check that catches it.

The score is printed at the end of the run (see conftest.py); anything under 100% fails here first.
"""

from __future__ import annotations

import pytest

from conformance.cli import main
from tests.conformance.conftest import mock_auth_flags
from tests.conformance.mutants import MUTANTS, Mutant

pytestmark = pytest.mark.slow  # whole conformance runs or real servers: left out of make test-fast


@pytest.mark.parametrize("mutant", MUTANTS, ids=[f"{m.api}: {m.name}" for m in MUTANTS])
def test_suite_catches_the_fault(mutant: Mutant, served, record_mutation, capsys: pytest.CaptureFixture[str]) -> None:
    # Given the mock of one API with exactly one broken promise
    with served(mutant.api, wrap=mutant.wrap) as base_url:
        # When the suite checks it
        code = main(["run", "--api", mutant.api, "--base-url", base_url, *mock_auth_flags(mutant.api), "--seed", "3"])
    out = capsys.readouterr().out
    failures = out.split("\nFAILURES\n", 1)[-1] if "\nFAILURES\n" in out else ""
    named = [check for check in mutant.catches if f"] {check}  " in failures]
    record_mutation(f"{mutant.api}: {mutant.name}", code == 1 and bool(named))
    # Then it fails the run and names one of the checks that catch this fault
    assert code == 1, out
    assert named, f"expected one of {mutant.catches} among the failures:\n{out}"
