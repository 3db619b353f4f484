"""The esper-stages mock: stages CRUD, paging, target-list attachments, errors, auth and the spec's examples.

Every client has response validation on, so each passing call also proves the response fits the spec.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import settings
from hypothesis.stateful import run_state_machine_as_test
from starlette.testclient import TestClient

from conformance.properties import bind
from conformance.properties import esper_stages as properties
from contracts import load_spec
from mock_server import Settings, create_app

AUTH = {"Authorization": "Bearer mock-token"}
PIPELINE = "ba6d91f0-3d61-4f40-8b26-43d9f7559df9"  # Kiosk app rollout: 3 stages
OTHER_PIPELINE = "b393bde4-e51e-4fbc-bed2-39fc36062861"
CANARY = "a7ebf6bf-875d-460b-a617-14d37e308b98"  # attached: one DEVICES, one GROUPS, one COLLECTIONS
QA_LAB = "f8aa410a-e4a5-418c-861a-1c206b3c7995"  # the other pipeline's stage
SEED_TARGET_LIST = "e020bfe9-7c71-4403-800b-700dad22bfd2"  # the seed's example; DEVICES, not attached
LAB_GROUP = "949078d5-da8d-40a5-aef4-3f55b02369c7"  # GROUPS, attached to Canary
OTHER_PIPELINE_LIST = "ec97c15e-c5a2-4689-8af8-78ed73a8d394"
UNKNOWN = "0b7d2c7e-0000-4000-8000-000000000000"

STAGES = f"/v0/pipelines/{PIPELINE}/stages/"
CANARY_URL = f"{STAGES}{CANARY}/"
CANARY_LISTS = f"/v0/stages/{CANARY}/targetlists/"


@pytest.fixture
def client(make_client: Any) -> TestClient:
    return make_client("esper-stages")


def call(
    client: TestClient, method: str, url: str, status: int = 200, headers: dict | None = None, **kwargs: Any
) -> Any:
    """The envelope's `content`, after checking the status and the envelope itself."""
    response = client.request(method, url, headers={**AUTH, **(headers or {})}, **kwargs)
    assert response.status_code == status, response.text
    body = response.json()
    assert body["code"] == status
    return body["content"] if status == 200 else body


def create(client: TestClient, **fields: Any) -> dict[str, Any]:
    return call(client, "POST", STAGES, json={"name": "Regional rollout", **fields})


def list_ids(client: TestClient, url: str) -> list[str]:
    return [item["id"] for item in call(client, "GET", url)["results"]]


def query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


# Stages: create, get, update, delete


def test_create_returns_the_stage_with_defaults_and_status_200(client: TestClient) -> None:
    stage = create(client)
    assert stage["name"] == "Regional rollout"
    assert stage["pipeline_id"] == PIPELINE
    assert stage["description"] == ""
    assert stage["timeout_seconds"] == 0
    assert stage["created_at"] == stage["updated_at"]


def test_created_stage_is_returned_by_get(client: TestClient) -> None:
    stage = create(client, description="East region", timeout_seconds=7200)
    assert call(client, "GET", f"{STAGES}{stage['id']}/") == stage


def test_created_stage_is_listed_last(client: TestClient) -> None:
    stage = create(client)
    assert list_ids(client, STAGES)[-1] == stage["id"]


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"name": ""},
        {"name": 7},
        {"name": "x", "timeout_seconds": -1},
        {"name": "x", "timeout_seconds": 1.5},
        {"name": "x", "timeout_seconds": 2**31},
        {"name": "x", "description": 5},
    ],
    ids=[
        "no-name",
        "empty-name",
        "name-not-string",
        "negative-timeout",
        "fractional-timeout",
        "timeout-over-int32",
        "description-not-string",
    ],
)
def test_create_rejects_a_bad_body_with_400_and_creates_nothing(client: TestClient, body: dict[str, Any]) -> None:
    error = call(client, "POST", STAGES, status=400, json=body)
    assert error["message"] and error["content"] == {}
    assert call(client, "GET", STAGES)["count"] == 3


def test_create_rejects_a_non_json_body_with_415(client: TestClient) -> None:
    call(client, "POST", STAGES, status=415, content="name=x", headers={"Content-Type": "text/plain"})


