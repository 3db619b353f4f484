"""The `/__admin/` API: reset, export, import, clock, fault rules and per-API actions (spec: admin.yaml)."""

from __future__ import annotations

import inspect
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from contracts import load_document
from mock_server.api import ApiError, Reply, handler_set
from mock_server.faults import FaultError
from mock_server.fixtures import FixtureError
from mock_server.runtime import Runtime

MAX_AHEAD = timedelta(days=100 * 365)
SPEC = Path(__file__).resolve().parent / "admin.yaml"


def load_admin_spec() -> dict[str, Any]:
    spec: dict[str, Any] = load_document(SPEC)
    return spec


def render_error(err: ApiError) -> Reply:
    """The admin API is ours: RFC 7807 problem details, as Connexion itself answers."""
    title = {400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed", 409: "Conflict"}.get(err.status, "Error")
    body = {"type": "about:blank", "title": title, "detail": err.message, "status": err.status}
    return body, err.status, {"Content-Type": "application/problem+json"}


async def reset_state(runtime: Runtime) -> dict[str, Any]:
    runtime.reset()
    return {"apis": sorted(runtime.slots)}


async def export_state(runtime: Runtime) -> dict[str, Any]:
    return runtime.export()


async def import_state(runtime: Runtime, body: dict[str, Any]) -> dict[str, Any]:
    try:
        return {"apis": runtime.load(body)}
    except (KeyError, FixtureError, ValueError, TypeError) as exc:
        raise ApiError(400, f"State not imported, nothing changed: {exc}") from exc


async def advance_clock(runtime: Runtime, body: dict[str, Any]) -> dict[str, Any]:
    """One reading of the clock, as before; the total is bounded so no timestamp can overflow."""
    clock = runtime.ctx.clock
    now = clock.now()
    moved = now + timedelta(seconds=body["seconds"])  # the spec bounds one call to a year
    if moved > datetime.now(UTC) + MAX_AHEAD:
        limit = f"{MAX_AHEAD.days // 365} years"
        raise ApiError(400, f"The clock may run at most {limit} ahead of real time; POST /__admin/reset to start over.")
    clock.advance(body["seconds"])
    return {"now": moved.isoformat()}


async def get_faults(runtime: Runtime) -> dict[str, Any]:
    return {"rules": [rule.describe() for rule in runtime.faults.rules]}


async def set_faults(runtime: Runtime, body: dict[str, Any]) -> dict[str, Any]:
    """Replace every rule (all or nothing); a status the operation does not document is refused here."""
    try:
        runtime.faults.set(body)
    except FaultError as exc:
        raise ApiError(400, f"Fault rules not set, the previous ones stay: {exc}") from exc
    return await get_faults(runtime)


async def clear_faults(runtime: Runtime) -> dict[str, Any]:
    runtime.faults.clear()
    return await get_faults(runtime)


async def get_violations(runtime: Runtime) -> dict[str, Any]:
    return runtime.violations.report()


async def clear_violations(runtime: Runtime) -> dict[str, Any]:
    runtime.violations.clear()
    return runtime.violations.report()


async def flush_recording(runtime: Runtime) -> dict[str, Any]:
    if runtime.recorder is None:
        raise ApiError(404, "Nothing is recorded: start the mock with --proxy NAME=URL --record FILE.")
    try:
        return runtime.recorder.write()
    except (FixtureError, OSError) as exc:
        raise ApiError(409, f"Recording not written, the file is unchanged: {exc}") from exc


async def run_action(runtime: Runtime, api: str, action: str, body: dict[str, Any] | None = None) -> Any:
    slot = runtime.slots.get(api)
    if slot is None:
        raise ApiError(404, f"API {api!r} is not served here; served: {', '.join(runtime.slots)}.")
    fn = slot.api.admin_actions.get(action)
    if fn is None:
        known = ", ".join(slot.api.admin_actions) or "none"
        raise ApiError(404, f"{api} has no admin action {action!r}; its actions: {known}.")
    result = fn(slot.state, body or {})
    return await result if inspect.isawaitable(result) else result


HANDLERS = handler_set(
    reset_state,
    export_state,
    import_state,
    advance_clock,
    get_faults,
    set_faults,
    clear_faults,
    get_violations,
    clear_violations,
    flush_recording,
    run_action,
)
"""The operations of admin.yaml."""
