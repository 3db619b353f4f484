"""`--record`: what a real server answered through the proxy, written as a fixture a fresh mock serves alike."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from starlette.testclient import TestClient

from mock_server import Settings, create_app
from mock_server.testing import serve, serve_app

LOGIN = {"username": "default", "password": ""}


@contextmanager
def recording(api: str, file: Path) -> Iterator[TestClient]:
    """The default mock of `api` as the real server, a recording proxy in front of it."""
    with serve_app(create_app(Settings(apis=(api,), seed=0))) as upstream:
        settings = Settings(apis=(api,), proxies=((api, upstream),), record=file, seed=0)
        with TestClient(create_app(settings), base_url="http://localhost") as client:
            yield client


def zenml_session(http: httpx.Client | TestClient) -> dict[str, Any]:
    """What a client sees: its user, projects, stacks, and pipelines by pages (hydrated and not)."""
    token = http.post("/api/v1/login", data=LOGIN).json()["access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    seen: dict[str, Any] = {"me": http.get("/api/v1/current-user", headers=auth).json()["name"]}
    seen["projects"] = [p["name"] for p in http.get("/api/v1/projects", headers=auth).json()["items"]]
    seen["stacks"] = [s["name"] for s in http.get("/api/v1/stacks", headers=auth).json()["items"]]
    pages = [http.get("/api/v1/pipelines", params={"size": 2, "page": n}, headers=auth).json() for n in (1, 2)]
    seen["pages"] = [(p["index"], p["total_pages"], p["total"], [i["name"] for i in p["items"]]) for p in pages]
    hydrated = http.get("/api/v1/pipelines", params={"hydrate": "true"}, headers=auth).json()["items"]
    seen["described"] = {p["name"]: p["metadata"]["description"] for p in hydrated}
    seen["tags"] = {p["name"]: sorted(t["name"] for t in p["resources"]["tags"]) for p in hydrated}
    seen["runs"] = {p["name"]: p["resources"]["latest_run_status"] for p in hydrated}
    return seen


def test_zenml_recording_serves_the_same_objects(tmp_path: Path) -> None:
    file = tmp_path / "zenml.yaml"
    with recording("zenml-pipelines", file) as proxy:
        real = zenml_session(proxy)
        flushed = proxy.post("/__admin/record/flush")
    assert flushed.status_code == 200, flushed.text
    assert flushed.json()["objects"]["zenml-pipelines"]["pipelines"] == 4
    with serve("zenml-pipelines", fixtures=file) as mock, httpx.Client(base_url=mock.base_url) as http:
        assert zenml_session(http) == real


def test_gocd_recording_serves_the_same_history(tmp_path: Path) -> None:
    file = tmp_path / "gocd.yaml"
    paths = [
        "/go/api/stages/foo/DEV/history",
        *(f"/go/api/stages/demo_pipeline/first_stage/history/{n}" for n in (0, 10, 20)),
    ]
    with recording("gocd-stages", file) as proxy:
        real = [proxy.get(path, auth=("admin", "badger")).json() for path in paths]
    # written at shutdown, with no flush asked for
    with serve("gocd-stages", fixtures=file) as mock, httpx.Client(base_url=mock.base_url) as http:
        assert [http.get(path, auth=("admin", "badger")).json() for path in paths] == real


def test_the_recording_names_its_credentials_and_holds_no_secret_from_the_wire(tmp_path: Path) -> None:
    file = tmp_path / "rec.yaml"
    with recording("zenml-pipelines", file) as proxy:
        token = proxy.post("/api/v1/login", data=LOGIN).json()["access_token"]
        proxy.get("/api/v1/pipelines", headers={"Authorization": f"Bearer {token}"})
    text = file.read_text()
    assert text.startswith("# Recorded by mock-server --proxy --record")
    assert "users default, each with the empty password" in text
    assert token not in text
    assert yaml.safe_load(text)["zenml-pipelines"]["tokens"] == []


def test_flush_without_record_says_how_to_turn_it_on() -> None:
    with TestClient(create_app(Settings(apis=("gocd-stages",))), base_url="http://localhost") as client:
        response = client.post("/__admin/record/flush")
    assert response.status_code == 404
    assert "--record FILE" in response.json()["detail"]


KEY = {"Authorization": "Bearer mock-token"}
STAGES = "/v0/pipelines/ba6d91f0-3d61-4f40-8b26-43d9f7559df9/stages/"


@pytest.mark.parametrize(
    ("api", "path"),
    [
        ("esper-operations", "/v0/operations/?limit=100"),
        ("esper-stages", STAGES),
        ("instabase-flow", "/api/v1/flow/pipeline"),
    ],
)
def test_a_recording_serves_the_same_list(api: str, path: str, tmp_path: Path) -> None:
    file = tmp_path / "rec.yaml"
    with recording(api, file) as proxy:
        real = proxy.get(path, headers=KEY).json()
    with serve(api, fixtures=file) as mock, httpx.Client(base_url=mock.base_url) as http:
        assert http.get(path, headers=KEY).json() == real
