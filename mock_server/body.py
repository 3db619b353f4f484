"""The one door every request body passes through: read it whole (bounded), check its JSON, replay it.

Why here and not in Connexion: Connexion 3.3's body validator treats a request without a
`Content-Length` as having no body (`AbstractRequestBodyValidator.wrap_receive`), so a chunked
body was "RequestBody is required"; and its `json.loads` raises RecursionError on deep nesting,
ValueError on a 5,000-digit integer and accepts NaN, each a 500 or a non-JSON value stored. This
middleware runs before routing in each API's Connexion app (so its errors are that API's format):
it buffers the body up to `max_bytes`, sets `Content-Length`, and refuses JSON that is too deep,
has oversized or non-finite numbers, or is not UTF-8, for every operation, with or without a body.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mock_server.api import ApiError

MAX_DEPTH = 64
"""Nesting of arrays and objects a body may have; no contract here needs more than a dozen."""
MAX_NUMBER_CHARS = 40
"""Characters of one number literal: more than any int64 or double needs, far below Python's
4,300-digit int limit (whose ValueError was a 500)."""
LONG_NUMBER = re.compile(rf"/\d{{{MAX_NUMBER_CHARS + 1},}}(?:/|$)")
NUMBER_RUN = re.compile(rb"[-+.0-9eE]{19,}")
"""Characters a number literal is made of, long enough to be an int past 64 bits (or in a string: harmless)."""
ADMIN_MAX_DEPTH = MAX_DEPTH + 16
"""An exported state wraps each stored body in a few levels (API, collection, object), so importing
an export of values that were accepted must pass."""


PARSED = "mock_server.parsed_json"
"""Scope key: (body bytes, JSON value) as the door parsed them, so the body validator and the handler's
arguments reuse the value instead of parsing the same bytes twice more."""


def parsed(scope: Scope, data: bytes) -> tuple[bool, Any]:
    """(True, value) when the door parsed exactly these bytes; (False, None) otherwise."""
    door = scope.get(PARSED)
    if door is not None and door[0] == data:
        return True, door[1]
    return False, None


class Replay:
    """The door's `receive` for the inner layers: the body it read, in one message, then the client's channel."""

    __slots__ = ("data", "receive", "sent")

    def __init__(self, data: bytes, receive: Receive) -> None:
        self.data, self.receive, self.sent = data, receive, False

    async def __call__(self) -> Message:
        if self.sent:
            return await self.receive()
        self.sent = True
        return {"type": "http.request", "body": self.data, "more_body": False}


def unread(receive: Receive, scope: Scope) -> tuple[bool, Any]:
    """(True, value) when `receive` is the door's replay, not yet read, of a JSON body the door parsed: a
    layer that only needs the value can take it and pass `receive` on as it is."""
    if isinstance(receive, Replay) and not receive.sent:
        return parsed(scope, receive.data)
    return False, None


class BodyError(ValueError):
    """A body that is well-formed enough to parse but outside the mock's bounds."""


def _parse_int(text: str) -> int:
    if len(text) > MAX_NUMBER_CHARS:
        raise BodyError(f"a number has {len(text)} digits; at most {MAX_NUMBER_CHARS} are accepted")
    return int(text)


def _parse_float(text: str) -> float:
    if len(text) > MAX_NUMBER_CHARS:
        raise BodyError(f"a number has {len(text)} characters; at most {MAX_NUMBER_CHARS} are accepted")
    value = float(text)
    if not math.isfinite(value):
        raise BodyError(f"the number {text} does not fit a double")
    return value


def _refuse_constant(name: str) -> Any:
    raise BodyError(f"{name} is not JSON; send a finite number or null")


