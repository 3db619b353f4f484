"""Fault-injecting variants of the mock: each wraps the real mock and breaks exactly one promise.

The conformance suite must exit 1 on every one of them and name the check that caught it. Faults
live here, next to the tests, never as flags in the product (Schemathesis keeps its own
catalog of broken test apps the same way).
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode

from starlette.types import ASGIApp, Message, Receive, Scope, Send

Body = Any
Reply = tuple[int, dict[str, str], bytes]


@dataclass(frozen=True)
class Mutant:
    name: str
    api: str
    catches: tuple[str, ...]
    """Check or property names, any of which reporting the fault counts as catching it."""
    wrap: Callable[[ASGIApp], ASGIApp]


class Rewrite:
    """Pure ASGI wrapper: optionally change the request scope, optionally rewrite the whole response."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        method: str | None = None,
        path: str = ".*",
        scope: Callable[[Scope], Scope] | None = None,
        reply: Callable[[Scope, Reply], Reply] | None = None,
    ) -> None:
        self.app = app
        self.method = method
        self.path = re.compile(path)
        self.scope_fn = scope
        self.reply_fn = reply

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        hit = (
            scope["type"] == "http"
            and (self.method is None or scope["method"] == self.method)
            and self.path.fullmatch(scope["path"])
        )
        if not hit:
            await self.app(scope, receive, send)
            return
        if self.scope_fn is not None:
            scope = self.scope_fn(dict(scope))
        if self.reply_fn is None:
            await self.app(scope, receive, send)
            return
        start: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def buffer(message: Message) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, buffer)
        headers = {k.decode(): v.decode() for k, v in start.get("headers", [])}
        status, headers, body = self.reply_fn(scope, (start["status"], headers, b"".join(chunks)))
        headers["content-length"] = str(len(body))
        raw = [(k.encode(), v.encode()) for k, v in headers.items()]
        await send({"type": "http.response.start", "status": status, "headers": raw})
        await send({"type": "http.response.body", "body": body})


def edit_json(edit: Callable[[Body], Body], only_status: int | None = 200) -> Callable[[Scope, Reply], Reply]:
    """A reply rewriter that edits the JSON body of matching (by default: 200) responses."""

    def reply(scope: Scope, response: Reply) -> Reply:
        status, headers, body = response
        if only_status is not None and status != only_status:
            return response
        return status, headers, json.dumps(edit(json.loads(body))).encode()

    return reply


def drop_query(*names: str) -> Callable[[Scope], Scope]:
    def scope_fn(scope: Scope) -> Scope:
        query = [(k, v) for k, v in parse_qsl(scope["query_string"].decode(), keep_blank_values=True) if k not in names]
        scope["query_string"] = urlencode(query).encode()
        return scope

    return scope_fn


def rewrite(**kwargs: Any) -> Callable[[ASGIApp], ASGIApp]:
    return lambda app: Rewrite(app, **kwargs)


def sporadic_500(every: int) -> Callable[[ASGIApp], ASGIApp]:
    counter = itertools.count(1)

    def reply(scope: Scope, response: Reply) -> Reply:
        if next(counter) % every:
            return response
        return 500, {"content-type": "text/html"}, b"<h1>Internal Server Error</h1>"

    return rewrite(reply=reply)


def with_header(name: str, value: str) -> Callable[[Scope], Scope]:
    """Replace a request header: a server that ignores what the client sent for it."""

    def scope_fn(scope: Scope) -> Scope:
        headers = [(k, v) for k, v in scope["headers"] if k != name.lower().encode()]
        scope["headers"] = [*headers, (name.lower().encode(), value.encode())]
        return scope

    return scope_fn


def set_in(path: tuple[Any, ...], value: Any) -> Callable[[Body], Body]:
    def edit(body: Body) -> Body:
        target = body
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
        return body

    return edit


def drop_in(path: tuple[Any, ...]) -> Callable[[Body], Body]:
    def edit(body: Body) -> Body:
        target = body
        for key in path[:-1]:
            target = target[key]
        target.pop(path[-1], None)
        return body

    return edit


STAGE = r"/v0/pipelines/[^/]+/stages/[^/]+/"
PIPELINES = r"/api/v1/pipelines"


def _new_id(body: Body) -> Body:
    body["id"] = "00000000-0000-4000-8000-00000000dead"
    return body


def _to_get(scope: Scope) -> Scope:
    scope["method"] = "GET"
    return scope


def _plain_404_as_json(scope: Scope, response: Reply) -> Reply:
    status, headers, body = response
    if status != 404:
        return response
    return 404, {"content-type": "application/json"}, json.dumps({"message": body.decode().strip()}).encode()


def _without_pipeline(pipeline_id: str) -> Callable[[Body], Body]:
    def edit(body: Body) -> Body:
        body["pipelines"] = [p for p in body["pipelines"] if p["id"] != pipeline_id]
        return body

    return edit


