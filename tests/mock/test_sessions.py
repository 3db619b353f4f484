"""Isolated sessions: X-Mock-Session (or the mock_session cookie) gives each caller its own state of all
five APIs, its own tokens, clock and ids; the admin API lists, resets and drops them; LRU bound."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from starlette.testclient import TestClient

AUTH = {"Authorization": "Bearer mock-token"}
STAGE = "/v0/pipelines/ba6d91f0-3d61-4f40-8b26-43d9f7559df9/stages/a7ebf6bf-875d-460b-a617-14d37e308b98/"
OPERATION = "/v0/operations/5743470f-7dcc-4a92-8a4b-f41b1cea69ed/"
EMPTY_JOB, JAG = "c7e2a9f1-4d6b-4f3c-8a1e-2b9d7c5f3e60", "03f4dc97-1245-452d-9d7b-17f8b86473b8"  # Instabase seed ids

# One state-changing request per API, as (method, path, kwargs): each must change that API's export.
WRITES: dict[str, tuple[str, str, dict[str, Any]]] = {
    "esper-stages": ("DELETE", STAGE, {"headers": AUTH}),
    "esper-operations": ("PUT", OPERATION, {"headers": AUTH, "json": {"state": "TIMEOUT"}}),
    "gocd-stages": ("POST", "/go/api/stages/demo_pipeline/first_stage/cancel", {"auth": ("admin", "badger")}),
    "instabase-flow": (
        "POST",
        "/api/v1/jobs/pipelines",
        {
            "headers": AUTH,
            "json": {
                "job_id": "c7e2a9f1-4d6b-4f3c-8a1e-2b9d7c5f3e60",
                "pipeline_ids": ["03f4dc97-1245-452d-9d7b-17f8b86473b8"],
            },
        },
    ),
    "zenml-pipelines": ("POST", "/api/v1/login", {"data": {"username": "default", "password": ""}}),
}


def in_session(name: str | None) -> dict[str, str]:
    return {"X-Mock-Session": name} if name else {}


def write(client: TestClient, api: str, session: str) -> None:
    method, path, kwargs = WRITES[api]
    headers = {**kwargs.get("headers", {}), **in_session(session)}
    response = client.request(method, path, **{**kwargs, "headers": headers})
    assert response.status_code == 200, response.text


def export(client: TestClient, session: str = "default") -> dict[str, Any]:
    response = client.get("/__admin/state", params={"session": session})
    assert response.status_code == 200, response.text
    state: dict[str, Any] = response.json()
    return state


@pytest.mark.parametrize("api", sorted(WRITES))
def test_a_write_in_one_session_changes_only_that_session(make_client, api: str) -> None:
    client = make_client(api)
    before = export(client)
    client.get("/", headers=in_session("b"))  # b exists before a writes
    write(client, api, "a")
    assert export(client, "a")[api] != before[api]
    assert export(client) == before
    assert export(client, "b") == before


def test_every_session_starts_from_the_same_fixtures_and_ids(make_client) -> None:
    client = make_client("esper-stages")
    stages = STAGE.rsplit("/", 2)[0] + "/"
    created = [
        client.post(stages, json={"name": "x", "type": "APP_INSTALL"}, headers={**AUTH, **in_session(s)}).json()
        for s in ("a", "b")
    ]
    assert created[0]["content"]["id"] == created[1]["content"]["id"]  # seeded ids repeat per session
    assert export(client, "a") == export(client, "b") != export(client)


def test_a_zenml_token_is_valid_only_in_the_session_that_issued_it(make_client) -> None:
    client = make_client("zenml-pipelines")
    login = client.post("/api/v1/login", data={"username": "default", "password": ""}, headers=in_session("a"))
    token = {"Authorization": f"Bearer {login.json()['access_token']}"}
    assert client.get("/api/v1/pipelines", headers={**token, **in_session("a")}).status_code == 200
    assert client.get("/api/v1/pipelines", headers={**token, **in_session("b")}).status_code == 401
    assert client.get("/api/v1/pipelines", headers=token).status_code == 401


def test_the_cookie_names_the_session_when_no_header_does(make_client) -> None:
    client = make_client("esper-stages")
    assert client.delete(STAGE, headers={**AUTH, "Cookie": "theme=dark; mock_session=c"}).status_code == 200
    assert client.get(STAGE, headers={**AUTH, "Cookie": "mock_session=c"}).status_code == 404
    assert client.get(STAGE, headers={**AUTH, "Cookie": "mock_session=c", **in_session("d")}).status_code == 200
    assert client.get(STAGE, headers=AUTH).status_code == 200


def test_each_session_has_its_own_clock(make_client) -> None:
    client = make_client("esper-operations")
    moved = client.post("/__admin/clock/advance", params={"session": "a"}, json={"seconds": 3600})
    assert moved.status_code == 404  # a has not been used yet
    client.get("/", headers=in_session("a"))
    a = client.post("/__admin/clock/advance", params={"session": "a"}, json={"seconds": 86400}).json()["now"]
    default = client.post("/__admin/clock/advance", json={"seconds": 0}).json()["now"]
    assert a[:10] > default[:10]


MALFORMED: dict[str, tuple[str, dict[str, Any], Any]] = {
    "esper-stages": (
        STAGE,
        {"headers": AUTH},
        lambda r: r.json()["code"] == 400 and "X-Mock-Session" in r.json()["message"],
    ),
    "gocd-stages": (
        "/go/api/stages/foo/DEV/history/0",
        {"auth": ("admin", "badger")},
        lambda r: r.text.startswith("Bad Request { X-Mock-Session"),
    ),
    "instabase-flow": ("/api/v1/flow/pipeline", {"headers": AUTH}, lambda r: r.json()["status"] == "ERROR"),
    "zenml-pipelines": ("/api/v1/pipelines", {}, lambda r: "X-Mock-Session" in r.json()["detail"]),
    "esper-operations": ("/v0/operations/", {"headers": AUTH}, lambda r: r.json()["content"] == {}),
}


@pytest.mark.parametrize("api", sorted(MALFORMED))
@pytest.mark.parametrize("name", ["a b", "", "x" * 65, "a/b"])
def test_a_malformed_session_name_is_a_400_in_the_apis_own_format(make_client, api: str, name: str) -> None:
    client = make_client(api)
    path, kwargs = MALFORMED[api][:2]
    headers = {**kwargs.get("headers", {}), "X-Mock-Session": name}
    response = client.get(path, **{**kwargs, "headers": headers})
    assert response.status_code == 400
    assert MALFORMED[api][2](response), response.text
    assert [s["name"] for s in client.get("/__admin/sessions").json()["sessions"]] == ["default"]


def test_sessions_are_listed_reset_and_deleted(make_client) -> None:
    client = make_client("esper-stages", own_app=True)  # a renewed app keeps the default session's request count
    client.delete(STAGE, headers={**AUTH, **in_session("a")})
    listed = client.get("/__admin/sessions").json()
    assert [(s["name"], s["requests"]) for s in listed["sessions"]] == [("default", 0), ("a", 1)]
    assert listed["max_sessions"] == 100
    assert client.post("/__admin/sessions/a/reset").json()["name"] == "a"
    assert client.get(STAGE, headers={**AUTH, **in_session("a")}).status_code == 200
    assert client.delete("/__admin/sessions/a").json() == {"deleted": "a"}
    assert client.delete("/__admin/sessions/a").status_code == 404
    assert client.delete("/__admin/sessions/default").status_code == 400
    assert client.get("/__admin/state", params={"session": "a"}).status_code == 404


def test_reset_is_the_default_session_unless_all(make_client) -> None:
    client = make_client("esper-stages")
    for session in (None, "a"):
        client.delete(STAGE, headers={**AUTH, **in_session(session)})
    assert client.post("/__admin/reset").json()["sessions"] == ["default"]
    assert client.get(STAGE, headers={**AUTH, **in_session("a")}).status_code == 404
    assert client.post("/__admin/reset", params={"all": "true"}).json()["sessions"] == ["default", "a"]
    assert client.get(STAGE, headers={**AUTH, **in_session("a")}).status_code == 200


def test_state_can_be_loaded_into_a_new_session(make_client) -> None:
    client = make_client("esper-stages")
    state = export(client)
    state["esper-stages"].update(stages=[], attachments=[])
    assert client.put("/__admin/state", params={"session": "new"}, json=state).status_code == 200
    assert client.get(STAGE, headers={**AUTH, **in_session("new")}).status_code == 404
    assert client.get(STAGE, headers=AUTH).status_code == 200


def test_the_least_recently_used_session_is_dropped_and_logged(make_client, caplog) -> None:
    client = make_client("esper-stages", max_sessions=2)
    for name in ("a", "b", "a", "c"):  # b is the least recently used when c arrives
        client.get(STAGE, headers={**AUTH, **in_session(name)})
    names = [s["name"] for s in client.get("/__admin/sessions").json()["sessions"]]
    assert names == ["default", "a", "c"]
    assert any("'b' dropped" in r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)


def test_cors_preflight_allows_the_session_header(make_client) -> None:
    client = make_client("esper-stages")
    response = client.options(
        STAGE,
        headers={
            "Origin": "http://localhost:3000",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization, x-mock-session",
        },
    )
    assert response.status_code == 200
    assert "x-mock-session" in response.headers["access-control-allow-headers"].lower()
