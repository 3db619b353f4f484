"""Properties of the Esper Operations [alpha] API (contracts/specs/esper-operations.yaml) that any deployment must hold.

Read-only: every listed operation is well formed and its activity ends in its current state; the
`state` filter returns only operations in that state; `ordering` sorts by each key both ways (ties
by id); paging walks the list once with consistent `count`/`next`/`previous`; an unknown id is 404.

Writing (`OperationsMachine`): a new operation starts on its schedule type's path (IMMEDIATE:
CREATED → RESOLVING → ... → SUCCESS; WINDOW: CREATED → SCHEDULED → RESOLVING → ..., or TIMEOUT when its
window closes first) with its activity an ordered prefix of that path ending at its state, and only
moves forward; an update applies (and shows in get, with its reason) only while the operation is not
in a terminal state, and a terminal operation answers 400 naming its state and stays as it was.

On a real tenant: the machine creates CONVERGE operations whose device query names random device ids
that match no device, and WINDOW ones in 2031, so nothing reaches a device; at the end it cancels
every operation it created that is still running or scheduled.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import httpx
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, rule

from conformance.properties import ApiMachine, assert_sorted, expect, fetch_all_pages

OPERATIONS = "/v0/operations/"
STATE_NAMES = (
    "CREATED",
    "RESOLVING",
    "RESOLVED",
    "DISPATCHING",
    "DISPATCHED",
    "PROCESSING",
    "COMPLETED",
    "SUCCESS",
    "FAILURE",
    "SCHEDULED",
    "CANCELLED",
    "TIMEOUT",
)
STATE_CODES = {name: 10 * (index + 1) for index, name in enumerate(STATE_NAMES)}  # the seed's 10 .. 120
# WINDOW: scheduled, then the IMMEDIATE run once the window opens; TIMEOUT ends it if the window closes first.
PATHS = {"IMMEDIATE": STATE_NAMES[:8], "WINDOW": ("CREATED", "SCHEDULED", *STATE_NAMES[1:8])}
TERMINAL = frozenset({"SUCCESS", "FAILURE", "CANCELLED", "TIMEOUT"})
UPDATE_STATES = {"FAILED": "FAILURE", "CANCELLED": "CANCELLED", "TIMEOUT": "TIMEOUT", "SCHEDULED": "SCHEDULED"}
REQUIRED = (
    "id",
    "operation_type",
    "state",
    "schedule_type",
    "schedule_args",
    "device_query",
    "arguments",
    "reason",
    "created_at",
    "updated_at",
    "operation_activity",
    "operation_stats",
)
ORDER_KEYS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "created_at": lambda op: moment(op["created_at"]),
    "updated_at": lambda op: moment(op["updated_at"]),
    "state": lambda op: STATE_CODES[op["state"]],
}
EXTRA_FRACTION_DIGITS = re.compile(r"(\.\d{6})\d+")
PAGE = 100


def moment(stamp: str) -> datetime:
    """A response timestamp (the real service sends nanoseconds; Python reads six digits)."""
    return datetime.fromisoformat(EXTRA_FRACTION_DIGITS.sub(r"\1", stamp))


def page(client: httpx.Client, **query: Any) -> dict[str, Any]:
    """`content` of one list page, after checking its shape."""
    body = expect(client.get(OPERATIONS, params=query), 200, f"GET {OPERATIONS} {query}")
    content = body.get("content") if isinstance(body, dict) else None
    assert isinstance(content, dict) and isinstance(content.get("results"), list), (
        f"GET {OPERATIONS}: expected content.results, got {str(body)[:300]}"
    )
    return content


def get(client: httpx.Client, operation_id: str) -> dict[str, Any]:
    body = expect(client.get(f"{OPERATIONS}{operation_id}/"), 200, f"GET operation {operation_id}")
    assert body.get("content", {}).get("id") == operation_id, f"expected operation {operation_id}, got {body!r}"
    return body["content"]


def activity_states(op: dict[str, Any]) -> list[str]:
    return [entry["operation_state"] for entry in op["operation_activity"]]


def check_well_formed(op: dict[str, Any]) -> None:
    missing = [key for key in REQUIRED if key not in op]
    assert not missing, f"operation {op.get('id')}: expected fields {missing}, got {sorted(op)}"
    assert op["state"] in STATE_CODES, f"operation {op['id']}: unknown state {op['state']!r}"
    states = activity_states(op)
    assert states and states[-1] == op["state"], (
        f"operation {op['id']}: expected its activity to end in its state {op['state']}, got {states}"
    )
    times = [moment(entry["created_at"]) for entry in op["operation_activity"]]
    assert times == sorted(times), f"operation {op['id']}: activity out of time order: {op['operation_activity']}"


def check_on_path(op: dict[str, Any]) -> None:
    """The state is a step of the schedule type's path and the activity is that path up to it."""
    path = PATHS[op["schedule_type"]]
    states = activity_states(op)
    if op["schedule_type"] == "WINDOW" and op["state"] == "TIMEOUT" and len(states) > 2:
        path = (*states[:-1], "TIMEOUT") if tuple(states[:-1]) == path[: len(states) - 1] else path
    assert op["state"] in path, f"operation {op['id']} ({op['schedule_type']}): state {op['state']} is not on {path}"
    expected = list(path[: path.index(op["state"]) + 1])
    assert activity_states(op) == expected, (
        f"operation {op['id']}: expected activity {expected} for state {op['state']}, got {activity_states(op)}"
    )


