"""Turn every problem Connexion or Starlette raises into an `ApiError`, rendered in the API's format.

Connexion answers with application/problem+json; no real service here does. Each API's Connexion
app gets these handlers bound to that API's `render_error`, so a schema violation, a missing token,
an unknown path or a wrong method all come back the way the real service would send them.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable

import orjson
from connexion.exceptions import (
    BadRequestProblem,
    OAuthProblem,
    OAuthResponseProblem,
    OAuthScopeProblem,
    ProblemException,
    UnsupportedMediaTypeProblem,
)
from connexion.lifecycle import ConnexionRequest, ConnexionResponse
from starlette.exceptions import HTTPException
from starlette.responses import Response

from mock_server import notes
from mock_server.api import ApiError, ErrorKind, Reply
from mock_server.journal import reason_of

logger = logging.getLogger(__name__)

JSON = "application/json"
TEXT = "text/plain; charset=utf-8"


def _serialised(reply: Reply) -> tuple[bytes, int, dict[str, str], str]:
    """A handler's or renderer's (body, status, headers) as bytes: str as text, the rest as JSON."""
    body, status, headers = reply
    headers = dict(headers)
    content_type = headers.pop("Content-Type", None) or (TEXT if isinstance(body, str) else JSON)
    data = body.encode() if isinstance(body, str) else dump_json(body)
    return data, status, headers, content_type


def to_response(reply: Reply) -> ConnexionResponse:
    """The serialised reply as Connexion's error handlers must return it."""
    data, status, headers, content_type = _serialised(reply)
    return ConnexionResponse(status_code=status, content_type=content_type, body=data, headers=headers)


def asgi_response(reply: Reply) -> Response:
    """The same serialisation as a plain ASGI response, for the mock's own app and layers."""
    data, status, headers, content_type = _serialised(reply)
    return Response(data, status, headers, content_type)


def dump_json(body: object) -> bytes:
    """JSON bytes, keys in the body's order: orjson (a fifth of json.dumps' time on a list page), compact UTF-8.

    NaN and Infinity are not JSON (JSON.parse fails on the whole response): orjson writes them as null,
    and nothing the mock stores can hold them (the body door refuses them). What orjson cannot encode
    (an integer beyond 64 bits) goes to json.dumps, which also refuses NaN instead of sending it."""
    try:
        return orjson.dumps(body, option=orjson.OPT_NON_STR_KEYS)
    except orjson.JSONEncodeError:
        return json.dumps(body, allow_nan=False, ensure_ascii=False, separators=(",", ":")).encode()


def classify(exc: Exception) -> ApiError:
    """Map a Connexion/Starlette exception to the ApiError an API renders."""
    if isinstance(exc, ApiError):
        return exc
    if isinstance(exc, UnsupportedMediaTypeProblem):
        return ApiError(415, _detail(exc), kind="unsupported_media_type")
    if isinstance(exc, BadRequestProblem):
        return ApiError(400, _detail(exc), kind="invalid_request")
    if isinstance(exc, OAuthScopeProblem):
        return ApiError(403, _detail(exc), kind="forbidden")
    if isinstance(exc, OAuthProblem):
        missing = not isinstance(exc, OAuthResponseProblem) and "No authorization token" in _detail(exc)
        kind: ErrorKind = "missing_credentials" if missing else "invalid_credentials"
        message = "Authentication required: send credentials." if missing else "The credentials sent are not valid."
        return ApiError(401, message, kind=kind)
    if isinstance(exc, HTTPException):
        kinds: dict[int, ErrorKind] = {404: "no_route", 405: "method_not_allowed", 413: "payload_too_large"}
        return ApiError(exc.status_code, _detail(exc), kind=kinds.get(exc.status_code, "error"), headers=exc.headers)
    if isinstance(exc, UnicodeDecodeError):
        # Connexion 3.3 raises this from its JSON body validator (issue #1860): a 500 otherwise.
        return ApiError(400, "The request body is not valid UTF-8; send UTF-8 encoded JSON.", kind="undecodable_body")
    logger.exception("Unhandled error in the mock", exc_info=exc)
    return ApiError(500, f"Internal error in the mock: {exc!r}", kind="error")


def _detail(exc: Exception) -> str:
    detail = getattr(exc, "detail", None) or str(exc)
    # jsonschema's long form repeats the whole schema; the first line says what is wrong.
    return str(detail).split("\n\nFailed validating", 1)[0].strip()


Handler = Callable[[ConnexionRequest, Exception], ConnexionResponse]


def error_response(render_error: Callable[[ApiError], Reply], error: ApiError) -> ConnexionResponse:
    """The one place an ApiError becomes a response: the API's rendering, plus the headers the error carries."""
    return to_response(_rendered(render_error, error))


def _rendered(render_error: Callable[[ApiError], Reply], error: ApiError) -> Reply:
    """The API's rendering of `error` with the error's own headers; notes the reason for the journal and
    the log: the text the body gives, in the API's words."""
    body, status, headers = render_error(error)
    notes.notes().reason = reason_of(body)
    return body, status, {**error.headers, **headers}


def asgi_error(render_error: Callable[[ApiError], Reply], error: ApiError) -> Response:
    """`error_response` as a plain ASGI response, for the mock's own app and layers."""
    return asgi_response(_rendered(render_error, error))


def make_error_handler(render_error: Callable[[ApiError], Reply], allow: Callable[[str], str | None]) -> Handler:
    """One handler for every exception type; `allow(path)` gives the documented methods for a 405."""

    def handle(request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
        error = classify(exc)
        if error.kind == "method_not_allowed":
            methods = allow(request.url.path)
            error.headers = {"Allow": methods} if methods else {}
            error.message = f"Method {request.method} is not allowed here; use one of: {methods}."
        elif error.kind == "no_route":
            error.message = f"No operation at {request.url.path}; see the API's Swagger UI for its paths."
        return error_response(render_error, error)

    return handle


# ProblemException must be named: Connexion registers its own handler for it, found before HTTPException's.
HANDLED: Iterable[type[Exception]] = (ApiError, ProblemException, HTTPException, UnicodeDecodeError, Exception)
