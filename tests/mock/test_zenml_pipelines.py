"""The zenml-pipelines mock: login and tokens, the Page envelope, filters and sorting, hydration, pipeline
CRUD with tags, the four error shapes of the real server, the client's start-up routes, state and the
spec's examples. Expected values come from the recorded ZenML 0.98 responses (research/zenml-samples/).

Every client has response validation on, so each passing call also proves the response fits the spec.
"""

from __future__ import annotations

import copy
import sqlite3
import uuid
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import run_state_machine_as_test
from starlette.testclient import TestClient

from conformance.properties import bind
from conformance.properties import zenml_pipelines as properties
from contracts import load_spec
from mock_server.api import Context
from mock_server.apis.zenml_pipelines import state as zenml_state
from mock_server.apis.zenml_pipelines.query import like
from mock_server.fixtures import FIXTURES_DIR, read_yaml
from mock_server.ids_and_clocks import Clock, Ids
from mock_server.testing import serve

PIPELINES = "/api/v1/pipelines"
ALPHA = "d0bd4d7f-9ab4-46da-a0b2-acea81e76a4a"  # tags seed, alpha_pipeline-tag
GAMMA = "0fe0efa6-5f47-4233-b566-6332978211d0"
DEMO = "5a2912ee-add6-44dd-a3f9-858edab53c47"  # the one that ran (completed), no tags, no description
PROJECT = "41690570-a25e-40a6-8306-f2a86a6e6fda"
STACK = "01a6ac97-9177-4730-b761-822778e5511c"
USER = "6d3bfdce-9247-4db6-a023-91149c0dade5"
UNKNOWN = "00000000-0000-4000-8000-000000000000"
BY_CREATION = ["alpha_pipeline", "beta_pipeline", "gamma_pipeline", "demo_training_pipeline"]


def login(client: TestClient, username: str = "default", password: str = "") -> Any:
    return client.post("/api/v1/login", data={"username": username, "password": password})


@pytest.fixture
def anonymous(make_client: Any) -> TestClient:
    return make_client("zenml-pipelines")


@pytest.fixture
def client(anonymous: TestClient) -> TestClient:
    """Logged in as `default`, as a ZenML client is after `zenml login`."""
    token = login(anonymous).json()["access_token"]
    anonymous.headers["Authorization"] = f"Bearer {token}"
    return anonymous


def call(client: TestClient, method: str, url: str, status: int = 200, **kwargs: Any) -> Any:
    response = client.request(method, url, **kwargs)
    assert response.status_code == status, response.text
    return response.json()


def names(client: TestClient, **params: Any) -> list[str]:
    return [item["name"] for item in call(client, "GET", PIPELINES, params=params)["items"]]


def create(client: TestClient, name: str = "delta_pipeline", **fields: Any) -> dict[str, Any]:
    return call(client, "POST", PIPELINES, json={"name": name, "project": PROJECT, **fields})


def tag_names(pipeline: dict[str, Any]) -> list[str]:
    return [tag["name"] for tag in pipeline["resources"]["tags"]]


# Login and tokens


def test_login_with_the_default_user_issues_a_bearer_token_and_cookie(anonymous: TestClient) -> None:
    response = login(anonymous)
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer" and body["expires_in"] is None and body["refresh_token"] is None
    assert body["access_token"].count(".") == 2  # JWT-shaped, like the server's
    cookie = response.headers["set-cookie"]
    assert (
        cookie
        == f"zenml-server-ab7d9382-49ff-4a93-a247-cac8ef2fe2d6={body['access_token']}; HttpOnly; Path=/; SameSite=lax"
    )


