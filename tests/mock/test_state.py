"""State across reset and import, for every API: with `--seed`, ids start their sequence again on reset, so
after importing an exported state a new object must skip the ids that state holds (issue 10.11)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from starlette.testclient import TestClient

from mock_server.ids_and_clocks import Ids, version_4

ESPER = {"Authorization": "Bearer mock-token"}
STAGES = "/v0/pipelines/ba6d91f0-3d61-4f40-8b26-43d9f7559df9/stages/"
ZENML_PROJECT = "41690570-a25e-40a6-8306-f2a86a6e6fda"
OPERATION = {"operation_type": "REBOOT", "schedule_type": "IMMEDIATE", "operation_device_query": {"device_ids": "d1"}}


def reset_and_import(client: TestClient, api: str) -> None:
    """What a developer does to go back to a saved state: export, reset, import the export."""
    saved = client.get("/__admin/state").json()[api]
    client.post("/__admin/reset").raise_for_status()
    client.put("/__admin/state", json={api: saved}).raise_for_status()


def ok(response: Any) -> Any:
    assert response.status_code in (200, 201), response.text
    return response.json()


def esper_stage(client: TestClient) -> str:
    return str(ok(client.post(STAGES, json={"name": "s"}, headers=ESPER))["content"]["id"])


def esper_operation(client: TestClient) -> str:
    return str(ok(client.post("/v0/operations/", json=OPERATION, headers=ESPER))["content"]["id"])


def zenml_headers(client: TestClient) -> dict[str, str]:
    token = ok(client.post("/api/v1/login", data={"username": "default", "password": ""}))["access_token"]
    return {"Authorization": f"Bearer {token}"}


def zenml_pipeline(client: TestClient) -> str:
    body = {"name": f"p{len(client.get('/__admin/state').json()['zenml-pipelines']['pipelines'])}"}
    body |= {"project": ZENML_PROJECT, "tags": [f"t-{body['name']}"]}
    return str(ok(client.post("/api/v1/pipelines", json=body, headers=zenml_headers(client)))["id"])


def gocd_run(client: TestClient) -> str:
    body = {"pipeline": "foo", "stage": "DEV"}
    run = ok(client.post("/__admin/gocd-stages/start-stage-run", json=body))
    client.post("/go/api/stages/foo/DEV/cancel", auth=("admin", "badger"), content=b"")  # so it may run again
    return str(run["id"])


CREATES: dict[str, Callable[[TestClient], str]] = {
    "esper-stages": esper_stage,
    "esper-operations": esper_operation,
    "zenml-pipelines": zenml_pipeline,
    "gocd-stages": gocd_run,
}


@pytest.mark.parametrize("api", sorted(CREATES))
def test_a_create_after_reset_and_import_reuses_no_id(make_client: Any, api: str) -> None:
    client = make_client(api)
    first = CREATES[api](client)
    reset_and_import(client, api)
    second = CREATES[api](client)
    assert second != first
    state = client.get("/__admin/state").json()[api]
    assert first in str(state) and second in str(state)  # nothing overwritten


def test_esper_stages_keep_every_stage_after_reset_and_import(make_client: Any) -> None:
    client = make_client("esper-stages")
    before = client.get(STAGES, headers=ESPER).json()["content"]["results"]
    first = esper_stage(client)
    reset_and_import(client, "esper-stages")
    esper_stage(client)
    after = client.get(STAGES, headers=ESPER).json()["content"]["results"]
    assert after[: len(before)] == before and len(after) == len(before) + 2  # before: the first one vanished
    assert first in [s["id"] for s in after]


def test_zenml_creates_work_on_after_reset_and_import(make_client: Any) -> None:
    client = make_client("zenml-pipelines")
    zenml_pipeline(client)
    reset_and_import(client, "zenml-pipelines")
    for _ in range(3):  # before: two pipelines shared an id, and a later create was a 500 KeyError
        zenml_pipeline(client)
    state = client.get("/__admin/state").json()["zenml-pipelines"]
    ids = [p["id"] for p in state["pipelines"]]
    tag_ids = [t["id"] for t in state["tags"]]
    assert len(ids) == len(set(ids)) and len(tag_ids) == len(set(tag_ids))
    listed = client.get("/api/v1/pipelines", params={"size": 100}, headers=zenml_headers(client)).json()
    assert listed["total"] == len(ids)


def test_zenml_token_after_reset_and_import_is_a_new_one(make_client: Any) -> None:
    client = make_client("zenml-pipelines")
    before = zenml_headers(client)
    reset_and_import(client, "zenml-pipelines")
    after = zenml_headers(client)
    assert after != before
    tokens = client.get("/__admin/state").json()["zenml-pipelines"]["tokens"]
    assert len(tokens) == 2


def test_instabase_update_after_reset_and_import_keeps_the_earlier_update(make_client: Any) -> None:
    # Instabase creates no ids (jobs are the client's); an import must still carry every change.
    client = make_client("instabase-flow")
    udit, seed_job, empty_job = (
        "e05cc5f7-b199-49a6-b1bc-f17dc5247e0c",
        "f403399d-7ac7-4285-bb06-f7ad82ddbea2",
        "c7e2a9f1-4d6b-4f3c-8a1e-2b9d7c5f3e60",
    )
    ok(client.post("/api/v1/jobs/pipelines", json={"job_id": seed_job, "pipeline_ids": [udit]}, headers=ESPER))
    reset_and_import(client, "instabase-flow")
    ok(client.post("/api/v1/jobs/pipelines", json={"job_id": empty_job, "pipeline_ids": [udit]}, headers=ESPER))
    jobs = {j["job_id"]: j["pipeline_ids"] for j in client.get("/__admin/state").json()["instabase-flow"]["jobs"]}
    assert jobs[seed_job] == [udit] and jobs[empty_job] == [udit]


@given(st.integers(min_value=0, max_value=2**128 - 1))
def test_a_new_id_is_the_version_4_uuid_of_its_bits(bits: int) -> None:
    assert version_4(bits) == str(uuid.UUID(int=bits, version=4))


def test_seeded_ids_and_tokens_repeat_and_unseeded_tokens_do_not() -> None:
    assert [Ids(7).uuid(), Ids(7).token()] == [Ids(7).uuid(), Ids(7).token()]
    assert Ids().token() != Ids().token()
    assert len(Ids().token()) == 32
