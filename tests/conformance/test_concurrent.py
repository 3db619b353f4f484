"""Several APIs against the in-process mock run side by side, one process each, with one result per API."""

from __future__ import annotations

import pytest

from conformance.report import console
from conformance.runner import run
from conformance.settings import RunConfig


@pytest.mark.slow  # two whole conformance runs, in processes of their own
def test_apis_run_side_by_side_give_one_result_each_in_the_order_asked() -> None:
    # Given two APIs and no server: each gets a process and a mock of its own
    apis = ("instabase-flow", "gocd-stages")
    # When the suite runs them with few examples
    result = run(RunConfig(apis=apis, max_examples=5, seed=1))
    # Then both conform, each reported under its own name, in the order they were asked for
    assert result.ok, console(result)
    assert [r.api for r in result.results] == list(apis)
    assert all(r.requests > 0 and r.properties_run and r.seconds > 0 for r in result.results)