def test_issued_token_opens_the_api(anonymous: TestClient) -> None:
    token = login(anonymous).json()["access_token"]
    assert anonymous.get(PIPELINES, headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_issued_tokens_are_kept_in_the_exported_state(anonymous: TestClient) -> None:
    token = login(anonymous).json()["access_token"]
    state = anonymous.get("/__admin/state").json()["zenml-pipelines"]
    assert state["tokens"] == [{"access_token": token, "user_id": USER}]


COOKIE = "zenml-server-ab7d9382-49ff-4a93-a247-cac8ef2fe2d6"


def test_the_session_cookie_alone_opens_the_api(anonymous: TestClient) -> None:
    token = login(anonymous).json()["access_token"]
    anonymous.cookies.clear()
    response = anonymous.get(PIPELINES, headers={"Cookie": f"{COOKIE}={token}"})
    assert response.status_code == 200 and response.json()["total"] == 4


def test_a_bad_cookie_is_refused_even_beside_a_good_header(anonymous: TestClient) -> None:
    token = login(anonymous).json()["access_token"]
    anonymous.cookies.clear()
    headers = {"Cookie": f"{COOKIE}=forged", "Authorization": f"Bearer {token}"}
    response = anonymous.get(PIPELINES, headers=headers)
    assert response.status_code == 401 and response.json()["detail"][0] == "CredentialsNotValid"


def test_a_same_site_login_issues_no_csrf_token(anonymous: TestClient) -> None:
    response = anonymous.post("/api/v1/login", data={"username": "default"}, headers={"Origin": "http://localhost"})
    assert response.json()["csrf_token"] is None and response.headers["set-cookie"].endswith("SameSite=lax")


def test_a_cross_site_login_needs_its_csrf_token_with_the_cookie(anonymous: TestClient) -> None:
    dashboard = {"Origin": "http://dashboard.example:3000"}
    response = anonymous.post("/api/v1/login", data={"username": "default"}, headers=dashboard)
    body = response.json()
    assert body["csrf_token"]
    assert response.headers["set-cookie"].endswith("; HttpOnly; Path=/; SameSite=none; Secure")
    anonymous.cookies.clear()
    cookie = {"Cookie": f"{COOKIE}={body['access_token']}"}
    assert anonymous.get(PIPELINES, headers=cookie).status_code == 401
    assert anonymous.get(PIPELINES, headers={**cookie, "X-CSRF-Token": "wrong"}).status_code == 401
    assert anonymous.get(PIPELINES, headers={**cookie, "X-CSRF-Token": body["csrf_token"]}).status_code == 200
    bearer = {"Authorization": f"Bearer {body['access_token']}"}
    assert anonymous.get(PIPELINES, headers=bearer).status_code == 200  # a header needs no CSRF token


def test_the_token_table_keeps_the_most_recently_used_tokens(
    anonymous: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(zenml_state, "MAX_TOKENS", 3)
    first, second, third = (login(anonymous).json()["access_token"] for _ in range(3))
    anonymous.cookies.clear()
    assert anonymous.get(PIPELINES, headers={"Authorization": f"Bearer {first}"}).status_code == 200  # used last
    fourth = login(anonymous).json()["access_token"]
    anonymous.cookies.clear()
    statuses = [anonymous.get(PIPELINES, headers={"Authorization": f"Bearer {t}"}).status_code for t in (first, second)]
    assert statuses == [200, 401]  # the least recently used one is forgotten
    kept = [t["access_token"] for t in anonymous.get("/__admin/state").json()["zenml-pipelines"]["tokens"]]
    assert sorted(kept) == sorted([first, third, fourth])


def test_reset_forgets_issued_tokens(client: TestClient) -> None:
    client.post("/__admin/reset")
    assert client.get(PIPELINES).status_code == 401


def test_wrong_password_is_401_credentials_not_valid_without_challenge(anonymous: TestClient) -> None:
    response = login(anonymous, password="wrong")
    assert response.status_code == 401
    assert response.json() == {"detail": ["CredentialsNotValid", "Authentication error: invalid username or password"]}
    assert "www-authenticate" not in response.headers


def test_unknown_user_is_refused_like_a_wrong_password(anonymous: TestClient) -> None:
    assert login(anonymous, username="nobody").status_code == 401


@pytest.mark.parametrize(
    ("form", "detail"),
    [
        ({}, "Invalid request: username is required."),
        ({"grant_type": "password", "username": ""}, "Invalid request: username is required."),
        ({"grant_type": "client_credentials"}, "Unsupported grant type: client_credentials"),
        ({"grant_type": "zenml-api-key"}, "API key is required."),
        ({"device_code": "abc"}, "Invalid request: device code and client ID are required."),
    ],
)
def test_malformed_login_forms_are_400_with_a_plain_detail(anonymous: TestClient, form: dict, detail: str) -> None:
    assert call(anonymous, "POST", "/api/v1/login", 400, data=form) == {"detail": detail}


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (b'{"username": "default", "password": ""}', "application/json"),  # the server reads only a form
        (b"[1]", "application/json"),
        (b'"x"', "application/json"),
        (b"[1]", None),  # before: 500 AttributeError
        (b'"x"', None),
        (b"username=default&password=", "text/plain"),
    ],
)
def test_a_login_body_that_is_no_form_is_an_empty_form(
    anonymous: TestClient, content: bytes, content_type: str | None
) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    response = anonymous.post("/api/v1/login", content=content, headers=headers)
    assert (response.status_code, response.json()) == (400, {"detail": "Invalid request: username is required."})
    assert "set-cookie" not in response.headers


def test_a_form_login_without_content_type_is_a_400_not_a_500(anonymous: TestClient) -> None:
    # The mock reads a body without Content-Type as JSON (the seeds' `requests.post(data=...)`); the server
    # would read an empty form. Both refuse it with 400 and a `detail`.
    response = anonymous.post("/api/v1/login", content=b"username=default&password=", headers={})
    assert response.status_code == 400 and "not valid JSON" in response.json()["detail"]


def test_api_key_grant_is_refused_because_the_mock_has_no_service_accounts(anonymous: TestClient) -> None:
    body = call(anonymous, "POST", "/api/v1/login", 401, data={"password": "ZENKEY_abc"})
    assert body["detail"][0] == "CredentialsNotValid"


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("GET", PIPELINES),
        ("GET", f"{PIPELINES}/{ALPHA}"),
        ("PUT", f"{PIPELINES}/{ALPHA}"),
        ("DELETE", f"{PIPELINES}/{GAMMA}"),
    ],
)
def test_no_token_is_401_not_authenticated_with_bearer_challenge(anonymous: TestClient, method: str, url: str) -> None:
    response = anonymous.request(method, url, json={"description": "x"} if method == "PUT" else None)
    assert response.status_code == 401
    assert response.json() == {"detail": "Not authenticated"}
    assert response.headers["www-authenticate"] == "Bearer"


def test_a_token_the_server_did_not_issue_is_401_credentials_not_valid(anonymous: TestClient) -> None:
    response = anonymous.get(PIPELINES, headers={"Authorization": "Bearer not-a-jwt"})
    assert response.status_code == 401
    assert response.json() == {
        "detail": [
            "CredentialsNotValid",
            "Authentication error: error decoding access token: Invalid JWT token: Not enough segments.",
        ]
    }
    assert "www-authenticate" not in response.headers


