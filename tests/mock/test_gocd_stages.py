"""The gocd-stages mock: stage history paging, cancelling, permissions, errors, auth, the seed's examples
and the admin action that starts a stage run.

Every client has response validation on, so each passing call also proves the response fits the spec.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings
from hypothesis.stateful import run_state_machine_as_test
from starlette.testclient import TestClient

from conformance.properties import bind
from conformance.properties import gocd_stages as properties
from contracts import load_spec

ADMIN = ("admin", "badger")
VIEWER = ("viewer", "viewer")
SEED_HISTORY = "/go/api/stages/foo/DEV/history/0"  # the seed's history example
SEED_CANCEL = "/go/api/stages/demo_pipeline/first_stage/cancel"  # the seed's cancel example
DEMO_HISTORY = "/go/api/stages/demo_pipeline/first_stage/history"  # 27 runs, the latest building
CANCELLED = "Stage cancelled successfully.\n"
NOT_ACTIVE = "Stage is not active. Cancellation Ignored.\n"
TEXT = "text/plain; charset=utf-8"
PRE_RELEASE = ("can_run", "operate_permission", "scheduled")


@pytest.fixture
def client(make_client: Any) -> TestClient:
    return make_client("gocd-stages")


def history(client: TestClient, url: str = DEMO_HISTORY, auth: tuple[str, str] = ADMIN) -> dict[str, Any]:
    response = client.get(url, auth=auth)
    assert response.status_code == 200, response.text
    return response.json()


def cancel(client: TestClient, url: str = SEED_CANCEL, auth: tuple[str, str] = ADMIN, **kwargs: Any) -> Any:
    return client.post(url, auth=auth, content=b"", **kwargs)


def start_run(client: TestClient, pipeline: str, stage: str, status: int = 200) -> dict[str, Any]:
    response = client.post("/__admin/gocd-stages/start-stage-run", json={"pipeline": pipeline, "stage": stage})
    assert response.status_code == status, response.text
    return response.json()


def import_state(client: TestClient, change: Any) -> None:
    """Export the state, let `change` edit it, import it back."""
    state = client.get("/__admin/state").json()["gocd-stages"]
    change(state)
    assert client.put("/__admin/state", json={"gocd-stages": state}).status_code == 200


def assert_text(response: Any, status: int, text: str) -> None:
    assert (response.status_code, response.text) == (status, text)
    assert response.headers["content-type"] == TEXT


# The seed's examples


def test_seed_history_example_answers_the_seeds_data_in_the_real_shape(client: TestClient) -> None:
    seed = load_spec("gocd-stages")["components"]["responses"]["StageHistory"]["content"]["application/json"]
    expected = seed["examples"]["seed"]["value"]
    for stage in expected["stages"]:  # pre-release fields out, the real servers' rerun_of_counter in
        for field in PRE_RELEASE:
            del stage[field]
        stage["rerun_of_counter"] = None

    assert history(client, SEED_HISTORY) == expected


def test_spec_mock_example_is_what_the_mock_answers(client: TestClient) -> None:
    example = load_spec("gocd-stages")["components"]["responses"]["StageHistory"]["content"]["application/json"]

    assert history(client, SEED_HISTORY) == example["examples"]["mock"]["value"]


def test_seed_cancel_example_cancels_once_then_ignores(client: TestClient) -> None:
    assert_text(cancel(client), 200, CANCELLED)
    assert_text(cancel(client), 200, NOT_ACTIVE)


# History


def test_history_without_offset_is_the_first_page(client: TestClient) -> None:
    assert history(client, DEMO_HISTORY) == history(client, f"{DEMO_HISTORY}/0")


def test_history_pages_ten_runs_at_a_time(client: TestClient) -> None:
    pages = [history(client, f"{DEMO_HISTORY}/{offset}") for offset in (0, 10, 20)]

    assert [len(page["stages"]) for page in pages] == [10, 10, 7]
    assert [page["pagination"] for page in pages] == [
        {"offset": offset, "total": 27, "page_size": 10} for offset in (0, 10, 20)
    ]


def test_history_is_newest_first_by_pipeline_counter_then_stage_counter(client: TestClient) -> None:
    runs = [run for offset in (0, 10, 20) for run in history(client, f"{DEMO_HISTORY}/{offset}")["stages"]]
    keys = [(run["pipeline_counter"], int(run["counter"])) for run in runs]

    assert keys == sorted(keys, reverse=True)
    assert keys[:3] == [(25, 1), (24, 1), (23, 1)]
    assert (15, 2) in keys and keys.index((15, 2)) == keys.index((15, 1)) - 1
    assert len({run["id"] for run in runs}) == 27


def test_offset_skips_that_many_runs(client: TestClient) -> None:
    first = history(client, f"{DEMO_HISTORY}/0")["stages"]

    assert history(client, f"{DEMO_HISTORY}/5")["stages"][:5] == first[5:]


def test_offset_past_the_end_gives_an_empty_page(client: TestClient) -> None:
    assert history(client, f"{DEMO_HISTORY}/27") == {
        "stages": [],
        "pagination": {"offset": 27, "total": 27, "page_size": 10},
    }


def test_history_shows_the_real_fields_and_never_the_pre_release_ones(client: TestClient) -> None:
    run = history(client)["stages"][0]

    assert run["rerun_of_counter"] is None
    assert not set(PRE_RELEASE) & set(run)


def test_history_shows_a_rerun_of_selected_jobs(client: TestClient) -> None:
    runs = history(client, f"{DEMO_HISTORY}/10")["stages"]

    assert [(r["counter"], r["rerun_of_counter"]) for r in runs if r["pipeline_counter"] == 15] == [
        ("2", 1),
        ("1", None),
    ]


def test_history_shows_an_active_run_with_result_unknown(client: TestClient) -> None:
    latest = history(client)["stages"][0]

    assert latest["result"] == "Unknown"
    assert [(job["state"], job["result"]) for job in latest["jobs"]] == [("Building", "Unknown")]


def test_history_of_unknown_pipeline_is_404(client: TestClient) -> None:
    assert_text(client.get("/go/api/stages/nope/DEV/history/0", auth=ADMIN), 404, "Not Found { Pipeline not found }\n")


def test_history_of_unknown_stage_of_known_pipeline_is_empty(client: TestClient) -> None:
    assert history(client, "/go/api/stages/foo/nope/history") == {
        "stages": [],
        "pagination": {"offset": 0, "total": 0, "page_size": 10},
    }


def test_names_are_case_insensitive(client: TestClient) -> None:
    assert history(client, "/go/api/stages/FOO/dev/history/0") == history(client, SEED_HISTORY)


def test_negative_offset_is_400(client: TestClient) -> None:
    response = client.get(f"{DEMO_HISTORY}/-1", auth=ADMIN)

    assert_text(response, 400, "Bad Request { -1 is less than the minimum of 0 }\n")


def test_viewer_may_read_history(client: TestClient) -> None:
    assert history(client, auth=VIEWER) == history(client)


def test_history_without_view_permission_is_401_without_a_challenge(client: TestClient) -> None:
    outsider = {"username": "outsider", "password": "pw", "view": ["demo_pipeline"], "operate": []}
    import_state(client, lambda state: state["users"].append(outsider))

    response = client.get(SEED_HISTORY, auth=("outsider", "pw"))

    assert_text(response, 401, "Unauthorized { Not authorized to view pipeline }\n")
    assert "www-authenticate" not in response.headers


# Cancel


def test_cancel_marks_the_run_and_its_unfinished_jobs_cancelled(client: TestClient) -> None:
    cancel(client)

    latest = history(client)["stages"][0]
    assert (latest["pipeline_counter"], latest["result"]) == (25, "Cancelled")
    assert [(job["state"], job["result"]) for job in latest["jobs"]] == [("Completed", "Cancelled")]


def test_cancel_keeps_the_results_of_finished_jobs(client: TestClient) -> None:
    def add_second_job(state: dict[str, Any]) -> None:
        latest = state["stages"][-1]
        latest["jobs"].insert(
            0, {**latest["jobs"][0], "id": 99, "name": "lint", "state": "Completed", "result": "Passed"}
        )

    import_state(client, add_second_job)

    cancel(client)

    jobs = history(client)["stages"][0]["jobs"]
    assert [(job["name"], job["state"], job["result"]) for job in jobs] == [
        ("lint", "Completed", "Passed"),
        ("first_job", "Completed", "Cancelled"),
    ]


def test_cancel_of_finished_stage_changes_nothing(client: TestClient) -> None:
    before = history(client, SEED_HISTORY)

    assert_text(cancel(client, "/go/api/stages/foo/DEV/cancel"), 200, NOT_ACTIVE)
    assert history(client, SEED_HISTORY) == before


def test_cancel_accepts_the_confirm_header_of_gocd_16_3(client: TestClient) -> None:
    assert_text(cancel(client, headers={"Confirm": "TRUE"}), 200, CANCELLED)


def test_cancel_refuses_a_confirm_header_other_than_true(client: TestClient) -> None:
    response = cancel(client, headers={"Confirm": "false"})

    assert_text(response, 400, "Bad Request { 'false' does not match '^[Tt][Rr][Uu][Ee]$' }\n")
    assert history(client)["stages"][0]["result"] == "Unknown"


def test_cancel_of_unknown_pipeline_is_404(client: TestClient) -> None:
    response = cancel(client, "/go/api/stages/nope/first_stage/cancel")

    assert_text(response, 404, "Stage '(pipeline name: nope, stage name first_stage)' not found.\n")


def test_cancel_of_unknown_stage_is_404(client: TestClient) -> None:
    response = cancel(client, "/go/api/stages/demo_pipeline/second_stage/cancel")

    assert_text(response, 404, "Stage '(pipeline name: demo_pipeline, stage name second_stage)' not found.\n")


def test_cancel_without_operate_permission_is_401_and_changes_nothing(client: TestClient) -> None:
    response = cancel(client, auth=VIEWER)

    assert_text(response, 401, "Unauthorized to operate stage named first_stage\n")
    assert "www-authenticate" not in response.headers
    assert history(client)["stages"][0]["result"] == "Unknown"


def test_cancel_says_not_active_before_checking_permission(client: TestClient) -> None:
    assert_text(cancel(client, "/go/api/stages/foo/DEV/cancel", auth=VIEWER), 200, NOT_ACTIVE)


def test_get_on_cancel_is_405_with_allow(client: TestClient) -> None:
    response = client.get(SEED_CANCEL, auth=ADMIN)

    assert (response.status_code, response.headers["allow"]) == (405, "POST")
    assert response.text.startswith("Method Not Allowed { ") and response.text.endswith(" }\n")


# Authentication


def test_missing_credentials_get_a_basic_challenge(client: TestClient) -> None:
    response = client.get(SEED_HISTORY)

    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Basic realm="GoCD"'
    assert response.text.startswith("Unauthorized { Authentication required")


def test_wrong_password_gets_a_basic_challenge(client: TestClient) -> None:
    response = client.post(SEED_CANCEL, auth=("admin", "wrong"))

    assert_text(response, 401, "Unauthorized { Invalid credentials: unknown user or wrong password. }\n")
    assert response.headers["www-authenticate"] == 'Basic realm="GoCD"'
    assert history(client)["stages"][0]["result"] == "Unknown"


# Admin: start a stage run


def test_started_first_stage_opens_a_new_pipeline_run_at_the_top_of_history(client: TestClient) -> None:
    cancel(client)

    run = start_run(client, "demo_pipeline", "first_stage")

    assert (run["id"], run["pipeline_counter"], run["counter"], run["result"]) == (31, 26, "1", "Unknown")
    assert [(job["name"], job["state"]) for job in run["jobs"]] == [("first_job", "Scheduled")]
    assert history(client)["stages"][0] == run
    assert history(client)["pagination"]["total"] == 28


def test_started_run_can_be_cancelled(client: TestClient) -> None:
    start_run(client, "foo", "DEV")

    assert_text(cancel(client, "/go/api/stages/foo/DEV/cancel"), 200, CANCELLED)
    assert history(client, SEED_HISTORY)["stages"][0]["result"] == "Cancelled"


def test_started_later_stage_runs_again_in_the_latest_pipeline_run(client: TestClient) -> None:
    first = start_run(client, "foo", "UATTest")
    cancel(client, "/go/api/stages/foo/UATTest/cancel")
    second = start_run(client, "foo", "UATTest")

    assert [(r["pipeline_counter"], r["counter"]) for r in (first, second)] == [(2, "1"), (2, "2")]


def test_start_is_refused_while_the_stage_is_active(client: TestClient) -> None:
    start_run(client, "demo_pipeline", "first_stage", status=409)


@pytest.mark.parametrize(("pipeline", "stage"), [("nope", "DEV"), ("foo", "nope")])
def test_start_of_unconfigured_stage_is_404(client: TestClient, pipeline: str, stage: str) -> None:
    start_run(client, pipeline, stage, status=404)


def test_state_export_and_import_round_trip(client: TestClient) -> None:
    cancel(client)
    before = history(client)

    import_state(client, lambda state: None)

    assert history(client) == before


def test_import_of_a_run_of_an_unconfigured_stage_is_refused(client: TestClient) -> None:
    state = client.get("/__admin/state").json()["gocd-stages"]
    state["stages"][0]["name"] = "nope"

    assert client.put("/__admin/state", json={"gocd-stages": state}).status_code == 400


# The conformance properties hold on the mock


@pytest.mark.parametrize("check", properties.READ_ONLY, ids=lambda check: check.__name__)
def test_read_only_property_holds(client: TestClient, check: Any) -> None:
    client.auth = ADMIN
    check(client)


@pytest.mark.parametrize("machine", properties.MACHINES, ids=lambda machine: machine.__name__)
def test_machine_property_holds(client: TestClient, machine: Any) -> None:
    client.auth = ADMIN
    run_state_machine_as_test(bind(machine, client), settings=settings(max_examples=5, deadline=None))


# --- the document profile: the seed's own world, in the seed's shape ---------------------------

DOCUMENT_FIXTURE = Path(__file__).resolve().parents[2] / "mock_server" / "fixtures" / "gocd-stages.document.yaml"
# The seed document's printed output of `curl -u admin:badger .../go/api/stages/foo/DEV/history/0`.
DOCUMENT_HISTORY = {
    "stages": [
        {
            "name": "DEV",
            "approved_by": "admin",
            "jobs": [
                {"name": "UnitTest", "result": "Failed", "state": "Completed", "id": 3, "scheduled_date": 1411456876262}
            ],
            "can_run": False,
            "pipeline_counter": 2,
            "pipeline_name": "foo",
            "approval_type": "success",
            "result": "Failed",
            "id": 3,
            "counter": "1",
            "operate_permission": False,
            "scheduled": True,
        },
        {
            "name": "DEV",
            "approved_by": "changes",
            "jobs": [
                {"name": "UnitTest", "result": "Passed", "state": "Completed", "id": 1, "scheduled_date": 1411456676119}
            ],
            "can_run": False,
            "pipeline_counter": 1,
            "pipeline_name": "foo",
            "approval_type": "success",
            "result": "Passed",
            "id": 1,
            "counter": "1",
            "operate_permission": False,
            "scheduled": True,
        },
    ],
    "pagination": {"offset": 0, "total": 2, "page_size": 10},
}


def test_document_fixture_serves_the_seed_documents_exact_history(make_client: Any) -> None:
    client = make_client("gocd-stages", fixtures=DOCUMENT_FIXTURE)
    response = client.get("/go/api/stages/foo/DEV/history/0", auth=ADMIN)
    assert response.status_code == 200
    assert response.json() == DOCUMENT_HISTORY
    assert list(response.json()["stages"][0]) == list(DOCUMENT_HISTORY["stages"][0])  # the document's key order


def test_document_fixture_answers_the_seed_documents_cancel(make_client: Any) -> None:
    client = make_client("gocd-stages", fixtures=DOCUMENT_FIXTURE)
    assert_text(cancel(client), 200, CANCELLED)
    assert_text(cancel(client), 200, NOT_ACTIVE)
