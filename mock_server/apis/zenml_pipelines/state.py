"""The ZenML mock's data: users, projects, stacks, tags, pipelines and the tokens login issued.

Users, projects, stacks and tags are kept in the shape the API returns (hydrated); pipelines are kept
normalised (ids of user and project, tag names), because a tag or a user is one object shared by many
pipelines. `export()` gives back exactly the fixture shape `from_fixture` reads.
"""

from __future__ import annotations

import bisect
import copy
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Self

from mock_server.api import Context
from mock_server.apis.zenml_pipelines.errors import ServerError
from mock_server.ids_and_clocks import CANONICAL_UUID

Record = dict[str, Any]
MAX_TOKENS = 10_000
"""Issued tokens kept; past this the least recently used is forgotten (its holder logs in again). Tokens of
a default server never expire, so without a bound every login would grow the state for ever."""


def canonical_uuid(value: str) -> str | None:
    """The server parses ids as UUIDs (any spelling) and prints them lower case with hyphens."""
    if isinstance(value, str):
        if CANONICAL_UUID.fullmatch(value):
            return value.lower()  # the usual spelling needs no parse
        if len(value) < 32:  # a name: every spelling `uuid.UUID` takes has the 32 hex digits
            return None
    try:
        return str(uuid.UUID(value))
    except (ValueError, AttributeError, TypeError):
        return None


def _stored_pipeline(p: Mapping[str, Any]) -> Record:
    """A fixture's pipeline as stored: the fixture's own dict when it is complete (copied on the first write,
    see `State.writable`), else a new one with the defaults."""
    if "latest_run" in p and "tags" in p and isinstance(p, dict):
        return p
    return _with_defaults(p)


def _with_defaults(p: Mapping[str, Any]) -> Record:
    """A fixture's pipeline with `latest_run` and `tags` filled in (and first, as exports always showed them)."""
    return {"latest_run": None, "tags": [], **p}


