"""The app factory: one Connexion AsyncApp per API behind a small path dispatcher.

Why not one AsyncApp with five `add_api` calls: ZenML and Instabase both live under `/api/v1` and
both Esper services under `/v0`, so the APIs cannot get distinct base paths; Connexion 3.3 chains
APIs that share a base path (`RoutingMiddleware.add_api`) in a way that loses all but the first
and the last, its error handlers are app-wide (one error format for all five), and each API's
`/openapi.json` would collide. One app per API keeps each spec, security map and error format
apart; the dispatcher (a dozen regexes built from the specs' paths) picks the app.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from connexion import AsyncApp
from connexion.middleware import MiddlewarePosition
from connexion.options import SwaggerUIOptions
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from contracts import load_spec
from mock_server import admin, notes, sessions
from mock_server.api import ApiError, MockApi
from mock_server.apis import load_api
from mock_server.auth import accepting_any, security_map
from mock_server.body import ADMIN_MAX_DEPTH, ReadAsJson, RequestBody
from mock_server.errors import HANDLED, asgi_error, make_error_handler
from mock_server.fixtures import load_fixtures
from mock_server.guard import AdminGuard
from mock_server.middleware import Latency
from mock_server.query import RepeatedQueryParser
from mock_server.recorder import Recorder
from mock_server.requestlog import printer
from mock_server.resolver import StateResolver
from mock_server.routing import PathTable
from mock_server.runtime import Runtime, Slot
from mock_server.settings import Settings
from mock_server.slashes import TrailingSlashes
from mock_server.validation import validator_map


def create_app(settings: Settings | None = None) -> ASGIApp:
    """A fresh mock with fresh state: every call is independent (tests build one per test)."""
    settings = settings or Settings()
    apis = [load_api(name) for name in settings.apis]
    fixtures = load_fixtures(apis, settings.fixtures)
    runtime = Runtime(settings, {api.name: Slot(api, fixtures[api.name][1], fixtures[api.name][0]) for api in apis})
    table = PathTable(list(settings.apis))
    apps = {name: _api_app(runtime, runtime.slots[name].api, settings, table) for name in settings.apis}
    by_name = {api.name: api for api in apis}
    dispatcher = Dispatcher(table, apps, _admin_app(runtime), TrailingSlashes(table, by_name), by_name)
    cors = CORSMiddleware(
        Latency(dispatcher, settings.latency_ms),
        allow_origins=list(settings.cors_origins),
        allow_methods=["*"],
        allow_headers=["*"],
        expose_headers=["WWW-Authenticate", "Location", "Allow"],
    )
    emit = printer(settings.log_format) if settings.log_format else None
    return Recorder(AdminGuard(cors, dispatcher, settings), runtime, emit)  # admin skips CORS and latency


def _api_app(runtime: Runtime, api: MockApi, settings: Settings, table: PathTable) -> AsyncApp:
    def state() -> Any:
        return runtime.state(api.name)  # the current request's session

    def verify(credential: Any) -> Any:
        return api.verify(state(), credential)

    checker = accepting_any(verify, api.any_token_principal) if settings.any_token else verify
    ui = SwaggerUIOptions(spec_path=f"/{api.name}/openapi.json", swagger_ui_path=f"/{api.name}/ui")
    app = AsyncApp(api.name, security_map=security_map(checker), swagger_ui_options=ui)
    app.add_api(
        load_spec(api.name),
        base_path="",
        name=api.name,
        resolver=StateResolver(api.handlers, state, api.render_error),
        validate_responses=settings.validate_responses,
        uri_parser_class=RepeatedQueryParser,
        validator_map=validator_map(),
    )
    app.add_middleware(RequestBody, position=MiddlewarePosition.BEFORE_ROUTING, max_bytes=settings.max_body_bytes)
    if api.json_media_types:
        app.add_middleware(ReadAsJson, position=MiddlewarePosition.BEFORE_ROUTING, media_types=api.json_media_types)
    handler = make_error_handler(api.render_error, table.allow)
    for exc_type in HANDLED:
        app.add_error_handler(exc_type, handler)
    return app


def _admin_app(runtime: Runtime) -> AsyncApp:
    app = AsyncApp("admin", swagger_ui_options=SwaggerUIOptions(swagger_ui_path="/__admin/ui"))
    spec = admin.load_admin_spec()
    app.add_api(spec, base_path="", name="admin", resolver=StateResolver(admin, lambda: runtime, admin.render_error))
    app.add_middleware(
        RequestBody,
        position=MiddlewarePosition.BEFORE_ROUTING,
        max_bytes=runtime.settings.max_admin_body_bytes,
        max_depth=ADMIN_MAX_DEPTH,
    )
    handler = make_error_handler(admin.render_error, lambda path: None)
    for exc_type in HANDLED:
        app.add_error_handler(exc_type, handler)
    return app


class Dispatcher:
    """Route each request to the app of the API that owns its path, and fan out the lifespan."""

    def __init__(
        self,
        table: PathTable,
        apps: dict[str, ASGIApp],
        admin_app: ASGIApp,
        slashes: TrailingSlashes,
        apis: dict[str, MockApi],
    ) -> None:
        self.table = table
        self.apps = apps
        self.admin_app = admin_app
        self.slashes = slashes
        self.apis = apis

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _fan_out_lifespan([*self.apps.values(), self.admin_app], receive, send)
            return
        if await self.slashes.answered(scope, receive, send):
            return
        path: str = scope["path"]
        if path.startswith("/__admin"):
            await self.admin_app(scope, receive, send)
            return
        owner = self.owner(path, scope["method"])
        if owner is None:
            await self.index(scope, send)
            return
        problem = scope.get(sessions.PROBLEM)
        if problem is not None:  # a malformed X-Mock-Session: the API's own 400
            await asgi_error(self.apis[owner].render_error, ApiError(400, problem))(scope, receive, send)
            return
        await self.apps[owner](scope, receive, send)

    def owner(self, path: str, method: str) -> str | None:
        """The API serving `path`, noted with the operation the path and method name, if any."""
        record = notes.notes()
        first = path.strip("/").split("/", 1)[0]
        if first in self.apps:  # /<name>/openapi.json and /<name>/ui/
            record.api = first
            return first
        route = self.table.match(path)
        if route is not None:
            record.api, record.operation = route.api, route.operations.get(method)
            return route.api
        record.api = self.table.nearest(path)
        return record.api

    async def index(self, scope: Scope, send: Send) -> None:
        """Unknown path outside every API: say what is served, with status 200 at `/` and 404 elsewhere."""
        status = 200 if scope["path"] == "/" else 404
        detail = "pipeline-contracts mock server" if status == 200 else f"No API serves {scope['path']}."
        if status == 404:
            notes.notes().reason = detail
        body = {
            "detail": detail,
            "apis": {name: {"spec": f"/{name}/openapi.json", "ui": f"/{name}/ui/"} for name in self.apps},
            "admin": "/__admin/ui/",
        }
        data = json.dumps(body).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": data})


async def _fan_out_lifespan(apps: list[ASGIApp], receive: Receive, send: Send) -> None:
    """Run each sub-app's lifespan so Connexion builds its stacks (and finds spec errors) at start-up."""
    queues: list[asyncio.Queue[Message]] = [asyncio.Queue() for _ in apps]
    replies: asyncio.Queue[Message] = asyncio.Queue()

    async def reply(message: Message) -> None:
        await replies.put(message)

    async def run(app: ASGIApp, inbox: asyncio.Queue[Message]) -> None:
        try:
            await app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}, inbox.get, reply)
        except Exception as exc:  # a spec or resolver error: fail the start-up, do not hang it
            await replies.put({"type": "lifespan.startup.failed", "message": f"{type(exc).__name__}: {exc}"})

    tasks = [asyncio.create_task(run(app, q)) for app, q in zip(apps, queues, strict=True)]
    while True:
        message = await receive()
        phase = message["type"].rsplit(".", 1)[-1]  # startup | shutdown
        for q in queues:
            q.put_nowait(message)
        answers = [await replies.get() for _ in apps]
        failed = [a for a in answers if a["type"].endswith(".failed")]
        await send(failed[0] if failed else {"type": f"lifespan.{phase}.complete"})
        if phase == "shutdown" or failed:
            break
    for task in tasks:
        task.cancel()