def test_create_in_an_unknown_pipeline_is_404(client: TestClient) -> None:
    error = call(client, "POST", f"/v0/pipelines/{UNKNOWN}/stages/", status=404, json={"name": "x"})
    assert UNKNOWN in error["message"]


def test_get_an_unknown_stage_is_404(client: TestClient) -> None:
    call(client, "GET", f"{STAGES}{UNKNOWN}/", status=404)


def test_a_stage_is_not_found_under_another_pipeline(client: TestClient) -> None:
    call(client, "GET", f"/v0/pipelines/{OTHER_PIPELINE}/stages/{CANARY}/", status=404)


def test_update_changes_only_the_fields_sent(client: TestClient) -> None:
    before = call(client, "GET", CANARY_URL)
    after = call(client, "PUT", CANARY_URL, json={"timeout_seconds": 5400})
    assert after == {**before, "timeout_seconds": 5400, "updated_at": after["updated_at"]}
    assert after["updated_at"] > before["updated_at"]
    assert call(client, "GET", CANARY_URL) == after


def test_update_with_an_empty_body_keeps_every_field(client: TestClient) -> None:
    before = call(client, "GET", CANARY_URL)
    after = call(client, "PUT", CANARY_URL, json={})
    assert {**after, "updated_at": None} == {**before, "updated_at": None}


def test_update_rejects_an_empty_name_and_changes_nothing(client: TestClient) -> None:
    before = call(client, "GET", CANARY_URL)
    call(client, "PUT", CANARY_URL, status=400, json={"name": "", "timeout_seconds": 5})
    assert call(client, "GET", CANARY_URL) == before


def test_update_an_unknown_stage_is_404(client: TestClient) -> None:
    call(client, "PUT", f"{STAGES}{UNKNOWN}/", status=404, json={"name": "x"})


def test_delete_answers_200_with_empty_content(client: TestClient) -> None:
    assert call(client, "DELETE", CANARY_URL) == {}


def test_deleted_stage_is_gone_from_get_list_and_target_list_routes(client: TestClient) -> None:
    call(client, "DELETE", CANARY_URL)
    call(client, "GET", CANARY_URL, status=404)
    assert CANARY not in list_ids(client, STAGES)
    call(client, "GET", CANARY_LISTS, status=404)
    call(client, "POST", CANARY_LISTS, status=404, json={"target_list_id": SEED_TARGET_LIST})


def test_deleting_a_stage_drops_its_attachments(client: TestClient) -> None:
    call(client, "DELETE", CANARY_URL)
    assert CANARY not in client.get("/__admin/state").json()["esper-stages"]["attachments"]


def test_delete_twice_is_404(client: TestClient) -> None:
    call(client, "DELETE", CANARY_URL)
    call(client, "DELETE", CANARY_URL, status=404)


# Stage list paging


def test_list_without_paging_returns_every_stage_oldest_first(client: TestClient) -> None:
    page = call(client, "GET", STAGES)
    assert (page["count"], page["next"], page["previous"]) == (3, None, None)
    assert [s["name"] for s in page["results"]] == ["Canary", "Pilot stores", "All stores"]


def test_list_pages_with_limit_and_offset(client: TestClient) -> None:
    first = call(client, "GET", STAGES, params={"limit": 2})
    assert (first["count"], len(first["results"]), first["previous"]) == (3, 2, None)
    assert query(first["next"]) == {"limit": ["2"], "offset": ["2"]}
    second = call(client, "GET", first["next"])
    assert [s["name"] for s in second["results"]] == ["All stores"]
    assert second["next"] is None
    assert query(second["previous"]) == {"limit": ["2"]}  # DRF drops offset=0


def test_list_limit_defaults_to_20(client: TestClient) -> None:
    for number in range(18):
        create(client, name=f"stage {number}")
    page = call(client, "GET", STAGES)
    assert (page["count"], len(page["results"])) == (21, 20)
    assert query(page["next"]) == {"limit": ["20"], "offset": ["20"]}


def test_list_offset_past_the_end_is_an_empty_page(client: TestClient) -> None:
    page = call(client, "GET", STAGES, params={"offset": 10})
    assert (page["count"], page["results"], page["next"]) == (3, [], None)


