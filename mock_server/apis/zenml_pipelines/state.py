"""The ZenML mock's data: users, projects, stacks, tags, pipelines and the tokens login issued.

Users, projects, stacks and tags are kept in the shape the API returns (hydrated); pipelines are kept
normalised (ids of user and project, tag names), because a tag or a user is one object shared by many
pipelines. `export()` gives back exactly the fixture shape `from_fixture` reads.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Self

from mock_server.api import Context
from mock_server.apis.zenml_pipelines.errors import ServerError

Record = dict[str, Any]


def canonical_uuid(value: str) -> str | None:
    """The server parses ids as UUIDs (any spelling) and prints them lower case with hyphens."""
    try:
        return str(uuid.UUID(value))
    except (ValueError, AttributeError, TypeError):
        return None


def not_found(kind: str, by: str, value: str) -> ServerError:
    """The store's KeyError, e.g. "Unable to get pipeline with ID '…': No pipeline with this ID found"."""
    return ServerError(404, "KeyError", f"Unable to get {kind} with {by} '{value}': No {kind} with this {by} found")


@dataclass
class State:
    ctx: Context
    server: Record
    default_project: str
    users: dict[str, Record]
    passwords: dict[str, str]
    """user name -> password."""
    tokens: dict[str, str]
    """access token -> user id."""
    projects: dict[str, Record]
    stacks: dict[str, Record]
    tags: dict[str, Record]
    """tag name -> tag (names are unique)."""
    pipelines: dict[str, Record]
    """id -> {id, name, description, user_id, project_id, created, updated, tags: [names], latest_run}."""
    clock_offset: timedelta = field(default_factory=timedelta)
    """Added to the shared clock so that nothing new is older than the data (a seeded clock starts in 2025)."""

    @classmethod
    def from_fixture(cls, data: Mapping[str, Any], ctx: Context) -> Self:
        items = copy.deepcopy(dict(data))
        state = cls(
            ctx=ctx,
            server=items.get("server") or {},
            default_project=str(items.get("default_project", "default")),
            users={u["id"]: u for u in items.get("users", [])},
            passwords={str(k): str(v) for k, v in (items.get("passwords") or {}).items()},
            tokens={t["access_token"]: t["user_id"] for t in items.get("tokens", [])},
            projects={p["id"]: p for p in items.get("projects", [])},
            stacks={s["id"]: s for s in items.get("stacks", [])},
            tags={t["name"]: t for t in items.get("tags", [])},
            pipelines={p["id"]: {"latest_run": None, "tags": [], **p} for p in items.get("pipelines", [])},
        )
        state.check_references()
        state.clock_offset = max(timedelta(), state.latest_timestamp() - ctx.clock.now().replace(tzinfo=None))
        return state

    def latest_timestamp(self) -> datetime:
        models = [*self.users.values(), *self.projects.values(), *self.stacks.values(), *self.tags.values()]
        stamps = [m["body"][key] for m in models for key in ("created", "updated")]
        for p in self.pipelines.values():
            stamps += [p["created"], p["updated"], (p["latest_run"] or {}).get("created") or p["created"]]
        return max((datetime.fromisoformat(s) for s in stamps), default=datetime.min)

    def check_references(self) -> None:
        """Pipelines name known users, projects and tags, once per project; tokens name known users.
        Raised as ValueError so an admin import answers 400 and changes nothing."""
        for token, user_id in self.tokens.items():
            if user_id not in self.users:
                raise ValueError(f"token {token[:12]}... names unknown user {user_id}")
        seen: set[tuple[str, str]] = set()
        for p in self.pipelines.values():
            where = f"pipeline {p.get('id')}"
            if not {"id", "name", "project_id", "created", "updated"} <= p.keys():
                raise ValueError(f"{where} needs id, name, project_id, created and updated")
            if p["project_id"] not in self.projects:
                raise ValueError(f"{where} names unknown project {p['project_id']}")
            run_user = (p["latest_run"] or {}).get("user_id")
            for user_id in (p.get("user_id"), run_user):
                if user_id is not None and user_id not in self.users:
                    raise ValueError(f"{where} names unknown user {user_id}")
            unknown = [t for t in p["tags"] if t not in self.tags]
            if unknown:
                raise ValueError(f"{where} names unknown tags {unknown}; add them to `tags`")
            key = (p["project_id"], p["name"])
            if key in seen:
                raise ValueError(f"{where}: name {p['name']!r} is used twice in project {p['project_id']}")
            seen.add(key)

    def export(self) -> dict[str, Any]:
        return copy.deepcopy(
            {
                "server": self.server,
                "default_project": self.default_project,
                "users": list(self.users.values()),
                "passwords": self.passwords,
                "tokens": [{"access_token": t, "user_id": u} for t, u in self.tokens.items()],
                "projects": list(self.projects.values()),
                "stacks": list(self.stacks.values()),
                "tags": list(self.tags.values()),
                "pipelines": list(self.pipelines.values()),
            }
        )

    def now(self) -> str:
        """Naive UTC, as the server prints it (no zone; microseconds left out when zero)."""
        return (self.ctx.clock.now().replace(tzinfo=None) + self.clock_offset).isoformat()

    # Lookups: each raises the 404 the server sends.

    def pipeline(self, pipeline_id: str) -> Record:
        key = canonical_uuid(pipeline_id) or pipeline_id
        if key not in self.pipelines:
            raise not_found("pipeline", "ID", key)
        return self.pipelines[key]

    def stack(self, stack_id: str) -> Record:
        key = canonical_uuid(stack_id) or stack_id
        if key not in self.stacks:
            raise not_found("stack", "ID", key)
        return self.stacks[key]

    def project(self, name_or_id: str) -> Record:
        """A UUID is looked up as an id only, anything else as a name (as the store does)."""
        key = canonical_uuid(name_or_id)
        if key is not None:
            if key not in self.projects:
                raise not_found("project", "ID", key)
            return self.projects[key]
        for project in self.projects.values():
            if project["name"] == name_or_id:
                return project
        raise not_found("project", "name", name_or_id)

    def user(self, user_id: str | None) -> Record | None:
        return self.users.get(user_id) if user_id is not None else None

    def caller(self, principal: Mapping[str, Any]) -> Record:
        """The user behind the request: the token's user, or (for --any-token) the user named `sub`."""
        user = self.user(principal.get("user_id"))
        if user is None:
            user = next((u for u in self.users.values() if u["name"] == principal.get("sub")), None)
        if user is None:
            raise not_found("user", "name", str(principal.get("sub")))
        return user
