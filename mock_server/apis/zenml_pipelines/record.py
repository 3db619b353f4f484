"""How a real ZenML server's answers become this mock's fixture (`--record`): the inverse of `render`.

Models (users, projects, stacks, tags) are kept as sent; a dehydrated copy (`metadata: null`) leaves
out its metadata so it never hides a hydrated copy seen before. Pipelines are stored normalised, as the
fixture keeps them: their user and project by id, tags by name, the latest run's id, status and user.
"""

from __future__ import annotations

from typing import Any

from mock_server.api import Collected
from mock_server.fixtures import FIXTURES_DIR, read_yaml

Record = dict[str, Any]
LISTS = {"list_projects": "projects", "list_stacks": "stacks", "list_pipelines": "pipelines"}
GETS = {"get_project": "projects", "get_stack": "stacks", "get_pipeline": "pipelines", "get_current_user": "users"}
GETS |= {"create_pipeline": "pipelines", "update_pipeline": "pipelines"}
UNKNOWN_USER_METADATA: Record = {
    "password_changed_at": None,
    "email": None,
    "external_user_id": None,
    "user_metadata": {},
    "oidc_claims": {},
}
"""For a user seen only nested in another object (never hydrated): what the server says of a fresh user."""
PASSWORD = ""
"""What every recorded user logs in with: the mock's default user `default` has the empty password."""


def collect(operation: str, body: Any) -> Collected:
    if not isinstance(body, dict):
        return {}
    if operation == "get_server_info":
        return {"server": [body]}
    key = LISTS.get(operation) or GETS.get(operation)
    if key is None:
        return {}
    models = [m for m in body.get("items", []) if isinstance(m, dict)] if operation in LISTS else [body]
    if key != "pipelines":
        return {key: [_model(m) for m in models]}
    found: dict[str, list[Record]] = {"pipelines": [], "users": [], "tags": []}
    for model in models:
        resources = model.get("resources") or {}
        found["pipelines"].append(_pipeline(model))
        found["users"] += [_model(u) for u in (resources.get("user"), resources.get("latest_run_user")) if u]
        found["tags"] += [_model(t) for t in resources.get("tags") or []]
    return found


def _model(model: Record) -> Record:
    return {k: v for k, v in model.items() if not (k == "metadata" and v is None)}


def _pipeline(model: Record) -> Record:
    body, resources = model.get("body") or {}, model.get("resources") or {}
    stored: Record = {
        "id": model["id"],
        "name": model["name"],
        "user_id": body.get("user_id"),
        "project_id": body.get("project_id"),
        "created": body.get("created"),
        "updated": body.get("updated"),
        "tags": [t["name"] for t in resources.get("tags") or []],
        "latest_run": None,
    }
    if model.get("metadata") is not None:
        stored["description"] = model["metadata"].get("description")
    if resources.get("latest_run_id"):
        stored["latest_run"] = {
            "id": resources["latest_run_id"],
            "status": resources.get("latest_run_status"),
            "user_id": (resources.get("latest_run_user") or {}).get("id"),
            "created": body.get("updated"),  # the answer does not say when the run started
        }
    return stored


def complete(collected: Collected) -> tuple[dict[str, Any], str]:
    users = [{"metadata": UNKNOWN_USER_METADATA, **u} for u in collected.get("users", [])]
    projects = [{"metadata": None, **p} for p in collected.get("projects", [])]
    names = [p["name"] for p in projects]
    servers = collected.get("server", [])
    fixture = {
        "server": servers[-1] if servers else read_yaml(FIXTURES_DIR / "zenml-pipelines.yaml")["server"],
        "default_project": "default" if "default" in names or not names else names[0],
        "users": users,
        "passwords": {u["name"]: PASSWORD for u in users},
        "tokens": [],
        "projects": projects,
        "stacks": [{"metadata": None, **s} for s in collected.get("stacks", [])],
        "tags": [{"metadata": None, **t} for t in collected.get("tags", [])],
        "pipelines": [{"description": None, **p} for p in collected.get("pipelines", [])],
    }
    who = ", ".join(u["name"] for u in users) or "none"
    return fixture, f"users {who}, each with the empty password (log in with POST /api/v1/login)"