def test_any_token_mode_acts_as_the_default_user(make_client: Any) -> None:
    client = make_client("zenml-pipelines", any_token=True)
    client.headers["Authorization"] = "Bearer anything"
    assert call(client, "GET", "/api/v1/current-user")["name"] == "default"
    assert create(client)["body"]["user_id"] == USER


# The Page envelope


def test_default_list_is_the_recorded_one(client: TestClient) -> None:
    body = call(client, "GET", PIPELINES)
    assert {k: body[k] for k in ("index", "max_size", "total_pages", "total")} == {
        "index": 1,
        "max_size": 20,
        "total_pages": 1,
        "total": 4,
    }
    assert [item["name"] for item in body["items"]] == BY_CREATION
    assert all(item["metadata"] is None for item in body["items"])
    demo = body["items"][3]["resources"]
    assert (demo["latest_run_status"], demo["latest_run_user"]["name"]) == ("completed", "default")


def test_hydrate_true_fills_each_description(client: TestClient) -> None:
    items = call(client, "GET", PIPELINES, params={"hydrate": "true"})["items"]
    assert [item["metadata"]["description"] for item in items] == [
        "seeded alpha_pipeline",
        "seeded beta_pipeline",
        "seeded gamma_pipeline",
        None,
    ]


def test_the_clients_own_list_request_is_answered(client: TestClient) -> None:
    params = {
        "hydrate": "False",
        "sort_by": "created",
        "logical_operator": "and",
        "page": 1,
        "size": 20,
        "project": PROJECT,
    }
    assert names(client, **params) == BY_CREATION


@pytest.mark.parametrize(("page", "expected"), [(1, BY_CREATION[:2]), (2, BY_CREATION[2:])])
def test_pages_of_two_split_the_list(client: TestClient, page: int, expected: list[str]) -> None:
    body = call(client, "GET", PIPELINES, params={"page": page, "size": 2})
    assert (body["index"], body["max_size"], body["total_pages"], body["total"]) == (page, 2, 2, 4)
    assert [item["name"] for item in body["items"]] == expected


def test_a_page_past_the_last_one_is_400_with_the_recorded_message(client: TestClient) -> None:
    body = call(client, "GET", PIPELINES, 400, params={"page": 99, "size": 2})
    assert body == {
        "detail": [
            "ValueError",
            "Invalid page 99. The requested page size is 2 and there are a total of 4 items for this query. "
            "The maximum page value therefore is 2.",
        ]
    }


def test_an_empty_result_still_has_one_page(client: TestClient) -> None:
    body = call(client, "GET", PIPELINES, params={"name": "no_such_pipeline"})
    assert (body["total_pages"], body["total"], body["items"]) == (1, 0, [])


@pytest.mark.parametrize("params", [{"size": 0}, {"size": 10001}, {"page": 0}, {"page": "abc"}, {"hydrate": "maybe"}])
def test_bad_paging_or_hydrate_is_422_as_a_bare_list(client: TestClient, params: dict) -> None:
    body = call(client, "GET", PIPELINES, 422, params=params)
    assert isinstance(body, list) and body[0] == "ValueError" and len(body) == 2


def test_a_bad_logical_operator_is_422_as_a_bare_list(client: TestClient) -> None:
    assert call(client, "GET", PIPELINES, 422, params={"logical_operator": "xor"})[0] == "ValueError"


def test_unknown_query_parameters_are_ignored(client: TestClient) -> None:
    assert names(client, no_such_param="1") == BY_CREATION


# Sorting


@pytest.mark.parametrize(
    ("sort_by", "expected"),
    [
        ("name", ["alpha_pipeline", "beta_pipeline", "demo_training_pipeline", "gamma_pipeline"]),
        ("desc:name", ["gamma_pipeline", "demo_training_pipeline", "beta_pipeline", "alpha_pipeline"]),
        ("asc:created", BY_CREATION),
        ("desc:created", BY_CREATION[::-1]),
        ("desc:latest_run", ["demo_training_pipeline", "gamma_pipeline", "beta_pipeline", "alpha_pipeline"]),
        # Untagged sorts first ascending (SQL NULL), then by the joined tag names.
        ("tags", ["demo_training_pipeline", "alpha_pipeline", "beta_pipeline", "gamma_pipeline"]),
        ("sideways:name", ["alpha_pipeline", "beta_pipeline", "demo_training_pipeline", "gamma_pipeline"]),
    ],
)
def test_sort_by_orders_the_list(client: TestClient, sort_by: str, expected: list[str]) -> None:
    assert names(client, sort_by=sort_by) == expected


def test_ties_are_broken_by_id(client: TestClient) -> None:
    # Every pipeline has the same creator, so sorting by user leaves the id order.
    items = call(client, "GET", PIPELINES, params={"sort_by": "desc:user"})["items"]
    assert [item["id"] for item in items] == sorted(item["id"] for item in items)


def test_an_unknown_sort_field_is_422_with_the_recorded_detail(client: TestClient) -> None:
    body = call(client, "GET", PIPELINES, 422, params={"sort_by": "no_such_field"})
    assert body == {
        "detail": [
            "ValueError",
            "1 validation error for PipelineFilter\nsort_by\n  Value error, You can only sort by valid fields of this "
            "resource [type=value_error, input_value='no_such_field', input_type=str]\n"
            "    For further information visit https://errors.pydantic.dev/2.12/v/value_error",
        ]
    }


