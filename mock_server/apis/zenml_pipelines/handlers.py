"""One async function per operationId of specs/zenml-pipelines.yaml, plus `verify` and the admin action.

Behaviour follows the recorded 0.98 server (research/zenml-samples/) and its source
(`zen_server/routers/pipelines_endpoints.py`, `routers/auth_endpoints.py`, the filter models).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Mapping
from typing import Any

from connexion import request as current_request

from contracts import load_spec
from mock_server.api import ApiError, Credential, Principal, Token
from mock_server.apis.zenml_pipelines import render
from mock_server.apis.zenml_pipelines.errors import HttpError, ServerError
from mock_server.apis.zenml_pipelines.query import Field, Item, Value, order, paginate, select
from mock_server.apis.zenml_pipelines.state import Record, State, canonical_uuid, not_found

COLORS = ("grey", "purple", "red", "green", "yellow", "orange", "lime", "teal", "turquoise", "magenta", "blue")
"""ZenML's `ColorVariants`; the server picks one at random for a new tag."""
GRANTS = ("password", "zenml-api-key", "urn:ietf:params:oauth:grant-type:device_code", "zenml-external")
RUN_STATUSES = [s for s in load_spec("zenml-pipelines")["components"]["schemas"]["ExecutionStatus"]["enum"] if s]


# Auth


def verify(state: State, credential: Credential) -> Principal | None:
    """Only tokens issued by `login` (kept in the state, so an exported state keeps them)."""
    if not isinstance(credential, Token):
        return None
    user = state.user(state.tokens.get(credential.value))
    return None if user is None else {"sub": user["name"], "user_id": user["id"]}


def _implied_grant(form: Mapping[str, Any]) -> str:
    """`OAuthLoginRequestForm`: without `grant_type`, the fields sent say which grant is meant."""
    if form.get("username") is not None:
        return "password"
    if form.get("password"):
        return "zenml-api-key"
    return "urn:ietf:params:oauth:grant-type:device_code" if form.get("device_code") else "password"


def _refuse_other_grants(grant: str, form: Mapping[str, Any]) -> None:
    """Device codes and service-account API keys are not mocked: well-formed requests get 401."""
    if grant == "zenml-external":  # only offered under the EXTERNAL auth scheme
        raise HttpError(400, f"Unsupported grant type: {grant}.")
    if grant == "zenml-api-key":
        if not form.get("password"):
            raise HttpError(400, "API key is required.")
        raise ServerError(401, "CredentialsNotValid", "Authentication error: invalid API key")
    if not form.get("device_code") or not form.get("client_id"):
        raise HttpError(400, "Invalid request: device code and client ID are required.")
    if canonical_uuid(form["client_id"]) is None:
        raise HttpError(400, "Invalid request: invalid client ID.")
    raise ServerError(401, "CredentialsNotValid", "Authentication error: invalid device")


