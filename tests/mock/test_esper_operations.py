"""The esper-operations mock: create/get/list/update, progress over the clock, schedules, filters, sorting,
paging, errors, auth and the seed's and spec's own examples.

Every client has response validation on, so each passing call also proves the response fits the spec.
The clients are seeded: the clock starts at 2025-01-01 and moves one second per reading (one reading
per request), so an IMMEDIATE operation (0.5 s per state) is two states further at each request.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from starlette.testclient import TestClient

from contracts import load_spec

AUTH = {"Authorization": "Bearer mock-token"}
OPERATIONS = "/v0/operations/"
SEED_ID = "5743470f-7dcc-4a92-8a4b-f41b1cea69ed"  # the seed's PUT example: WINDOW, SCHEDULED
SUCCEEDED_ID = "0a7c5e3d-2b1f-4c9e-8d6a-5f4e3d2c1b0a"  # IMMEDIATE CONVERGE, SUCCESS
UNKNOWN = "0b7d2c7e-0000-4000-8000-000000000000"
IMMEDIATE_PATH = ["CREATED", "RESOLVING", "RESOLVED", "DISPATCHING", "DISPATCHED", "PROCESSING", "COMPLETED", "SUCCESS"]
STATE_NAMES = [*IMMEDIATE_PATH, "FAILURE", "SCHEDULED", "CANCELLED", "TIMEOUT"]
STATE_CODES = {name: 10 * (index + 1) for index, name in enumerate(STATE_NAMES)}  # the list filter's codes
TWO_DEVICES = {"device_ids": "9f0a1c2e-5b7d-4e3a-8c6f-1d2e3f4a5b6c,0c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f"}
WINDOW_ARGS = {
    "start_datetime": "2030-03-01T01:00:00Z",
    "end_datetime": "2030-03-08T04:00:00+00:00",
    "time_type": "device",
    "days": [0, 1, 2, 3, 4],
}


@pytest.fixture
def client(make_client: Any) -> TestClient:
    return make_client("esper-operations")


def call(client: TestClient, method: str, url: str, status: int = 200, **kwargs: Any) -> Any:
    """The JSON body, after checking the status; every error must be in Esper's format."""
    headers = {**AUTH, **kwargs.pop("headers", {})}
    response = client.request(method, url, headers=headers, **kwargs)
    assert response.status_code == status, response.text
    body = response.json()
    if status >= 400:
        assert body == {"code": status, "message": body["message"], "content": {}}
    return body


def create(client: TestClient, **fields: Any) -> dict[str, Any]:
    body = {"operation_type": "CONVERGE", "schedule_type": "IMMEDIATE", "operation_device_query": TWO_DEVICES}
    return call(client, "POST", OPERATIONS, 201, json={**body, **fields})["content"]


def create_window(client: TestClient, **args: Any) -> dict[str, Any]:
    return create(client, schedule_type="WINDOW", schedule_args={**WINDOW_ARGS, **args})


def get(client: TestClient, operation_id: str) -> dict[str, Any]:
    return call(client, "GET", f"{OPERATIONS}{operation_id}/")["content"]


def update(client: TestClient, operation_id: str, status: int = 200, **body: Any) -> dict[str, Any]:
    return call(client, "PUT", f"{OPERATIONS}{operation_id}/", status, json=body)


def listing(client: TestClient, **query: Any) -> dict[str, Any]:
    return call(client, "GET", OPERATIONS, params=query)["content"]


def advance(client: TestClient, seconds: float) -> None:
    assert client.post("/__admin/clock/advance", json={"seconds": seconds}).status_code == 200


def when(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp)


def query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


# Create


def test_create_answers_201_with_a_new_immediate_operation_in_created(client: TestClient) -> None:
    op = create(client, arguments={"converge_with_provision": True})
    assert op["state"] == "CREATED"
    assert op["operation_type"] == op["operation"] == "CONVERGE"
    assert op["schedule_type"] == "IMMEDIATE"
    assert op["schedule_args"] is None
    assert op["device_query"] == TWO_DEVICES
    assert op["arguments"] == {"converge_with_provision": True}
    assert op["reason"] is None
    assert op["tenant_id"] == "6f1d3c2a-9b8e-4f7d-a6c5-b4e3d2c1f0a9"
    assert op["created_at"] == op["updated_at"]
    assert op["created_by"] == op["updated_by"] == "esper-api-key"
    assert op["operation_activity"] == [{"operation_state": "CREATED", "created_at": op["created_at"]}]
    assert set(op["operation_stats"].values()) == {0}


