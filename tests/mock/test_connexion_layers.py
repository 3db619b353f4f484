"""The mock's routing, security and request validation layers answer as the Connexion layers they replace.

Differential: the same requests go first to an app with Connexion's own `RoutingMiddleware`,
`SecurityMiddleware` or `RequestValidationMiddleware` (and its parameter walk), then to the mock as it
ships; status, body and `Allow` must match request for request.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from connexion.middleware.request_validation import RequestValidationMiddleware
from connexion.middleware.routing import RoutingMiddleware
from connexion.middleware.security import SecurityMiddleware
from connexion.security import ApiKeySecurityHandler, BasicSecurityHandler, BearerSecurityHandler, OAuthSecurityHandler
from connexion.validators.json import JSONRequestBodyValidator
from connexion.validators.parameter import ParameterValidator
from starlette.routing import Route
from starlette.testclient import TestClient

from contracts import load_spec, operations
from contracts.openapi import Operation
from mock_server import stack
from mock_server.api import BasicAuth, CookieToken, Token
from mock_server.auth import CSRF_HEADER, Verifier
from mock_server.request_routing import OneRegex
from mock_server.settings import ALL_APIS
from mock_server.validation import CompiledJSONBodyValidator, CompiledParameterValidator, one_check_per_location
from tests.mock.test_fuzz import CREDENTIALS

BAD_VALUES = ("abc", "-1", "", "1.5", "not-a-uuid", "2020-13-45", "x" * 300, "true", "null")
BAD_BODIES: tuple[tuple[bytes | None, str | None], ...] = (
    (None, None),
    (b"{}", "application/json"),
    (b'{"name": 7, "id": [], "description": {}}', "application/json"),
    (b"[]", "application/json"),
    (b'"text"', None),
    (b"a=1&a=2", "application/x-www-form-urlencoded"),
    (b"{}", "text/plain"),
    (b"{}", "application/json; charset=latin-1"),
)
Request = tuple[str, str, dict[str, str], bytes | None]


def _resolved(spec: dict[str, Any], value: Any) -> Any:
    while isinstance(value, dict) and "$ref" in value:
        node: Any = spec
        for part in value["$ref"].removeprefix("#/").split("/"):
            node = node[part]
        value = node
    return value


def _plausible(param: dict[str, Any]) -> str:
    schema = param.get("schema", {})
    for value in (param.get("example"), schema.get("example"), schema.get("default"), *schema.get("enum", [])[:1]):
        if value is not None:
            return str(value).lower() if isinstance(value, bool) else str(value)
    if schema.get("format") == "uuid":
        return "9a5e3c52-0a51-4b8e-9d55-0c6e4de0b7a8"
    return "1" if schema.get("type") in ("integer", "number") else "x"


def _request(
    op: Operation,
    auth: dict[str, str],
    values: dict[tuple[str, str], str | None],
    body: bytes | None = None,
    ctype: str | None = None,
) -> Request:
    path = re.sub(r"\{([^}]+)\}", lambda m: values.get(("path", m.group(1))) or "x", op.template)
    query = "&".join(
        f"{name}={value}" for (where, name), value in values.items() if where == "query" and value is not None
    )
    headers = {**auth, **{name: v for (where, name), v in values.items() if where == "header" and v is not None}}
    if ctype:
        headers["Content-Type"] = ctype
    return op.method.upper(), f"{path}?{query}" if query else path, headers, body


def _good_values(spec: dict[str, Any], op: Operation) -> dict[tuple[str, str], str | None]:
    item = spec["paths"][op.template]
    params = [_resolved(spec, p) for p in [*item.get("parameters", []), *op.spec.get("parameters", [])]]
    return {(p["in"], p["name"]): _plausible(p) for p in params}


def bad_requests(api: str) -> Iterator[Request]:
    spec = load_spec(api)
    auth = CREDENTIALS.get(api, {"Authorization": "Bearer t"})
    for op in operations(spec):
        good = _good_values(spec, op)
        yield _request(op, auth, good)
        for key in good:
            yield _request(op, auth, {**good, key: None})
            for bad in BAD_VALUES:
                yield _request(op, auth, {**good, key: bad})
        if "requestBody" in op.spec:
            for body, ctype in BAD_BODIES:
                yield _request(op, auth, good, body, ctype)


def _basic(user_pass: str) -> str:
    return "Basic " + base64.b64encode(user_pass.encode()).decode()


TOKEN = "layer-token"
AUTHORIZATIONS = (
    None,
    "",
    "Bearer",
    "Bearer wrong",
    f"Bearer {TOKEN}",
    "Bearer mock-token",
    "bearer mock-token",
    "Token mock-token",
    "Basic !!!",
    _basic("admin"),
    _basic("admin:wrong"),
    _basic("admin:badger"),
    _basic("view:view"),
)


def secured_requests(api: str, exported: dict[str, Any]) -> Iterator[Request]:
    """An import that gives ZenML's first user a token, then every operation with no credential, malformed,
    wrong and right ones, and (ZenML) its session cookie, bad and good, with and without a CSRF token."""
    state = exported[api]
    if "tokens" in state:
        state["tokens"] = [{"access_token": TOKEN, "user_id": state["users"][0]["id"]}]
    yield "PUT", "/__admin/state", {"Content-Type": "application/json"}, json.dumps({api: state}).encode()
    spec = load_spec(api)
    cookie = f"zenml-server-{state.get('server', {}).get('id', '')}"
    for op in operations(spec):
        good = _good_values(spec, op)
        for authorization in AUTHORIZATIONS:
            yield _request(op, {} if authorization is None else {"Authorization": authorization}, good)
        for value, csrf in ((TOKEN, None), ("wrong", None), (TOKEN, "wrong")):
            headers = {"Cookie": f"{cookie}={value}", "Authorization": f"Bearer {TOKEN}"}
            yield _request(op, {**headers, **({"X-CSRF-Token": csrf} if csrf else {})}, good)


def routed_requests(api: str) -> Iterator[Request]:
    """Every method on every documented path (filled, with a trailing slash, upper-cased), and unknown paths."""
    auth = CREDENTIALS.get(api, {"Authorization": "Bearer t"})
    templates = list(load_spec(api)["paths"])
    paths = [re.sub(r"\{[^}]+\}", "1", template) for template in templates]
    for path in [*paths, *(p + "/" for p in paths), *(p.upper() for p in paths), "/", "/nowhere", paths[0] + "/x/y"]:
        for method in ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"):
            yield method, path, auth, None


def answers(client: TestClient, requests: list[Request]) -> list[tuple[int, Any, str | None]]:
    out = []
    for method, url, headers, body in requests:
        response = client.request(method, url, headers=headers, content=body)
        try:
            payload: Any = response.json()
        except json.JSONDecodeError:
            payload = response.text
        out.append((response.status_code, payload, response.headers.get("allow")))
    return out


Answer = tuple[int, Any, str | None]


def differential(
    make_client: Callable[..., TestClient],
    api: str,
    requests: list[Request],
    stock: dict[tuple[Any, str], Any],
    any_token: bool = True,
) -> set[int]:
    """Each request to an app built with the `stock` replacements, then to the mock as it ships: the same
    answers, request for request. Returns the statuses seen, for the caller to check its cases reach the layer."""
    with pytest.MonkeyPatch.context() as patched:
        for (owner, name), value in stock.items():
            patched.setattr(owner, name, value)
        expected = answers(make_client(api, own_app=True, any_token=any_token), requests)
    actual = answers(make_client(api, own_app=True, any_token=any_token), requests)
    for request, want, got in zip(requests, expected, actual, strict=True):
        assert got == want, request
    return {status for status, _, _ in expected}


@pytest.mark.parametrize("api", ALL_APIS)
def test_planned_validation_answers_as_connexions_own(make_client: Callable[..., TestClient], api: str) -> None:
    stock = {
        (stack, "PlannedRequestValidation"): RequestValidationMiddleware,
        (CompiledParameterValidator, "validate"): ParameterValidator.validate,
        (CompiledParameterValidator, "validate_request"): ParameterValidator.validate_request,
        (CompiledJSONBodyValidator, "wrap_receive"): JSONRequestBodyValidator.wrap_receive,
    }
    statuses = differential(make_client, api, list(bad_requests(api)), stock)
    assert {400, 415} & statuses and len(statuses) > 2, statuses  # the cases reach the validators


def connexion_handlers(verifier: Verifier) -> dict[str, type]:
    """Connexion's security handler of each scheme type, its function the API's `verify` (the reference the
    mock's own checks are held to), and the session cookie read first, as `mock_server.auth` documents."""
    verify = verifier.verify

    def from_cookie(request: Any) -> CookieToken | None:
        name = verifier.cookie_name()
        value = request.cookies.get(name) if name else None
        return CookieToken(value, request.headers.get(CSRF_HEADER)) if value else None

    def cookie_first(check: Callable[..., Any], header_check: Callable[..., Any]) -> Callable[[Any], Any]:
        def wrapper(request: Any) -> Any:
            cookie = from_cookie(request)
            return header_check(request) if cookie is None else check(request, cookie)

        return wrapper

    def token(value: str, *_: Any, **__: Any) -> Any:
        return verify(Token(value))

    def with_scope(principal: Any) -> Any:
        return None if principal is None else {"scope": [], **principal}

    class Bearer(BearerSecurityHandler):
        def _resolve_func(self, security_scheme: dict[str, Any]) -> Any:
            return token

        def _get_verify_func(self, function: Any) -> Any:
            check = self._generic_check(lambda cookie, *_, **__: verify(cookie), "Provided token is not valid")
            return cookie_first(check, super()._get_verify_func(function))

    class ApiKey(ApiKeySecurityHandler):
        def _resolve_func(self, security_scheme: dict[str, Any]) -> Any:
            return token

    class Basic(BasicSecurityHandler):
        def _resolve_func(self, security_scheme: dict[str, Any]) -> Any:
            return lambda username, password, *_, **__: verify(BasicAuth(username, password))

    class OAuth(OAuthSecurityHandler):
        def get_tokeninfo_func(self, security_definition: dict[str, Any]) -> Any:
            return lambda value, *_, **__: with_scope(verify(Token(value)))

        @classmethod
        def get_scope_validate_func(cls, security_definition: dict[str, Any]) -> Any:
            return lambda required, granted: True

        def _get_verify_func(self, token_info_func: Any, scope_validate_func: Any, required_scopes: Any) -> Any:
            check = self._generic_check(
                lambda cookie, *_, **__: with_scope(verify(cookie)), "Provided token is not valid"
            )
            header_check = super()._get_verify_func(token_info_func, scope_validate_func, required_scopes)
            return cookie_first(check, header_check)

    return {"bearer": Bearer, "apiKey": ApiKey, "basic": Basic, "oauth2": OAuth}


class ConnexionSecurity(SecurityMiddleware):
    """Connexion's own security layer where the mock's `CheckedSecurity` stands, asking the same `Verifier`."""

    def __init__(self, app: Any, verifier: Verifier) -> None:
        super().__init__(app)
        self.verifier = verifier

    def add_api(self, specification: Any, **kwargs: Any) -> Any:
        return super().add_api(specification, **{**kwargs, "security_map": connexion_handlers(self.verifier)})


@pytest.mark.parametrize("api", ALL_APIS)
def test_checked_security_answers_as_connexions_own(make_client: Callable[..., TestClient], api: str) -> None:
    requests = list(secured_requests(api, make_client(api).get("/__admin/state").json()))
    statuses = differential(make_client, api, requests, {(stack, "CheckedSecurity"): ConnexionSecurity}, False)
    assert 401 in statuses and statuses - {401, 403}, statuses  # refused and let through


@pytest.mark.parametrize("api", ALL_APIS)
def test_one_regex_routing_answers_as_connexions_own(make_client: Callable[..., TestClient], api: str) -> None:
    statuses = differential(
        make_client, api, list(routed_requests(api)), {(stack, "OneRegexRouting"): RoutingMiddleware}
    )
    assert {200, 404, 405} <= statuses, statuses


def test_one_regex_names_the_first_route_in_order_even_where_paths_overlap() -> None:
    async def endpoint(scope: Any, receive: Any, send: Any) -> None: ...

    routes = [Route("/a/{x}", endpoint, methods=["GET"]), Route("/a/b", endpoint), Route("/c/{n:int}", endpoint)]
    one = OneRegex(routes)
    assert one.first("/a/b") is routes[0]
    assert one.first("/a/q") is routes[0]
    assert one.first("/c/12") is routes[2]
    assert one.first("/c/x") is None
    assert OneRegex(routes[1:]).first("/a/b") is routes[1]


@pytest.mark.parametrize("api", ALL_APIS)
def test_every_operation_checks_its_parameters_at_once(
    make_client: Callable[..., TestClient], api: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    built: list[CompiledParameterValidator] = []
    init = CompiledParameterValidator.__init__

    def recording(self: CompiledParameterValidator, *args: Any, **kwargs: Any) -> None:
        init(self, *args, **kwargs)
        built.append(self)

    monkeypatch.setattr(CompiledParameterValidator, "__init__", recording)
    make_client(api, own_app=True)
    assert len(built) == len(list(operations(load_spec(api))))
    assert all(validator.at_once is not None for validator in built), [v.parameters for v in built]


def test_a_parameter_listed_twice_must_pass_both_of_its_schemas() -> None:
    """Connexion lists a path-level parameter after the operation's own; its walk checks both."""
    own = {"name": "n", "in": "path", "required": True, "schema": {"type": "integer", "maximum": 9}}
    shared = {"name": "n", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 3}}
    [(source, keys, check)] = one_check_per_location({"path": [own, shared]}) or []
    assert (source, keys) == ("path_params", [("n", "n")])
    assert check.is_valid({"n": 5})
    assert not check.is_valid({"n": 1}) and not check.is_valid({"n": 12}) and not check.is_valid({})
