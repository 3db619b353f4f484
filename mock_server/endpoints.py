"""Each API's innermost app: the operation's handler, called with the arguments its request carries.

Connexion runs in front of it as middleware only (`ConnexionMiddleware`: routing, security, request
validation, its documented mode for any ASGI app). Its own app, `AsyncApp`, would parse path, query and
body a second time on every request through a decorator chain it builds again per request, about 45 %
of a request's CPU (docs/benchmarks.md). Here each operation's plan is built once, when Connexion
resolves its operationId at start-up, and a request only reads what validation already checked.

The arguments are the ones Connexion's parameter decorator passes: path and query values typed as the
spec declares them, query defaults filled in, repeated values of an exploded array kept whole
(`?a=x,y&a=z` is ["x,y", "z"], as FastAPI and Rails read it), the body parsed as JSON, or as a form
typed by its schema, or the schema's default when none is sent. A handler gets only the parameters
its signature names (all of them with `**kwargs`), plus `principal` if it asks.
"""

from __future__ import annotations

import copy
import inspect
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from connexion.resolver import Resolution, Resolver
from starlette.datastructures import QueryParams
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import Receive, Scope, Send

from mock_server import notes
from mock_server.api import ApiError, Handler, Reply
from mock_server.body import decode_json, is_json, parsed, read_body, unread
from mock_server.errors import asgi_error, asgi_response
from mock_server.middleware import requested_delay, sleep_unless_disconnected
from mock_server.prefer import FittingErrors, fits, prefer

FORMS = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})
NO_QUERY = QueryParams()
DELIMITERS = {"form": ",", "spaceDelimited": " ", "pipeDelimited": "|"}
"""What splits the one value of a non-exploded query array, by style (OpenAPI 3.0)."""


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).lower() == "true"  # validation has let only "true" and "false" through


SCALARS: dict[str, Callable[[Any], Any]] = {"integer": int, "number": float, "boolean": _boolean}
"""How a validated text value becomes the type its schema declares; strings and the rest stay as sent."""


def _typed(schema: Mapping[str, Any]) -> Callable[[Any], Any]:
    """The conversion of one parameter (or form field) value, decided once from its schema."""
    if schema.get("type") == "array":
        item = SCALARS.get(schema.get("items", {}).get("type", ""))
        convert: Callable[[Any], Any] = (lambda v: [item(x) for x in v]) if item else list
    else:
        convert = SCALARS.get(schema.get("type", ""), _same)
    if not schema.get("nullable"):
        return convert
    return lambda v: None if v is None or (isinstance(v, str) and v.strip() in ("null", "None")) else convert(v)


def _same(value: Any) -> Any:
    return value


def _python_name(name: str) -> str:
    """The keyword a parameter is passed as: Connexion's `sanitized` (`page[size]` -> `page_size`)."""
    name = re.sub(r"\[(?!])", "_", name)
    return re.sub(r"^[^a-zA-Z_]+", "", re.sub(r"[^0-9a-zA-Z_]", "", name))


IMMUTABLE = (str, int, float, bool, type(None))
"""Defaults a handler cannot change, so passed as they are."""


@dataclass(frozen=True)
class Query:
    """One declared query parameter: where it comes from, how it is read and typed, its default."""

    name: str
    key: str
    array: bool
    delimiter: str | None
    """For a non-exploded array: what splits its value; None when each repeated value is one item."""
    convert: Callable[[Any], Any]
    default: Any
    has_default: bool
    copy_default: bool
    """A list or object default is copied for each request, since a handler may change what it gets."""

    @classmethod
    def of(cls, parameter: Mapping[str, Any]) -> Query:
        schema = parameter.get("schema", {})
        array = schema.get("type") == "array"
        style = parameter.get("style", "form")
        explode = parameter.get("explode", style == "form")
        if style not in DELIMITERS:
            raise ValueError(f"query parameter {parameter['name']!r}: style {style!r} is not served by the mock")
        has_default = "default" in schema
        return cls(
            parameter["name"],
            _python_name(parameter["name"]),
            array,
            DELIMITERS[style] if array and not explode else None,
            _typed(schema),
            schema.get("default"),
            has_default,
            not isinstance(schema.get("default"), IMMUTABLE),
        )

    def read(self, values: list[str]) -> Any:
        if not self.array:
            return self.convert(values[-1])
        if self.delimiter is None:
            return self.convert(values)
        return self.convert(values[-1].split(self.delimiter))

    def filled(self) -> Any:
        """The default, for a request that does not send this parameter."""
        return self.convert(copy.deepcopy(self.default) if self.copy_default else self.default)