def _login_203(scope: Scope, response: Reply) -> Reply:
    status, headers, body = response
    return (203 if status == 200 else status), headers, body


def _status(new: int) -> Callable[[Scope, Reply], Reply]:
    return lambda scope, response: (new, response[1], response[2])


def _content_type(value: str) -> Callable[[Scope, Reply], Reply]:
    return lambda scope, response: (response[0], {**response[1], "content-type": value}, response[2])


MUTANTS = [
    Mutant(
        "required field missing (stage name)",
        "esper-stages",
        ("response_schema_conformance", "listed_stages_are_what_get_returns", "create_returns_what_get_returns"),
        rewrite(method="GET", path=STAGE, reply=edit_json(drop_in(("content", "name")))),
    ),
    Mutant(
        "wrong type (count as a string)",
        "esper-stages",
        ("response_schema_conformance", "stage_list_count_matches_pages"),
        rewrite(method="GET", path=r"/v0/pipelines/[^/]+/stages/", reply=edit_json(set_in(("content", "count"), "3"))),
    ),
    Mutant(
        "delete that does not delete",
        "esper-stages",
        ("use_after_free", "deleted_stage_is_gone"),
        rewrite(method="DELETE", path=STAGE, scope=_to_get, reply=edit_json(set_in(("content",), {}))),
    ),
    Mutant(
        "updates ignored",
        "esper-stages",
        ("update_changes_only_the_fields_sent",),
        rewrite(method="PUT", path=STAGE, scope=_to_get),
    ),
    Mutant(
        "auth not enforced",
        "esper-operations",
        ("ignored_auth",),
        rewrite(scope=with_header("Authorization", "Bearer mock-token")),
    ),
    Mutant(
        "sort order ignored",
        "esper-operations",
        ("ordering_is_honoured_both_ways",),
        rewrite(method="GET", path="/v0/operations/", scope=drop_query("ordering")),
    ),
    Mutant(
        "filter ignored (state)",
        "esper-operations",
        ("state_filter_returns_only_that_state", "scheduled_operation_is_listed_under_its_state"),
        rewrite(method="GET", path="/v0/operations/", scope=drop_query("state")),
    ),
    Mutant(
        "pagination total off by one",
        "zenml-pipelines",
        ("total_counts_every_item_across_pages", "total_pages_is_total_over_size_and_page_echoes_request"),
        rewrite(method="GET", path=PIPELINES, reply=edit_json(lambda body: {**body, "total": body["total"] + 1})),
    ),
    Mutant(
        "created objects not persisted",
        "zenml-pipelines",
        ("ensure_resource_availability", "create_is_readable_and_listed"),
        rewrite(method="POST", path=PIPELINES, reply=edit_json(_new_id)),
    ),
    Mutant(
        "login answers an undocumented status (203 with a token)",
        "zenml-pipelines",
        ("login_as_documented", "status_code_conformance"),
        rewrite(method="POST", path="/api/v1/login", reply=_login_203),
    ),
    Mutant(
        "filter ignored (name)",
        "zenml-pipelines",
        ("each_filter_operator_selects_exactly_the_matching_items",),
        rewrite(method="GET", path=PIPELINES, scope=drop_query("name")),
    ),
    Mutant(
        "hydrate ignored",
        "zenml-pipelines",
        ("hydrate_decides_whether_metadata_is_filled",),
        rewrite(method="GET", path=PIPELINES, scope=drop_query("hydrate")),
    ),
    Mutant(
        "undocumented status code",
        "instabase-flow",
        ("status_code_conformance",),
        rewrite(method="GET", path="/api/v1/flow/pipeline", reply=_status(418)),
    ),
    Mutant(
        "pipeline list leaves out a usable pipeline",
        "instabase-flow",
        ("accepted_pipelines_are_listed",),
        rewrite(
            method="GET",
            path="/api/v1/(flow/pipeline|jobs/pipelines)",
            reply=edit_json(_without_pipeline("e05cc5f7-b199-49a6-b1bc-f17dc5247e0c")),
        ),
    ),
    Mutant(
        "wrong content type",
        "instabase-flow",
        ("content_type_conformance",),
        rewrite(path="/api/v1/jobs/pipelines", reply=_content_type("text/html; charset=utf-8")),
    ),
    Mutant(
        "wrong error format (JSON instead of GoCD's plain text)",
        "gocd-stages",
        ("content_type_conformance", "response_schema_conformance", "history_of_unknown_pipeline_is_404"),
        rewrite(reply=_plain_404_as_json),
    ),
    Mutant(
        "history not newest first",
        "gocd-stages",
        ("history_is_newest_first",),
        rewrite(method="GET", path=r"/go/api/stages/.*", reply=edit_json(lambda b: {**b, "stages": b["stages"][::-1]})),
    ),
    Mutant("sporadic 500s", "gocd-stages", ("not_a_server_error",), sporadic_500(every=7)),
]
