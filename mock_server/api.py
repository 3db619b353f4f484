"""The one interface every mocked API fills in, and the small types it speaks.

The shared machinery (app factory, auth, errors, fixtures, admin) only ever talks to an API
through a `MockApi`; it never names an API. Each module in `mock_server/apis/` builds one.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, Self

from mock_server.ids_and_clocks import Clock, Ids

Principal = dict[str, Any]
"""Who is calling: at least {"sub": <user name>}; an API may add what its handlers need."""

Headers = dict[str, str]
Reply = tuple[Any, int, Headers]
"""A rendered response: body (JSON-able value, or str for text), status, headers."""

ErrorKind = Literal[
    "invalid_request",  # the request breaks the spec (schema, types, required, malformed JSON)
    "undecodable_body",  # the body is not text in its declared encoding (not UTF-8)
    "unsupported_media_type",
    "payload_too_large",
    "missing_credentials",
    "invalid_credentials",
    "forbidden",
    "not_found",  # a handler did not find what the request names
    "no_route",  # no operation matches the path
    "method_not_allowed",
    "conflict",
    "error",
]


class ApiError(Exception):
    """Raised where a problem is found; rendered once, in the API's own format, by `render_error`.

    One mechanism steers rendering: `kind` says *what* went wrong, so an API words problems found by
    the shared machinery (a schema violation, a missing credential) in its own way. An error that a
    handler must send in the service's exact words is a subclass of ApiError defined in that API's
    module (ZenML's `HttpError`, GoCD's `Verbatim`), which its `render_error` recognises by type.
    """

    def __init__(
        self, status: int, message: str, *, kind: ErrorKind = "error", headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.kind = kind
        self.headers: Headers = dict(headers or {})


@dataclass(frozen=True)
class Token:
    """A bearer token or API key as sent (for apiKey schemes: the whole header value)."""

    value: str


@dataclass(frozen=True)
class BasicAuth:
    username: str
    password: str


@dataclass(frozen=True)
class CookieToken:
    """A bearer credential read from the API's session cookie (`MockApi.session_cookie`), read before the
    Authorization header; `csrf` is the request's `X-CSRF-Token` header, which a browser session may need."""

    value: str
    csrf: str | None = None


Credential = Token | BasicAuth | CookieToken


@dataclass(frozen=True)
class Login:
    """A user name and password a client trades for a bearer token with a form POST to `path`."""

    username: str
    password: str
    path: str


@dataclass
class Context:
    """What an API's state may use besides its own data: id and time sources shared by the app."""

    ids: Ids
    clock: Clock


class ApiState(Protocol):
    """An API's in-memory data. `export()` returns the same shape `from_fixture` reads."""

    @classmethod
    def from_fixture(cls, data: Mapping[str, Any], ctx: Context) -> Self: ...

    def export(self) -> dict[str, Any]: ...


Collected = Mapping[str, list[dict[str, Any]]]
"""Fixture items per fixture key (`{"stages": [...]}`), as the recorder gathers them."""


@dataclass(frozen=True)
class RecordHook:
    """How an API's real answers become fixture data (`--record`, `mock_server/recorder.py`)."""

    collect: Callable[[str, Any], Collected]
    """(operationId, JSON body of a 2xx answer) -> the objects in it, per fixture key; {} for nothing."""
    complete: Callable[[Collected], tuple[dict[str, Any], str]]
    """Collected objects -> (the whole fixture, which users exist and the credentials they get): only the
    mock's default credentials, never a secret seen on the wire."""


AdminAction = Callable[[Any, Mapping[str, Any]], Any | Awaitable[Any]]
Handler = Callable[..., Awaitable[Any]]
"""`async def <operationId>(state, **params)`: one operation of an API's spec."""


def handler_set(*handlers: Handler) -> Mapping[str, Handler]:
    """operationId -> handler, each named after its function: the only functions Connexion may bind,
    so a helper of the module can never be reached as an operation."""
    return {fn.__name__: fn for fn in handlers}


@dataclass(frozen=True)
class MockApi:
    """Everything the app factory needs to serve one API.

    `handlers` maps each operationId of `specs/<name>.yaml` to its `async def <operationId>(state,
    **params)` (built with `handler_set`); a handler that declares a `principal` parameter also gets the
    caller's principal. A handler returns a body, `(body, status)` or `(body, status, headers)`;
    a `str` body is sent as text/plain, anything else as JSON. Problems are raised as `ApiError`.
    """

    name: str
    state: type[ApiState]
    handlers: Mapping[str, Handler]
    render_error: Callable[[ApiError], Reply]
    verify: Callable[[Any, Credential], Principal | None]
    any_token_principal: Principal
    credentials: Token | BasicAuth | Login
    """What a client of the default fixtures sends; suites that embed the mock read it (`mock_server.testing`)."""
    fixture_schemas: Mapping[str, str] = field(default_factory=dict)
    """Top-level fixture key -> component schema name each of its items must validate against."""
    admin_actions: Mapping[str, AdminAction] = field(default_factory=dict)
    """Extra `POST /__admin/<name>/<action>` endpoints: (state, json body) -> JSON-able result."""
    trailing_slash: Literal["append", "ignore", "not_found", "get_catch_all"] = "not_found"
    """What a documented path with its trailing slash added or dropped gets (`mock_server/slashes.py`)."""
    session_cookie: Callable[[Any], str] | None = None
    """(state) -> the name of a cookie that carries the API's bearer credential, if it has one. A request
    that sends it is authenticated by it alone (`CookieToken`), whatever its Authorization header says."""
    record: RecordHook | None = None
    """How a recording of the real service's answers becomes this API's fixture (None: not recordable)."""
    json_media_types: frozenset[str] = frozenset()
    """Request media types whose bodies the real service reads as JSON all the same (`ReadAsJson`)."""