@dataclass(frozen=True)
class Body:
    """The request body as a handler gets it: parsed by its media type, or the schema's default."""

    key: str
    defaults: Mapping[str, Any]
    """Media type -> the body a request without one gets (the schema's `default`, else {})."""
    forms: Mapping[str, Mapping[str, tuple[bool, Callable[[Any], Any]]]]
    """Form media type -> each declared field: (is it an array, how its value is typed)."""
    nullable: frozenset[str]

    @classmethod
    def of(cls, request_body: Mapping[str, Any]) -> Body:
        content: Mapping[str, Any] = request_body.get("content", {})
        schemas = {media: entry.get("schema", {}) for media, entry in content.items()}
        return cls(
            _python_name(request_body.get("x-body-name", "body")),
            {media: schema.get("default", {}) for media, schema in schemas.items()},
            {
                media: {
                    name: (prop.get("type") == "array", _typed(prop))
                    for name, prop in schema.get("properties", {}).items()
                }
                for media, schema in schemas.items()
                if media in FORMS
            },
            frozenset(media for media, schema in schemas.items() if schema.get("nullable")),
        )

    async def read(self, scope: Scope, receive: Receive, mimetype: str) -> Any:
        if mimetype in FORMS:
            # A repeated field: an array gets every value, anything else the last (as FastAPI and Django read forms).
            form = await Request(scope, receive).form()
            fields = self.forms.get(mimetype, {})
            typed = copy.deepcopy(self.defaults.get(mimetype, {}))
            for name in form:
                array, convert = fields.get(name, (False, _same))
                values = form.getlist(name)
                typed[name] = convert(values if array else values[-1])
            return typed
        door_parsed, value = unread(receive, scope)  # the door's value, passed on unread by validation
        if not door_parsed:
            data = await read_body(receive)
            door_parsed, value = parsed(scope, data)
            if data and not door_parsed:  # the schema's default put in by Connexion, or a body not labelled JSON
                # A body not labelled JSON was validated by Connexion as the operation's declared JSON but comes
                # as bytes (a seed's own `requests.post(data=...)` example does this): not JSON is a 400.
                value = json.loads(data) if is_json(mimetype.encode()) else decode_json(data)
        if value is None:
            return None if mimetype in self.nullable else copy.deepcopy(self.defaults.get(mimetype, {}))
        return value


class Endpoint:
    """One operation: its handler and the plan that turns a validated request into its arguments."""

    def __init__(
        self,
        operation: Any,
        fn: Handler,
        get_state: Callable[[], Any],
        render_error: Callable[[ApiError], Reply],
    ) -> None:
        self.operation_id: str = operation.operation_id
        self.fn = fn
        self.get_state = get_state
        self.render_error = render_error
        self.responses: dict[str, Any] = operation.responses
        self.errors = FittingErrors(render_error)
        params = inspect.signature(fn).parameters
        takes_all = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())

        def wanted(key: str) -> bool:
            return takes_all or key in params

        declared = operation.parameters
        self.path = {
            p["name"]: (_python_name(p["name"]), _typed(p.get("schema", {}))) for p in declared if p["in"] == "path"
        }
        self.query = [q for q in (Query.of(p) for p in declared if p["in"] == "query") if wanted(q.key)]
        body = Body.of(operation.request_body) if operation.request_body else None
        self.body = body if body is not None and wanted(body.key) and operation.method.upper() != "TRACE" else None
        self.wants_principal = "principal" in params
        self.takes_all = takes_all
        self.params = frozenset(params)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        notes.notes().operation = self.operation_id
        try:
            reply = await self.reply(scope, receive)
        except ApiError as error:
            await asgi_error(self.render_error, error)(scope, receive, send)
            return
        await asgi_response(reply)(scope, receive, send)

    async def reply(self, scope: Scope, receive: Receive) -> Reply:
        prefer_header, content_type = "", ""
        for name, value in scope["headers"]:  # the first of each, as Starlette's Headers.get reads them
            if name == b"prefer" and not prefer_header:
                prefer_header = value.decode("latin-1")
            elif name == b"content-type" and not content_type:
                content_type = value.decode("latin-1")
        delay = requested_delay(prefer_header)  # here, after auth: an anonymous client cannot hold a request
        if delay and not await sleep_unless_disconnected(delay, receive):
            raise ApiError(400, "The client disconnected during Prefer: delay; nothing was done.")
        preferred = prefer(prefer_header, self.responses, self._documented_error)
        if preferred is not None:
            return preferred
        args = await self.arguments(scope, receive, content_type)
        return normalise(await self.fn(self.get_state(), **args))

    def _documented_error(self, err: ApiError) -> Reply:
        """For `Prefer: code=`: the error body worded to fit the schema documented for its status."""
        return self.errors.render(err.status, err, lambda body: fits(self.responses[str(err.status)], body))

    async def arguments(self, scope: Scope, receive: Receive, content_type: str) -> dict[str, Any]:
        args: dict[str, Any] = {}
        for name, value in scope.get("path_params", {}).items():
            key, convert = self.path.get(name, (name, _same))
            args[key] = convert(value)
        if self.query:
            sent = QueryParams(scope["query_string"]) if scope["query_string"] else NO_QUERY
            for q in self.query:
                if q.name in sent:
                    args[q.key] = q.read(sent.getlist(q.name))
                elif q.has_default:
                    args[q.key] = q.filled()
        if self.body is not None:
            mimetype = content_type.split(";", 1)[0].strip().lower() or "application/octet-stream"
            args[self.body.key] = await self.body.read(scope, receive, mimetype)
        if not self.takes_all:
            args = {k: v for k, v in args.items() if k in self.params}
        if self.wants_principal:
            args["principal"] = scope.get("extensions", {}).get("connexion_context", {}).get("token_info") or {}
        return args


