"""Mock of Esper's Operations [alpha] API (`specs/esper-operations.yaml`): a tenant's operations (converge,
install, reboot ...) that run at once or wait for a window, with their progress over time.

Truth: the seed page (seeds/001, Redoc `develop-api.esper.io/tag/Operations-alpha`) for paths, bodies,
the 201 create and the bare `{operationId, status}` update answer; research/seed-apis.md §2 for the
create doc's type enum and schedule arguments and the real response's object shape (help.esper.io
33139287007121). Decisions where the seed is silent or wrong are listed in the spec's "Seed vs reality".

Progress is computed lazily: every request reads the clock once and first moves each running IMMEDIATE
operation along its path, one state per `step_seconds` after its latest activity entry. So advancing
the admin clock completes operations at once, and no background task is needed.
"""

from __future__ import annotations

import bisect
import copy
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Self, overload

from mock_server.api import ApiError, Collected, Context, MockApi, Principal, RecordHook, Reply, Token, handler_set
from mock_server.apis import esper_common

# The list filter speaks integer codes, objects carry the names (seed).
STATE_CODES = {
    10: "CREATED",
    20: "RESOLVING",
    30: "RESOLVED",
    40: "DISPATCHING",
    50: "DISPATCHED",
    60: "PROCESSING",
    70: "COMPLETED",
    80: "SUCCESS",
    90: "FAILURE",
    100: "SCHEDULED",
    110: "CANCELLED",
    120: "TIMEOUT",
}
CODE_OF = {name: code for code, name in STATE_CODES.items()}
# What each schedule type does on its own. WINDOW operations are scheduled at once, wait for their window
# and then run the IMMEDIATE path from RESOLVING on; one that cannot finish inside a window ends in
# TIMEOUT when the window closes (spec, "Schedules").
IMMEDIATE_PATH = ("CREATED", "RESOLVING", "RESOLVED", "DISPATCHING", "DISPATCHED", "PROCESSING", "COMPLETED", "SUCCESS")
PATHS = {"IMMEDIATE": IMMEDIATE_PATH, "WINDOW": ("CREATED", "SCHEDULED", *IMMEDIATE_PATH[1:])}
TERMINAL = ("SUCCESS", "FAILURE", "CANCELLED", "TIMEOUT")
NON_TERMINAL = ", ".join(name for name in STATE_CODES.values() if name not in TERMINAL)
# The update body says FAILED where objects say FAILURE (seed); the other names are the same.
UPDATE_STATES = {"FAILED": "FAILURE", "CANCELLED": "CANCELLED", "TIMEOUT": "TIMEOUT", "SCHEDULED": "SCHEDULED"}
STAT_FIELDS = (
    "resolved_device_count",
    "dispatched_device_count",
    "dispatch_failed_count",
    "failed_device_count",
    "success_device_count",
)
DEFAULT_STEP_SECONDS = 0.5
# Connexion reports a failed `anyOf` (the spec's "IMMEDIATE, or else a complete window" rule, the only
# anyOf in the spec) with this phrase and the whole body; say instead what a WINDOW operation needs.
ANY_OF_FAILED = "is not valid under any of the given schemas"
WINDOW_HELP = (
    "schedule_type WINDOW needs schedule_args with start_datetime and end_datetime (ISO 8601 date-times), "
    "time_type (console or device) and days (a non-empty list of weekdays, 0 = Monday .. 6 = Sunday); "
    "or send schedule_type IMMEDIATE."
)
# Connexion's words for a missing required field; the spec's "Required fields" says why these three are.
REQUIRED_MISSING = "is a required property"
REQUIRED_HELP = (
    "An operation needs operation_type (what to do), schedule_type (IMMEDIATE or WINDOW) and "
    'operation_device_query (which devices, e.g. {"device_ids": "id1,id2"}); schedule_args and arguments are optional.'
)
EXTRA_FRACTION_DIGITS = re.compile(r"(\.\d{6})\d+")


