"""A real ZenML 0.98.0 server behind the validating proxy, driven by ZenML's own client; then its recording
served by the mock to the same client.

Its own server (the scenario updates and deletes, so it cannot share the session's server with the
comparison in test_zenml_client.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from live.zenml_server import LiveServer, zenml_server
from mock_server import Settings, create_app
from mock_server.testing import serve, serve_app
from tests.live.test_zenml_client import results, run_client, without_ids

pytestmark = pytest.mark.live
API = "zenml-pipelines"


@pytest.fixture(scope="module")
def fresh_zenml(zenml_python: Path) -> Iterator[LiveServer]:
    with zenml_server() as server:
        yield server


def proxied(upstream: str, **settings: Any) -> Any:
    return serve_app(create_app(Settings(apis=(API,), proxies=((API, upstream),), **settings)))


def read_everything(base_url: str) -> None:
    """What the recording needs, read once before the scenario changes anything: every object, hydrated."""
    with httpx.Client(base_url=base_url, timeout=30) as http:
        token = http.post("/api/v1/login", data={"username": "default", "password": ""}).json()["access_token"]
        http.headers["Authorization"] = f"Bearer {token}"
        for path in ("/api/v1/info", "/api/v1/current-user"):
            http.get(path).raise_for_status()
        for path in ("/api/v1/projects", "/api/v1/stacks", "/api/v1/pipelines"):
            http.get(path, params={"hydrate": "true", "size": 1000}).raise_for_status()


def test_zenml_client_through_the_proxy_breaks_no_contract_and_its_recording_answers_alike(
    zenml_python: Path, fresh_zenml: LiveServer, tmp_path: Path
) -> None:
    # Given a real server's objects, recorded through the proxy
    recording = tmp_path / "recorded.yaml"
    with proxied(fresh_zenml.base_url, record=recording) as url:
        read_everything(url)
    assert recording.exists()

    # When ZenML's client runs its scenario against the real server through the proxy
    with proxied(fresh_zenml.base_url) as url:
        real = run_client(zenml_python, url, tmp_path / "real.json")
        summary = httpx.get(url + "/__admin/violations").json()

    # Then it works as it does directly, and no exchange broke the contract
    assert results(real)
    broken = [v for op in summary["operations"] for v in op["first"]]
    assert summary["violations"] == 0, broken
    assert {op["operation"] for op in summary["operations"]} >= {"login", "list_pipelines", "update_pipeline"}

    # And a mock serving the recording gives the client the same pipelines, names, order and pages
    with serve(API, fixtures=recording, validate_responses=True) as mock:
        again = run_client(zenml_python, mock.base_url, tmp_path / "mock.json")
    assert without_ids(results(again)) == without_ids(results(real))
    assert without_ids(again["requests"]) == without_ids(real["requests"])
