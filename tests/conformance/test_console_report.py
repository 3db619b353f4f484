"""The console report: its per-operation table adds up to its totals, and its text is pinned."""

from __future__ import annotations

import pytest

from conformance.report import console
from conformance.runner import run
from conformance.selection import Selection
from conformance.settings import RunConfig
from conformance.target import mock_auth


@pytest.mark.parametrize("read_only", [True, False], ids=["read-only", "machines"])
def test_property_requests_are_counted_against_their_operations(served, read_only: bool) -> None:
    # Given a mock of an API whose properties call several operations
    api = "gocd-stages"
    with served(api) as base_url:
        # When only the properties run (few scenarios)
        config = RunConfig(
            apis=(api,),
            base_url=base_url,
            auth=mock_auth(api),
            seed=1,
            read_only=read_only,
            machine_examples=2,
            selection=Selection(phases=frozenset({"properties"})),
        )
        result = run(config)
    # Then every request they sent is in the table, against a documented operation
    assert result.ok, console(result)
    (api_result,) = result.results
    assert api_result.requests > 0
    assert sum(stats["requests"] for stats in api_result.per_operation.values()) == api_result.requests
    documented = {label for label, _ in api_result.statuses_documented}
    assert set(api_result.per_operation) <= documented