def test_sorting_by_a_paging_field_says_it_cannot_be_sorted_by(client: TestClient) -> None:
    body = call(client, "GET", PIPELINES, 422, params={"sort_by": "desc:page"})
    assert "This resource can not be sorted by this field: 'desc:page'" in body["detail"][1]


# Filters


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"name": "alpha_pipeline"}, ["alpha_pipeline"]),
        ({"name": "equals:alpha_pipeline"}, ["alpha_pipeline"]),
        ({"name": "notequals:alpha_pipeline"}, BY_CREATION[1:]),
        ({"name": "contains:pipe"}, BY_CREATION),
        ({"name": "startswith:beta"}, ["beta_pipeline"]),
        ({"name": "endswith:training_pipeline"}, ["demo_training_pipeline"]),
        ({"name": 'oneof:["gamma_pipeline"]'}, ["gamma_pipeline"]),
        ({"name": "no_such_pipeline"}, []),
        ({"name": "contains:ALPHA"}, ["alpha_pipeline"]),  # LIKE ignores ASCII case
        ({"name": "startswith:_eta"}, ["beta_pipeline"]),  # `_` is a LIKE wildcard
        ({"name": "sideways:alpha_pipeline"}, []),  # no operator: the whole value is the name
        ({"name": "gt:0"}, []),  # names are text: CAST(name AS REAL) is 0
        ({"tags": "seed"}, BY_CREATION[:3]),
        ({"tags": ["seed", "beta_pipeline-tag"]}, ["beta_pipeline"]),
        ({"tags": "contains:gamma"}, ["gamma_pipeline"]),
        ({"tags": "notequals:seed"}, BY_CREATION[:3]),  # some other tag than `seed`
        ({"tag": "seed"}, BY_CREATION),  # 0.98 ignores the singular
        ({"name": "alpha_pipeline", "tags": "beta_pipeline-tag", "logical_operator": "or"}, BY_CREATION[:2]),
        ({"name": "alpha_pipeline", "tags": "beta_pipeline-tag"}, []),
        ({"latest_run_status": "completed"}, ["demo_training_pipeline"]),
        ({"latest_run_status": "notequals:completed"}, []),  # pipelines that never ran never match
        ({"latest_run_user": "default"}, ["demo_training_pipeline"]),
        ({"latest_run_status": "completed", "name": "alpha_pipeline", "logical_operator": "or"}, []),
        ({"user": "default"}, BY_CREATION),
        ({"user": USER}, BY_CREATION),
        ({"user": "nobody"}, []),
        ({"scope_user": USER}, BY_CREATION),
        ({"scope_user": UNKNOWN}, []),
        ({"id": ALPHA}, ["alpha_pipeline"]),
        ({"id": ALPHA.upper()}, ["alpha_pipeline"]),
        ({"id": "startswith:d0bd4d7f9ab4"}, ["alpha_pipeline"]),  # compared as hex digits without hyphens
        ({"id": "not-a-uuid"}, []),
        ({"id": "notequals:not-a-uuid"}, BY_CREATION),
        ({"created": "gte:2026-11-22 11:07:38"}, BY_CREATION[1:]),
        ({"created": ["gte:2026-11-22 11:07:38", "lt:2026-11-22 11:07:39"]}, BY_CREATION[1:3]),
        ({"updated": "lt:2026-11-22 11:07:38"}, ["alpha_pipeline"]),
        ({"project": "default"}, BY_CREATION),
        ({"project_name_or_id": PROJECT}, BY_CREATION),
    ],
)
def test_filters_select_the_matching_pipelines(client: TestClient, params: dict, expected: list[str]) -> None:
    assert names(client, **params) == expected


@pytest.mark.parametrize("field", ["name", "tags"])
@pytest.mark.parametrize("op", ["contains", "startswith", "endswith"])
def test_like_filters_with_many_wildcards_answer_at_once(client: TestClient, field: str, op: str) -> None:
    # issue 10.3: a regex built from `%a%a%a%a%ab` backtracked for seconds on 80 `a`s (x10 per extra `%`)
    create(client, "a" * 80, tags=["a" * 80])
    assert names(client, **{field: f"{op}:%a%a%a%a%ab"}) == []
    assert names(client, **{field: f"{op}:%a%a%a%a%a"}) == ["a" * 80]
    assert names(client, **{field: f"{op}:{'%a' * 2500}b"}) == []  # 5,000 characters, as fast


def test_a_like_filter_cannot_stall_the_server() -> None:
    # Before the fix this request ran for hours (a backtracking regex, x10 per `%`); a linear match takes
    # microseconds, so the generous client timeout only catches a stall, never a slow machine.
    with serve(apis="zenml-pipelines", seed=0) as mock, httpx.Client(base_url=mock.base_url, timeout=30) as http:
        headers = mock.headers("zenml-pipelines")
        created = http.post(PIPELINES, json={"name": "a" * 255, "project": PROJECT}, headers=headers)
        assert created.status_code == 200, created.text
        response = http.get(PIPELINES, params={"name": "contains:%a%a%a%a%a%a%ab"}, headers=headers)
        assert (response.status_code, response.json()["total"]) == (200, 0)


LIKE_CASES = ["", "a", "ab", "Ab", "aab", "ba", "a_b", "a%b", "%", "_", "é", "É"]


