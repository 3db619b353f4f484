"""The console report: its per-operation table adds up to its totals, and its text, on fixed results, is pinned."""

from __future__ import annotations

import pytest

from conformance.findings import ApiResult, Finding, RunResult
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


LIST = "GET /v0/stages/"
CREATE = "POST /v0/stages/"
DELETE = "DELETE /v0/stages/{id}/"


def failing_run() -> RunResult:
    """Two APIs, one failure with its evidence, one accepted deviation, an expired entry, a spent budget."""
    stages = ApiResult(
        api="esper-stages",
        findings=[
            Finding(
                api="esper-stages",
                check="count_matches_pages",
                operation=LIST,
                spec_location="contracts/specs/esper-stages.yaml#/paths/~1v0~1stages~1/get",
                expected="count is the number of stages across all pages",
                received="count is the number of stages across all pages\nassert 3 == 2",
                curl="curl -X GET 'http://127.0.0.1:8000/v0/stages/?limit=2'",
            ),
            Finding(
                api="esper-stages",
                check="status_code_conformance",
                operation=CREATE,
                spec_location="contracts/specs/esper-stages.yaml#/paths/~1v0~1stages~1/post",
                expected="Undocumented HTTP status code",
                received="Received: 409\nDocumented: 201, 400",
                allowed_by="409 for a duplicate name (until 2027-01-31)",
            ),
        ],
        requests=7,
        checks=12,
        per_operation={
            LIST: {"requests": 4, "checks": 8, "failures": 1},
            CREATE: {"requests": 3, "checks": 4, "failures": 0},
        },
        operations_total=3,
        statuses_documented={(LIST, "200"), (CREATE, "201"), (DELETE, "204")},
        statuses_seen={(LIST, "200"), (CREATE, "201")},
        properties_run=["count_matches_pages", "deleted_stage_is_gone", "StageMachine"],
        properties_skipped={"deleted_stage_is_gone": "needs DELETE /v0/stages/{id}/ (deleteStage)"},
        seconds=2.345,
    )
    flow = ApiResult(api="instabase-flow", operations_total=2)
    return RunResult(
        [stages, flow],
        errors=["known-deviations.yaml: an entry expired on 2026-11-30"],
        stopped="time budget of 30 s exceeded",
    )


FAILING_RUN = """
esper-stages  (2.3 s)
  operation                       requests  checks  failures
  GET /v0/stages/                        4       8         1
  POST /v0/stages/                       3       4         0
  properties: count_matches_pages FAILED, deleted_stage_is_gone SKIPPED, StageMachine
  skipped deleted_stage_is_gone: needs DELETE /v0/stages/{id}/ (deleteStage)
  coverage: 2/3 operations exercised, 2/3 documented status codes seen (not seen: DELETE /v0/stages/{id}/ 204)

instabase-flow  (0.0 s)
  operation                       requests  checks  failures
  properties: none run
  coverage: 0/2 operations exercised, 0/0 documented status codes seen

FAILURES

1. [esper-stages] count_matches_pages  GET /v0/stages/
   spec:     contracts/specs/esper-stages.yaml#/paths/~1v0~1stages~1/get
   expected: count is the number of stages across all pages
   received: count is the number of stages across all pages
             assert 3 == 2
   reproduce:curl -X GET 'http://127.0.0.1:8000/v0/stages/?limit=2'

Accepted as known deviations (1):
  - [esper-stages] status_code_conformance POST /v0/stages/: 409 for a duplicate name (until 2027-01-31)
ERROR: known-deviations.yaml: an entry expired on 2026-11-30
NOTE: time budget of 30 s exceeded: the run stopped early (see --max-time)

2 API(s), 7 requests, 12 checks, 1 failure(s), 1 accepted, 1 error(s): the server DOES NOT CONFORM."""


def test_console_report_of_a_failing_run() -> None:
    assert console(failing_run()) == FAILING_RUN


def test_console_report_of_a_conforming_run() -> None:
    # Given one API whose every request and check passed
    label = "GET /go/api/stages/{name}"
    result = ApiResult(
        api="gocd-stages",
        requests=3,
        checks=5,
        per_operation={label: {"requests": 3, "checks": 5, "failures": 0}},
        operations_total=1,
        statuses_documented={(label, "200")},
        statuses_seen={(label, "200")},
        properties_run=["history_pages_partition"],
        seconds=0.5,
    )
    # Then the report says so, with its table and coverage
    assert (
        console(RunResult([result]))
        == """
gocd-stages  (0.5 s)
  operation                       requests  checks  failures
  GET /go/api/stages/{name}              3       5         0
  properties: history_pages_partition
  coverage: 1/1 operations exercised, 1/1 documented status codes seen

1 API(s), 3 requests, 5 checks, 0 failure(s), 0 accepted, 0 error(s): the server conforms."""
    )
