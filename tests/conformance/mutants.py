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
