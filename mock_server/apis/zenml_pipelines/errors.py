"""ZenML's error bodies, which come in four shapes (research/zenml-samples/README.md, seed-apis.md §3):

- an exception raised in an endpoint: `{"detail": ["<ExceptionClass>", "<str(exc)>"]}` (a KeyError's
  message is printed quoted, as `str(KeyError(...))` does);
- a FastAPI/Starlette `HTTPException` (no token, the login form): `{"detail": "<message>"}`;
- request validation (bad path/query/body): a bare array `["ValueError", "<message>"]`, status 422;
- filter-model validation (`sort_by`, datetime filters): `{"detail": ["ValueError", ...]}`, status 422.

Connexion checks the whole spec before a handler runs, including rules the server checks later and
answers differently: the parameters its filter model validates (marked `x-zenml-filter-model` in the
spec), tag names (validated as a `TagRequest` inside the handler: empty is 400, too long is a 422 with
`detail`) and a body that is not UTF-8 (Starlette's 400). `render_error` words those as the server does;
the live differences are in docs/zenml-live.md ("Seed vs reality", rows 13-15).
"""

from __future__ import annotations

import ast
import re
from typing import Any

from contracts import load_spec
from mock_server.api import ApiError, ErrorKind, Reply

DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S"
PYDANTIC_HELP = "    For further information visit https://errors.pydantic.dev/2.12/v/value_error"
BAD_TOKEN = "Authentication error: error decoding access token: Invalid JWT token: Not enough segments."
FORM_ONLY = "expected ['application/x-www-form-urlencoded']"
"""The end of Connexion's 415 message for an operation that takes only a form (the login)."""
SORT_EXCLUDED = ("sort_by", "page", "size", "logical_operator")
"""Fields of every filter model that exist but cannot be sorted by (a different message)."""


class ServerError(ApiError):
    """An exception raised inside a ZenML endpoint, rendered `{"detail": [exception, message]}`."""

    def __init__(self, status: int, exception: str, message: str, *, kind: ErrorKind = "error") -> None:
        super().__init__(status, message, kind=kind)
        self.exception = exception


class HttpError(ApiError):
    """A FastAPI HTTPException, rendered `{"detail": message}`."""


def filter_error(model: str, message: str) -> ServerError:
    """A ValueError from a filter model's validator, as pydantic words it."""
    text = f"1 validation error for {model}\n  Value error, {message} [type=value_error, input_type=dict]"
    return ServerError(422, "ValueError", f"{text}\n{PYDANTIC_HELP}")


def sort_error(model: str, value: str) -> ServerError:
    """`sort_by` names no sortable field (text as recorded in err_list_sort_by_unknown_field)."""
    column = value.split(":", 1)[-1]
    if column in SORT_EXCLUDED:
        reason = f"This resource can not be sorted by this field: '{value}'"
    else:
        reason = "You can only sort by valid fields of this resource"
    where = f"[type=value_error, input_value={value!r}, input_type=str]"
    text = f"1 validation error for {model}\nsort_by\n  Value error, {reason} {where}"
    return ServerError(422, "ValueError", f"{text}\n{PYDANTIC_HELP}")


def datetime_error(model: str) -> ServerError:
    return filter_error(model, f"The datetime filter only works with values in the following format: {DATETIME_FORMAT}")