def test_like_matches_as_sqlite_does() -> None:
    patterns = ["", "%", "_", "a", "A", "%a", "a%", "%a%", "a_", "_b", "%a%b", "a%%b", "%_%", "__", "é", "%É%"]
    with sqlite3.connect(":memory:") as db:
        for value in LIKE_CASES:
            for pattern in patterns:
                expected = db.execute("SELECT ? LIKE ?", (value, pattern)).fetchone()[0] == 1
                assert like(pattern, value) is expected, (pattern, value)


def test_created_in_a_range_selects_the_pipelines_between(client: TestClient) -> None:
    assert names(client, created="in:2026-11-22 11:07:38,2026-11-22 11:07:39") == BY_CREATION[1:3]


def test_oneof_a_list_selects_each_named_pipeline(client: TestClient) -> None:
    assert names(client, name='oneof:["alpha_pipeline","gamma_pipeline"]') == ["alpha_pipeline", "gamma_pipeline"]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"created": "2026-11-22T11:07:38"}, "The datetime filter only works with values in the following format"),
        ({"name": "oneof:alpha_pipeline"}, "make sure that the provided value is a json formatted list"),
    ],
)
def test_malformed_filter_values_are_422_with_detail(client: TestClient, params: dict, message: str) -> None:
    body = call(client, "GET", PIPELINES, 422, params=params)
    assert body["detail"][0] == "ValueError" and message in body["detail"][1]


def test_a_numeric_operator_with_a_text_operand_is_400(client: TestClient) -> None:
    body = call(client, "GET", PIPELINES, 400, params={"name": "gt:abc"})
    assert body["detail"][0] == "ValueError" and "(must be numeric)" in body["detail"][1]


def test_a_bad_scope_user_is_422_as_a_bare_list(client: TestClient) -> None:
    assert call(client, "GET", PIPELINES, 422, params={"scope_user": "bad"})[0] == "ValueError"


def test_an_unknown_project_is_404(client: TestClient) -> None:
    body = call(client, "GET", PIPELINES, 404, params={"project": "nope"})
    assert body == {
        "detail": ["KeyError", "\"Unable to get project with name 'nope': No project with this name found\""]
    }


def test_the_list_holds_only_the_projects_pipelines(client: TestClient) -> None:
    state = client.get("/__admin/state").json()
    zen = state["zenml-pipelines"]
    other = copy.deepcopy(zen["projects"][0]) | {"id": UNKNOWN, "name": "other"}
    pipeline = copy.deepcopy(zen["pipelines"][0]) | {"id": GAMMA.replace("0fe0", "1fe1"), "project_id": UNKNOWN}
    zen["projects"].append(other)
    zen["pipelines"].append(pipeline)
    assert client.put("/__admin/state", json=state).status_code == 200
    assert names(client) == BY_CREATION
    assert names(client, project="other") == ["alpha_pipeline"]
    assert names(client, project="default", project_name_or_id="other") == ["alpha_pipeline"]


# Get


def test_get_is_hydrated_and_is_the_specs_example(client: TestClient) -> None:
    example = load_spec("zenml-pipelines")["components"]["examples"]["AlphaPipeline"]["value"]
    assert call(client, "GET", f"{PIPELINES}/{ALPHA}") == example


def test_listed_item_is_the_specs_list_example(client: TestClient) -> None:
    responses = load_spec("zenml-pipelines")["paths"][PIPELINES]["get"]["responses"]
    example = responses["200"]["content"]["application/json"]["example"]
    assert call(client, "GET", PIPELINES, params={"name": "alpha_pipeline"}) == example


def test_get_with_hydrate_false_has_no_metadata(client: TestClient) -> None:
    assert call(client, "GET", f"{PIPELINES}/{ALPHA}", params={"hydrate": "false"})["metadata"] is None


def test_get_accepts_any_spelling_of_the_uuid(client: TestClient) -> None:
    assert call(client, "GET", f"{PIPELINES}/{ALPHA.upper()}")["id"] == ALPHA


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_an_unknown_id_is_404_with_the_quoted_recorded_message(client: TestClient, method: str) -> None:
    body = call(client, method, f"{PIPELINES}/{UNKNOWN}", 404, json={} if method == "PUT" else None)
    message = f"\"Unable to get pipeline with ID '{UNKNOWN}': No pipeline with this ID found\""
    assert body == {"detail": ["KeyError", message]}


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_an_id_that_is_no_uuid_is_422_as_a_bare_list(client: TestClient, method: str) -> None:
    body = call(client, method, f"{PIPELINES}/not-a-uuid", 422, json={} if method == "PUT" else None)
    assert isinstance(body, list) and body[0] == "ValueError"


# Create


def test_create_answers_200_with_the_hydrated_pipeline_of_the_caller(client: TestClient) -> None:
    created = create(client, description="made by capture", tags=["seed"], user=UNKNOWN)
    assert created["metadata"] == {"description": "made by capture"}
    assert created["body"]["user_id"] == USER  # the body's `user` is ignored
    assert created["body"]["project_id"] == PROJECT
    assert tag_names(created) == ["seed"]
    assert created["body"]["created"] == created["body"]["updated"]


def test_created_pipeline_is_returned_by_get_and_listed_last(client: TestClient) -> None:
    created = create(client)
    assert call(client, "GET", f"{PIPELINES}/{created['id']}") == created
    assert names(client) == [*BY_CREATION, "delta_pipeline"]


def test_the_specs_create_example_works(client: TestClient) -> None:
    operation = load_spec("zenml-pipelines")["paths"][PIPELINES]["post"]
    body = operation["requestBody"]["content"]["application/json"]["example"]
    assert call(client, "POST", PIPELINES, json=body)["name"] == body["name"]