def parse_time(text: str) -> datetime:
    """An RFC 3339 date-time as an aware datetime (Python 3.11 reads at most 6 fraction digits)."""
    value = datetime.fromisoformat(EXTRA_FRACTION_DIGITS.sub(r"\1", text))
    if value.tzinfo is None:
        raise ValueError(f"date-time {text!r} has no time zone")
    return value


def format_time(moment: datetime) -> str:
    """DRF's rendering of an aware datetime: UTC, microseconds and a `Z`."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def device_count(query: Mapping[str, Any]) -> int:
    """Devices a query names by id (`device_ids`: comma-separated, per the create doc). The mock has no
    device inventory, so group and filter queries resolve to no devices."""
    ids = query.get("device_ids")
    if isinstance(ids, str):
        return len([part for part in ids.split(",") if part.strip()])
    return len(ids) if isinstance(ids, list) else 0


def count_devices(op: dict[str, Any], state: str) -> None:
    """Move `operation_stats` along with the state: all resolved devices are dispatched and succeed."""
    stats = op["operation_stats"]
    if state == "RESOLVED":
        stats["resolved_device_count"] = device_count(op["device_query"])
    elif state == "DISPATCHED":
        stats["dispatched_device_count"] = stats["resolved_device_count"]
    elif state == "SUCCESS":
        stats["success_device_count"] = stats["dispatched_device_count"]
    elif state == "FAILURE":
        stats["failed_device_count"] = max(stats["dispatched_device_count"] - stats["success_device_count"], 0)


def record(op: dict[str, Any], state: str, moment: datetime) -> None:
    """Put the operation in `state` as of `moment`, noting it in its activity."""
    stamp = format_time(moment)
    op["state"] = state
    op["updated_at"] = stamp
    op["operation_activity"].append({"operation_state": state, "created_at": stamp})
    count_devices(op, state)


def stored_schedule_args(args: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The window as the service keeps it. `window_start_time`/`window_end_time` "cannot be injected"
    (create doc): they are derived from the start and end, whatever the request said."""
    if args is None:
        return None
    stored = {key: args.get(key) for key in ("start_datetime", "end_datetime", "time_type", "days")}
    stored["window_start_time"] = time_of_day(stored["start_datetime"])
    stored["window_end_time"] = time_of_day(stored["end_datetime"])
    return stored


def time_of_day(date_time: str | None) -> str | None:
    return date_time[11:19] if date_time else None  # HH:MM:SS of an RFC 3339 date-time


def window_at(args: Mapping[str, Any], moment: datetime) -> tuple[datetime, datetime] | None:
    """(open, close) of the first window time at or after `moment`, or None if the window has no time left.

    A window is open every day listed in `days`, from the time of day of `start_datetime` to that of
    `end_datetime` (the `window_start_time`/`window_end_time` the service derives; equal times mean the
    whole day), between `start_datetime` and `end_datetime`. Times are read in the offset the start was
    given in, for `time_type: device` too (the mock knows no device time zones).
    """
    start, end = parse_time(args["start_datetime"]), parse_time(args["end_datetime"])
    length = timedelta(seconds=(end - start).seconds) or timedelta(days=1)  # end's time of day minus start's
    moment = max(moment, start)
    first_day = moment.astimezone(start.tzinfo).date() - timedelta(days=1)  # yesterday's may still be open
    for offset in range(9):  # every weekday comes round within a week
        day = first_day + timedelta(days=offset)
        opens = datetime.combine(day, start.timetz())
        closes = min(opens + length, end)
        if day.weekday() in args["days"] and max(opens, moment) < closes:
            return max(opens, moment), closes
    return None


def check_window(body: Mapping[str, Any]) -> None:
    """The one rule the schema cannot say: a window ends after it starts."""
    if body["schedule_type"] != "WINDOW":
        return
    args = body["schedule_args"]
    if parse_time(args["end_datetime"]) <= parse_time(args["start_datetime"]):
        raise ApiError(
            400,
            f"schedule_args.end_datetime ({args['end_datetime']}) must be after start_datetime "
            f"({args['start_datetime']}); send a window that ends after it starts.",
            kind="invalid_request",
        )