# --- read-only properties ---------------------------------------------------------------------


def listed_operations_are_well_formed(client: httpx.Client) -> None:
    for op in page(client, limit=PAGE)["results"]:
        check_well_formed(op)


def state_filter_returns_only_that_state(client: httpx.Client) -> None:
    total = page(client, limit=1)["count"]
    for name, code in STATE_CODES.items():
        content = page(client, state=code, limit=PAGE)
        wrong = [(op["id"], op["state"]) for op in content["results"] if op["state"] != name]
        assert not wrong, f"GET {OPERATIONS}?state={code}: expected only {name} operations, also got {wrong}"
        assert content["count"] <= total, f"state={code}: count {content['count']} exceeds the unfiltered {total}"


def ordering_is_honoured_both_ways(client: httpx.Client) -> None:
    for field, key in ORDER_KEYS.items():
        for descending in (False, True):
            ordering = f"-{field}" if descending else field
            results = page(client, ordering=ordering, limit=PAGE)["results"]
            assert_sorted([(key(op), op["id"]) for op in results], descending, f"ordering={ordering} (ties by id)")


def pages_cover_the_list_once(client: httpx.Client) -> None:
    limit = 2
    first = page(client, ordering="created_at", limit=limit)
    assert first["previous"] is None, f"first page: expected previous null, got {first['previous']!r}"

    def fetch(number: int) -> tuple[list[Any], bool]:
        content = page(client, ordering="created_at", limit=limit, offset=number * limit)
        more = (number + 1) * limit < content["count"]
        assert (content["next"] is not None) == more, (
            f"offset {number * limit} of {content['count']}: expected next {'a URL' if more else 'null'}, "
            f"got {content['next']!r}"
        )
        return content["results"], more

    ids = [op["id"] for op in fetch_all_pages(fetch)]
    assert len(ids) == len(set(ids)), f"paging repeated operations: {sorted({i for i in ids if ids.count(i) > 1})}"
    assert len(ids) == first["count"], f"expected {first['count']} operations over all pages (count), got {len(ids)}"


def unknown_operation_is_404(client: httpx.Client) -> None:
    unknown = str(uuid.uuid4())
    body = expect(client.get(f"{OPERATIONS}{unknown}/"), 404, "GET of an unknown operation")
    assert body.get("code") == 404, f"expected Esper's error body with code 404, got {body!r}"