def _check_depth(value: Any, limit: int) -> None:
    """Iterative, so a deep value cannot exhaust the stack while it is being measured."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is None:
            continue
        if depth > limit:
            raise BodyError(f"the JSON is nested more than {limit} levels deep")
        stack.extend((child, depth + 1) for child in children)


def decode_json(data: bytes, max_depth: int = MAX_DEPTH) -> Any:
    """Parse a JSON body within the mock's bounds, or raise ApiError 400 saying what is wrong.

    orjson (15 times faster) parses a body that no bound can refuse: too few brackets to nest too deep,
    no number long enough to be refused or to be read otherwise (orjson reads an int past 64 bits as a
    float). What it refuses, and every other body, is parsed with the bounds, which say what is wrong."""
    if data.count(b"[") + data.count(b"{") <= max_depth and not NUMBER_RUN.search(data):
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError:
            pass
    return _decode_bounded(data, max_depth)


def _decode_bounded(data: bytes, max_depth: int) -> Any:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ApiError(
            400, "The request body is not valid UTF-8; send UTF-8 encoded JSON.", kind="undecodable_body"
        ) from exc
    try:
        value = json.loads(text, parse_int=_parse_int, parse_float=_parse_float, parse_constant=_refuse_constant)
        _check_depth(value, max_depth)
    except RecursionError as exc:
        raise ApiError(400, f"The request body is nested more than {max_depth} levels deep.") from exc
    except BodyError as exc:
        raise ApiError(400, f"The request body is refused: {exc}.") from exc
    except ValueError as exc:  # JSONDecodeError: say where, as Connexion would
        raise ApiError(400, f"The request body is not valid JSON: {exc}.") from exc
    return value


def is_json(content_type: bytes | None) -> bool:
    """No Content-Type counts: Connexion then validates the body as the operation's declared JSON."""
    if content_type is None:
        return True
    mime = content_type.split(b";", 1)[0].strip().lower()
    return mime == b"application/json" or mime.endswith(b"+json")


class RequestBody:
    """Buffer a bounded body, check JSON once, and hand it on with a `Content-Length`."""

    def __init__(self, app: ASGIApp, max_bytes: int, max_depth: int = MAX_DEPTH) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.max_depth = max_depth

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if LONG_NUMBER.search(scope["path"]):
            # Starlette's `int` path convertor would call int() on it: past 4,300 digits a ValueError, a 500.
            raise ApiError(400, f"A number in the path has over {MAX_NUMBER_CHARS} digits; send a smaller one.")
        content_type: bytes | None = None
        length: bytes | None = None
        chunked = False
        for name, value in scope["headers"]:
            if name == b"content-length":
                length = value
            elif name == b"content-type":
                content_type = value
            elif name == b"transfer-encoding":
                chunked = True
        if length is None and not chunked:  # no body: nothing to read or check
            await self.app(scope, receive, send)
            return
        if length is not None and length.isdigit() and int(length) > self.max_bytes:
            raise too_large(self.max_bytes)
        data = await read_body(receive, self.max_bytes)
        if data and is_json(content_type):
            scope = {**scope, PARSED: (data, decode_json(data, self.max_depth))}
        if chunked or length is None:
            headers = [(k, v) for k, v in scope["headers"] if k != b"transfer-encoding"]
            scope = {**scope, "headers": [*headers, (b"content-length", str(len(data)).encode())]}
        await self.app(scope, Replay(data, receive), send)


def too_large(max_bytes: float) -> ApiError:
    return ApiError(413, f"The request body is over {max_bytes} bytes; send less.", kind="payload_too_large")


async def read_body(receive: Receive, max_bytes: float = math.inf) -> bytes:
    """The body's bytes, up to a client that went away; a 413 past `max_bytes`. The door reads a request's
    body with its bound; inner layers read what it replays (a Starlette `Request` would build a stream for
    the same loop)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":  # the client went away
            return b"".join(chunks)
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > max_bytes:
            raise too_large(max_bytes)
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


class ReadAsJson:
    """Relabel bodies declared as one of `media_types` as JSON, before validation.

    For services that decode the raw body as JSON whatever its declared type (Instabase: the seed's own
    example sends no Content-Type, and `curl -d` labels the same JSON text as a form).
    """

    def __init__(self, app: ASGIApp, media_types: frozenset[str]) -> None:
        self.app = app
        self.media_types = {media_type.encode() for media_type in media_types}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            headers = [
                (name, b"application/json")
                if name == b"content-type" and value.split(b";", 1)[0].strip().lower() in self.media_types
                else (name, value)
                for name, value in scope["headers"]
            ]
            scope = {**scope, "headers": headers}
        await self.app(scope, receive, send)
