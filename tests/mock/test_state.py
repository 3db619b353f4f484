"""State that outlives a request: import after reset keeps ids unique, and `--state-file` survives restarts.

The id tests run seeded (conftest's `make_client`): a seeded id sequence restarts on reset, which is
exactly when an import of an earlier export used to hand the same ids out again.
"""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

ESPER = {"Authorization": "Bearer mock-token"}


def reimport_after_reset(client: TestClient) -> None:
    """Export, reset (the seeded sequences restart), import the export: the state a restart would load."""
    state = client.get("/__admin/state").json()
    assert client.post("/__admin/reset").status_code == 200
    response = client.put("/__admin/state", json=state)
    assert response.status_code == 200, response.text


def test_esper_stages_created_after_an_import_get_new_ids(make_client: Any) -> None:
    client = make_client("esper-stages")
    url = "/v0/pipelines/ba6d91f0-3d61-4f40-8b26-43d9f7559df9/stages/"
    first = client.post(url, json={"name": "first"}, headers=ESPER).json()["content"]
    reimport_after_reset(client)
    second = client.post(url, json={"name": "second"}, headers=ESPER).json()["content"]
    assert second["id"] != first["id"]
    listed = {s["id"]: s["name"] for s in client.get(url, headers=ESPER).json()["content"]["results"]}
    assert listed[first["id"]] == "first" and listed[second["id"]] == "second"


def test_esper_operations_created_after_an_import_get_new_ids(make_client: Any) -> None:
    client = make_client("esper-operations")
    body = {"operation_type": "CONVERGE", "schedule_type": "IMMEDIATE", "operation_device_query": {"device_ids": "a"}}
    first = client.post("/v0/operations/", json=body, headers=ESPER).json()["content"]
    reimport_after_reset(client)
    second = client.post("/v0/operations/", json=body, headers=ESPER).json()["content"]
    assert second["id"] != first["id"]
    assert client.get(f"/v0/operations/{first['id']}/", headers=ESPER).status_code == 200


def test_gocd_runs_started_after_an_import_get_new_ids(make_client: Any) -> None:
    client = make_client("gocd-stages")

    def start() -> dict[str, Any]:
        response = client.post("/__admin/gocd-stages/start-stage-run", json={"pipeline": "foo", "stage": "DEV"})
        assert response.status_code == 200, response.text
        return response.json()

    first = start()
    cancelled = client.post("/go/api/stages/foo/DEV/cancel", auth=("admin", "badger"), headers={"Confirm": "true"})
    assert cancelled.status_code == 200, cancelled.text
    reimport_after_reset(client)
    second = start()
    assert second["id"] > first["id"]
    assert {j["id"] for j in second["jobs"]}.isdisjoint(j["id"] for j in first["jobs"])


def zenml_login(client: TestClient) -> str:
    response = client.post("/api/v1/login", data={"username": "default", "password": ""})
    assert response.status_code == 200, response.text
    client.cookies.clear()
    return str(response.json()["access_token"])


def test_zenml_items_and_tokens_made_after_an_import_are_new(make_client: Any) -> None:
    client = make_client("zenml-pipelines")
    project = "41690570-a25e-40a6-8306-f2a86a6e6fda"
    old_token = zenml_login(client)
    auth = {"Authorization": f"Bearer {old_token}"}
    first = client.post("/api/v1/pipelines", json={"name": "first", "project": project}, headers=auth).json()
    reimport_after_reset(client)
    new_token = zenml_login(client)
    assert new_token != old_token
    second = client.post("/api/v1/pipelines", json={"name": "second", "project": project}, headers=auth)
    assert second.status_code == 200, second.text
    assert second.json()["id"] != first["id"]
    third = client.post("/api/v1/pipelines", json={"name": "third", "project": project, "tags": ["new"]}, headers=auth)
    assert third.status_code == 200, third.text  # a later create (and a new tag) reuses nothing either
    ids = [p["id"] for p in client.get("/api/v1/pipelines", headers=auth, params={"size": 100}).json()["items"]]
    assert len(ids) == len(set(ids)) == 7
