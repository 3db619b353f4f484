"""Mock of the Instabase Flow Pipeline API (specs/instabase-flow.yaml): pipelines, their users, jobs.

Owns three operations: the pipeline list, served on both paths the seed names (the method table's
`/api/v1/flow/pipeline` and the example's `/api/v1/jobs/pipelines`), and the update that replaces a
job's pipelines. Truth comes from the seed (seed 003_9eb43e725441496c.txt, the Instabase docs page
"Flow Pipeline API") and section 4 of the research notes (shared/research/seed-apis.md): v1 APIs answer execution
errors with HTTP 200 and `{"status": "ERROR", "msg": ...}`. Rules the docs leave open (who sees
and who may change what, duplicates, order) are decided in the spec's `## Seed vs reality`.

Fixtures (mock_server/fixtures/instabase-flow.yaml) hold `users` (name, token), `pipelines`
(id, name, and per-user `grants` of permissions and is_manager) and `jobs` (shaped like the POST
body: job_id, pipeline_ids). A pipeline's permissions depend on who asks, so the list is computed
per caller from the grants.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Self

from mock_server.api import (
    ApiError,
    Collected,
    Context,
    Credential,
    MockApi,
    Principal,
    RecordHook,
    Reply,
    Token,
    handler_set,
)

READ = "flow_pipeline:read"
WRITE = "flow_pipeline:write"
MANAGE = "flow_pipeline:manage_pipelines"
# The documented set, in the order the seed lists them in its example response.
PERMISSIONS = (READ, "flow_pipeline:execute", "flow_pipeline:delete", MANAGE, WRITE)
# Attaching or detaching a pipeline changes it, so it takes write or manage rights (spec: Permissions).
MAY_CHANGE = frozenset({WRITE, MANAGE})

AUTH_PROBLEMS = {"missing_credentials": "No token sent.", "invalid_credentials": "The token matches no OAuth app."}
AUTH_HELP = "Send Authorization: Bearer <token> with an OAuth app token (View profile - OAuth management)."
REQUEST_SHAPE = 'Send a JSON object {"job_id": string, "pipeline_ids": [string, ...]}.'


@dataclass(frozen=True)
class Grant:
    """What one user may do with one pipeline."""

    permissions: tuple[str, ...]
    is_manager: bool

    @property
    def can_read(self) -> bool:
        return READ in self.permissions

    @property
    def can_change(self) -> bool:
        return not MAY_CHANGE.isdisjoint(self.permissions)

    def as_dict(self) -> dict[str, Any]:
        return {"permissions": list(self.permissions), "is_manager": self.is_manager}


NO_GRANT = Grant(permissions=(), is_manager=False)


@dataclass
class FlowPipeline:
    id: str
    name: str
    grants: dict[str, Grant]

    def grant_for(self, user: str) -> Grant:
        return self.grants.get(user, NO_GRANT)

    def view_for(self, user: str) -> dict[str, Any]:
        """The pipeline as `user` lists it (spec: Pipeline)."""
        return {"name": self.name, "id": self.id, **self.grant_for(user).as_dict()}

    def export(self) -> dict[str, Any]:
        grants = {user: grant.as_dict() for user, grant in self.grants.items()}
        return {"id": self.id, "name": self.name, "grants": grants}


@dataclass
class State:
    tokens: dict[str, str] = field(default_factory=dict)
    """token -> user name"""
    pipelines: dict[str, FlowPipeline] = field(default_factory=dict)
    """id -> pipeline, in fixture order (the order of the list)"""
    jobs: dict[str, list[str]] = field(default_factory=dict)
    """job id -> its pipeline ids, in the order last set"""

    @classmethod
    def from_fixture(cls, data: Mapping[str, Any], ctx: Context) -> Self:
        state = cls()
        for user in data.get("users", []):
            if user["token"] in state.tokens:
                raise ValueError(f"users: token of {user['name']!r} is already used by {state.tokens[user['token']]!r}")
            state.tokens[user["token"]] = user["name"]
        users = set(state.tokens.values())
        for item in data.get("pipelines", []):
            pipeline = _pipeline_from_fixture(item, users)
            if pipeline.id in state.pipelines:
                raise ValueError(f"pipelines: id {pipeline.id} appears twice")
            state.pipelines[pipeline.id] = pipeline
        for job in data.get("jobs", []):
            unknown = [pid for pid in job["pipeline_ids"] if pid not in state.pipelines]
            if unknown:
                raise ValueError(f"jobs: job {job['job_id']} names unknown pipelines {', '.join(unknown)}")
            state.jobs[job["job_id"]] = list(dict.fromkeys(job["pipeline_ids"]))
        return state

    def export(self) -> dict[str, Any]:
        return {
            "users": [{"name": name, "token": token} for token, name in self.tokens.items()],
            "pipelines": [p.export() for p in self.pipelines.values()],
            "jobs": [{"job_id": job_id, "pipeline_ids": list(ids)} for job_id, ids in self.jobs.items()],
        }

    def visible_to(self, user: str) -> list[FlowPipeline]:
        return [p for p in self.pipelines.values() if p.grant_for(user).can_read]


def _pipeline_from_fixture(item: Mapping[str, Any], users: set[str]) -> FlowPipeline:
    grants: dict[str, Grant] = {}
    for user, grant in (item.get("grants") or {}).items():
        where = f"pipelines: {item['name']!r} grants {user!r}"
        if user not in users:
            raise ValueError(f"{where}: no such user; add it under users")
        unknown = sorted(set(grant.get("permissions", [])) - set(PERMISSIONS))
        if unknown:
            raise ValueError(f"{where} unknown permissions {unknown}; known: {list(PERMISSIONS)}")
        # Stored in the documented order, so every list shows permissions the same way.
        ordered = tuple(p for p in PERMISSIONS if p in grant.get("permissions", []))
        grants[user] = Grant(permissions=ordered, is_manager=bool(grant.get("is_manager", False)))
    return FlowPipeline(id=_checked_uuid(item["id"], item["name"]), name=str(item["name"]), grants=grants)


def _checked_uuid(value: Any, name: str) -> str:
    # The list and the update answer pipeline ids as `format: uuid`; a bad one would break the spec later.
    try:
        uuid.UUID(str(value))
    except ValueError:
        raise ValueError(f"pipelines: {name!r} has id {value!r}, which is not a UUID") from None
    return str(value)


class UpdateRefused(Exception):
    """A v1 execution error: answered with HTTP 200 and status ERROR, and nothing changes."""


# --- operations -------------------------------------------------------------------------------


async def list_flow_pipelines(state: State, principal: Principal) -> dict[str, Any]:
    user = principal.get("sub", "")
    return {"status": "OK", "pipelines": [p.view_for(user) for p in state.visible_to(user)]}


async def list_flow_pipelines_via_jobs_path(state: State, principal: Principal) -> dict[str, Any]:
    # The seed's example calls this path for the list; the behaviour is the documented one.
    return await list_flow_pipelines(state, principal)


async def update_job_pipelines(state: State, body: dict[str, Any], principal: Principal) -> dict[str, Any]:
    job_id = body["job_id"]
    wanted = list(dict.fromkeys(body["pipeline_ids"]))  # repeats count once, first position wins
    try:
        check_update(state, principal.get("sub", ""), job_id, wanted)
    except UpdateRefused as refusal:
        return {"status": "ERROR", "msg": str(refusal)}
    user = principal.get("sub", "")
    # Pipelines the caller cannot read stay attached and unnamed (spec: Permissions and visibility).
    hidden = [pid for pid in state.jobs[job_id] if not state.pipelines[pid].grant_for(user).can_read]
    state.jobs[job_id] = wanted + hidden
    # Answer from the stored job, not the request: the response is the read-back of the update.
    visible = [pid for pid in state.jobs[job_id] if pid not in hidden]
    return {"status": "OK", "updated_pipelines": [updated_item(state.pipelines[pid]) for pid in visible]}


def check_update(state: State, user: str, job_id: str, wanted: list[str]) -> None:
    """Refuse the whole update if any part of it cannot be applied (all or nothing)."""
    if job_id not in state.jobs:
        raise UpdateRefused(f"Job {job_id} not found; send the job_id returned when the job was started.")
    unseen = [pid for pid in wanted if pid not in state.pipelines or not state.pipelines[pid].grant_for(user).can_read]
    if unseen:
        raise UpdateRefused(
            f"Pipeline(s) not found: {_join(unseen)}. Use ids from GET /api/v1/flow/pipeline (pipelines you can read)."
        )
    current = [pid for pid in state.jobs[job_id] if state.pipelines[pid].grant_for(user).can_read]
    changed = [pid for pid in wanted if pid not in current] + [pid for pid in current if pid not in wanted]
    denied = [pid for pid in changed if not state.pipelines[pid].grant_for(user).can_change]
    if denied:
        raise UpdateRefused(
            f"Permission denied: attaching or detaching pipeline(s) {_join(denied)} needs {WRITE} or {MANAGE}; "
            "ask a manager of the pipeline for it."
        )


def updated_item(pipeline: FlowPipeline) -> dict[str, str]:
    # camelCase here only, exactly as the seed's response shows.
    return {"flowPipelineName": pipeline.name, "flowPipelineId": pipeline.id}


def _join(ids: Iterable[str]) -> str:
    return ", ".join(ids)


# --- errors and auth --------------------------------------------------------------------------


def render_error(err: ApiError) -> Reply:
    """Instabase v1 error body for every problem; the status stays what the problem calls for."""
    message = err.message
    headers: dict[str, str] = {}
    if err.kind == "invalid_request":
        message = f"{message.rstrip('.')}. {REQUEST_SHAPE}"
    elif err.kind in AUTH_PROBLEMS:
        message = f"{AUTH_PROBLEMS[err.kind]} {AUTH_HELP}"
        headers["WWW-Authenticate"] = "Bearer"
    return {"status": "ERROR", "msg": message}, err.status, headers


def verify(state: State, credential: Credential) -> Principal | None:
    if isinstance(credential, Token) and credential.value in state.tokens:
        return {"sub": state.tokens[credential.value]}
    return None


RECORDED_USER = "recorded"
"""Whoever called the real server through the proxy: the recording grants them what its answers showed."""


def record_collect(operation: str, body: Any) -> Collected:
    """Pipelines, with the caller's permissions, from the list answers (both paths)."""
    if not operation.startswith("list_flow_pipelines") or not isinstance(body, dict):
        return {}
    return {"pipelines": [p for p in body.get("pipelines", []) if isinstance(p, dict)]}


def record_complete(collected: Collected) -> tuple[dict[str, Any], str]:
    pipelines = [
        {
            "id": p["id"],
            "name": p["name"],
            "grants": {RECORDED_USER: {k: v for k, v in p.items() if k not in ("id", "name")}},
        }
        for p in collected.get("pipelines", [])
    ]
    users = [{"name": RECORDED_USER, "token": "mock-token"}]
    return {"users": users, "pipelines": pipelines}, f"user {RECORDED_USER!r}, 'Authorization: Bearer mock-token'"


API = MockApi(
    name="instabase-flow",
    state=State,
    handlers=handler_set(list_flow_pipelines, list_flow_pipelines_via_jobs_path, update_job_pipelines),
    render_error=render_error,
    verify=verify,
    any_token_principal={"sub": "flow-admin"},
    credentials=Token("mock-token"),
    fixture_schemas={"jobs": "UpdateJobPipelinesRequest"},
    record=RecordHook(record_collect, record_complete),
    json_media_types=frozenset({"application/x-www-form-urlencoded"}),  # `curl -d '{...}'` (spec)
)
