"""The `/__admin/` API: reset, export, import, clock, fault rules, sessions, the journal, the proxy's
violations and recording, and per-API actions (spec: admin.yaml)."""

from __future__ import annotations

import inspect
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from contracts import load_document
from mock_server.api import ApiError, Reply, handler_set
from mock_server.faults import FaultError
from mock_server.fixtures import FixtureError
from mock_server.journal import Filter, iso, newest_first, page
from mock_server.notes import DEFAULT_SESSION
from mock_server.runtime import Runtime
from mock_server.sessions import Session

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


def _session(runtime: Runtime, name: str) -> Session:
    """A live session by name; an unknown one is a 404 (sessions are created by their first request)."""
    session = runtime.sessions.get(name)
    if session is None:
        raise ApiError(404, f"No session {name!r}: a session starts with its first request; GET /__admin/sessions.")
    return session


async def reset_state(runtime: Runtime, all: bool = False) -> dict[str, Any]:
    """The default session, or with `all=true` every live session, back to the fixtures."""
    reset = list(runtime.sessions) if all else [runtime.sessions.default]
    for session in reset:
        runtime.reset(session)
    return {"apis": sorted(runtime.slots), "sessions": [session.name for session in reset]}


async def export_state(runtime: Runtime, session: str = DEFAULT_SESSION) -> dict[str, Any]:
    return runtime.export(_session(runtime, session))


async def import_state(runtime: Runtime, body: dict[str, Any], session: str = DEFAULT_SESSION) -> dict[str, Any]:
    """Into an existing session or a new one: a test may load its data before its first request."""
    try:
        return {"apis": runtime.load(body, runtime.sessions.use(session))}
    except (KeyError, FixtureError, ValueError, TypeError) as exc:
        raise ApiError(400, f"State not imported, nothing changed: {exc}") from exc


async def advance_clock(runtime: Runtime, body: dict[str, Any], session: str = DEFAULT_SESSION) -> dict[str, Any]:
    """One reading of the clock, as before; the total is bounded so no timestamp can overflow."""
    clock = _session(runtime, session).ctx.clock
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


async def run_action(
    runtime: Runtime, api: str, action: str, body: dict[str, Any] | None = None, session: str = DEFAULT_SESSION
) -> Any:
    slot = runtime.slots.get(api)
    if slot is None:
        raise ApiError(404, f"API {api!r} is not served here; served: {', '.join(runtime.slots)}.")
    fn = slot.api.admin_actions.get(action)
    if fn is None:
        known = ", ".join(slot.api.admin_actions) or "none"
        raise ApiError(404, f"{api} has no admin action {action!r}; its actions: {known}.")
    result = fn(_session(runtime, session).states[api], body or {})
    return await result if inspect.isawaitable(result) else result


def _describe(session: Session) -> dict[str, Any]:
    return {
        "name": session.name,
        "created_at": iso(session.created_at),
        "last_used": iso(session.last_used),
        "requests": session.requests,
        "journal": len(session.journal),
    }


async def list_sessions(runtime: Runtime) -> dict[str, Any]:
    return {"sessions": [_describe(s) for s in runtime.sessions], "max_sessions": runtime.sessions.limit}


async def reset_session(runtime: Runtime, name: str) -> dict[str, Any]:
    """Back to the fixtures; an unknown session is created, so a CI job can start clean either way."""
    session = runtime.sessions.use(name)
    runtime.reset(session)
    return _describe(session)


async def delete_session(runtime: Runtime, name: str) -> dict[str, Any]:
    if name == DEFAULT_SESSION:
        raise ApiError(400, "The default session cannot be deleted; POST /__admin/reset resets it.")
    if not runtime.sessions.drop(name):
        _session(runtime, name)  # the 404
    return {"deleted": name}


def _filter(
    api: str | None, operation: str | None, method: str | None, status: str | None, since: str | None
) -> Filter:
    when = None
    if since is not None:
        try:
            moment = datetime.fromisoformat(since.replace("Z", "+00:00"))
        except ValueError as exc:
            raise ApiError(400, f"since={since!r} is not an ISO time; send e.g. 2026-01-31T12:00:00Z.") from exc
        when = (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()
    return Filter(api, operation, method, status, when)


def _journals(runtime: Runtime, session: str | None) -> list[Session]:
    return list(runtime.sessions) if session is None else [_session(runtime, session)]


async def list_requests(
    runtime: Runtime,
    session: str | None = None,
    api: str | None = None,
    operation: str | None = None,
    method: str | None = None,
    status: str | None = None,
    since: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> dict[str, Any]:
    """Newest first, over one session's journal or all of them."""
    keep = _filter(api, operation, method, status, since)
    entries = newest_first((s.journal for s in _journals(runtime, session)), keep)
    return {"requests": page(entries, offset, limit)}


async def count_requests(
    runtime: Runtime,
    session: str | None = None,
    api: str | None = None,
    operation: str | None = None,
    method: str | None = None,
    status: str | None = None,
    since: str | None = None,
) -> dict[str, Any]:
    keep = _filter(api, operation, method, status, since)
    return {"count": sum(1 for s in _journals(runtime, session) for entry in s.journal if keep(entry))}


async def clear_requests(runtime: Runtime, session: str | None = None) -> dict[str, Any]:
    cleared = 0
    for s in _journals(runtime, session):
        cleared += len(s.journal)
        s.journal.clear()
    return {"cleared": cleared}


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
    list_sessions,
    reset_session,
    delete_session,
    list_requests,
    count_requests,
    clear_requests,
    run_action,
)
"""The operations of admin.yaml."""
