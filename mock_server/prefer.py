"""Prism-style `Prefer: code=` / `Prefer: example=` answers: the responses an operation documents.

A frontend builds its error screens against the mock this way; fault rules (`faults.py`) answer
through `documented` too, so both send the same bodies.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from mock_server.api import ApiError, Reply

PREFER = re.compile(r"\s*(code|example)\s*=\s*\"?([^\";,\s]+)\"?")


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