@pytest.fixture(scope="module")
def big_pipeline() -> tuple[str, dict[str, Any]]:
    """A pipeline of 120 stages made through the API, and the state holding it: made once, loaded per test."""
    app = create_app(Settings(apis=("esper-stages",), seed=0, validate_responses=True))
    with TestClient(app, base_url="http://localhost") as client:
        pipeline = client.post("/__admin/esper-stages/create_pipeline", json={"name": "Big"}).json()["id"]
        for number in range(120):
            call(client, "POST", f"/v0/pipelines/{pipeline}/stages/", json={"name": f"stage {number}"})
        return pipeline, client.get("/__admin/state").json()


@pytest.mark.parametrize(
    ("params", "size", "start"),
    [
        ({"limit": 0}, 20, 0),
        ({"limit": -3}, 20, 0),
        ({"limit": "two"}, 20, 0),
        ({"limit": ""}, 20, 0),
        ({"limit": 1000}, 100, 0),
        ({"limit": " 2 "}, 2, 0),  # Python's int(), as DRF uses it, allows the blanks
        ({"offset": -1}, 20, 0),
        ({"offset": "x"}, 20, 0),
        ({"limit": 1, "offset": 2}, 1, 2),
    ],
)
def test_list_reads_paging_as_drf_does(
    client: TestClient, big_pipeline: tuple[str, dict[str, Any]], params: dict[str, Any], size: int, start: int
) -> None:
    """DRF's LimitOffsetPagination: a large limit is capped, anything unusable means the default."""
    pipeline, state = big_pipeline
    client.put("/__admin/state", json=state).raise_for_status()
    page = call(client, "GET", f"/v0/pipelines/{pipeline}/stages/", params=params)
    assert len(page["results"]) == size
    assert page["results"][0]["name"] == f"stage {start}"
    assert query(page["next"])["limit"] == [str(size)]


def test_list_of_an_unknown_pipeline_is_404(client: TestClient) -> None:
    call(client, "GET", f"/v0/pipelines/{UNKNOWN}/stages/", status=404)


def test_a_new_pipeline_from_the_admin_api_starts_empty(client: TestClient) -> None:
    pipeline = client.post("/__admin/esper-stages/create_pipeline", json={"name": "Beta"}).json()
    assert call(client, "GET", f"/v0/pipelines/{pipeline['id']}/stages/")["count"] == 0


# Target lists of a stage


def test_target_lists_are_listed_in_attach_order(client: TestClient) -> None:
    page = call(client, "GET", CANARY_LISTS)
    assert [t["target_list_type"] for t in page["results"]] == ["DEVICES", "GROUPS", "COLLECTIONS"]
    assert page["count"] == 3


@pytest.mark.parametrize("kind", ["devices", "groups", "collections"])
def test_type_filter_selects_by_upper_case_target_list_type(client: TestClient, kind: str) -> None:
    results = call(client, "GET", CANARY_LISTS, params={"type": kind})["results"]
    assert [t["target_list_type"] for t in results] == [kind.upper()]


def test_type_filter_is_lower_case_only(client: TestClient) -> None:
    call(client, "GET", CANARY_LISTS, status=400, params={"type": "DEVICES"})


def test_target_list_pages_keep_the_type_filter(client: TestClient) -> None:
    call(client, "POST", CANARY_LISTS, json={"target_list_id": SEED_TARGET_LIST})
    first = call(client, "GET", CANARY_LISTS, params={"type": "devices", "limit": 1})
    assert first["count"] == 2
    assert query(first["next"]) == {"type": ["devices"], "limit": ["1"], "offset": ["1"]}
    assert call(client, "GET", first["next"])["results"][0]["id"] == SEED_TARGET_LIST


def test_target_lists_of_an_unknown_stage_is_404(client: TestClient) -> None:
    call(client, "GET", f"/v0/stages/{UNKNOWN}/targetlists/", status=404)


def test_target_lists_stage_id_must_be_a_uuid(client: TestClient) -> None:
    call(client, "GET", "/v0/stages/canary/targetlists/", status=400)


