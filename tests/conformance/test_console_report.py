"""The console report: its per-operation table adds up to its totals (on a real run), and its text, on fixed
results, is pinned."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from conformance.findings import ApiResult, Finding, RunResult
from conformance.report import console
from conformance.runner import run
from conformance.selection import Selection
from conformance.settings import RunConfig
from conformance.target import mock_auth
from tests.conformance.mutants import MUTANTS


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


def table(report: str) -> dict[str, tuple[int, ...]]:
    """The (only) API section's table: per row name its requests, checks and failures ("-" read as 0)."""
    lines = report.split("\n")
    header = next(i for i, line in enumerate(lines) if line.startswith("  operation "))
    rows: dict[str, tuple[int, ...]] = {}
    for line in itertools.takewhile(lambda line: not line.startswith("  properties: "), lines[header + 1 :]):
        name, *cells = line.strip().rsplit(maxsplit=3)
        rows[name] = tuple(0 if cell == "-" else int(cell) for cell in cells)
    return rows


def test_the_tables_columns_add_up_to_the_totals_of_a_failing_run(served, tmp_path: Path) -> None:
    # Given a GoCD mock whose 404s are JSON (Schemathesis and a property catch it), its content type accepted
    mutant = next(m for m in MUTANTS if m.name.startswith("wrong error format"))
    allow = tmp_path / "known.yaml"
    allow.write_text("- {check: content_type_conformance, reason: the pin, expires: 2099-01-01}\n")
    with served(mutant.api, wrap=mutant.wrap) as base_url:
        # When the suite checks it
        config = RunConfig(
            apis=(mutant.api,),
            base_url=base_url,
            auth=mock_auth(mutant.api),
            seed=3,
            max_examples=2,
            machine_examples=3,
            allow_file=allow,
        )
        result = run(config)
    (api_result,) = result.results
    accepted = [f for f in api_result.findings if f.allowed_by]
    assert accepted and result.failures and api_result.properties_run, console(result)
    # a rule of the properties' CancelMachine fails: a finding outside Schemathesis's checks
    assert any(f.check == "cancel_of_unknown_stage_is_404" for f in result.failures), console(result)
    # Then each column of the table adds up to the API's counts, which its total row and the run's totals repeat
    report = console(result)
    rows = table(report)
    counts = (api_result.requests, api_result.checks, len(result.failures))
    body = [cells for name, cells in rows.items() if name != "total"]
    assert tuple(map(sum, zip(*body, strict=True))) == counts, report
    assert rows.get("total") == counts, report
    assert f"{counts[0]} requests, {counts[1]} checks, {counts[2]} failure(s), {len(accepted)} accepted" in report


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
        checks=15,  # 8 + 4 by Schemathesis, one per property run
        per_operation={  # as a run records them: Schemathesis's failures, before the known deviations
            LIST: {"requests": 4, "checks": 8, "failures": 0},
            CREATE: {"requests": 3, "checks": 4, "failures": 1},
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
  properties                             -       3         -
  total                                  7      15         1
  properties: count_matches_pages FAILED, deleted_stage_is_gone SKIPPED, StageMachine
  skipped deleted_stage_is_gone: needs DELETE /v0/stages/{id}/ (deleteStage)
  coverage: 2/3 operations exercised, 2/3 documented status codes seen (not seen: DELETE /v0/stages/{id}/ 204)

instabase-flow  (0.0 s)
  operation                       requests  checks  failures
  total                                  0       0         0
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

2 API(s), 7 requests, 15 checks, 1 failure(s), 1 accepted, 1 error(s): the server DOES NOT CONFORM."""


def test_console_report_of_a_failing_run() -> None:
    assert console(failing_run()) == FAILING_RUN


def test_console_report_of_a_conforming_run() -> None:
    # Given one API whose every request and check passed
    label = "GET /go/api/stages/{name}"
    result = ApiResult(
        api="gocd-stages",
        requests=3,
        checks=6,
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
  properties                             -       1         -
  total                                  3       6         0
  properties: history_pages_partition
  coverage: 1/1 operations exercised, 1/1 documented status codes seen

1 API(s), 3 requests, 6 checks, 0 failure(s), 0 accepted, 0 error(s): the server conforms."""
    )