def test_create_makes_unknown_tags_with_a_colour(client: TestClient) -> None:
    tag = create(client, tags=["fresh"])["resources"]["tags"][0]
    assert tag["name"] == "fresh" and tag["body"]["user_id"] == USER and tag["body"]["exclusive"] is False
    assert tag["body"]["color"] in {
        "grey",
        "purple",
        "red",
        "green",
        "yellow",
        "orange",
        "lime",
        "teal",
        "turquoise",
        "magenta",
        "blue",
    }


def test_a_name_used_in_the_project_is_409_with_the_recorded_message(client: TestClient) -> None:
    create(client)
    body = call(client, "POST", PIPELINES, 409, json={"name": "delta_pipeline", "project": PROJECT})
    assert body == {
        "detail": [
            "EntityExistsError",
            f"Unable to create pipeline in project '{PROJECT}': "
            "A pipeline with the name delta_pipeline already exists.",
        ]
    }


def test_create_without_project_is_422_and_creates_nothing(client: TestClient) -> None:
    assert call(client, "POST", PIPELINES, 422, json={"name": "epsilon_pipeline"})[0] == "ValueError"
    assert names(client) == BY_CREATION


def test_create_in_an_unknown_project_is_404(client: TestClient) -> None:
    body = call(client, "POST", PIPELINES, 404, json={"name": "x", "project": UNKNOWN})
    assert body["detail"] == [
        "KeyError",
        f"\"Unable to get project with ID '{UNKNOWN}': No project with this ID found\"",
    ]


# Update


def test_put_description_sets_it_and_moves_updated(client: TestClient) -> None:
    before = call(client, "GET", f"{PIPELINES}/{ALPHA}")
    client.post("/__admin/clock/advance", json={"seconds": 60})
    updated = call(client, "PUT", f"{PIPELINES}/{ALPHA}", json={"description": "updated by capture"})
    assert updated["metadata"] == {"description": "updated by capture"}
    assert updated["body"]["updated"] > before["body"]["updated"]
    assert updated["body"]["created"] == before["body"]["created"]
    assert call(client, "GET", f"{PIPELINES}/{ALPHA}") == updated


@pytest.mark.parametrize("body", [{}, {"add_tags": ["added-1"]}, {"description": None}, {"name": "renamed"}])
def test_put_without_a_description_clears_it(client: TestClient, body: dict) -> None:
    assert call(client, "PUT", f"{PIPELINES}/{ALPHA}", json=body)["metadata"] == {"description": None}


def test_put_ignores_unknown_fields(client: TestClient) -> None:
    assert call(client, "PUT", f"{PIPELINES}/{ALPHA}", json={"name": "renamed"})["name"] == "alpha_pipeline"


def test_add_tags_attaches_them_sorted_by_name(client: TestClient) -> None:
    updated = call(client, "PUT", f"{PIPELINES}/{ALPHA}", json={"add_tags": ["added-2", "added-1", "seed"]})
    assert tag_names(updated) == ["added-1", "added-2", "alpha_pipeline-tag", "seed"]
    assert names(client, tags="added-1") == ["alpha_pipeline"]


def test_remove_tags_detaches_them_and_ignores_tags_not_attached(client: TestClient) -> None:
    updated = call(client, "PUT", f"{PIPELINES}/{ALPHA}", json={"remove_tags": ["seed", "never-attached"]})
    assert tag_names(updated) == ["alpha_pipeline-tag"]
    assert names(client, tags="seed") == ["beta_pipeline", "gamma_pipeline"]


def test_all_three_fields_at_once(client: TestClient) -> None:
    body = {"description": "all three", "add_tags": ["x-tag"], "remove_tags": ["alpha_pipeline-tag"]}
    updated = call(client, "PUT", f"{PIPELINES}/{ALPHA}", json=body)
    assert (updated["metadata"]["description"], tag_names(updated)) == ("all three", ["seed", "x-tag"])


@pytest.mark.parametrize(
    "body", [{"add_tags": "oops"}, {"description": "x" * 65536}, {"remove_tags": [1]}, ["not", "an", "object"]]
)
def test_a_bad_body_is_422_and_changes_nothing(client: TestClient, body: Any) -> None:
    before = call(client, "GET", f"{PIPELINES}/{ALPHA}")
    assert call(client, "PUT", f"{PIPELINES}/{ALPHA}", 422, json=body)[0] == "ValueError"
    assert call(client, "GET", f"{PIPELINES}/{ALPHA}") == before


@pytest.mark.parametrize(
    ("method", "url", "field"), [("POST", PIPELINES, "tags"), ("PUT", f"{PIPELINES}/{ALPHA}", "add_tags")]
)
def test_an_empty_tag_name_is_400_as_the_servers_tag_model_refuses_it(
    client: TestClient, method: str, url: str, field: str
) -> None:
    body = call(client, method, url, 400, json={"name": "delta_pipeline", "project": PROJECT, field: [""]})
    reason = "The class `TagRequest` has no attribute `name` or it is set to `None`. Cannot validate the name."
    assert body == {"detail": ["ValueError", reason]}
    assert names(client) == BY_CREATION