def test_created_operation_is_returned_by_get(client: TestClient) -> None:
    op = create(client)
    fetched = get(client, op["id"])
    stable = ("id", "operation_type", "schedule_type", "device_query", "arguments", "created_at", "created_by")
    assert {k: fetched[k] for k in stable} == {k: op[k] for k in stable}


def test_created_operation_is_listed_first_by_default(client: TestClient) -> None:
    op = create(client)
    assert listing(client)["results"][0]["id"] == op["id"]


def test_create_accepts_every_documented_operation_type(client: TestClient) -> None:
    for kind in ("CONVERGE", "INSTALL", "UNINSTALL", "APP_INSTALL", "APP_UNINSTALL", "REBOOT"):
        assert create(client, operation_type=kind)["operation_type"] == kind


def test_create_rejects_an_unknown_operation_type(client: TestClient) -> None:
    body = {"operation_type": "WIPE", "schedule_type": "IMMEDIATE", "operation_device_query": {}}
    assert "'WIPE' is not one of" in call(client, "POST", OPERATIONS, 400, json=body)["message"]


def test_create_requires_a_device_query(client: TestClient) -> None:
    body = call(client, "POST", OPERATIONS, 400, json={"operation_type": "CONVERGE", "schedule_type": "IMMEDIATE"})
    assert "'operation_device_query' is a required property" in body["message"]


@pytest.mark.parametrize("missing", ["operation_type", "schedule_type", "operation_device_query"])
def test_create_needs_the_three_fields_and_says_so(client: TestClient, missing: str) -> None:
    body = {"operation_type": "CONVERGE", "schedule_type": "IMMEDIATE", "operation_device_query": TWO_DEVICES}
    del body[missing]
    message = call(client, "POST", OPERATIONS, 400, json=body)["message"]
    assert f"'{missing}' is a required property" in message
    assert "An operation needs operation_type (what to do), schedule_type" in message


def test_create_needs_neither_arguments_nor_schedule_args_for_immediate(client: TestClient) -> None:
    op = create(client)
    assert (op["arguments"], op["schedule_args"]) == ({}, None)


def test_create_rejects_an_unknown_schedule_type(client: TestClient) -> None:
    body = {"operation_type": "CONVERGE", "schedule_type": "LATER", "operation_device_query": {}}
    assert "schedule_type" in call(client, "POST", OPERATIONS, 400, json=body)["message"]


def test_rejected_create_changes_nothing(client: TestClient) -> None:
    before = listing(client)["count"]
    call(client, "POST", OPERATIONS, 400, json={"operation_type": "CONVERGE", "schedule_type": "WINDOW"})
    assert listing(client)["count"] == before


# Schedules


def test_window_operation_is_scheduled_at_once_with_both_steps_recorded(client: TestClient) -> None:
    op = create_window(client)
    assert op["state"] == "SCHEDULED"
    assert [a["operation_state"] for a in op["operation_activity"]] == ["CREATED", "SCHEDULED"]


def test_window_operation_stays_scheduled_until_its_window(client: TestClient) -> None:
    op = create_window(client)
    advance(client, 86400)
    assert get(client, op["id"])["state"] == "SCHEDULED"


def advance_to(client: TestClient, op: dict[str, Any], stamp: str) -> None:
    """Move the mock's clock to a little after `stamp` (the seeded clock also ticks once per request),
    at most a year per call as the admin API allows."""
    left = (when(stamp) - when(op["created_at"])).total_seconds()
    while left > 0:
        advance(client, min(left, 31536000))
        left -= 31536000


def activity(op: dict[str, Any]) -> list[tuple[str, str]]:
    return [(a["operation_state"], a["created_at"]) for a in op["operation_activity"]]


