"""One exchange (request and response) checked against an API's spec with openapi-core, as violation records.

A violation is a plain dict, ready for JSON: the operation, the spec's JSON pointer of the rule that was
broken, what the spec expected, what came, and where in the message (`body.items[0].name`). The checker
never raises on what a client or server sends: every problem becomes a record.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from werkzeug.datastructures import Headers, ImmutableMultiDict

from contracts import load_spec, pointer
from mock_server.routing import PathTable

if TYPE_CHECKING:
    from openapi_core import OpenAPI

Violation = dict[str, Any]
MAX_GOT_CHARS = 200
"""What came is quoted up to this length, so one huge value cannot bloat the journal."""
REDACTED = "<redacted>"
SECRET_WORDS = ("token", "password", "secret", "authorization", "cookie", "api_key", "apikey")
"""A value under a key naming one of these is never quoted: violations reach the journal and logs."""
UNROUTED = {"PathNotFound", "OperationNotFound", "ServerNotFound"}
"""openapi-core's answers for a request no operation documents: one violation, nothing else to check."""


@dataclass
class Exchange:
    """What the proxy saw, in the shape openapi-core's request and response protocols read."""

    method: str
    path: str
    query: list[tuple[str, str]]
    headers: list[tuple[str, str]]
    body: bytes | None
    status: int = 0
    response_headers: list[tuple[str, str]] | None = None
    response_body: bytes | None = None
    response_body_checked: bool = True
    """False when the response body was larger than the proxy's cap and was not validated."""


class _Request:
    host_url = "http://proxy"

    def __init__(self, exchange: Exchange) -> None:
        headers = Headers(exchange.headers)
        cookies: dict[str, str] = {}
        for part in headers.get("cookie", "").split(";"):
            name, _, value = part.strip().partition("=")
            if name:
                cookies[name] = value
        self.method = exchange.method.lower()
        self.path = exchange.path
        self.body = exchange.body
        self.content_type = headers.get("content-type", "").lower()
        from openapi_core.datatypes import RequestParameters  # loaded by _openapi already

        self.parameters = RequestParameters(
            query=ImmutableMultiDict(exchange.query), header=headers, cookie=ImmutableMultiDict(cookies)
        )


class _Response:
    def __init__(self, exchange: Exchange) -> None:
        self.status_code = exchange.status
        self.headers = Headers(exchange.response_headers or [])
        self.content_type = self.headers.get("content-type", "").lower()
        self.data = exchange.response_body


@cache
def _openapi(api: str) -> OpenAPI:
    """The spec with its servers made relative (the proxy sits wherever it is started, not on the real host)
    and OAuth2 schemes checked as the bearer tokens they issue."""
    from openapi_core import OpenAPI  # here, not at the top: a fifth of the mock's start-up, for proxies only

    spec = copy.deepcopy(load_spec(api))
    spec["servers"] = [{"url": "/"}]
    schemes = spec.get("components", {}).get("securitySchemes", {})
    for name, scheme in schemes.items():
        if scheme.get("type") == "oauth2":  # openapi-core checks no OAuth2; its token travels as a bearer
            schemes[name] = {"type": "http", "scheme": "bearer"}
    return OpenAPI.from_dict(spec)


class ContractCheck:
    """Validates exchanges of one API; built once per proxied API (openapi-core compiles the spec)."""

    def __init__(self, api: str, table: PathTable) -> None:
        self.api = api
        self.spec = load_spec(api)
        self.openapi = _openapi(api)
        self.table = table

    def operation(self, method: str, path: str) -> tuple[str, str | None]:
        """(JSON pointer of the operation, its operationId); an undocumented path points at `/paths`."""
        route = self.table.match(path)
        if route is None or route.api != self.api:
            return "/paths", None
        method = "get" if method.lower() == "head" else method.lower()
        item = self.spec["paths"][route.path.template]
        op = item.get(method)
        where = pointer("paths", route.path.template, method)
        return where, op.get("operationId") if isinstance(op, dict) else None

    def check(self, exchange: Exchange) -> list[Violation]:
        where, operation = self.operation(exchange.method, exchange.path)
        if exchange.method.upper() == "HEAD":  # checked as the GET it mirrors, without a body to read
            exchange = _as_get(exchange)
        request = _Request(exchange)
        errors = list(self.openapi.iter_request_errors(request))
        if any(type(error).__name__ in UNROUTED for error in errors):
            got = f"{exchange.method.upper()} {exchange.path}"
            expected = "a documented path" if where == "/paths" else "a documented method"
            return [_record(None, where, expected=expected, got=got, at="request", message=f"{got} is not in the spec")]
        found = _records(errors, where, operation, "request", exchange)
        found = [_anonymous(v, exchange.status) for v in found if not _refused_anonymous(v, exchange.status)]
        if exchange.response_headers is not None:
            answered = self.openapi.iter_response_errors(request, _Response(exchange))
            found += _records(answered, where, operation, "response", exchange)
        return found


