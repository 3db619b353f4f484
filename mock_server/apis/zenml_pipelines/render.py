"""Response shapes, as the recorded 0.98 server sends them (research/zenml-samples/).

Every model is `{body, metadata, resources, id, permission_denied, name}`. `metadata` is `null` unless
hydrated; users and tags nested in another object's `resources` are never hydrated.
"""

from __future__ import annotations

from typing import Any

from mock_server.apis.zenml_pipelines.state import Record, State


def nested(model: Record | None) -> Record | None:
    """A user or tag inside another object: metadata and resources are null. Shallow copies here and in
    `dehydrated`: a response is serialised at once and never changed, and stored models are only replaced."""
    if model is None:
        return None
    return {**model, "metadata": None, "resources": None}


def dehydrated(model: Record, hydrate: bool, **resources: Any) -> Record:
    """A copy of a stored (hydrated) model, with `metadata` dropped unless `hydrate`."""
    out = dict(model)
    if not hydrate:
        out["metadata"] = None
    if resources:
        out["resources"] = resources
    return out


def pipeline(state: State, p: Record, hydrate: bool) -> Record:
    run = p["latest_run"] or {}
    tags = sorted(p["tags"])
    return {
        "body": {
            "created": p["created"],
            "updated": p["updated"],
            "user_id": p.get("user_id"),
            "project_id": p["project_id"],
        },
        "metadata": {"description": p.get("description")} if hydrate else None,
        "resources": {
            "user": nested(state.user(p.get("user_id"))),
            "latest_run_user": nested(state.user(run.get("user_id"))),
            "latest_run_id": run.get("id"),
            "latest_run_status": run.get("status"),
            "tags": [nested(state.tags[name]) for name in tags],
            "visualizations": [],
        },
        "id": p["id"],
        "permission_denied": False,
        "name": p["name"],
    }


def stack(state: State, s: Record, hydrate: bool) -> Record:
    return dehydrated(s, hydrate, user=nested(state.user(s["body"].get("user_id"))))


def project(p: Record, hydrate: bool) -> Record:
    return dehydrated(p, hydrate)