def _filter_model_params(spec: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """pattern -> (parameter name, filter model) for the parameters marked `x-zenml-filter-model`."""
    schemas = spec["components"]["schemas"]
    found: dict[str, tuple[str, str]] = {}
    for param in spec["components"]["parameters"].values():
        if "x-zenml-filter-model" not in param:
            continue
        schema = param["schema"].get("items", param["schema"])
        if "$ref" in schema:
            schema = schemas[schema["$ref"].rsplit("/", 1)[-1]]
        found[schema["pattern"]] = (param["name"], param["x-zenml-filter-model"])
    return found


FILTER_MODEL_PARAMS = _filter_model_params(load_spec("zenml-pipelines"))
MISMATCH = re.compile(r"(?P<value>'.*'|\".*\") does not match (?P<pattern>'.*'|\".*\")", re.S)
TAG_NAME = re.compile(r".* (?P<rule>should be non-empty|is too long) - '(?:tags|add_tags)\.\d+'", re.S)
FORBIDDEN_TAG = re.compile(r"(?P<value>'.*'|\".*\") does not match .* - '(?:tags|add_tags)\.\d+'", re.S)
BANNED = "\t\n\r\v\f"  # ZenML's BANNED_NAME_CHARACTERS (found against a live 0.98 server)


def _as_filter_model_error(message: str) -> ServerError | None:
    """Connexion's "'x' does not match '<pattern>'" for a filter-model parameter, as the server words it."""
    match = MISMATCH.fullmatch(message)
    if match is None:
        return None
    try:
        value, pattern = ast.literal_eval(match["value"]), ast.literal_eval(match["pattern"])
    except (ValueError, SyntaxError):
        return None
    name, model = FILTER_MODEL_PARAMS.get(pattern, (None, ""))
    if name == "sort_by":
        return sort_error(model, str(value))
    return datetime_error(model) if name is not None else None


def _tag_name_error(message: str) -> ServerError | None:
    """An empty, over-long or banned-character tag name in `tags`/`add_tags`, as the server refuses it."""
    forbidden = FORBIDDEN_TAG.fullmatch(message)
    if forbidden is not None:
        name = ast.literal_eval(forbidden["value"])
        chars = ", ".join(f"`{c}`" for c in BANNED if c in name)
        return ServerError(
            400, "ValueError", f"The name `{name}` of the `Tag` contains the following forbidden characters: {chars}."
        )
    match = TAG_NAME.fullmatch(message)
    if match is None:
        return None
    if match["rule"] == "should be non-empty":
        reason = "The class `TagRequest` has no attribute `name` or it is set to `None`. Cannot validate the name."
        return ServerError(400, "ValueError", reason)
    reason = "String should have at most 255 characters [type=string_too_long, input_type=str]"
    return ServerError(422, "ValueError", f"1 validation error for TagRequest\nname\n  {reason}")


def _server_words(err: ApiError) -> ApiError | None:
    """A request-validation error Connexion raised for a rule the server checks later, in its words."""
    return _as_filter_model_error(err.message) or _tag_name_error(err.message)


def render_error(err: ApiError) -> Reply:
    if isinstance(err, ServerError):
        text = repr(err.message) if err.exception == "KeyError" else err.message
        return {"detail": [err.exception, text]}, err.status, {}
    if isinstance(err, HttpError):
        return {"detail": err.message}, err.status, {}
    if err.kind == "undecodable_body":  # Starlette's words for a body it cannot decode
        return render_error(HttpError(400, "There was an error parsing the body"))
    if err.kind == "invalid_request":
        reworded = _server_words(err)
        if reworded is not None:
            return render_error(reworded)
    if err.kind == "unsupported_media_type" and err.message.endswith(FORM_ONLY):
        # The login takes `Form(None)` fields: FastAPI reads a JSON or text body as an empty form.
        return render_error(HttpError(400, "Invalid request: username is required."))
    if err.kind in ("invalid_request", "unsupported_media_type") or err.status == 422:
        # FastAPI answers a body of the wrong type with 422 too, never 415.
        return ["ValueError", f"1 validation error:\n  {err.message}"], 422, {}
    if err.kind == "missing_credentials":
        return {"detail": "Not authenticated"}, 401, {"WWW-Authenticate": "Bearer"}
    if err.kind == "invalid_credentials":
        return {"detail": ["CredentialsNotValid", BAD_TOKEN]}, 401, {}
    plain = {"no_route": "Not Found", "method_not_allowed": "Method Not Allowed"}
    return {"detail": plain.get(err.kind, err.message)}, err.status, {}