def test_window_operation_runs_when_the_clock_reaches_its_window(client: TestClient) -> None:
    op = create_window(client)  # Friday 2030-03-01 01:00 to 04:00, weekdays
    advance_to(client, op, "2030-03-01T00:59:00Z")
    assert get(client, op["id"])["state"] == "SCHEDULED"
    advance(client, 120)
    done = get(client, op["id"])
    assert done["state"] == "SUCCESS"
    assert [state for state, _ in activity(done)] == ["CREATED", "SCHEDULED", *IMMEDIATE_PATH[1:]]
    assert activity(done)[2] == ("RESOLVING", "2030-03-01T01:00:00.000000Z")  # the moment the window opened
    assert done["operation_stats"]["success_device_count"] == 2


def test_window_opens_on_the_next_listed_day_at_its_start_time(client: TestClient) -> None:
    op = create_window(client, days=[6])  # Fridays' start, but only Sundays are listed
    advance_to(client, op, "2030-03-03T01:00:05Z")
    assert activity(get(client, op["id"]))[2] == ("RESOLVING", "2030-03-03T01:00:00.000000Z")


def test_window_that_closes_with_no_time_left_ends_in_timeout(client: TestClient) -> None:
    op = create_window(client, end_datetime="2030-03-02T04:00:00Z", days=[0])  # Fri-Sat, Mondays only
    advance_to(client, op, "2030-03-02T05:00:00Z")
    assert activity(get(client, op["id"]))[-2:] == [
        ("SCHEDULED", op["operation_activity"][-1]["created_at"]),
        ("TIMEOUT", "2030-03-02T04:00:00.000000Z"),
    ]


def test_window_too_short_to_finish_ends_in_timeout_when_it_closes(client: TestClient) -> None:
    op = create_window(client, end_datetime="2030-03-01T01:00:02Z")  # two seconds; a run takes 3.5
    advance_to(client, op, "2030-03-01T02:00:00Z")
    states = activity(get(client, op["id"]))
    assert [state for state, _ in states] == ["CREATED", "SCHEDULED", *IMMEDIATE_PATH[1:5], "TIMEOUT"]
    assert states[-1] == ("TIMEOUT", "2030-03-01T01:00:02.000000Z")


def test_window_entirely_in_the_past_times_out_at_once(client: TestClient) -> None:
    op = create_window(client, start_datetime="2024-01-01T01:00:00Z", end_datetime="2024-01-05T04:00:00Z")
    assert op["state"] == "TIMEOUT"
    assert [state for state, _ in activity(op)] == ["CREATED", "SCHEDULED", "TIMEOUT"]


def test_window_times_are_derived_from_start_and_end_not_taken_from_the_request(client: TestClient) -> None:
    op = create_window(client, window_start_time="13:37:00", window_end_time="whenever")
    assert op["schedule_args"] == {**WINDOW_ARGS, "window_start_time": "01:00:00", "window_end_time": "04:00:00"}


@pytest.mark.parametrize(
    "args",
    [None, {"start_datetime": "2030-03-01T01:00:00Z"}, {**WINDOW_ARGS, "days": []}],
    ids=["no schedule_args", "no end, time_type, days", "no days"],
)
def test_window_without_its_window_is_400_saying_what_is_needed(client: TestClient, args: Any) -> None:
    body = {"operation_type": "CONVERGE", "schedule_type": "WINDOW", "operation_device_query": {}}
    if args is not None:
        body["schedule_args"] = args
    message = call(client, "POST", OPERATIONS, 400, json=body)["message"]
    assert "WINDOW needs schedule_args with start_datetime and end_datetime" in message


@pytest.mark.parametrize("end", ["2030-03-01T01:00:00Z", "2030-02-28T23:00:00Z"], ids=["equal", "before"])
def test_window_must_end_after_it_starts(client: TestClient, end: str) -> None:
    body = {"operation_type": "CONVERGE", "schedule_type": "WINDOW", "operation_device_query": {}}
    body["schedule_args"] = {**WINDOW_ARGS, "end_datetime": end}
    assert "must be after start_datetime" in call(client, "POST", OPERATIONS, 400, json=body)["message"]


def test_window_with_an_unknown_time_type_is_400(client: TestClient) -> None:
    body = {"operation_type": "CONVERGE", "schedule_type": "WINDOW", "operation_device_query": {}}
    body["schedule_args"] = {**WINDOW_ARGS, "time_type": "utc"}
    assert "time_type" in call(client, "POST", OPERATIONS, 400, json=body)["message"]