def _jwt_shaped(state: State, user_id: str) -> str:
    """Three base64url segments like the server's JWT; only its presence in `state.tokens` matters."""

    def segment(data: dict[str, str]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    header, claims = segment({"alg": "HS256", "typ": "JWT"}), segment({"sub": user_id, "jti": state.ctx.ids.uuid()})
    return f"{header}.{claims}.{state.ctx.ids.token()}"


async def login(state: State, body: Mapping[str, Any] | None = None) -> tuple[Record, int, dict[str, str]]:
    form = body or {}
    grant = form.get("grant_type") or _implied_grant(form)
    if grant not in GRANTS:
        raise HttpError(400, f"Unsupported grant type: {grant}")
    if grant != "password":
        _refuse_other_grants(grant, form)
    if not form.get("username"):
        raise HttpError(400, "Invalid request: username is required.")
    user = next((u for u in state.users.values() if form["username"] in (u["name"], u["id"])), None)
    if user is None or state.passwords.get(user["name"], "") != (form.get("password") or ""):
        raise ServerError(401, "CredentialsNotValid", "Authentication error: invalid username or password")
    token = _jwt_shaped(state, user["id"])
    state.tokens[token] = user["id"]
    body_out = {
        "access_token": token,
        "token_type": "bearer",
        "expires_in": None,
        "refresh_token": None,
        "csrf_token": None,
        "scope": None,
        "device_id": None,
        "device_metadata": None,
    }
    cookie = f"zenml-server-{state.server.get('id', '')}={token}; HttpOnly; Path=/; SameSite=lax"
    return body_out, 200, {"Set-Cookie": cookie}


def _repeated(*names: str) -> dict[str, list[str]]:
    """The repeatable filters, each value as the client sent it (Connexion has validated them).

    Not taken from the handler's arguments: Connexion 3.3 joins repeated query values with "," and splits
    them again (breaking `oneof:["a","b"]` or a name holding a comma), and it passes the caller's name as the
    keyword `user`, shadowing the `user` filter."""
    query = current_request.query_params  # each read through the proxy parses the query string again
    return {name: query.getlist(name) for name in names}


# What the client reads when it connects


async def get_server_info(state: State) -> Record:
    return dict(state.server)


async def get_current_user(state: State, principal: Principal) -> Record:
    return render.dehydrated(state.caller(principal), hydrate=True)


def _name_or_id(user: Record | None, full_name: bool = True) -> list[Value]:
    """`generate_name_or_id_query_conditions`: a user matches by id, name (or full name)."""
    if user is None:
        return []
    values: list[Value] = [("uuid", user["id"]), ("str", user["name"])]
    return [*values, ("str", user["body"]["full_name"])] if full_name else values


def _list(
    model: str,
    items: list[Item],
    fields: Mapping[str, Field],
    keys: Mapping[str, Callable[[Item], Any]],
    filters: Mapping[str, list[str] | None],
    query: Mapping[str, Any],
    render_item: Callable[[Item], Item],
) -> dict[str, Any]:
    """Filter, sort and page one collection (`query`: sort_by, logical_operator, page, size)."""
    matches = select(model, fields, filters, query["logical_operator"])
    ordered = order(model, items, query["sort_by"], keys)
    return paginate([i for i in ordered if matches(i)], query["page"], query["size"], render_item)


MODEL_KEYS: dict[str, Callable[[Record], Any]] = {
    "created": lambda m: m["body"]["created"],
    "updated": lambda m: m["body"]["updated"],
    "id": lambda m: m["id"],
    "name": lambda m: m["name"],
}
"""Sort keys of every model kept in the API's own shape (projects, stacks)."""


PROJECT_FIELDS = {
    "id": Field("text", lambda p: [("uuid", p["id"])]),
    "name": Field("text", lambda p: [("str", p["name"])]),
    "display_name": Field("text", lambda p: [("str", p["body"]["display_name"])]),
}
PROJECT_KEYS = {**MODEL_KEYS, "display_name": lambda p: p["body"]["display_name"]}


async def list_projects(
    state: State,
    hydrate: bool = False,
    sort_by: str = "created",
    logical_operator: str = "and",
    page: int = 1,
    size: int = 20,
) -> dict[str, Any]:
    query = {"sort_by": sort_by, "logical_operator": logical_operator, "page": page, "size": size}
    filters = _repeated("id", "name", "display_name")
    items = list(state.projects.values())
    return _list(
        "ProjectFilter", items, PROJECT_FIELDS, PROJECT_KEYS, filters, query, lambda p: render.project(p, hydrate)
    )


async def get_project(state: State, project_name_or_id: str, hydrate: bool = True) -> Record:
    return render.project(state.project(project_name_or_id), hydrate)


def _stack_fields(state: State) -> dict[str, Field]:
    return {
        "id": Field("text", lambda s: [("uuid", s["id"])]),
        "name": Field("text", lambda s: [("str", s["name"])]),
        "description": Field("text", lambda s: [("str", (s["metadata"] or {}).get("description"))]),
        "user": Field("text", lambda s: _name_or_id(state.user(s["body"].get("user_id")))),
    }


def _stack_keys(state: State) -> dict[str, Callable[[Record], Any]]:
    return {
        **MODEL_KEYS,
        "description": lambda s: (s["metadata"] or {}).get("description"),
        "user": lambda s: (state.user(s["body"].get("user_id")) or {}).get("name"),
    }


async def list_stacks(
    state: State,
    hydrate: bool = False,
    sort_by: str = "created",
    logical_operator: str = "and",
    page: int = 1,
    size: int = 20,
) -> dict[str, Any]:
    query = {"sort_by": sort_by, "logical_operator": logical_operator, "page": page, "size": size}
    filters = _repeated("id", "name", "user", "description")
    items = list(state.stacks.values())
    fields, keys = _stack_fields(state), _stack_keys(state)
    return _list("StackFilter", items, fields, keys, filters, query, lambda s: render.stack(state, s, hydrate))


async def get_stack(state: State, stack_id: str, hydrate: bool = True) -> Record:
    return render.stack(state, state.stack(stack_id), hydrate)


# Pipelines


def _pipeline_fields(state: State) -> dict[str, Field]:
    def run_user(p: Record) -> list[Value]:
        return _name_or_id(state.user((p["latest_run"] or {}).get("user_id")), full_name=False)

    return {
        "id": Field("text", lambda p: [("uuid", p["id"])]),
        "name": Field("text", lambda p: [("str", p["name"])]),
        "created": Field("datetime", lambda p: [("datetime", p["created"])]),
        "updated": Field("datetime", lambda p: [("datetime", p["updated"])]),
        "user": Field("text", lambda p: _name_or_id(state.user(p.get("user_id")))),
        "tags": Field("text", lambda p: [("str", tag) for tag in p["tags"]]),
        # Only pipelines that ran match these (the server joins their latest run).
        "latest_run_status": Field("text", lambda p: [("str", p["latest_run"]["status"])] if p["latest_run"] else []),
        "latest_run_user": Field("text", run_user),
    }


def _pipeline_keys(state: State) -> dict[str, Callable[[Record], Any]]:
    return {
        "created": lambda p: p["created"],
        "updated": lambda p: p["updated"],
        "id": lambda p: p["id"],
        "name": lambda p: p["name"],
        "user": lambda p: (state.user(p.get("user_id")) or {}).get("name"),
        "tags": lambda p: ", ".join(sorted(p["tags"])) or None,  # group_concat of the sorted names
        "latest_run": lambda p: (p["latest_run"] or {}).get("created", p["created"]),
    }


def _project_scope(state: State, principal: Principal, name_or_id: str | None) -> Record:
    """The project a request works in: named, else the user's default project, else the server's."""
    if name_or_id:
        return state.project(name_or_id)
    default_id = state.caller(principal)["body"].get("default_project_id")
    return state.project(default_id or state.default_project)


async def list_pipelines(
    state: State,
    principal: Principal,
    project_name_or_id: str | None = None,
    hydrate: bool = False,
    sort_by: str = "created",
    logical_operator: str = "and",
    page: int = 1,
    size: int = 20,
    scope_user: str | None = None,
    project: str | None = None,
    latest_run_status: str | None = None,
    latest_run_user: str | None = None,
) -> dict[str, Any]:
    # `tag` (singular) is declared in the spec but not taken here: 0.98 ignores it (list_tag_singular_ignored).
    fields = _pipeline_fields(state)
    filters = _repeated("id", "created", "updated", "name", "user", "tags")
    chosen = select("PipelineFilter", fields, filters, logical_operator)
    latest = {"latest_run_status": latest_run_status, "latest_run_user": latest_run_user}
    always = select("PipelineFilter", fields, {k: [v] for k, v in latest.items() if v is not None}, "and")
    unfiltered = scope_user is None and not any(filters.values()) and all(v is None for v in latest.values())
    if unfiltered and _is_default_order(sort_by):
        # The default list (ascending by created, no filter): a slice of the project's kept order.
        scope = _project_scope(state, principal, project_name_or_id or project)
        in_project = state.by_project.get(scope["id"], [])
        return paginate(in_project, page, size, lambda p: render.pipeline(state, p, hydrate))
    # Filtered or otherwise sorted lists scan (and sort) every pipeline: fine for a mock, and exact.
    ordered = order("PipelineFilter", list(state.pipelines.values()), sort_by, _pipeline_keys(state))
    scope = _project_scope(state, principal, project_name_or_id or project)
    creator = canonical_uuid(scope_user) if scope_user else None

    def wanted(p: Record) -> bool:
        in_scope = p["project_id"] == scope["id"] and (scope_user is None or p.get("user_id") == creator)
        return in_scope and always(p) and chosen(p)

    return paginate([p for p in ordered if wanted(p)], page, size, lambda p: render.pipeline(state, p, hydrate))


def _is_default_order(sort_by: str) -> bool:
    """`created` ascending, spelled as `query.order` reads it (any prefix but `desc:` means ascending)."""
    prefix, sep, column = sort_by.partition(":")
    return column == "created" and prefix != "desc" if sep else sort_by == "created"


def _ensure_tag(state: State, name: str, user_id: str, now: str) -> None:
    """Tags are created on first use, with a colour of the server's choosing (here: from the new id)."""
    if name not in state.tags:
        tag_id = state.ctx.ids.uuid()
        body = {"created": now, "updated": now, "user_id": user_id, "color": COLORS[int(tag_id[-4:], 16) % len(COLORS)]}
        state.tags[name] = {
            "body": {**body, "exclusive": False},
            "metadata": None,
            "resources": None,
            "id": tag_id,
            "permission_denied": False,
            "name": name,
        }


def _tag_names(state: State, names: list[str]) -> list[str]:
    """The tags to attach, checked before anything changes: the server looks a name that is a UUID up as a
    tag id (found live, docs/zenml-live.md row 17), so an unknown one is 404; other names are made if new."""
    found = []
    for name in names:
        tag_id = canonical_uuid(name)
        if tag_id is None:
            found.append(name)
            continue
        tag = next((t for t in state.tags.values() if t["id"] == tag_id), None)
        if tag is None:
            raise not_found("tag", "ID", tag_id)
        found.append(tag["name"])
    return found


def _attach(state: State, pipeline: Record, names: list[str], user_id: str, now: str) -> None:
    for name in names:
        _ensure_tag(state, name, user_id, now)
        if name not in pipeline["tags"]:
            pipeline["tags"].append(name)


async def create_pipeline(
    state: State, body: Mapping[str, Any], principal: Principal, project_name_or_id: str | None = None
) -> Record:
    project = state.project(project_name_or_id or body["project"])
    tags = _tag_names(state, body.get("tags") or [])
    if state.pipeline_named(project["id"], body["name"]) is not None:
        raise ServerError(
            409,
            "EntityExistsError",
            f"Unable to create pipeline in project '{project['id']}': "
            f"A pipeline with the name {body['name']} already exists.",
            kind="conflict",
        )
    user_id = state.caller(principal)["id"]
    now = state.now()
    pipeline = {
        "id": state.ctx.ids.uuid(),
        "name": body["name"],
        "description": body.get("description"),
        "user_id": user_id,  # the body's `user` is ignored: the server sets the creator
        "project_id": project["id"],
        "created": now,
        "updated": now,
        "tags": [],
        "latest_run": None,
    }
    _attach(state, pipeline, tags, user_id, now)
    state.add_pipeline(pipeline)
    return render.pipeline(state, pipeline, hydrate=True)


async def get_pipeline(state: State, pipeline_id: str, hydrate: bool = True) -> Record:
    return render.pipeline(state, state.pipeline(pipeline_id), hydrate)


async def update_pipeline(state: State, pipeline_id: str, body: Mapping[str, Any], principal: Principal) -> Record:
    pipeline = state.writable(state.pipeline(pipeline_id)["id"])
    added = _tag_names(state, body.get("add_tags") or [])
    user_id = state.caller(principal)["id"]
    now = state.now()
    # The server writes `description` whether or not it was sent (recorded: put_add_tags, put_empty_body).
    pipeline["description"] = body.get("description")
    _attach(state, pipeline, added, user_id, now)
    removed = set(body.get("remove_tags") or [])  # a tag that is not attached is ignored
    pipeline["tags"] = [tag for tag in pipeline["tags"] if tag not in removed]
    pipeline["updated"] = now
    return render.pipeline(state, pipeline, hydrate=True)


async def delete_pipeline(state: State, pipeline_id: str) -> None:
    state.remove_pipeline(state.pipeline(pipeline_id)["id"])
    return None  # sent as JSON `null` with 200, as the server does


# Admin action: runs are made by endpoints outside the spec (the client runs a pipeline).


def admin_record_run(state: State, body: Mapping[str, Any]) -> Record:
    """`POST /__admin/zenml-pipelines/record_run` `{"pipeline_id", "status", "user"?}`: make a run the
    pipeline's latest run (what `latest_run_*` filters and `sort_by=latest_run` see)."""
    status = body.get("status", "completed")
    if status not in RUN_STATUSES:
        raise ApiError(400, f"status must be one of {', '.join(RUN_STATUSES)}.")
    pipeline = state.pipeline(str(body.get("pipeline_id", "")))
    user = next((u for u in state.users.values() if body.get("user", "default") in (u["name"], u["id"])), None)
    if user is None:
        raise ApiError(400, f"user {body.get('user')!r} is not a user name or id of this mock.")
    run = {"id": state.ctx.ids.uuid(), "status": status, "user_id": user["id"], "created": state.now()}
    pipeline = state.writable(pipeline["id"])
    pipeline["latest_run"] = run
    return render.pipeline(state, pipeline, hydrate=True)
