"""Prism-style `Prefer: code=` / `Prefer: example=` answers: the responses an operation documents.

A frontend builds its error screens against the mock this way; fault rules (`faults.py`) answer
through `documented` too, so both send the same bodies.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Mapping
from typing import Any

from openapi_schema_validator import OAS30Validator

from mock_server.api import ApiError, ErrorKind, Reply

PREFER = re.compile(r"\s*(code|example)\s*=\s*\"?([^\";,\s]+)\"?")
ERROR_KINDS: tuple[ErrorKind, ...] = (
    "error",
    "not_found",
    "invalid_request",
    "unsupported_media_type",
    "missing_credentials",
    "invalid_credentials",
    "forbidden",
    "conflict",
    "payload_too_large",
    "method_not_allowed",
    "no_route",
    "undecodable_body",
)
"""Tried in this order when an error is rendered for a status alone (see `FittingErrors`)."""


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


def fits(response: Mapping[str, Any], body: Any, components: Mapping[str, Any] | None = None) -> bool:
    """The body matches a schema the response object documents (or it documents none); `components`
    are the spec's, for schemas that still hold `$ref`s."""
    schemas = [m["schema"] for m in response.get("content", {}).values() if "schema" in m]
    return not schemas or any(
        OAS30Validator({"allOf": [schema], "components": components or {}}).is_valid(body) for schema in schemas
    )


class FittingErrors:
    """The API's own error body for a status that matches the schema the operation documents for it.

    An API words an error by its kind (ZenML sends a bare validation list for a body of the wrong type,
    a `detail` string otherwise), and a status alone does not say which: the first kind whose rendering
    fits is used, remembered per `key` (operation and status). Fault rules and `Prefer: code=` use it.
    """

    def __init__(self, render_error: Callable[[ApiError], Reply]) -> None:
        self.render_error = render_error
        self.kinds: dict[Hashable, ErrorKind] = {}

    def render(self, key: Hashable, err: ApiError, fits: Callable[[Any], bool]) -> Reply:
        known = self.kinds.get(key)
        for kind in (known,) if known else ERROR_KINDS:
            body, _, headers = self.render_error(ApiError(err.status, err.message, kind=kind))
            if known or fits(body):
                self.kinds[key] = kind
                return body, err.status, headers
        body, _, headers = self.render_error(err)
        return body, err.status, headers