def test_seed_example_attach_returns_the_target_list(client: TestClient) -> None:
    target_list = call(client, "POST", CANARY_LISTS, json={"target_list_id": SEED_TARGET_LIST})
    assert target_list["id"] == SEED_TARGET_LIST
    assert target_list["target_list_type"] == "DEVICES"
    assert list_ids(client, CANARY_LISTS)[-1] == SEED_TARGET_LIST


def test_attaching_twice_answers_200_without_a_duplicate(client: TestClient) -> None:
    call(client, "POST", CANARY_LISTS, json={"target_list_id": LAB_GROUP})
    assert list_ids(client, CANARY_LISTS).count(LAB_GROUP) == 1


def test_attaching_a_target_list_of_another_pipeline_is_400(client: TestClient) -> None:
    error = call(client, "POST", CANARY_LISTS, status=400, json={"target_list_id": OTHER_PIPELINE_LIST})
    assert OTHER_PIPELINE in error["message"]
    assert OTHER_PIPELINE_LIST not in list_ids(client, CANARY_LISTS)


def test_attaching_an_unknown_target_list_is_404(client: TestClient) -> None:
    call(client, "POST", CANARY_LISTS, status=404, json={"target_list_id": UNKNOWN})


@pytest.mark.parametrize("body", [{}, {"target_list_id": "not-a-uuid"}, {"target_list_id": 5}])
def test_attach_rejects_a_bad_body_with_400(client: TestClient, body: dict[str, Any]) -> None:
    call(client, "POST", CANARY_LISTS, status=400, json=body)


def test_attaching_to_an_unknown_stage_is_404(client: TestClient) -> None:
    call(client, "POST", f"/v0/stages/{UNKNOWN}/targetlists/", status=404, json={"target_list_id": LAB_GROUP})


def test_a_target_list_made_by_the_admin_api_can_be_attached(client: TestClient) -> None:
    body = {"pipeline_id": PIPELINE, "name": "Night shift", "target_list_type": "groups"}
    made = client.post("/__admin/esper-stages/create_target_list", json=body).json()
    assert call(client, "POST", CANARY_LISTS, json={"target_list_id": made["id"]})["target_list_type"] == "GROUPS"


def test_detach_removes_the_target_list_from_the_list(client: TestClient) -> None:
    assert call(client, "DELETE", f"{CANARY_LISTS}{LAB_GROUP}/") == {}
    assert LAB_GROUP not in list_ids(client, CANARY_LISTS)


def test_detaching_a_target_list_that_is_not_attached_is_404(client: TestClient) -> None:
    error = call(client, "DELETE", f"{CANARY_LISTS}{SEED_TARGET_LIST}/", status=404)
    assert "not attached" in error["message"]


def test_detaching_from_an_unknown_stage_is_404(client: TestClient) -> None:
    call(client, "DELETE", f"/v0/stages/{UNKNOWN}/targetlists/{LAB_GROUP}/", status=404)


# Auth and errors outside the handlers


@pytest.mark.parametrize("header", [None, "Bearer wrong", "Token mock-token", "Bearer SCHEMATHESIS-INVALID-VALUE"])
def test_requests_without_a_valid_bearer_key_are_401_in_esper_format(client: TestClient, header: str | None) -> None:
    response = client.get(STAGES, headers={"Authorization": header} if header else {})
    assert response.status_code == 401
    assert response.json() == {"code": 401, "message": response.json()["message"], "content": {}}
    assert "WWW-Authenticate" not in response.headers


def test_an_unknown_path_is_404_in_esper_format(client: TestClient) -> None:
    response = client.get(f"/v0/pipelines/{PIPELINE}/stages/{CANARY}/runs/", headers=AUTH)
    assert response.status_code == 404
    assert response.json()["code"] == 404


def test_a_wrong_method_is_405_with_the_documented_methods(client: TestClient) -> None:
    response = client.patch(CANARY_URL, headers=AUTH, json={})
    assert response.status_code == 405
    assert set(response.headers["Allow"].split(", ")) >= {"GET", "PUT", "DELETE"}


# State, fixtures and the spec's own examples


