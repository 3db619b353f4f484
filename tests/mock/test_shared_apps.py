"""conftest's `make_client` lends one app per Settings to many tests: a renewed app must look as new."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from mock_server import Settings
from tests.conftest import renew, started

AUTH = {"Authorization": "Bearer mock-token"}
STAGES = "/v0/pipelines/ba6d91f0-3d61-4f40-8b26-43d9f7559df9/stages/"
FAULT = {"api": "esper-stages", "operation": "list_stages", "rate": 0.5, "fault": {"status": 401}}


def seen(client: TestClient) -> dict[str, Any]:
    """What a test can observe of the app: its state, sessions, journal, fault rules (their draws are reseeded
    whenever rules are set) and the id and times of what it creates next."""
    created = client.post(STAGES, json={"name": "Next"}, headers=AUTH).json()
    return {
        "state": client.get("/__admin/state").json(),
        "sessions": [s["name"] for s in client.get("/__admin/sessions").json()["sessions"]],
        "journal": [(e["method"], e["path"], e["status"]) for e in client.get("/__admin/requests").json()["requests"]],
        "faults": client.get("/__admin/faults").json(),
        "created": created,
    }


def test_a_renewed_app_looks_as_new() -> None:
    settings = Settings(apis=("esper-stages",), seed=0, validate_responses=True)
    used, new, other = started(settings), started(settings), started(settings)
    try:
        for session in ("a", "b"):
            used.post(STAGES, json={"name": "Old"}, headers={**AUTH, "X-Mock-Session": session})
        used.post("/__admin/clock/advance", json={"seconds": 3600}).raise_for_status()
        used.post(STAGES, json={"name": "Old"}, headers=AUTH)
        used.put("/__admin/faults", json={"rules": [FAULT]}).raise_for_status()
        used.get(STAGES, headers=AUTH)
        assert seen(used) != seen(other)  # each thing renew must undo shows in `seen`

        renew(used)
        assert seen(used) == seen(new)
    finally:
        for client in (used, new, other):
            client.__exit__(None, None, None)
