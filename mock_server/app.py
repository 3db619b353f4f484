"""The app factory: one Connexion stack per API behind a small path dispatcher.

Each API is Connexion as middleware (`ConnexionMiddleware`: routing, security, request validation, its
error handlers) around the mock's own `Endpoints` app, which calls the handlers (`endpoints.py` says
why not Connexion's `AsyncApp`).

Why not one stack with five `add_api` calls: ZenML and Instabase both live under `/api/v1` and both
Esper services under `/v0`, so the APIs cannot get distinct base paths; Connexion 3.3 chains APIs that
share a base path (`RoutingMiddleware.add_api`) in a way that loses all but the first and the last,
its error handlers are app-wide (one error format for all five), and each API's `/openapi.json`
would collide. One stack per API keeps each spec, security map and error format apart; the
dispatcher (a dozen regexes built from the specs' paths) picks the stack.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from connexion import ConnexionMiddleware
from connexion.middleware import MiddlewarePosition
from connexion.options import SwaggerUIOptions
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mock_server import admin, notes, sessions
from mock_server.api import ApiError, MockApi
from mock_server.apis import load_api
from mock_server.auth import Verifier, accepting_any
from mock_server.body import ADMIN_MAX_DEPTH, RequestBody
from mock_server.contract_check import ContractCheck
from mock_server.endpoints import Endpoints
from mock_server.errors import HANDLED, asgi_error, make_error_handler
from mock_server.faults import FaultLayer
from mock_server.fixtures import load_fixtures
from mock_server.front import Front
from mock_server.guard import AdminGuard
from mock_server.middleware import CorsWhenOrigin, Latency
from mock_server.persist import Persisted, restore
from mock_server.proxy import Proxy
from mock_server.query import RepeatedQueryParser
from mock_server.reload import Reloader, Reloading
from mock_server.requestlog import printer
from mock_server.routing import PathTable
from mock_server.runtime import EverySession, Runtime, Slot
from mock_server.settings import Settings
from mock_server.slashes import TrailingSlashes
from mock_server.specs import read_spec
from mock_server.stack import api_middlewares
from mock_server.validation import validator_map


def create_app(settings: Settings | None = None) -> ASGIApp:
    """A fresh mock with fresh state: every call is independent (tests build one per test)."""
    settings = settings or Settings()
    apis = [load_api(name) for name in settings.apis]
    specs = {name: read_spec(settings, name) for name in settings.apis}
    fixtures = load_fixtures(apis, specs, settings.fixtures)
    runtime = Runtime(
        settings,
        {api.name: Slot(api, fixtures[api.name][1], fixtures[api.name][0], specs[api.name]) for api in apis},
    )
    if settings.faults is not None:
        runtime.faults.load(settings.faults)
    table = PathTable(specs)
    apps: dict[str, ASGIApp] = {name: served_app(runtime, runtime.slots[name], table) for name in settings.apis}
    apps.update(_proxies(runtime, table))
    by_name = {api.name: api for api in apis}
    slashes = TrailingSlashes(table, by_name)
    dispatcher = Dispatcher(table, apps, _admin_app(runtime), slashes, by_name)
    inner: ASGIApp = Latency(dispatcher, settings.latency_ms) if settings.latency_ms else dispatcher
    cors = CORSMiddleware(
        inner,
        allow_origins=list(settings.cors_origins),
        allow_methods=["*"],
        allow_headers=["*"],
        expose_headers=["WWW-Authenticate", "Location", "Allow"],
    )
    front: ASGIApp = CorsWhenOrigin(inner, cors)
    if settings.proxies:
        front = Unproxied(front, dispatcher, frozenset(name for name, _ in settings.proxies))
    served: ASGIApp = AdminGuard(front, dispatcher, settings)  # admin skips CORS and latency
    if settings.reload:
        served = Reloading(served, Reloader(runtime, dispatcher, table, served_app))
    if settings.state_file is not None:
        everything = EverySession(runtime)
        restore(everything, settings.state_file)
        served = Persisted(served, everything, settings.state_file, settings.state_interval_s)
    emit = printer(settings.log_format) if settings.log_format else None
    return Front(served, runtime, emit)


def served_app(runtime: Runtime, slot: Slot, table: PathTable) -> ASGIApp:
    """An API as served: its Connexion app behind its fault rules (live reload builds it again)."""
    api = slot.api
    app = _api_app(runtime, slot, table)
    return FaultLayer(app, api.name, runtime.faults, table, api.render_error)


def _api_app(runtime: Runtime, slot: Slot, table: PathTable) -> ConnexionMiddleware:
    api, settings = slot.api, runtime.settings

    def state() -> Any:
        return runtime.state(api.name)  # the current request's session

    def verify(credential: Any) -> Any:
        return api.verify(state(), credential)

    checker = accepting_any(verify, api.any_token_principal) if settings.any_token else verify
    ui = SwaggerUIOptions(spec_path=f"/{api.name}/openapi.json", swagger_ui_path=f"/{api.name}/ui")
    session_cookie = api.session_cookie
    cookie = (lambda: session_cookie(state())) if session_cookie else (lambda: None)
    verifier = Verifier(checker, cookie)
    middlewares = api_middlewares(
        f"/{api.name}/", settings.validate_responses, settings.max_body_bytes, api.json_media_types, verifier
    )
    endpoints = Endpoints(api.handlers, state, api.render_error)
    app = ConnexionMiddleware(endpoints, swagger_ui_options=ui, middlewares=middlewares)
    app.add_api(
        dict(slot.spec),
        base_path="",
        name=api.name,
        resolver=endpoints.resolver,
        validate_responses=settings.validate_responses,
        uri_parser_class=RepeatedQueryParser,
        validator_map=validator_map(),
    )
    handler = make_error_handler(api.render_error, table.allow)
    for exc_type in HANDLED:
        app.add_error_handler(exc_type, handler)
    return app


def _proxies(runtime: Runtime, table: PathTable) -> dict[str, ASGIApp]:
    """The APIs named by `--proxy`: forwarded to their upstream and checked, instead of mocked."""
    settings = runtime.settings
    recorder = runtime.recorder
    unserved = [name for name, _ in settings.proxies if name not in runtime.slots]
    if unserved:
        raise ValueError(f"cannot proxy {', '.join(unserved)}: not among the served APIs ({', '.join(runtime.slots)})")
    return {
        name: Proxy(
            runtime.slots[name].api,
            url,
            ContractCheck(name, table),
            runtime.violations,
            timeout=settings.proxy_timeout,
            strict=settings.proxy_strict,
            quiet=settings.proxy_quiet_headers,
            max_request_bytes=settings.max_body_bytes,
            observe=recorder.observer(name) if recorder is not None else None,
            on_shutdown=recorder.close if recorder is not None else None,
        )
        for name, url in settings.proxies
    }


def _admin_app(runtime: Runtime) -> ConnexionMiddleware:
    endpoints = Endpoints(admin.HANDLERS, lambda: runtime, admin.render_error)
    app = ConnexionMiddleware(endpoints, swagger_ui_options=SwaggerUIOptions(swagger_ui_path="/__admin/ui"))
    app.add_api(admin.load_admin_spec(), base_path="", name="admin", resolver=endpoints.resolver)
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
        path: str = scope["path"]
        if path.startswith("/__admin"):
            await self.admin_app(scope, receive, send)
            return
        owner = self.owner(path, scope["method"])
        app = self.apps.get(owner) if owner is not None else None
        if not isinstance(app, Proxy) and await self.slashes.answered(scope, receive, send):
            return  # a proxied API's slashes are its upstream's business
        if app is None:
            await self.index(scope, send)
            return
        problem = scope.get(sessions.PROBLEM)
        if problem is not None and owner is not None:  # a malformed X-Mock-Session: the API's own 400
            await asgi_error(self.apis[owner].render_error, ApiError(400, problem))(scope, receive, send)
            return
        await app(scope, receive, send)

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


class Unproxied:
    """Proxied APIs skip the mock's CORS and latency: their upstream answers CORS itself (twice is invalid)."""

    def __init__(self, app: ASGIApp, dispatcher: Dispatcher, proxied: frozenset[str]) -> None:
        self.app = app
        self.dispatcher = dispatcher
        self.proxied = proxied

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        proxied = scope["type"] == "http" and self.dispatcher.owner(scope["path"], scope["method"]) in self.proxied
        await (self.dispatcher if proxied else self.app)(scope, receive, send)


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