def test_immediate_operation_keeps_schedule_args_it_was_sent(client: TestClient) -> None:
    op = create(client, schedule_args={"time_type": "console"})
    assert op["schedule_args"]["time_type"] == "console"
    assert op["state"] == "CREATED"


# Progress over the clock


def test_immediate_operation_is_two_states_further_one_second_later(client: TestClient) -> None:
    op = create(client)
    assert get(client, op["id"])["state"] == "RESOLVED"  # the seeded clock moved 1 s: two 0.5 s steps


def test_immediate_operation_completes_with_every_step_recorded_half_a_second_apart(client: TestClient) -> None:
    op = create(client)
    advance(client, 10)
    done = get(client, op["id"])
    assert done["state"] == "SUCCESS"
    assert [a["operation_state"] for a in done["operation_activity"]] == IMMEDIATE_PATH
    times = [when(a["created_at"]) for a in done["operation_activity"]]
    assert all(b - a == timedelta(seconds=0.5) for a, b in zip(times, times[1:], strict=False))
    assert done["updated_at"] == done["operation_activity"][-1]["created_at"]


def test_completed_operation_counts_its_devices(client: TestClient) -> None:
    op = create(client)
    advance(client, 10)
    stats = get(client, op["id"])["operation_stats"]
    assert stats == {
        "resolved_device_count": 2,
        "dispatched_device_count": 2,
        "dispatch_failed_count": 0,
        "failed_device_count": 0,
        "success_device_count": 2,
    }


def test_step_seconds_from_the_fixture_sets_the_pace(client: TestClient) -> None:
    state = client.get("/__admin/state").json()
    state["esper-operations"]["step_seconds"] = 3600
    assert client.put("/__admin/state", json=state).status_code == 200
    op = create(client)
    advance(client, 3600 * 3)
    assert get(client, op["id"])["state"] == "DISPATCHING"


# Update


def test_seed_update_example_cancels_the_seed_operation(client: TestClient) -> None:
    answer = update(client, SEED_ID, state="CANCELLED", reason="User requested")
    assert answer == {"operationId": SEED_ID, "status": "SUCCEEDED"}
    op = get(client, SEED_ID)
    assert op["state"] == "CANCELLED"
    assert op["reason"] == "User requested"
    assert op["operation_activity"][-1] == {"operation_state": "CANCELLED", "created_at": op["updated_at"]}


def test_update_failed_sets_the_object_state_failure(client: TestClient) -> None:
    op = create(client)
    advance(client, 0.6)  # with the two requests' seconds: 2.6 s old, PROCESSING
    update(client, op["id"], state="FAILED", reason="Devices offline")
    failed = get(client, op["id"])
    assert failed["state"] == "FAILURE"
    assert failed["operation_stats"]["failed_device_count"] == 2


@pytest.mark.parametrize("state", ["TIMEOUT", "SCHEDULED"])
def test_update_stops_an_immediate_operation_in_the_new_state(client: TestClient, state: str) -> None:
    op = create(client)
    update(client, op["id"], state=state)
    advance(client, 60)
    assert get(client, op["id"])["state"] == state


def test_update_records_who_and_when(client: TestClient) -> None:
    before = get(client, SEED_ID)
    update(client, SEED_ID, state="TIMEOUT")
    after = get(client, SEED_ID)
    assert after["updated_by"] == "esper-api-key"
    assert when(after["updated_at"]) > when(before["updated_at"])
    assert after["reason"] is None  # none sent, none stored


def test_update_of_a_cancelled_operation_is_400_naming_its_state(client: TestClient) -> None:
    update(client, SEED_ID, state="CANCELLED")
    message = update(client, SEED_ID, 400, state="TIMEOUT")["message"]
    assert "terminal state CANCELLED" in message
    assert get(client, SEED_ID)["state"] == "CANCELLED"


def test_update_of_a_completed_operation_is_400(client: TestClient) -> None:
    op = create(client)
    advance(client, 10)
    assert "terminal state SUCCESS" in update(client, op["id"], 400, state="CANCELLED")["message"]


def test_update_of_a_scheduled_operation_to_scheduled_logs_nothing_new(client: TestClient) -> None:
    before = get(client, SEED_ID)
    update(client, SEED_ID, state="SCHEDULED", reason="keep the window")
    after = get(client, SEED_ID)
    assert after["operation_activity"] == before["operation_activity"]
    assert (after["reason"], after["updated_at"] > before["updated_at"]) == ("keep the window", True)