@pytest.mark.parametrize(
    ("method", "url", "field"), [("POST", PIPELINES, "tags"), ("PUT", f"{PIPELINES}/{ALPHA}", "add_tags")]
)
def test_a_tag_name_over_255_characters_is_422_with_detail(
    client: TestClient, method: str, url: str, field: str
) -> None:
    body = call(client, method, url, 422, json={"name": "delta_pipeline", "project": PROJECT, field: ["x" * 256]})
    assert body["detail"][0] == "ValueError" and "1 validation error for TagRequest" in body["detail"][1]


@pytest.mark.parametrize(
    ("method", "url", "field"), [("POST", PIPELINES, "tags"), ("PUT", f"{PIPELINES}/{ALPHA}", "add_tags")]
)
def test_a_tag_name_with_a_tab_is_400_forbidden_characters(
    client: TestClient, method: str, url: str, field: str
) -> None:
    body = call(client, method, url, 400, json={"name": "delta_pipeline", "project": PROJECT, field: ["x\ty"]})
    assert body == {
        "detail": ["ValueError", "The name `x\ty` of the `Tag` contains the following forbidden characters: `\t`."]
    }
    assert names(client) == BY_CREATION


def test_removing_an_empty_tag_name_is_fine(client: TestClient) -> None:
    assert tag_names(call(client, "PUT", f"{PIPELINES}/{ALPHA}", json={"remove_tags": [""]})) == [
        "alpha_pipeline-tag",
        "seed",
    ]


def test_a_tag_name_that_is_a_uuid_is_looked_up_as_a_tag_id(client: TestClient) -> None:
    seed_tag = "77545a6b-c4ff-48ad-a668-9587cff5a91a"
    assert tag_names(call(client, "PUT", f"{PIPELINES}/{DEMO}", json={"add_tags": [seed_tag.upper()]})) == ["seed"]
    body = call(client, "PUT", f"{PIPELINES}/{ALPHA}", 404, json={"add_tags": ["new-tag", UNKNOWN]})
    assert body == {"detail": ["KeyError", f"\"Unable to get tag with ID '{UNKNOWN}': No tag with this ID found\""]}
    tags = client.get("/__admin/state").json()["zenml-pipelines"]["tags"]
    assert "new-tag" not in [tag["name"] for tag in tags]  # refused before anything changed


def test_a_body_that_is_not_utf8_is_400(client: TestClient) -> None:
    response = client.put(
        f"{PIPELINES}/{ALPHA}", content=b'{"description": "\xff"}', headers={"Content-Type": "application/json"}
    )
    assert (response.status_code, response.json()) == (400, {"detail": "There was an error parsing the body"})


def test_a_body_that_is_not_json_is_422_not_415(client: TestClient) -> None:
    response = client.put(f"{PIPELINES}/{ALPHA}", content="x", headers={"Content-Type": "text/plain"})
    assert response.status_code == 422 and response.json()[0] == "ValueError"


# Delete


def test_delete_answers_200_null_and_then_get_is_404(client: TestClient) -> None:
    response = client.delete(f"{PIPELINES}/{GAMMA}")
    assert (response.status_code, response.text) == (200, "null")
    call(client, "GET", f"{PIPELINES}/{GAMMA}", 404)
    call(client, "DELETE", f"{PIPELINES}/{GAMMA}", 404)
    assert names(client) == ["alpha_pipeline", "beta_pipeline", "demo_training_pipeline"]


# What the client reads when it connects


def test_server_info_needs_no_token(anonymous: TestClient) -> None:
    info = call(anonymous, "GET", "/api/v1/info")
    assert (info["version"], info["auth_scheme"]) == ("0.98.0", "OAUTH2_PASSWORD_BEARER")


def test_current_user_is_the_tokens_user_hydrated(client: TestClient) -> None:
    user = call(client, "GET", "/api/v1/current-user", params={"hydrate": "True"})
    assert (user["id"], user["name"], user["metadata"]["user_metadata"]) == (USER, "default", {})


def test_projects_list_is_not_hydrated_and_get_is(client: TestClient) -> None:
    listed = call(client, "GET", "/api/v1/projects", params={"hydrate": "False", "sort_by": "created"})
    assert [(p["name"], p["metadata"]) for p in listed["items"]] == [("default", None)]
    for key in ("default", PROJECT):
        assert call(client, "GET", f"/api/v1/projects/{key}")["metadata"] == {"description": "", "project_metadata": {}}


def test_an_unknown_project_name_is_404(client: TestClient) -> None:
    call(client, "GET", "/api/v1/projects/nope", 404)


def test_stacks_list_finds_the_default_stack_and_get_has_its_components(client: TestClient) -> None:
    listed = call(client, "GET", "/api/v1/stacks", params={"name": "default"})["items"]
    assert [(s["id"], s["metadata"], s["resources"]) for s in listed] == [(STACK, None, {"user": None})]
    stack = call(client, "GET", f"/api/v1/stacks/{STACK}")
    assert sorted(stack["metadata"]["components"]) == ["artifact_store", "deployer", "orchestrator"]
    call(client, "GET", f"/api/v1/stacks/{UNKNOWN}", 404)


def test_the_user_filter_is_the_clients_not_the_callers_name(client: TestClient) -> None:
    """Connexion passes the caller as `user` too; the query parameter of that name must win."""
    assert call(client, "GET", "/api/v1/stacks", params={"user": "default"})["items"] == []  # created by no user
    assert len(call(client, "GET", "/api/v1/stacks")["items"]) == 1


def test_aux_lists_page_and_sort_like_pipelines(client: TestClient) -> None:
    call(client, "GET", "/api/v1/stacks", 400, params={"page": 2})
    assert call(client, "GET", "/api/v1/projects", 422, params={"sort_by": "tags"})["detail"][0] == "ValueError"