def normalise(result: Any) -> Reply:
    """A handler may return body, (body, status) or (body, status, headers)."""
    if isinstance(result, tuple):
        body, status, *rest = result
        return body, status, rest[0] if rest else {}
    return result, 200, {}


class Endpoints:
    """The app that calls each operation's Endpoint, built once per operation from what Connexion resolved.

    Connexion resolves every operationId while it builds its layers (`resolver`), so a missing handler
    fails the start-up; the Endpoints are built at the lifespan's start-up (or, for an app driven without
    one, at the operation's first request), because Connexion's operation is complete only after that.
    """

    def __init__(
        self,
        handlers: Mapping[str, Handler],
        get_state: Callable[[], Any],
        render_error: Callable[[ApiError], Reply],
    ) -> None:
        self.handlers = handlers
        self.get_state = get_state
        self.render_error = render_error
        self.resolved: dict[str, tuple[Any, Handler]] = {}
        self.endpoints: dict[str, Endpoint] = {}
        self.resolver = _Resolver(self.resolve)

    def resolve(self, operation: Any) -> Handler:
        fn = self.handlers.get(operation.operation_id)
        if fn is None:
            raise LookupError(
                f"operationId {operation.operation_id!r} has no handler; add it to the API's handler_set(...)"
            )
        self.resolved[operation.operation_id] = (operation, fn)
        return fn

    def endpoint(self, operation_id: str) -> Endpoint | None:
        endpoint = self.endpoints.get(operation_id)
        if endpoint is None and operation_id in self.resolved:
            operation, fn = self.resolved[operation_id]
            endpoint = self.endpoints[operation_id] = Endpoint(operation, fn, self.get_state, self.render_error)
        return endpoint

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            for operation_id in self.resolved:
                self.endpoint(operation_id)
            await _lifespan(receive, send)
            return
        routing = scope.get("extensions", {}).get("connexion_routing", {})
        endpoint = self.endpoint(routing.get("operation_id") or "")
        if endpoint is None:  # no operation's path matched (a wrong method is Connexion's router's 405)
            raise HTTPException(404)
        await endpoint(scope, receive, send)


class _Resolver(Resolver):
    """Connexion's resolver interface over `Endpoints.resolve` (Connexion takes any callable to be a
    function resolver, so the app itself cannot be the resolver)."""

    def __init__(self, resolve: Callable[[Any], Handler]) -> None:
        super().__init__()
        self._resolve = resolve

    def resolve(self, operation: Any) -> Resolution:
        return Resolution(self._resolve(operation), operation.operation_id)


async def _lifespan(receive: Receive, send: Send) -> None:
    """Nothing to start or stop: answer the lifespan protocol so the server's start-up completes."""
    while True:
        message = await receive()
        phase = message["type"].rsplit(".", 1)[-1]
        await send({"type": f"lifespan.{phase}.complete"})
        if phase == "shutdown":
            return