READ_ONLY: list[Callable[[httpx.Client], None]] = [
    listed_operations_are_well_formed,
    state_filter_returns_only_that_state,
    ordering_is_honoured_both_ways,
    pages_cover_the_list_once,
    unknown_operation_is_404,
]


# --- writing properties -----------------------------------------------------------------------

FAR_FUTURE = datetime(2031, 1, 1)
windows = st.builds(
    lambda start, minutes, time_type, days: {
        "start_datetime": f"{start.isoformat()}Z",
        "end_datetime": f"{(start + timedelta(minutes=minutes)).isoformat()}Z",
        "time_type": time_type,
        "days": sorted(days),
    },
    st.integers(0, 365 * 24 * 60).map(lambda m: FAR_FUTURE + timedelta(minutes=m)),
    st.integers(1, 14 * 24 * 60),
    st.sampled_from(["console", "device"]),
    st.sets(st.integers(0, 6), min_size=1),
)


class OperationsMachine(ApiMachine):
    """Creates operations (IMMEDIATE and WINDOW), watches them progress and updates them."""

    operations = Bundle("operations")

    def __init__(self) -> None:
        super().__init__()
        self.seen: dict[str, dict[str, Any]] = {}
        """Each created operation as last read, plus `updated_to`: the state our last accepted update set."""

    def create(self, body: dict[str, Any]) -> dict[str, Any]:
        created = expect(self.client.post(OPERATIONS, json=body), 201, "POST a new operation")
        op = created["content"]
        check_well_formed(op)
        self.seen[op["id"]] = {**op, "updated_to": None}
        return op

    @rule(target=operations, devices=st.lists(st.uuids(), min_size=1, max_size=3), window=st.none() | windows)
    def new_operation_starts_on_its_path(self, devices: list[uuid.UUID], window: dict[str, Any] | None) -> str:
        query = {"device_ids": ",".join(map(str, devices))}  # random ids: no real device is touched
        body: dict[str, Any] = {"operation_type": "CONVERGE", "operation_device_query": query, "arguments": {}}
        body |= {"schedule_type": "WINDOW", "schedule_args": window} if window else {"schedule_type": "IMMEDIATE"}
        op = self.create(body)
        check_on_path(op)
        assert (op["operation_type"], op["schedule_type"], op["device_query"]) == (
            "CONVERGE",
            body["schedule_type"],
            query,
        ), f"expected the operation to echo the request {body}, got {op}"
        if window:
            sent = {key: moment(window[key]) for key in ("start_datetime", "end_datetime")}
            kept = {key: moment(op["schedule_args"][key]) for key in sent}
            assert kept == sent, f"expected the window {window} to be kept, got {op['schedule_args']}"
        return op["id"]

    @rule(operation_id=operations)
    def operations_only_move_forward(self, operation_id: str) -> None:
        before = self.seen[operation_id]
        op = get(self.client, operation_id)
        check_well_formed(op)
        earlier = activity_states(before)
        assert activity_states(op)[: len(earlier)] == earlier, (
            f"operation {operation_id}: activity {earlier} was rewritten to {activity_states(op)}"
        )
        if before["updated_to"] is None:
            check_on_path(op)
        elif before["updated_to"] in TERMINAL:
            assert op["state"] == before["updated_to"], (
                f"operation {operation_id}: updated to {before['updated_to']}, now {op['state']}"
            )
        self.seen[operation_id] = {**op, "updated_to": before["updated_to"]}

    @rule(operation_id=operations, wanted=st.sampled_from(sorted(UPDATE_STATES)), reason=st.text(max_size=40))
    def updates_apply_only_before_a_terminal_state(self, operation_id: str, wanted: str, reason: str) -> None:
        before = self.seen[operation_id]
        response = self.client.put(f"{OPERATIONS}{operation_id}/", json={"state": wanted, "reason": reason})
        known_terminal = before["updated_to"] in TERMINAL or before["state"] in TERMINAL
        if known_terminal:
            self.refused(operation_id, response, before["state"])
            return
        expect(response, (200, 400), f"PUT {wanted} on an operation last seen {before['state']}")
        if response.status_code == 400:  # it finished between our last read and the update
            self.refused(operation_id, response, None)
            return
        answer = response.json()
        assert answer.get("operationId") == operation_id and isinstance(answer.get("status"), str), (
            f"expected {{operationId: {operation_id}, status}}, got {answer!r}"
        )
        op = get(self.client, operation_id)
        new_state = UPDATE_STATES[wanted]
        assert (op["state"], op["reason"], activity_states(op)[-1]) == (new_state, reason, new_state), (
            f"PUT {wanted} ({reason!r}) answered 200 but get shows state {op['state']}, reason {op['reason']!r}, "
            f"activity {activity_states(op)}"
        )
        self.seen[operation_id] = {**op, "updated_to": new_state}

    def refused(self, operation_id: str, response: httpx.Response, state: str | None) -> None:
        """A terminal operation answers 400 naming its state and stays exactly as it was."""
        body = expect(response, 400, f"PUT on terminal operation {operation_id}")
        op = get(self.client, operation_id)
        assert op["state"] in TERMINAL, f"PUT was refused but operation {operation_id} is {op['state']}, not terminal"
        assert op["state"] in body.get("message", ""), f"expected the 400 to name state {op['state']}, got {body!r}"
        if state is not None:
            assert op["state"] == state, (
                f"operation {operation_id} was {state}, after a refused PUT it is {op['state']}"
            )
        self.seen[operation_id] = {**op, "updated_to": self.seen[operation_id]["updated_to"]}

    @rule(window=windows, second=st.sampled_from(sorted(UPDATE_STATES)))
    def cancelled_operation_refuses_a_second_update(self, window: dict[str, Any], second: str) -> None:
        body = {"operation_type": "CONVERGE", "schedule_type": "WINDOW", "schedule_args": window}
        op = self.create({**body, "operation_device_query": {"device_ids": str(uuid.uuid4())}, "arguments": {}})
        url = f"{OPERATIONS}{op['id']}/"
        expect(self.client.put(url, json={"state": "CANCELLED", "reason": "property test"}), 200, "PUT CANCELLED")
        self.seen[op["id"]]["updated_to"] = "CANCELLED"
        self.refused(op["id"], self.client.put(url, json={"state": second}), "CANCELLED")

    @rule(window=windows)
    def scheduled_operation_is_listed_under_its_state(self, window: dict[str, Any]) -> None:
        body = {"operation_type": "CONVERGE", "schedule_type": "WINDOW", "schedule_args": window, "arguments": {}}
        op = self.create({**body, "operation_device_query": {"device_ids": str(uuid.uuid4())}})
        listed = page(self.client, state=STATE_CODES["SCHEDULED"], ordering="-created_at", limit=PAGE)["results"]
        assert op["id"] in [item["id"] for item in listed], (
            f"new SCHEDULED operation {op['id']} missing from GET {OPERATIONS}?state=100&ordering=-created_at"
        )

    @rule()
    def update_of_unknown_operation_is_404(self) -> None:
        unknown = str(uuid.uuid4())
        body = expect(self.client.put(f"{OPERATIONS}{unknown}/", json={"state": "CANCELLED"}), 404, "PUT unknown id")
        assert body.get("code") == 404, f"expected Esper's error body with code 404, got {body!r}"

    def teardown(self) -> None:
        """Leave nothing running or scheduled on the tenant."""
        for operation_id, op in self.seen.items():
            if op["state"] not in TERMINAL and op["updated_to"] not in TERMINAL:
                self.client.put(f"{OPERATIONS}{operation_id}/", json={"state": "CANCELLED", "reason": "conformance"})


MACHINES: list[type[ApiMachine]] = [OperationsMachine]