def created_order(pipeline: Record) -> tuple[Any, str]:
    """The key of the default list order (`sort_by=created`): created, then id, as `query.order` sorts."""
    return (pipeline["created"], pipeline["id"])


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
    """access token -> user id, least recently used first (at most MAX_TOKENS, see `remember_token`)."""
    projects: dict[str, Record]
    stacks: dict[str, Record]
    tags: dict[str, Record]
    """tag name -> tag (names are unique)."""
    pipelines: dict[str, Record]
    """id -> {id, name, description, user_id, project_id, created, updated, tags: [names], latest_run}."""
    csrf_tokens: dict[str, str] = field(default_factory=dict)
    """access token -> the CSRF token a cross-site login issued with it (the cookie then needs it)."""
    clock_offset: timedelta = field(default_factory=timedelta)
    """Added to the shared clock so that nothing new is older than the data (a seeded clock starts in 2025)."""
    by_project: dict[str, list[Record]] = field(default_factory=dict)
    """Index: project id -> its pipelines sorted by (created, id), the default list order (a slice of it).
    Kept by `add_pipeline`/`remove_pipeline` and rebuilt by `from_fixture`; `created`, `id` and `project_id`
    never change after a pipeline is made."""
    by_name: dict[tuple[str, str], str] = field(default_factory=dict)
    """Index: (project id, name) -> pipeline id, for create's uniqueness check (names never change)."""
    owned: set[str] = field(default_factory=set)
    """Ids of the pipelines whose record (and `tags` list) this state may change in place; the others may be
    the fixture's own objects, shared with the next reset, and are copied by `writable` first."""

    @classmethod
    def from_fixture(cls, data: Mapping[str, Any], ctx: Context) -> Self:
        # No deep copy of the fixture (it costs time and, at 100,000 pipelines, memory): stored users,
        # projects, stacks, tags and runs are only ever replaced, never changed in place, and a pipeline
        # record is copied on its first write (`writable`). The fixture itself is never changed, so a reset
        # from it stays clean.
        items = dict(data)
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
            pipelines={p["id"]: _stored_pipeline(p) for p in items.get("pipelines", [])},
            csrf_tokens={t["access_token"]: t["csrf_token"] for t in items.get("tokens", []) if t.get("csrf_token")},
        )
        state.check_references()
        state.clock_offset = max(timedelta(), state.latest_timestamp() - ctx.clock.now().replace(tzinfo=None))
        state.reindex()
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
            for owner in (p.get("user_id"), run_user):
                if owner is not None and owner not in self.users:
                    raise ValueError(f"{where} names unknown user {owner}")
            unknown = [t for t in p["tags"] if t not in self.tags]
            if unknown:
                raise ValueError(f"{where} names unknown tags {unknown}; add them to `tags`")
            key = (p["project_id"], p["name"])
            if key in seen:
                raise ValueError(f"{where}: name {p['name']!r} is used twice in project {p['project_id']}")
            seen.add(key)

    def reindex(self) -> None:
        """Build `by_project` and `by_name` from `pipelines` (after `check_references`: names are unique)."""
        self.by_project = {}
        self.by_name = {}
        for p in self.pipelines.values():
            self.by_project.setdefault(p["project_id"], []).append(p)
            self.by_name[(p["project_id"], p["name"])] = p["id"]
        for ordered in self.by_project.values():
            ordered.sort(key=created_order)

    def add_pipeline(self, pipeline: Record) -> None:
        """Store a new pipeline and index it (a new one is usually last: the clock only moves forward)."""
        self.pipelines[pipeline["id"]] = pipeline
        self.owned.add(pipeline["id"])
        ordered = self.by_project.setdefault(pipeline["project_id"], [])
        if ordered and created_order(ordered[-1]) > created_order(pipeline):
            bisect.insort(ordered, pipeline, key=created_order)
        else:
            ordered.append(pipeline)
        self.by_name[(pipeline["project_id"], pipeline["name"])] = pipeline["id"]

    def remove_pipeline(self, pipeline_id: str) -> None:
        pipeline = self.pipelines.pop(pipeline_id)
        ordered = self.by_project[pipeline["project_id"]]
        del ordered[self._position(ordered, pipeline)]
        del self.by_name[(pipeline["project_id"], pipeline["name"])]
        self.owned.discard(pipeline_id)

    def writable(self, pipeline_id: str) -> Record:
        """The stored pipeline, made this state's own first (a copy, also in the index) if it may be shared."""
        pipeline = self.pipelines[pipeline_id]
        if pipeline_id in self.owned:
            return pipeline
        copied = _with_defaults(pipeline)
        if isinstance(copied["tags"], list):
            copied["tags"] = list(copied["tags"])
        ordered = self.by_project[pipeline["project_id"]]
        ordered[self._position(ordered, pipeline)] = copied
        self.pipelines[pipeline_id] = copied
        self.owned.add(pipeline_id)
        return copied

    @staticmethod
    def _position(ordered: list[Record], pipeline: Record) -> int:
        at = bisect.bisect_left(ordered, created_order(pipeline), key=created_order)
        if ordered[at] is not pipeline:  # pragma: no cover - the index is kept on every write
            raise RuntimeError(f"pipeline index out of step at {pipeline['id']}")
        return at

    def pipeline_named(self, project_id: str, name: str) -> Record | None:
        pipeline_id = self.by_name.get((project_id, name))
        return None if pipeline_id is None else self.pipelines[pipeline_id]

    def export(self) -> dict[str, Any]:
        return copy.deepcopy(
            {
                "server": self.server,
                "default_project": self.default_project,
                "users": list(self.users.values()),
                "passwords": self.passwords,
                "tokens": [self._token_entry(t, u) for t, u in self.tokens.items()],
                "projects": list(self.projects.values()),
                "stacks": list(self.stacks.values()),
                "tags": list(self.tags.values()),
                "pipelines": [p if p["id"] in self.owned else _with_defaults(p) for p in self.pipelines.values()],
            }
        )

    def _token_entry(self, token: str, user_id: str) -> Record:
        csrf = self.csrf_tokens.get(token)
        return {"access_token": token, "user_id": user_id, **({"csrf_token": csrf} if csrf else {})}

    def remember_token(self, token: str, user_id: str, csrf: str | None) -> None:
        """Keep an issued token, forgetting the least recently used one past MAX_TOKENS."""
        self.tokens[token] = user_id
        if csrf:
            self.csrf_tokens[token] = csrf
        while len(self.tokens) > MAX_TOKENS:
            oldest = next(iter(self.tokens))
            del self.tokens[oldest]
            self.csrf_tokens.pop(oldest, None)

    def token_user(self, token: str) -> str | None:
        """The user a kept token belongs to, marking it as just used."""
        user_id = self.tokens.pop(token, None)
        if user_id is not None:
            self.tokens[token] = user_id
        return user_id

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
