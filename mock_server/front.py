"""The outermost layer: start the request's notes, pick its session, then journal and log what happened.

It only observes: the request and response pass through unchanged. A malformed session name is not
answered here but left in the scope (`sessions.PROBLEM`) for the dispatcher, which knows the API and
so its error format, and sits inside CORS so a browser can read the answer.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mock_server import notes, sessions
from mock_server.journal import BODY_LIMIT, Entry, reason_of_bytes, redact
from mock_server.runtime import Runtime

ADMIN = "/__admin"


class Front:
    def __init__(self, app: ASGIApp, runtime: Runtime, emit: Callable[[Entry], None] | None) -> None:
        self.app = app
        self.runtime = runtime
        self.emit = emit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        record = notes.begin()
        admin = scope["path"].startswith(ADMIN)
        headers: list[tuple[bytes, bytes]] = []
        wanted: str | None = None
        cookie: str | None = None
        for name, value in scope["headers"]:
            if name == sessions.HEADER:
                wanted = value.decode("latin-1")
            elif name == b"cookie":
                cookie = value.decode("latin-1")
            headers.append((name, redact(name, value) if name in (b"authorization", b"cookie") else value))
        if wanted is None and cookie is not None:
            wanted = _cookie(cookie)
        session = self.runtime.sessions.default
        if wanted is not None and not admin:  # admin names its session with ?session=
            problem = sessions.name_problem(wanted)
            if problem is None:
                session = self.runtime.sessions.use(wanted)
                record.session = wanted
            else:
                scope[sessions.PROBLEM] = problem
        sessions.bind(session)
        entry = Entry(
            time.time(),
            record.session,
            scope["method"],
            scope["path"],
            scope["query_string"].decode("latin-1"),
            headers,
            b"",
            0,
        )
        kept: list[bytes] = []
        answer: list[bytes] = []
        """The body of an error answer not made by `error_response`, whose reason is read from it."""
        content_type = ""

        async def receive_kept() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                chunk = message.get("body", b"")
                room = BODY_LIMIT - min(entry.body_bytes, BODY_LIMIT)  # what is kept so far is that minimum
                if room > 0 and chunk:
                    kept.append(chunk[:room])
                entry.body_bytes += len(chunk)
            return message

        async def send_seen(message: Message) -> None:
            nonlocal content_type
            if message["type"] == "http.response.start":
                entry.status = message["status"]
                if entry.status >= 400 and record.reason is None:
                    content_type = next(
                        (v.decode("latin-1") for k, v in message.get("headers", []) if k.lower() == b"content-type"), ""
                    )
            elif message["type"] == "http.response.body" and content_type and sum(map(len, answer)) < BODY_LIMIT:
                answer.append(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive_kept, send_seen)
        finally:
            entry.ms = (time.perf_counter() - started) * 1000
            entry.status = entry.status or 500
            entry.body = b"".join(kept)
            entry.api, entry.operation, entry.fault = record.api, record.operation, record.fault
            entry.violations = record.violations
            entry.reason = record.reason if entry.status >= 400 else None
            if entry.status >= 400 and entry.reason is None and answer:
                entry.reason = reason_of_bytes(b"".join(answer)[:BODY_LIMIT], content_type)
            if not admin:
                session.requests += 1
                session.journal.append(entry)
            if self.emit is not None:
                self.emit(entry)


def _cookie(header: str) -> str | None:
    """The `mock_session` cookie's value, if the Cookie header has one."""
    for part in header.split(";"):
        key, sep, value = part.strip().partition("=")
        if sep and key == sessions.COOKIE:
            return value.strip('"')
    return None