# Errors outside any operation


def test_an_unknown_path_is_404_not_found(client: TestClient) -> None:
    assert call(client, "GET", "/api/v1/pipelinez", 404) == {"detail": "Not Found"}


def test_a_wrong_method_is_405_with_the_documented_methods(client: TestClient) -> None:
    response = client.patch(PIPELINES)
    assert (response.status_code, response.json()) == (405, {"detail": "Method Not Allowed"})
    assert response.headers["allow"] == "GET, HEAD, POST"


# State, admin action


def test_record_run_makes_a_run_the_latest_one(client: TestClient) -> None:
    run = call(client, "POST", "/__admin/zenml-pipelines/record_run", json={"pipeline_id": ALPHA, "status": "failed"})
    assert run["resources"]["latest_run_status"] == "failed"
    assert names(client, latest_run_status="failed") == ["alpha_pipeline"]
    assert names(client, sort_by="desc:latest_run")[0] == "alpha_pipeline"


def test_record_run_refuses_an_unknown_status(client: TestClient) -> None:
    response = client.post("/__admin/zenml-pipelines/record_run", json={"pipeline_id": ALPHA, "status": "done"})
    assert response.status_code == 400


def test_exported_state_imports_back_unchanged(client: TestClient) -> None:
    create(client, tags=["fresh"])
    state = client.get("/__admin/state").json()
    assert client.put("/__admin/state", json=state).status_code == 200
    assert client.get("/__admin/state").json() == state


def test_a_state_naming_an_unknown_tag_is_refused_and_nothing_changes(client: TestClient) -> None:
    state = client.get("/__admin/state").json()
    state["zenml-pipelines"]["pipelines"][0]["tags"].append("no-such-tag")
    assert client.put("/__admin/state", json=state).status_code == 400
    assert names(client) == BY_CREATION


def test_reset_restores_the_fixtures(client: TestClient) -> None:
    client.delete(f"{PIPELINES}/{GAMMA}")
    client.post("/__admin/reset")
    client.headers["Authorization"] = f"Bearer {login(client).json()['access_token']}"
    assert names(client) == BY_CREATION


def test_new_timestamps_are_never_older_than_the_fixtures(client: TestClient) -> None:
    # The seeded clock starts in 2025; the recorded data is from 2026.
    assert create(client)["body"]["created"] > "2026-11-22T11:07:39.951204"


# The conformance properties hold on the mock (the lead's self-tests also run them on faulty variants).


@pytest.mark.parametrize("check", properties.READ_ONLY, ids=lambda check: check.__name__)
def test_read_only_property_holds_on_the_default_fixtures(client: TestClient, check: Any) -> None:
    check(client)


def test_pipeline_lifecycle_machine_holds_on_the_mock(client: TestClient) -> None:
    quick = settings(max_examples=5, stateful_step_count=8, deadline=None, database=None)
    run_state_machine_as_test(bind(properties.PipelineLifecycle, client), settings=quick)


@pytest.mark.parametrize(("method", "code"), [("put", 415), ("get", 422), ("delete", 422)])
def test_prefer_code_without_example_is_worded_as_its_documented_schema(
    client: TestClient, method: str, code: int
) -> None:
    """ZenML's 415 and 422 are bare validation lists, not `{"detail": ...}`: `Prefer: code=` answers the same
    way fault rules do, in the API's wording that fits the documented schema (response validation is on)."""
    response = client.request(
        method, f"{PIPELINES}/{ALPHA}", json={} if method == "put" else None, headers={"Prefer": f"code={code}"}
    )
    assert response.status_code == code
    assert response.json() == ["ValueError", f"1 validation error:\n  Response {code} requested with a Prefer header."]
    assert client.get(f"{PIPELINES}/{ALPHA}").status_code == 200  # nothing was deleted


# The store's indexes


@given(
    st.uuids(), st.sampled_from([str, lambda u: str(u).upper(), lambda u: u.hex, lambda u: f"{{{u}}}", lambda u: u.urn])
)
def test_an_id_in_any_spelling_is_the_uuid_the_server_prints(value: uuid.UUID, spell: Any) -> None:
    assert zenml_state.canonical_uuid(spell(value)) == str(value)


@given(st.text(alphabet="0123456789abcdefABCDEF-{}urn:id", max_size=45))
def test_what_is_an_id_is_what_the_uuid_parser_takes(value: str) -> None:
    try:
        parsed: str | None = str(uuid.UUID(value))
    except ValueError:
        parsed = None
    assert zenml_state.canonical_uuid(value) == parsed


def test_a_pipeline_stored_out_of_creation_order_takes_its_place_in_the_list() -> None:
    """A new pipeline usually goes last; one created no later than the last (a tie of the clock) is put in order."""
    fixture = read_yaml(FIXTURES_DIR / "zenml-pipelines.yaml")
    state = zenml_state.State.from_fixture(fixture, Context(ids=Ids(1), clock=Clock(seeded=True)))
    last = state.by_project[PROJECT][-1]
    high, low = f"{'f' * 8}-0000-4000-8000-{'0' * 12}", f"{'0' * 8}-0000-4000-8000-{'0' * 12}"
    for pipeline_id in (high, low):
        state.add_pipeline({**last, "id": pipeline_id, "name": pipeline_id, "tags": []})
    assert [p["id"] for p in state.by_project[PROJECT][-3:]] == [low, last["id"], high]
