"""The shared machinery, through one API at a time: errors in the API's own format, CORS, Prefer,
body limits, admin, fixtures, determinism and the CLI. Per-API behaviour lives in test_<api>.py."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from mock_server import Settings, create_app
from mock_server.cli import banner, parse
from mock_server.fixtures import FixtureError
from mock_server.routing import PathTable

AUTH = {"Authorization": "Bearer mock-token"}
PIPELINE = "ba6d91f0-3d61-4f40-8b26-43d9f7559df9"
STAGES = f"/v0/pipelines/{PIPELINE}/stages/"
STAGE = f"{STAGES}a7ebf6bf-875d-460b-a617-14d37e308b98/"


def test_malformed_json_is_a_400_in_the_apis_own_format(make_client) -> None:
    client = make_client("esper-stages")
    response = client.post(STAGES, content=b'{"name": ', headers={**AUTH, "Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json()["code"] == 400 and response.json()["content"] == {}


def test_non_utf8_body_is_a_400_not_a_500(make_client) -> None:
    client = make_client("esper-stages")
    response = client.post(STAGES, content=b'{"name": "\xff"}', headers={**AUTH, "Content-Type": "application/json"})
    assert response.status_code == 400
    assert "UTF-8" in response.json()["message"]


def test_wrong_content_type_is_415(make_client) -> None:
    client = make_client("esper-stages")
    response = client.post(STAGES, content=b"name=x", headers={**AUTH, "Content-Type": "text/plain"})
    assert response.status_code == 415
    assert response.json()["code"] == 415


def test_body_over_one_mebibyte_is_413_and_changes_nothing(make_client) -> None:
    client = make_client("esper-stages")
    before = client.get(STAGES, headers=AUTH).json()["content"]["count"]
    big = b'{"name": "' + b"x" * (1024 * 1024) + b'"}'
    response = client.post(STAGES, content=big, headers={**AUTH, "Content-Type": "application/json"})
    assert response.status_code == 413
    assert response.json()["code"] == 413
    assert client.get(STAGES, headers=AUTH).json()["content"]["count"] == before


def test_unknown_path_under_an_api_is_its_404(make_client) -> None:
    client = make_client("gocd-stages")
    response = client.get("/go/api/nothing/here", auth=("admin", "badger"))
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/plain")
    assert response.text.endswith("\n")


def test_unknown_path_outside_every_api_lists_what_is_served(make_client) -> None:
    client = make_client("gocd-stages")
    response = client.get("/elsewhere")
    assert response.status_code == 404
    assert response.json()["apis"]["gocd-stages"]["ui"] == "/gocd-stages/ui/"
    assert client.get("/").status_code == 200


def test_wrong_method_is_405_with_the_documented_methods(make_client) -> None:
    client = make_client("esper-stages")
    response = client.patch(STAGE, headers=AUTH)
    assert response.status_code == 405
    assert response.headers["allow"] == "DELETE, GET, HEAD, PUT"
    assert response.json()["code"] == 405


def test_missing_credentials_are_401_in_the_apis_format(make_client) -> None:
    client = make_client("esper-stages")
    response = client.get(STAGES)
    assert response.status_code == 401
    assert response.json()["code"] == 401


def test_any_token_accepts_any_non_empty_credential(make_client) -> None:
    client = make_client("esper-stages", any_token=True)
    assert client.get(STAGES, headers={"Authorization": "Bearer whatever"}).status_code == 200
    assert client.get(STAGES).status_code == 401


def test_cors_preflight_is_answered(make_client) -> None:
    client = make_client("esper-stages")
    headers = {"Origin": "http://localhost:3000", "Access-Control-Request-Method": "POST"}
    response = client.options(STAGES, headers={**headers, "Access-Control-Request-Headers": "authorization"})
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] in ("*", "http://localhost:3000")


def test_cors_origins_can_be_restricted(make_client) -> None:
    client = make_client("esper-stages", cors_origins=("http://app.example",))
    allowed = client.get(STAGES, headers={**AUTH, "Origin": "http://app.example"})
    other = client.get(STAGES, headers={**AUTH, "Origin": "http://evil.example"})
    assert allowed.headers["access-control-allow-origin"] == "http://app.example"
    assert "access-control-allow-origin" not in other.headers


def test_a_response_without_an_origin_still_varies_by_origin(make_client) -> None:
    """Only requests with an Origin pass the CORS layer; the others keep its `Vary: Origin` for caches."""
    response = make_client("esper-stages").get(STAGES, headers=AUTH)
    assert response.status_code == 200
    assert "Origin" in response.headers["vary"]
    assert "access-control-allow-origin" not in response.headers


@pytest.mark.parametrize("validate_responses", [False, True])
def test_each_apis_docs_are_served_beside_its_operations(make_client, validate_responses: bool) -> None:
    """The API apps enter Swagger UI only under /<name>/, and leave out response validation unless asked."""
    client = make_client("esper-stages", validate_responses=validate_responses)
    spec = client.get("/esper-stages/openapi.json")
    assert spec.status_code == 200 and spec.json()["openapi"].startswith("3.")
    ui = client.get("/esper-stages/ui/")
    assert ui.status_code == 200 and "swagger" in ui.text.lower()
    assert client.get(STAGES, headers=AUTH).status_code == 200


def test_prefer_code_returns_the_documented_example(make_client) -> None:
    client = make_client("esper-stages")
    response = client.get(STAGES, headers={**AUTH, "Prefer": "code=404"})
    assert response.status_code == 404
    assert response.json()["code"] == 404


def test_prefer_code_without_example_renders_the_apis_error(make_client) -> None:
    client = make_client("gocd-stages")
    response = client.get("/go/api/stages/foo/DEV/history", auth=("admin", "badger"), headers={"Prefer": "code=401"})
    assert response.status_code == 401
    assert response.text.endswith("\n")


def test_prefer_undocumented_code_says_which_are_documented(make_client) -> None:
    client = make_client("esper-stages")
    response = client.get(STAGES, headers={**AUTH, "Prefer": "code=418"})
    assert response.status_code == 400
    assert "documented: 200, 400, 401, 404" in response.json()["message"]


def test_prefer_delay_slows_one_response(make_client) -> None:
    client = make_client("esper-stages")
    started = time.perf_counter()
    client.get(STAGES, headers={**AUTH, "Prefer": "delay=150"})
    assert time.perf_counter() - started >= 0.15


def test_admin_reset_restores_the_fixtures(make_client) -> None:
    client = make_client("esper-stages")
    assert client.delete(STAGE, headers=AUTH).status_code == 200
    assert client.post("/__admin/reset").json() == {"apis": ["esper-stages"], "sessions": ["default"]}
    assert client.get(STAGE, headers=AUTH).status_code == 200


def test_admin_export_then_import_round_trips_the_state(make_client) -> None:
    client = make_client("esper-stages")
    exported = client.get("/__admin/state").json()
    client.delete(STAGE, headers=AUTH)
    assert client.put("/__admin/state", json=exported).json() == {"apis": ["esper-stages"]}
    assert client.get(STAGE, headers=AUTH).status_code == 200


def test_admin_import_of_a_bad_state_changes_nothing(make_client) -> None:
    client = make_client("esper-stages")
    before = client.get("/__admin/state").json()
    bad = {"esper-stages": {**before["esper-stages"], "stages": [{"id": "x"}]}}
    response = client.put("/__admin/state", json=bad)
    assert response.status_code == 400
    assert "nothing changed" in response.json()["detail"]
    assert client.get("/__admin/state").json() == before


def test_admin_unknown_action_names_the_known_ones(make_client) -> None:
    client = make_client("gocd-stages")
    response = client.post("/__admin/gocd-stages/nope", json={})
    assert response.status_code == 404
    assert "start-stage-run" in response.json()["detail"]


def test_seed_makes_created_ids_and_timestamps_repeat(make_client) -> None:
    def create() -> dict:
        client = make_client("esper-stages", seed=7)
        return client.post(STAGES, json={"name": "Repeatable"}, headers=AUTH).json()["content"]

    assert create() == create()


def test_bad_fixture_stops_the_start_naming_file_and_field(tmp_path: Path) -> None:
    fixture = tmp_path / "mine.yaml"
    fixture.write_text("gocd-stages:\n  users: []\n  pipelines: 12\n")
    with pytest.raises(FixtureError, match=str(fixture)):
        create_app(Settings(apis=("gocd-stages",), fixtures=fixture))


def test_fixture_file_must_name_served_apis(tmp_path: Path) -> None:
    fixture = tmp_path / "mine.yaml"
    fixture.write_text("no-such-api: {}\n")
    with pytest.raises(FixtureError, match="top-level keys must be API names"):
        create_app(Settings(apis=("gocd-stages",), fixtures=fixture))


def test_cli_parses_every_option() -> None:
    settings = parse(
        [
            "--host",
            "0.0.0.0",
            "--port",
            "9000",
            "--api",
            "gocd-stages",
            "--api",
            "esper-stages",
            "--seed",
            "3",
            "--latency",
            "20",
            "--any-token",
            "--cors-origin",
            "http://a",
            "--fixtures",
            "f.yaml",
        ]
    )
    assert settings.apis == ("gocd-stages", "esper-stages")
    assert (settings.host, settings.port, settings.seed, settings.latency_ms) == ("0.0.0.0", 9000, 3, 20)
    assert settings.any_token and settings.cors_origins == ("http://a",) and settings.fixtures == Path("f.yaml")


def test_banner_shows_urls_and_credentials() -> None:
    text = banner(Settings(apis=("gocd-stages",), port=8123))
    assert "http://127.0.0.1:8123/gocd-stages/ui/" in text
    assert "credentials: HTTP Basic admin:badger" in text
    zenml = banner(Settings(apis=("zenml-pipelines", "esper-stages")))
    assert "credentials: POST /api/v1/login with the form username=default&password=, then" in zenml
    assert "credentials: Authorization: Bearer mock-token" in zenml


def test_the_path_table_names_the_first_documented_route_that_matches() -> None:
    specs = {
        "a": {"paths": {"/x/{id}": {"get": {"operationId": "getX"}}, "/x/new": {"post": {"operationId": "newX"}}}},
        "b": {"paths": {"/x/new": {"put": {"operationId": "putX"}}, "/y.json": {"get": {"operationId": "y"}}}},
    }
    table = PathTable(specs)
    assert (table.owner("/x/new"), table.allow("/x/new")) == ("a", "GET, HEAD")
    assert table.match("/x/7/") is None and table.match("/yxjson") is None and table.allow("/y.json") == "GET, HEAD"
    table.set_spec("a", {"paths": {}})
    assert table.owner("/x/new") == "b" and table.owner("/x/7") == "b"  # the nearest by shared segments
    assert PathTable({}).match("/") is None