def running(op: Mapping[str, Any]) -> bool:
    """Whether the clock can still move the operation on (it is short of its path's last state)."""
    return op["state"] in PATHS[op["schedule_type"]][:-1]


def created_order(op: Mapping[str, Any]) -> tuple[datetime, str]:
    return parse_time(op["created_at"]), op["id"]


class NewestFirst(Sequence[dict[str, Any]]):
    """A list kept oldest first, seen newest first, as `page` slices it: a page costs its own length."""

    def __init__(self, items: list[dict[str, Any]]) -> None:
        self._items = items

    def __len__(self) -> int:
        return len(self._items)

    @overload
    def __getitem__(self, index: int) -> dict[str, Any]: ...
    @overload
    def __getitem__(self, index: slice) -> list[dict[str, Any]]: ...
    def __getitem__(self, index: int | slice) -> dict[str, Any] | list[dict[str, Any]]:
        last = len(self._items) - 1
        if isinstance(index, slice):
            return [self._items[last - i] for i in range(*index.indices(len(self._items)))]
        return self._items[last - index if index >= 0 else -1 - index]


@dataclass
class State:
    """One tenant's operations by id, with two indexes so that a request costs what it touches: the running
    operations (the only ones the clock moves) and all of them in creation order (the default list)."""

    ctx: Context
    api_keys: list[str]
    tenant_id: str
    step_seconds: float
    """Seconds an IMMEDIATE operation spends in each state before the next."""
    operations: dict[str, dict[str, Any]]
    active: dict[str, dict[str, Any]] = field(default_factory=dict)
    """The operations `running`: kept by `track`."""
    by_created: list[dict[str, Any]] = field(default_factory=list)
    """All operations, oldest first (created_at, then id); `created_at` and `id` never change."""

    @classmethod
    def from_fixture(cls, data: Mapping[str, Any], ctx: Context) -> Self:
        operations = {op["id"]: copy.deepcopy(op) for op in data.get("operations", [])}
        for op in operations.values():
            if not op["operation_activity"]:
                raise ValueError(f"operation {op['id']} has no operation_activity; it needs at least its CREATED entry")
            for entry in op["operation_activity"]:
                parse_time(entry["created_at"])  # a bad time fails the import, not a later request
        step = float(data.get("step_seconds", DEFAULT_STEP_SECONDS))
        if step < 0:
            raise ValueError(f"step_seconds must be 0 or more, not {step}")
        return cls(
            ctx=ctx,
            api_keys=[str(key) for key in data.get("api_keys", [])],
            tenant_id=str(data.get("tenant_id", "")),
            step_seconds=step,
            operations=operations,
            active={key: op for key, op in operations.items() if running(op)},
            by_created=sorted(operations.values(), key=created_order),
        )

    def add(self, op: dict[str, Any]) -> None:
        self.operations[op["id"]] = op
        bisect.insort(self.by_created, op, key=created_order)  # usually last: the clock only moves on
        self.track(op)

    def track(self, op: dict[str, Any]) -> None:
        """Keep `active` in step after the operation's state changed."""
        if running(op):
            self.active[op["id"]] = op
        else:
            self.active.pop(op["id"], None)

    def export(self) -> dict[str, Any]:
        return {
            "api_keys": list(self.api_keys),
            "tenant_id": self.tenant_id,
            "step_seconds": self.step_seconds,
            "operations": copy.deepcopy(list(self.operations.values())),
        }

    def now(self) -> datetime:
        """Read the clock (once per request) and bring every operation up to that moment."""
        now = self.ctx.clock.now()
        for op in list(self.active.values()):
            self.advance(op, now)
            self.track(op)
        return now

    def advance(self, op: dict[str, Any], now: datetime) -> None:
        path = PATHS[op["schedule_type"]]
        window = op["schedule_type"] == "WINDOW"
        while op["state"] in path[:-1]:
            last = parse_time(op["operation_activity"][-1]["created_at"])
            if window and op["state"] in ("CREATED", "SCHEDULED"):
                waiting = len(op["operation_activity"])
                self.open_window(op, last, now)
                if len(op["operation_activity"]) == waiting:  # the window has not opened yet
                    return
                continue
            due = last + timedelta(seconds=self.step_seconds)
            closes = self.window_close(op) if window else None
            if closes is not None and closes <= due:  # the window shuts before the next step is due
                if closes <= now:
                    record(op, "TIMEOUT", closes)
                return
            if due > now:
                return
            record(op, path[path.index(op["state"]) + 1], due)

    def open_window(self, op: dict[str, Any], last: datetime, now: datetime) -> None:
        """CREATED -> SCHEDULED at once; SCHEDULED -> RESOLVING when the clock reaches the window, or
        TIMEOUT when `end_datetime` passes with no window time left."""
        if op["state"] == "CREATED":
            record(op, "SCHEDULED", last)
            return
        window = window_at(op["schedule_args"], last)
        if window is None:
            ended = max(parse_time(op["schedule_args"]["end_datetime"]), last)
            if ended <= now:
                record(op, "TIMEOUT", ended)
        elif window[0] <= now:
            record(op, "RESOLVING", window[0])

    def window_close(self, op: dict[str, Any]) -> datetime | None:
        """When the window the running operation started in (its latest RESOLVING) closes."""
        starts = [e["created_at"] for e in op["operation_activity"] if e["operation_state"] == "RESOLVING"]
        window = window_at(op["schedule_args"], parse_time(starts[-1])) if starts else None
        return window[1] if window else None

    def find(self, operation_id: str) -> dict[str, Any]:
        op = self.operations.get(operation_id)
        if op is None:
            raise ApiError(
                404,
                f"Operation {operation_id} not found; GET /v0/operations/ lists the tenant's operations.",
                kind="not_found",
            )
        return op


