"""A documented path with its trailing slash added or dropped gets what each real server's framework sends
(mock_server/slashes.py), never Starlette's empty 307."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

ESPER = {"Authorization": "Bearer mock-token"}
STAGES = "/v0/pipelines/ba6d91f0-3d61-4f40-8b26-43d9f7559df9/stages"
ZENML_ID = "d0bd4d7f-9ab4-46da-a0b2-acea81e76a4a"
GOCD_HISTORY = "/go/api/stages/demo_pipeline/first_stage/history"


@pytest.fixture
def client(make_client: Any) -> TestClient:
    return make_client("esper-stages", "esper-operations", "zenml-pipelines", "instabase-flow", "gocd-stages")


@pytest.mark.parametrize("method", ["GET", "HEAD", "POST", "PUT", "DELETE"])
@pytest.mark.parametrize("path", ["/v0/operations", STAGES])
def test_esper_path_without_its_slash_is_a_301_to_it_as_django_append_slash(
    client: TestClient, method: str, path: str
) -> None:
    response = client.request(method, f"{path}?limit=5&x=", follow_redirects=False)  # no credentials needed
    assert response.status_code == 301
    assert response.headers["location"] == f"{path}/?limit=5&x="
    assert response.content == b""


def test_esper_redirect_leads_to_the_documented_answer(client: TestClient) -> None:
    response = client.get(STAGES, headers=ESPER)  # the client follows the 301
    assert response.status_code == 200 and response.json()["content"]["count"] == 3


@pytest.mark.parametrize("suffix", ["/0/", "/", "/1/"])
def test_gocd_serves_a_trailing_slash_as_without_it_as_rails_routes_do(client: TestClient, suffix: str) -> None:
    with_slash = client.get(f"{GOCD_HISTORY}{suffix}", auth=("admin", "badger"))
    without = client.get(f"{GOCD_HISTORY}{suffix.rstrip('/')}", auth=("admin", "badger"))
    assert with_slash.status_code == 200
    assert with_slash.json() == without.json()


def test_gocd_cancel_with_a_trailing_slash_is_the_cancel(client: TestClient) -> None:
    url = "/go/api/stages/demo_pipeline/first_stage/cancel/"
    response = client.post(url, auth=("admin", "badger"), headers={"Confirm": "true"})
    assert response.status_code == 200 and response.text.startswith("Stage")


@pytest.mark.parametrize("path", ["/api/v1/pipelines/", f"/api/v1/pipelines/{ZENML_ID}/"])
def test_zenml_get_with_a_trailing_slash_is_the_catch_all_404(client: TestClient, path: str) -> None:
    response = client.get(path, follow_redirects=False)
    assert (response.status_code, response.json()) == (404, {"detail": "Not Found"})


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "HEAD"])
def test_zenml_other_methods_with_a_trailing_slash_are_the_catch_all_405(client: TestClient, method: str) -> None:
    # The server's `GET /api/{invalid_api_path:path}` route matches the path, not the method: Starlette's 405.
    response = client.request(method, f"/api/v1/pipelines/{ZENML_ID}/", follow_redirects=False)
    assert (response.status_code, response.headers["allow"]) == (405, "GET")
    if method != "HEAD":
        assert response.json() == {"detail": "Method Not Allowed"}


def test_instabase_path_with_a_trailing_slash_is_a_404_in_the_v1_format(client: TestClient) -> None:
    response = client.get("/api/v1/flow/pipeline/", headers=ESPER, follow_redirects=False)
    assert response.status_code == 404
    assert response.json() == {
        "status": "ERROR",
        "msg": "No operation at /api/v1/flow/pipeline/; did you mean /api/v1/flow/pipeline? Paths are matched exactly.",
    }


@pytest.mark.parametrize("suffix", ["/x%0A/", "/x%0A", "/x%0Ay/"])
def test_a_path_with_a_newline_is_a_404_not_a_redirect_loop(client: TestClient, suffix: str) -> None:
    response = client.get(f"{STAGES}{suffix}", headers=ESPER, follow_redirects=False)
    assert response.status_code == 404
    assert response.json()["code"] == 404 and "newline" in response.json()["message"]
