"""Bind an API's handler functions to its live state, for Connexion's resolver.

The wrapper is where every mocked operation passes through, after authentication, so it also
answers Prism-style `Prefer: code=` / `Prefer: example=` / `Prefer: delay=` requests.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from connexion import context
from connexion.lifecycle import ConnexionResponse
from connexion.resolver import Resolution, Resolver
from starlette.datastructures import QueryParams

from mock_server import notes
from mock_server.api import ApiError, Handler, Reply
from mock_server.body import decode_json
from mock_server.errors import error_response, to_response
from mock_server.middleware import requested_delay, sleep_unless_disconnected

# Connexion passes these context entries to a handler taking **kwargs, over a parameter of the same name.
CONTEXT_KEYS = frozenset({"user", "token_info"})
PREFER = re.compile(r"\s*(code|example)\s*=\s*\"?([^\";,\s]+)\"?")


class StateResolver(Resolver):
    """operationId -> `handlers[operationId]`, called as `await fn(state, **params)`."""

    def __init__(
        self, handlers: Mapping[str, Handler], get_state: Callable[[], Any], render_error: Callable[[ApiError], Reply]
    ) -> None:
        super().__init__()
        self._handlers = handlers
        self._get_state = get_state
        self._render_error = render_error

    def resolve(self, operation: Any) -> Resolution:
        operation_id = operation.operation_id
        fn = self._handlers.get(operation_id)
        if fn is None:  # found at start-up, when Connexion resolves every operation of the spec
            raise LookupError(f"operationId {operation_id!r} has no handler; add it to the API's handler_set(...)")
        params = inspect.signature(fn).parameters
        takes_all = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
        wants_principal = "principal" in params
        # A query parameter named like a context entry (ZenML's `user` filter) is the client's, not the caller's.
        shadowed = CONTEXT_KEYS & set(params)

        async def handler(**kwargs: Any) -> ConnexionResponse:
            notes.notes().operation = operation_id
            args = {k: v for k, v in kwargs.items() if k not in CONTEXT_KEYS and (takes_all or k in params)}
            if shadowed:
                args.update(client_query(operation, shadowed))
            if isinstance(args.get("body"), bytes):
                # No Content-Type: Connexion validated the body as the operation's declared JSON but
                # passes the raw bytes on (a seed's own `requests.post(data=...)` example does this).
                # Bytes that are not JSON are the API's own 400, never a JSONDecodeError 500.
                args["body"] = decode_json(args["body"])
            if wants_principal:
                args["principal"] = context.context.get("token_info") or {}
            try:
                header = context.request.headers.get("prefer", "")
                delay = requested_delay(header)  # here, after auth: an anonymous client cannot hold a request
                if delay and not await sleep_unless_disconnected(delay, context.receive):
                    raise ApiError(400, "The client disconnected during Prefer: delay; nothing was done.")
                preferred = prefer(header, operation.responses, self._render_error)
                if preferred is not None:
                    return to_response(preferred)
                return to_response(normalise(await fn(self._get_state(), **args)))
            except ApiError as error:
                return error_response(self._render_error, error)

        handler.__name__ = operation_id
        # Connexion inspects the handler's signature on every request; computed once, it is a lookup.
        handler.__signature__ = inspect.signature(handler)  # type: ignore[attr-defined]
        return Resolution(handler, operation_id)


def client_query(operation: Any, names: Iterable[str]) -> dict[str, Any]:
    """The query parameters `names` as the client sent them, parsed and typed as Connexion passes
    parameters (the operation's URI parser): read again because the context entry took their place."""
    declared = {p["name"] for p in operation.parameters if p["in"] == "query"}
    raw = QueryParams(context.scope["query_string"])
    sent = {name: raw.getlist(name) for name in names if name in raw and name in declared}
    if not sent:
        return {}
    parser = operation.uri_parser_class(operation.parameters, operation.body_definition())
    resolved: dict[str, Any] = parser.resolve_query(sent)
    return resolved


def normalise(result: Any) -> Reply:
    """A handler may return body, (body, status) or (body, status, headers)."""
    if isinstance(result, tuple):
        body, status, *rest = result
        return body, status, rest[0] if rest else {}
    return result, 200, {}


def prefer(header: str, responses: dict[str, Any], render_error: Callable[[ApiError], Reply]) -> Reply | None:
    """The documented response a `Prefer: code=N` or `Prefer: example=NAME` header asks for, if any.

    Lets a frontend build its error screens against the mock, as Prism users do. An error code
    without an example is rendered through the API's own error format.
    """
    wanted = dict(PREFER.findall(header))
    if "code" in wanted:
        response = responses.get(wanted["code"])
        if response is None:
            codes = ", ".join(sorted(responses))
            raise ApiError(400, f"Prefer: code={wanted['code']} is not documented here; documented: {codes}.")
        status = int(wanted["code"])
        return documented(status, response, render_error, "requested with a Prefer header", wanted.get("example"))
    if "example" in wanted:
        for code, response in responses.items():
            example = _examples(response, wanted["example"])
            if example is not None and code.isdigit():
                return example, int(code), {}
        raise ApiError(400, f"No documented response has an example named {wanted['example']!r}.")
    return None


def documented(
    status: int,
    response: dict[str, Any],
    render_error: Callable[[ApiError], Reply],
    why: str,
    example_name: str | None = None,
) -> Reply:
    """The response an operation documents for `status`: its example, else for an error code the API's
    own error body (saying `why` it was sent). Prefer headers and fault rules answer through here."""
    example = _examples(response, example_name)
    if example is not None:
        return example, status, {}
    if status >= 400:
        return render_error(ApiError(status, f"Response {status} {why}."))
    raise ApiError(400, f"Response {status} has no example to send; ask for another with Prefer: code=.")


def _examples(response: dict[str, Any], name: str | None) -> Any | None:
    """The named example of a response (or its first one when no name is given)."""
    for media in response.get("content", {}).values():
        examples = media.get("examples", {})
        if name is not None:
            if name in examples:
                return examples[name].get("value")
            continue
        if "example" in media:
            return media["example"]
        if examples:
            return next(iter(examples.values())).get("value")
    return None