def test_update_rejects_a_state_outside_the_enum(client: TestClient) -> None:
    assert "state" in update(client, SEED_ID, 400, state="SUCCESS")["message"]
    assert get(client, SEED_ID)["state"] == "SCHEDULED"


def test_update_of_an_unknown_operation_is_404(client: TestClient) -> None:
    assert UNKNOWN in update(client, UNKNOWN, 404, state="CANCELLED")["message"]


def test_update_path_id_need_not_be_a_uuid(client: TestClient) -> None:
    update(client, "12345", 404, state="CANCELLED")


def test_update_without_a_json_body_is_415(client: TestClient) -> None:
    call(
        client, "PUT", f"{OPERATIONS}{SEED_ID}/", 415, content="state=CANCELLED", headers={"Content-Type": "text/plain"}
    )


# Get


def test_get_of_an_unknown_operation_is_404(client: TestClient) -> None:
    assert "not found" in call(client, "GET", f"{OPERATIONS}{UNKNOWN}/", 404)["message"]


def test_get_with_a_malformed_id_is_400(client: TestClient) -> None:
    assert "uuid" in call(client, "GET", f"{OPERATIONS}not-a-uuid/", 400)["message"]


# List: filter, order, pages


def test_state_filter_returns_only_operations_in_that_state(client: TestClient) -> None:
    for name, code in STATE_CODES.items():
        assert {op["state"] for op in listing(client, state=code)["results"]} <= {name}
    assert listing(client, state=100)["count"] == 2


def test_state_filter_follows_progress(client: TestClient) -> None:
    op = create(client)
    advance(client, 10)
    assert op["id"] in [item["id"] for item in listing(client, state=80, limit=100)["results"]]


def test_state_filter_outside_the_codes_is_400(client: TestClient) -> None:
    assert "'15' is not one of" in call(client, "GET", OPERATIONS, 400, params={"state": 15})["message"]


def test_empty_state_filter_filters_nothing(client: TestClient) -> None:
    """django-filter skips an empty value: `state=` lists everything."""
    assert listing(client, state="")["count"] == 6


SORT_KEYS = {
    "created_at": lambda op: when(op["created_at"]),
    "updated_at": lambda op: when(op["updated_at"]),
    "state": lambda op: STATE_CODES[op["state"]],
}


@pytest.mark.parametrize("field", sorted(SORT_KEYS))
@pytest.mark.parametrize("descending", [False, True])
def test_ordering_sorts_by_the_field_with_id_breaking_ties(client: TestClient, field: str, descending: bool) -> None:
    create(client)
    create_window(client)
    results = listing(client, ordering=("-" if descending else "") + field, limit=100)["results"]
    keys = [(SORT_KEYS[field](op), op["id"]) for op in results]
    assert len(keys) == 8
    assert keys == sorted(keys, reverse=descending)


def test_default_order_is_newest_first(client: TestClient) -> None:
    created = [when(op["created_at"]) for op in listing(client, limit=100)["results"]]
    assert created == sorted(created, reverse=True)


@pytest.mark.parametrize("ordering", ["id", "", "-", "--state", "nonsense,also"])
def test_unknown_or_empty_ordering_falls_back_to_newest_first(client: TestClient, ordering: str) -> None:
    """DRF's OrderingFilter drops unknown fields; with none left the default applies."""
    assert listing(client, ordering=ordering, limit=100) == listing(client, limit=100)


def test_ordering_takes_several_fields_and_skips_unknown_ones(client: TestClient) -> None:
    create(client)
    create_window(client)
    results = listing(client, ordering="bogus,state,-created_at", limit=100)["results"]
    keys = [(STATE_CODES[op["state"]], -when(op["created_at"]).timestamp()) for op in results]
    assert keys == sorted(keys)


def test_pages_walk_the_whole_list_once_with_links(client: TestClient) -> None:
    first = listing(client, limit=4)
    assert first["count"] == 6 and first["previous"] is None
    # DRF builds links from the request's own query: no ordering the client did not send, no offset=0.
    assert query(first["next"]) == {"limit": ["4"], "offset": ["4"]}
    second = call(client, "GET", first["next"])["content"]
    assert second["next"] is None
    assert query(second["previous"]) == {"limit": ["4"]}
    ids = [op["id"] for op in first["results"] + second["results"]]
    assert ids == [op["id"] for op in listing(client, limit=100)["results"]]