SORT_KEYS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "created_at": lambda op: parse_time(op["created_at"]),
    "updated_at": lambda op: parse_time(op["updated_at"]),
    "state": lambda op: CODE_OF[op["state"]],  # the integer code, as the filter speaks it
}


DEFAULT_ORDERING = "-created_at"


def render_error(err: ApiError) -> Reply:
    if err.kind == "invalid_request" and ANY_OF_FAILED in err.message:
        err = ApiError(err.status, WINDOW_HELP, kind=err.kind, headers=err.headers)
    elif err.kind == "invalid_request" and REQUIRED_MISSING in err.message:
        err = ApiError(err.status, f"{err.message}. {REQUIRED_HELP}", kind=err.kind, headers=err.headers)
    return esper_common.render_error(err)


# Handlers take the API state as `db`: `state` is the list filter's name (seed).


async def list_operations(
    db: State, limit: str | None = None, offset: str | None = None, state: str = "", ordering: str = ""
) -> dict[str, Any]:
    db.now()
    terms = ordering_terms(ordering)
    if not state and terms == [DEFAULT_ORDERING]:  # the common list: a slice of the kept order
        return {"content": esper_common.page(NewestFirst(db.by_created), limit, offset)}
    # An empty `state=` filters nothing (django-filter skips empty values); the spec allows only codes.
    items = [op for op in db.operations.values() if not state or op["state"] == STATE_CODES[int(state)]]
    sort(items, terms)
    return {"content": esper_common.page(items, limit, offset)}


def ordering_terms(ordering: str) -> list[str]:
    """DRF's OrderingFilter: comma-separated terms, unknown ones dropped; none left means the default."""
    terms = [term.strip() for term in ordering.split(",")]
    known = [term for term in terms if term.removeprefix("-") in SORT_KEYS]
    return known or [DEFAULT_ORDERING]


