"""The Instabase Flow Pipeline mock behaves as specs/instabase-flow.yaml says (response validation on)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import settings
from hypothesis.stateful import run_state_machine_as_test

from conformance.properties import bind
from conformance.properties import instabase_flow as properties
from contracts import load_spec

API = "instabase-flow"
LIST_PATHS = ("/api/v1/flow/pipeline", "/api/v1/jobs/pipelines")
UPDATE = "/api/v1/jobs/pipelines"

ADMIN = {"Authorization": "Bearer mock-token"}
ANALYST = {"Authorization": "Bearer mock-token-analyst"}

ALL_PERMISSIONS = [
    "flow_pipeline:read",
    "flow_pipeline:execute",
    "flow_pipeline:delete",
    "flow_pipeline:manage_pipelines",
    "flow_pipeline:write",
]
SEED_JOB = "f403399d-7ac7-4285-bb06-f7ad82ddbea2"
EMPTY_JOB = "c7e2a9f1-4d6b-4f3c-8a1e-2b9d7c5f3e60"
PIPELINE_NAME = "8c400d55-15d4-41f9-b306-ec2836898d83"
UDIT = "e05cc5f7-b199-49a6-b1bc-f17dc5247e0c"
JAG = "03f4dc97-1245-452d-9d7b-17f8b86473b8"
INVOICE = "5b0e7a8c-2f4d-4c1e-9a3b-7d6f1e2c8a90"  # flow-analyst has no grant on it
FINANCE = "9d2c4e6a-1b3f-4a5d-8e7c-0f9a2b4c6d81"  # flow-admin may only read and execute it
SANDBOX = "a1f3c5e7-9b2d-4f6a-8c0e-3d5b7f9a1c24"  # flow-analyst manages it; flow-admin has no grant
UNKNOWN = "00000000-0000-4000-8000-000000000000"


@pytest.fixture
def client(make_client):
    return make_client(API)


def listed(client, headers=ADMIN, path=LIST_PATHS[0]) -> dict[str, dict[str, Any]]:
    response = client.get(path, headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "OK"
    return {p["id"]: p for p in body["pipelines"]}


def update(client, job_id: str, pipeline_ids: list[Any], headers=ADMIN) -> dict[str, Any]:
    response = client.post(UPDATE, json={"job_id": job_id, "pipeline_ids": pipeline_ids}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def exported(client) -> dict[str, Any]:
    return client.get("/__admin/state").json()[API]


def job_pipelines(client, job_id: str) -> list[str]:
    return next(job["pipeline_ids"] for job in exported(client)["jobs"] if job["job_id"] == job_id)


# --- the seed's own examples ------------------------------------------------------------------


def test_seed_list_example_lists_pipeline_name_with_all_permissions(client):
    # Given the default fixtures, When the seed's example GET runs (on the path it calls)
    pipelines = listed(client, path="/api/v1/jobs/pipelines")
    # Then its example pipeline comes back exactly as the seed shows it
    assert pipelines[PIPELINE_NAME] == {
        "name": "pipeline_name",
        "id": PIPELINE_NAME,
        "permissions": ALL_PERMISSIONS,
        "is_manager": True,
    }


def test_seed_update_example_returns_seed_response(client):
    # Given the seed's request, sent as the seed sends it: requests.post(data=json string), no Content-Type
    args = {"job_id": SEED_JOB, "pipeline_ids": [UDIT, JAG]}
    # When it is posted
    response = client.post(UPDATE, content=json.dumps(args), headers=ADMIN)
    # Then the seed's response comes back, with HTTP 200
    assert response.status_code == 200
    assert response.json() == {
        "status": "OK",
        "updated_pipelines": [
            {"flowPipelineName": "udit-test", "flowPipelineId": UDIT},
            {"flowPipelineName": "jag-test", "flowPipelineId": JAG},
        ],
    }


def test_spec_examples_match_the_default_fixtures(client):
    spec = load_spec(API)
    listing = spec["components"]["responses"]["PipelineList"]["content"]["application/json"]["examples"]
    assert client.get(LIST_PATHS[0], headers=ADMIN).json() == listing["default_user"]["value"]
    update_op = spec["paths"][UPDATE]["post"]
    request = update_op["requestBody"]["content"]["application/json"]["examples"]["seed"]["value"]
    answer = update_op["responses"]["200"]["content"]["application/json"]["examples"]["seed"]["value"]
    assert client.post(UPDATE, json=request, headers=ADMIN).json() == answer


# --- list -------------------------------------------------------------------------------------


def test_both_list_paths_answer_the_same(client):
    first, second = (client.get(path, headers=ADMIN) for path in LIST_PATHS)
    assert first.status_code == second.status_code == 200
    assert first.json() == second.json()


def test_list_shows_only_pipelines_the_caller_can_read_with_the_callers_permissions(client):
    # When the analyst lists
    pipelines = listed(client, headers=ANALYST)
    # Then the pipeline they hold no grant on is missing, and each shows the analyst's own rights
    assert INVOICE not in pipelines
    assert pipelines[UDIT]["permissions"] == ["flow_pipeline:read"]
    assert pipelines[JAG]["permissions"] == ["flow_pipeline:read", "flow_pipeline:execute", "flow_pipeline:write"]
    assert pipelines[SANDBOX]["is_manager"] is True


def test_default_user_does_not_list_a_pipeline_without_read(client):
    assert SANDBOX not in listed(client)
    assert SANDBOX in listed(client, headers=ANALYST)


def test_is_manager_is_per_caller(client):
    pipelines = listed(client)
    assert pipelines[PIPELINE_NAME]["is_manager"] is True
    assert pipelines[FINANCE]["is_manager"] is False
    assert pipelines[FINANCE]["permissions"] == ["flow_pipeline:read", "flow_pipeline:execute"]


def test_list_comes_from_the_state(client):
    # Given a state with one extra pipeline the admin reads
    data = exported(client)
    grant = {"permissions": ["flow_pipeline:read"], "is_manager": False}
    data["pipelines"].append({"id": UNKNOWN, "name": "added", "grants": {"flow-admin": grant}})
    assert client.put("/__admin/state", json={API: data}).status_code == 200
    # When the admin lists, Then it is there, last, in fixture order
    pipelines = listed(client)
    assert list(pipelines)[-1] == UNKNOWN
    assert pipelines[UNKNOWN] == {"name": "added", "id": UNKNOWN, **grant}


# --- update -----------------------------------------------------------------------------------


def test_update_replaces_the_jobs_pipelines(client):
    body = update(client, SEED_JOB, [JAG, INVOICE])
    assert body["status"] == "OK"
    assert [p["flowPipelineId"] for p in body["updated_pipelines"]] == [JAG, INVOICE]
    assert job_pipelines(client, SEED_JOB) == [JAG, INVOICE]


def test_repeating_an_update_gives_the_same_answer(client):
    first = update(client, SEED_JOB, [UDIT, JAG])
    again = update(client, SEED_JOB, [UDIT, JAG])
    assert again == first
    assert job_pipelines(client, SEED_JOB) == [UDIT, JAG]


def test_empty_list_removes_every_pipeline(client):
    body = update(client, SEED_JOB, [])
    assert body == {"status": "OK", "updated_pipelines": []}
    assert job_pipelines(client, SEED_JOB) == []


def test_updated_pipelines_follow_request_order(client):
    body = update(client, EMPTY_JOB, [JAG, PIPELINE_NAME, UDIT])
    assert [p["flowPipelineName"] for p in body["updated_pipelines"]] == ["jag-test", "pipeline_name", "udit-test"]


def test_repeated_ids_count_once_at_their_first_position(client):
    body = update(client, EMPTY_JOB, [JAG, UDIT, JAG, UDIT])
    assert [p["flowPipelineId"] for p in body["updated_pipelines"]] == [JAG, UDIT]
    assert job_pipelines(client, EMPTY_JOB) == [JAG, UDIT]


# --- v1 execution errors: HTTP 200, status ERROR, nothing changed ------------------------------


def test_unknown_job_is_a_v1_error_and_changes_nothing(client):
    before = exported(client)
    body = update(client, UNKNOWN, [UDIT])
    assert body["status"] == "ERROR"
    assert UNKNOWN in body["msg"] and "not found" in body["msg"]
    assert exported(client) == before


def test_one_unknown_pipeline_refuses_the_whole_update(client):
    before = exported(client)
    body = update(client, SEED_JOB, [UDIT, UNKNOWN])
    assert body["status"] == "ERROR"
    assert UNKNOWN in body["msg"] and UDIT not in body["msg"]
    assert "updated_pipelines" not in body
    assert exported(client) == before


def test_a_pipeline_the_caller_cannot_read_is_not_found(client):
    body = update(client, EMPTY_JOB, [INVOICE], headers=ANALYST)
    assert body["status"] == "ERROR"
    assert INVOICE in body["msg"] and "not found" in body["msg"]
    assert job_pipelines(client, EMPTY_JOB) == []


def test_attaching_needs_write_or_manage_permission(client):
    # Given the analyst reads udit-test but may not write it
    body = update(client, EMPTY_JOB, [JAG, UDIT], headers=ANALYST)
    assert body["status"] == "ERROR"
    assert "Permission denied" in body["msg"] and UDIT in body["msg"] and JAG not in body["msg"]
    assert job_pipelines(client, EMPTY_JOB) == []


def test_attaching_with_write_permission_works(client):
    body = update(client, EMPTY_JOB, [JAG], headers=ANALYST)
    assert body == {"status": "OK", "updated_pipelines": [{"flowPipelineName": "jag-test", "flowPipelineId": JAG}]}


def test_detaching_needs_write_or_manage_permission(client):
    # Given the seed job holds pipeline_name, which the analyst only reads and executes
    body = update(client, SEED_JOB, [], headers=ANALYST)
    assert body["status"] == "ERROR"
    assert PIPELINE_NAME in body["msg"]
    assert job_pipelines(client, SEED_JOB) == [PIPELINE_NAME]


def test_keeping_a_pipeline_needs_only_read_permission(client):
    body = update(client, SEED_JOB, [PIPELINE_NAME, JAG], headers=ANALYST)
    assert body["status"] == "OK"
    assert job_pipelines(client, SEED_JOB) == [PIPELINE_NAME, JAG]


def test_a_manager_without_write_permission_on_another_pipeline_is_refused(client):
    # flow-admin only reads and executes finance-shared
    body = update(client, EMPTY_JOB, [FINANCE])
    assert body["status"] == "ERROR"
    assert FINANCE in body["msg"]


# --- requests that break the spec: 400 / 415 in the v1 error format ----------------------------


@pytest.mark.parametrize(
    "body",
    [
        {"pipeline_ids": [UDIT]},
        {"job_id": SEED_JOB},
        {"job_id": SEED_JOB, "pipeline_ids": UDIT},  # the seed's table says "string"; it is a list
        {"job_id": SEED_JOB, "pipeline_ids": [1, 2]},
        {"job_id": 7, "pipeline_ids": []},
        [SEED_JOB],
    ],
    ids=["no job_id", "no pipeline_ids", "ids as string", "ids not strings", "job_id not string", "not an object"],
)
def test_schema_violation_is_400_in_v1_format_and_changes_nothing(client, body):
    before = exported(client)
    response = client.post(UPDATE, json=body, headers=ADMIN)
    assert response.status_code == 400
    assert response.json()["status"] == "ERROR"
    assert "job_id" in response.json()["msg"]  # says what a valid body looks like
    assert exported(client) == before


def test_malformed_json_is_400(client):
    response = client.post(UPDATE, content=b'{"job_id": ', headers={**ADMIN, "Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json()["status"] == "ERROR"


def test_non_json_content_type_is_415(client):
    response = client.post(UPDATE, content=b"job_id=x", headers={**ADMIN, "Content-Type": "text/plain"})
    assert response.status_code == 415
    assert response.json() == {
        "status": "ERROR",
        "msg": "Invalid Content-type (text/plain), expected ['application/json']",
    }


def test_undocumented_method_is_405_with_allow(client):
    response = client.delete(UPDATE, headers=ADMIN)
    assert response.status_code == 405
    assert response.headers["Allow"] == "GET, HEAD, POST"
    assert response.json()["status"] == "ERROR"


# --- auth -------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", LIST_PATHS)
def test_missing_token_is_401_in_v1_format(client, path):
    response = client.get(path)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert response.json()["status"] == "ERROR"
    assert "Bearer" in response.json()["msg"]


@pytest.mark.parametrize("token", ["not-a-token", "SCHEMATHESIS-INVALID-VALUE"])
def test_unknown_token_is_401_and_changes_nothing(client, token):
    before = exported(client)
    response = client.post(
        UPDATE, json={"job_id": SEED_JOB, "pipeline_ids": []}, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 401
    assert response.json()["status"] == "ERROR"
    assert exported(client) == before


def test_any_token_mode_acts_as_the_default_user(make_client):
    client = make_client(API, any_token=True)
    assert listed(client, headers={"Authorization": "Bearer whatever"}) == listed(client)


# --- state ------------------------------------------------------------------------------------


def test_exported_state_imports_back_unchanged(client):
    update(client, SEED_JOB, [JAG])
    data = exported(client)
    assert client.put("/__admin/state", json={API: data}).status_code == 200
    assert exported(client) == data


def test_import_with_unknown_permission_is_refused(client):
    data = exported(client)
    data["pipelines"][0]["grants"]["flow-admin"]["permissions"] = ["flow_pipeline:fly"]
    response = client.put("/__admin/state", json={API: data})
    assert response.status_code == 400
    assert "flow_pipeline:fly" in response.text


def test_reset_restores_the_fixtures(client):
    update(client, SEED_JOB, [])
    client.post("/__admin/reset")
    assert job_pipelines(client, SEED_JOB) == [PIPELINE_NAME]


# --- the conformance properties hold against the mock ------------------------------------------


def test_conformance_properties_hold(client):
    client.headers["Authorization"] = ADMIN["Authorization"]
    for check in properties.READ_ONLY:
        check(client)
    for machine in properties.MACHINES:
        run_state_machine_as_test(
            bind(machine, client), settings=settings(max_examples=5, stateful_step_count=10, database=None)
        )


# --- pipelines the caller cannot see ------------------------------------------------------------


FINANCE_JOB = "2a6f1c3e-8b4d-4e7a-9c2f-5d1b3a7e9f04"  # invoice-extraction (invisible to the analyst), finance-shared


def test_update_keeps_pipelines_the_caller_cannot_see_and_does_not_name_them(client):
    # Given a job holding a pipeline the analyst cannot list
    # When the analyst replaces the job's pipelines with only what they can see
    body = update(client, FINANCE_JOB, [FINANCE], headers=ANALYST)
    # Then the update goes through without naming the invisible pipeline, which stays attached
    assert body == {
        "status": "OK",
        "updated_pipelines": [{"flowPipelineName": "finance-shared", "flowPipelineId": FINANCE}],
    }
    assert INVOICE not in str(body)
    job = next(j for j in exported(client)["jobs"] if j["job_id"] == FINANCE_JOB)
    assert set(job["pipeline_ids"]) == {FINANCE, INVOICE}


def test_permission_error_never_names_a_pipeline_the_caller_cannot_see(client):
    body = update(client, FINANCE_JOB, [], headers=ANALYST)  # detaching finance-shared needs write
    assert body["status"] == "ERROR" and INVOICE not in body["msg"]
    assert FINANCE in body["msg"]


# --- bodies labelled as a form ------------------------------------------------------------------


def test_json_sent_as_a_form_as_curl_d_does_is_read_as_json(client):
    text = json.dumps({"job_id": EMPTY_JOB, "pipeline_ids": [JAG]})
    headers = {**ADMIN, "Content-Type": "application/x-www-form-urlencoded"}
    response = client.post(UPDATE, content=text.encode(), headers=headers)
    assert response.status_code == 200, response.text
    assert response.json() == {
        "status": "OK",
        "updated_pipelines": [{"flowPipelineName": "jag-test", "flowPipelineId": JAG}],
    }
    assert job_pipelines(client, EMPTY_JOB) == [JAG]


def test_a_real_form_body_is_400_saying_to_send_json(client):
    headers = {**ADMIN, "Content-Type": "application/x-www-form-urlencoded"}
    response = client.post(UPDATE, content=f"job_id={EMPTY_JOB}&pipeline_ids={JAG}".encode(), headers=headers)
    assert response.status_code == 400
    assert response.json()["status"] == "ERROR" and "Send a JSON object" in response.json()["msg"]
    assert job_pipelines(client, EMPTY_JOB) == []
