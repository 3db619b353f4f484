"""Bind an API's handler functions to its live state, for Connexion's resolver.

The wrapper is where every mocked operation passes through, after authentication, so it also
answers Prism-style `Prefer: code=` / `Prefer: example=` / `Prefer: delay=` requests.
"""

from __future__ import annotations

import inspect
import json
import re
from collections.abc import Callable
from typing import Any

from connexion import context
from connexion.lifecycle import ConnexionResponse
from connexion.resolver import Resolution, Resolver

from mock_server import notes
from mock_server.api import ApiError, Reply
from mock_server.errors import error_response, to_response
from mock_server.middleware import requested_delay, sleep_unless_disconnected

# Connexion passes these context entries to a handler taking **kwargs; they are not parameters.
CONTEXT_KEYS = frozenset({"user", "token_info"})
PREFER = re.compile(r"\s*(code|example)\s*=\s*\"?([^\";,\s]+)\"?")


class StateResolver(Resolver):
    """operationId -> `getattr(handlers, operationId)`, called as `await fn(state, **params)`."""

    def __init__(self, handlers: Any, get_state: Callable[[], Any], render_error: Callable[[ApiError], Reply]) -> None:
        super().__init__()
        self._handlers = handlers
        self._get_state = get_state
        self._render_error = render_error

    def resolve(self, operation: Any) -> Resolution:
        operation_id = operation.operation_id
        fn = getattr(self._handlers, operation_id)
        params = inspect.signature(fn).parameters
        takes_all = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
        wants_principal = "principal" in params

        async def handler(**kwargs: Any) -> ConnexionResponse:
            notes.notes().operation = operation_id
            args = {k: v for k, v in kwargs.items() if k not in CONTEXT_KEYS and (takes_all or k in params)}
            if isinstance(args.get("body"), bytes):
                # No Content-Type: Connexion validated the body as the operation's declared JSON but
                # passes the raw bytes on (a seed's own `requests.post(data=...)` example does this).
                args["body"] = json.loads(args["body"])
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
        return Resolution(handler, operation_id)


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
            documented = ", ".join(sorted(responses))
            raise ApiError(400, f"Prefer: code={wanted['code']} is not documented here; documented: {documented}.")
        status = int(wanted["code"])
        example = _examples(response, wanted.get("example"))
        if example is not None:
            return example, status, {}
        if status >= 400:
            return render_error(ApiError(status, f"Response {status} requested with a Prefer header."))
        raise ApiError(400, f"Response {status} has no example to send; ask for another with Prefer: code=.")
    if "example" in wanted:
        for code, response in responses.items():
            example = _examples(response, wanted["example"])
            if example is not None and code.isdigit():
                return example, int(code), {}
        raise ApiError(400, f"No documented response has an example named {wanted['example']!r}.")
    return None


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