def sort(items: list[dict[str, Any]], terms: list[str]) -> None:
    """Order by the terms, first term first; ties broken by id in the first term's direction (spec, "List")."""
    items.sort(key=lambda op: op["id"], reverse=terms[0].startswith("-"))
    for term in reversed(terms):  # stable sorts, least significant first
        items.sort(key=SORT_KEYS[term.removeprefix("-")], reverse=term.startswith("-"))


async def create_operation(db: State, body: dict[str, Any], principal: Principal) -> tuple[dict[str, Any], int]:
    check_window(body)
    now = db.now()
    user = principal.get("sub")
    op: dict[str, Any] = {
        "id": db.ctx.ids.uuid(taken=db.operations),
        # The real response says operation_type, the doc schema operation: both are sent (spec).
        "operation_type": body["operation_type"],
        "operation": body["operation_type"],
        "state": "CREATED",
        "schedule_type": body["schedule_type"],
        "schedule_args": stored_schedule_args(body.get("schedule_args")),
        "device_query": body["operation_device_query"],
        "arguments": body.get("arguments", {}),
        "reason": None,
        "tenant_id": db.tenant_id,
        "created_at": format_time(now),
        "updated_at": format_time(now),
        "created_by": user,
        "updated_by": user,
        "operation_activity": [],
        "operation_stats": dict.fromkeys(STAT_FIELDS, 0),
    }
    record(op, "CREATED", now)
    db.advance(op, now)
    db.add(op)
    return {"content": op}, 201


async def get_operation(db: State, operationId: str) -> dict[str, Any]:
    db.now()
    return {"content": db.find(operationId)}


async def update_operation(
    db: State,
    operationId: str,
    body: dict[str, Any],
    principal: Principal,
) -> dict[str, Any]:
    now = db.now()
    op = db.find(operationId)
    if op["state"] in TERMINAL:
        raise ApiError(
            400,
            f"Operation {operationId} is already in the terminal state {op['state']} and cannot be updated; "
            f"only operations in a non-terminal state ({NON_TERMINAL}) can.",
            kind="conflict",
        )
    if UPDATE_STATES[body["state"]] != op["state"]:
        record(op, UPDATE_STATES[body["state"]], now)
    else:  # already in that state: nothing new to log in the activity (spec, "Update")
        op["updated_at"] = format_time(now)
    db.track(op)
    if "reason" in body:
        op["reason"] = body["reason"]
    op["updated_by"] = principal.get("sub")
    # The seed's answer: no envelope, and `status` says the update went through.
    return {"operationId": op["id"], "status": "SUCCEEDED"}


def record_collect(operation: str, body: Any) -> Collected:
    """Operations from the list and get answers of a real Esper tenant."""
    content = body.get("content") if isinstance(body, dict) else None
    if operation == "list_operations" and isinstance(content, dict):
        return {"operations": [op for op in content.get("results", []) if isinstance(op, dict)]}
    if operation == "get_operation" and isinstance(content, dict):
        return {"operations": [content]}
    return {}


def record_complete(collected: Collected) -> tuple[dict[str, Any], str]:
    operations = list(collected.get("operations", []))
    tenant = next((op["tenant_id"] for op in operations if op.get("tenant_id")), "")
    fixture = {"api_keys": ["mock-token"], "tenant_id": tenant, "step_seconds": DEFAULT_STEP_SECONDS}
    return {**fixture, "operations": operations}, "API key 'Bearer mock-token'"


API = MockApi(
    name="esper-operations",
    state=State,
    handlers=handler_set(list_operations, create_operation, get_operation, update_operation),
    render_error=render_error,
    verify=esper_common.verify,
    any_token_principal={"sub": "esper-api-key"},
    credentials=Token("mock-token"),
    fixture_schemas={"operations": "Operation"},
    record=RecordHook(record_collect, record_complete),
    trailing_slash="append",
)