def test_bad_imported_state_is_refused_and_nothing_changes(client: TestClient) -> None:
    state = client.get("/__admin/state").json()["esper-stages"]
    state["attachments"] = {CANARY: [OTHER_PIPELINE_LIST]}
    assert client.put("/__admin/state", json={"esper-stages": state}).status_code == 400
    assert OTHER_PIPELINE_LIST not in list_ids(client, CANARY_LISTS)


def test_exported_state_imports_back_unchanged(client: TestClient) -> None:
    create(client)
    state = client.get("/__admin/state").json()
    assert client.put("/__admin/state", json=state).status_code == 200
    assert client.get("/__admin/state").json() == state


def test_reset_restores_the_fixtures(client: TestClient) -> None:
    call(client, "DELETE", CANARY_URL)
    client.post("/__admin/reset")
    assert call(client, "GET", CANARY_URL)["name"] == "Canary"


def _operation(operation_id: str) -> tuple[str, dict[str, Any]]:
    for path, item in load_spec("esper-stages")["paths"].items():
        for operation in item.values():
            if isinstance(operation, dict) and operation.get("operationId") == operation_id:
                return path, operation
    raise KeyError(operation_id)


def _example_request(operation_id: str, **query_params: Any) -> tuple[str, Any]:
    """The operation's path with the spec's parameter examples filled in, and its 200 example."""
    path, operation = _operation(operation_id)
    spec = load_spec("esper-stages")
    for parameter in [*spec["paths"][path].get("parameters", []), *operation.get("parameters", [])]:
        parameter = (
            spec["components"]["parameters"][parameter["$ref"].rsplit("/", 1)[1]] if "$ref" in parameter else parameter
        )
        if parameter["in"] == "path":
            path = path.replace(f"{{{parameter['name']}}}", parameter["example"])
    return path, operation["responses"]["200"]["content"]["application/json"]["example"]


@pytest.mark.parametrize(
    ("operation_id", "params"),
    [("get_stage", {}), ("list_stages", {"limit": 2}), ("list_stage_target_lists", {"type": "groups"})],
)
def test_spec_get_examples_are_what_the_mock_answers(client: TestClient, operation_id: str, params: dict) -> None:
    path, example = _example_request(operation_id)
    content = call(client, "GET", path, params=params)
    # `next` is an absolute URL: the example's names the real host.
    assert {**content, "next": None} == {**example["content"], "next": None}


def test_spec_create_example_is_what_the_seeded_mock_answers(client: TestClient) -> None:
    path, example = _example_request("create_stage")
    request = _operation("create_stage")[1]["requestBody"]["content"]["application/json"]["example"]
    assert call(client, "POST", path, json=request) == example["content"]


# The conformance properties hold on the mock (the lead's self-tests also run them on faulty variants).


@pytest.mark.parametrize("check", properties.READ_ONLY, ids=lambda check: check.__name__)
def test_read_only_property_holds_on_the_default_fixtures(client: TestClient, check: Any) -> None:
    client.headers.update(AUTH)
    check(client)


def test_stage_lifecycle_machine_holds_on_the_mock(client: TestClient) -> None:
    client.headers.update(AUTH)
    quick = settings(max_examples=5, stateful_step_count=8, deadline=None, database=None)
    run_state_machine_as_test(bind(properties.StageLifecycle, client), settings=quick)


def test_description_may_be_null_on_create_and_update(client: TestClient) -> None:
    stage = create(client, description=None)
    assert stage["description"] is None
    updated = call(client, "PUT", f"{STAGES}{stage['id']}/", json={"description": None})
    assert updated["description"] is None
    assert call(client, "PUT", CANARY_URL, json={"description": None})["description"] is None


@pytest.mark.parametrize("method", ["POST", "PUT"])
def test_whole_timeout_written_as_a_fraction_is_read_as_an_integer(client: TestClient, method: str) -> None:
    url = STAGES if method == "POST" else CANARY_URL
    stage = call(client, method, url, json={"name": "Timed", "timeout_seconds": 10.0})
    assert stage["timeout_seconds"] == 10 and isinstance(stage["timeout_seconds"], int)
    assert call(client, "GET", f"{STAGES}{stage['id']}/")["timeout_seconds"] == 10


def test_fractional_timeout_is_400(client: TestClient) -> None:
    call(client, "PUT", CANARY_URL, status=400, json={"timeout_seconds": 10.5})