def test_page_links_keep_the_filter(client: TestClient) -> None:
    page = listing(client, state=100, limit=1)
    assert query(page["next"])["state"] == ["100"]


def test_offset_past_the_end_is_an_empty_page(client: TestClient) -> None:
    page = listing(client, offset=50)
    assert page["results"] == [] and page["count"] == 6 and page["next"] is None


def test_page_links_keep_what_the_client_sent_sorted_by_key(client: TestClient) -> None:
    page = listing(client, ordering="state", state="", limit=2, offset=3, extra="kept")
    assert page["next"].split("?", 1)[1] == "extra=kept&limit=2&offset=5&ordering=state&state="
    assert page["previous"].split("?", 1)[1] == "extra=kept&limit=2&offset=1&ordering=state&state="


@pytest.mark.parametrize(
    ("params", "size", "start"),
    [({"limit": 0}, 20, 0), ({"limit": 101}, 100, 0), ({"offset": -1}, 20, 0), ({"limit": "abc", "offset": 2}, 20, 2)],
)
def test_paging_is_read_as_drf_does(client: TestClient, params: dict[str, Any], size: int, start: int) -> None:
    everything = listing(client, limit=100)["results"]
    page = listing(client, **params)
    assert page["results"] == everything[start : start + size]
    assert page["previous"] is None or query(page["previous"])["limit"] == [str(size)]


# Auth


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong"}, {"Authorization": "Token mock-token"}, {"Authorization": "mock-token"}],
    ids=["none", "unknown key", "wrong keyword", "no keyword"],
)
def test_requests_without_a_valid_bearer_key_are_401(client: TestClient, headers: dict[str, str]) -> None:
    response = client.get(OPERATIONS, headers=headers)
    assert response.status_code == 401
    assert response.json()["code"] == 401


# The spec's own examples work as written


def spec_operation(path: str, method: str) -> dict[str, Any]:
    return load_spec("esper-operations")["paths"][path][method]


def test_documented_list_example_is_what_its_example_query_returns(client: TestClient) -> None:
    example = spec_operation(OPERATIONS, "get")["responses"]["200"]["content"]["application/json"]["example"]
    assert call(client, "GET", OPERATIONS, params={"state": 100, "ordering": "created_at"}) == example


def test_documented_get_example_is_the_seed_operation(client: TestClient) -> None:
    operation = spec_operation(f"{OPERATIONS}{{operationId}}/", "get")
    example = operation["responses"]["200"]["content"]["application/json"]["example"]
    assert call(client, "GET", f"{OPERATIONS}{SEED_ID}/") == example


def test_documented_create_examples_are_accepted(client: TestClient) -> None:
    examples = spec_operation(OPERATIONS, "post")["requestBody"]["content"]["application/json"]["examples"]
    states = {
        name: call(client, "POST", OPERATIONS, 201, json=ex["value"])["content"]["state"]
        for name, ex in examples.items()
    }
    assert states == {"immediate": "CREATED", "window": "SCHEDULED"}


def test_fixture_success_operation_cannot_be_updated(client: TestClient) -> None:
    assert "SUCCESS" in update(client, SUCCEEDED_ID, 400, state="CANCELLED")["message"]


def test_the_default_list_agrees_with_a_sorted_one_as_operations_run_and_stop(client: TestClient) -> None:
    # The default list is a slice of a kept order and only running operations are advanced (issue 10.13):
    # it must show what sorting everything showed, as states move on, and after an update stops one.
    created = [create(client) for _ in range(3)]
    update(client, created[1]["id"], state="CANCELLED")
    advance(client, 3600)

    def listed(**query: str) -> list[tuple[str, str]]:
        return [(op["id"], op["state"]) for op in listing(client, **{"limit": "100", **query})["results"]]

    assert listed() == listed(ordering="-created_at,-updated_at")  # the second one sorts everything
    states = dict(listed())
    assert [states[op["id"]] for op in created] == ["SUCCESS", "CANCELLED", "SUCCESS"]
    assert listed(offset="1", limit="2") == listed()[1:3]