def _refused_anonymous(violation: Violation, status: int) -> bool:
    """A call without the credentials its operation needs, refused: the contract at work, not a break
    (clients probe before they log in, as ZenML's does with `GET /current-user`)."""
    return violation["pointer"].endswith("/security") and status in (401, 403)


def _anonymous(violation: Violation, status: int) -> Violation:
    """A call without credentials that the server did not refuse: the server ignored its own security."""
    if not violation["pointer"].endswith("/security") or not status:
        return violation
    message = f"served with {status} a request without the credentials the operation requires"
    return {**violation, "expected": "401 or 403 without credentials", "got": str(status), "message": message}


def _as_get(exchange: Exchange) -> Exchange:
    copy_ = copy.copy(exchange)
    copy_.method = "GET"
    copy_.response_body_checked = False
    return copy_


def _records(
    errors: Iterable[Exception], where: str, operation: str | None, side: str, exchange: Exchange
) -> list[Violation]:
    found: list[Violation] = []
    for error in errors:
        name = type(error).__name__
        if side == "response" and not exchange.response_body_checked and name in _BODY_ERRORS:
            continue
        schema_errors = getattr(error.__cause__, "schema_errors", None)
        if schema_errors:
            base = where + _schema_base(side, exchange)
            for item in schema_errors:
                secret = any(_is_secret(part) for part in item.absolute_path)
                found.append(
                    _record(
                        operation,
                        base + pointer(*item.absolute_schema_path),
                        expected=f"{item.validator}: {_short(json.dumps(item.validator_value, default=str))}",
                        got=REDACTED if secret else _short(json.dumps(item.instance, default=str)),
                        at="body" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in item.absolute_path),
                        message=f"{item.validator} failed ({REDACTED} value)" if secret else _short(item.message),
                    )
                )
            continue
        found.append(_record(operation, where + _pointer_of(error, side, exchange), **_explain(error, side)))
    return found


_BODY_ERRORS = {"InvalidData", "DataValidationError", "MediaTypeNotFound", "MissingData"}


def _schema_base(side: str, exchange: Exchange) -> str:
    if side == "request":
        return pointer("requestBody", "content", _media(exchange.headers), "schema")
    return pointer("responses", str(exchange.status), "content", _media(exchange.response_headers or []), "schema")


def _media(headers: list[tuple[str, str]]) -> str:
    return Headers(headers).get("content-type", "").split(";")[0].strip().lower()


def _pointer_of(error: Exception, side: str, exchange: Exchange) -> str:
    name = type(error).__name__
    if side == "request":
        if "Security" in name:
            return pointer("security")
        if "Body" in name:
            return pointer("requestBody")
        return pointer("parameters")
    if name == "ResponseNotFound":
        return pointer("responses")
    if "Header" in name:
        return pointer("responses", str(exchange.status), "headers")
    return pointer("responses", str(exchange.status), "content")


def _explain(error: Exception, side: str) -> dict[str, str]:
    cause = error.__cause__
    text = str(cause) if cause is not None and str(cause) else str(error)
    if _is_secret(str(getattr(error, "name", ""))):  # a parameter such as a token header: name it, never quote it
        text = f"{type(error).__name__} on parameter {error.name!r} ({REDACTED} value)"  # type: ignore[attr-defined]
    return {"expected": type(cause or error).__name__, "got": _short(text), "at": side, "message": _short(text)}


def _record(operation: str | None, where: str, *, expected: str, got: str, at: str, message: str) -> Violation:
    return {"operation": operation, "pointer": where, "expected": expected, "got": got, "at": at, "message": message}


def _is_secret(key: str | int) -> bool:
    return isinstance(key, str) and any(word in key.lower() for word in SECRET_WORDS)


def _short(text: str) -> str:
    return text if len(text) <= MAX_GOT_CHARS else text[: MAX_GOT_CHARS - 1] + "…"


class ViolationSummary:
    """Per operation: requests seen, violations found, and the first violation of each kind (bounded)."""

    MAX_KINDS = 20

    def __init__(self) -> None:
        self.operations: dict[str, dict[str, Any]] = {}

    def add(self, api: str, operation: str | None, violations: list[Violation]) -> None:
        key = f"{api} {operation or '(no operation)'}"  # operations come from the spec: a bounded set
        entry = self.operations.setdefault(key, {"api": api, "operation": operation, "requests": 0, "violations": 0})
        entry["requests"] += 1
        entry["violations"] += len(violations)
        kinds: dict[str, Violation] = entry.setdefault("first", {})
        for violation in violations:
            kind = f"{violation['pointer']} {violation['expected']}"
            if kind not in kinds and len(kinds) < self.MAX_KINDS:
                kinds[kind] = violation

    def report(self) -> dict[str, Any]:
        ops = [{**entry, "first": list(entry.get("first", {}).values())} for entry in self.operations.values()]
        return {"operations": ops, "violations": sum(e["violations"] for e in ops)}

    def clear(self) -> None:
        self.operations.clear()
