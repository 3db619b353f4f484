"""Pure ASGI middleware for behaviour that spans every API: slow responses, body limits, bodies read as JSON."""

from __future__ import annotations

import asyncio
import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mock_server.api import ApiError

DELAY = re.compile(r"delay\s*=\s*(\d+)")


class Latency:
    """Delay every response by `--latency` ms, or by `Prefer: delay=MS` for one request."""

    def __init__(self, app: ASGIApp, latency_ms: int = 0) -> None:
        self.app = app
        self.latency_ms = latency_ms

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            delay = self.latency_ms
            for name, value in scope["headers"]:
                if name == b"prefer" and (match := DELAY.search(value.decode("latin-1"))):
                    delay = int(match.group(1))
            if delay:
                await asyncio.sleep(delay / 1000)
        await self.app(scope, receive, send)


class BodyLimit:
    """Refuse request bodies over `max_bytes` with 413, before anything parses them.

    Sits inside each API's Connexion app so the 413 is rendered in that API's error format.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope["headers"]:
            if name == b"content-length" and value.isdigit() and int(value) > self.max_bytes:
                raise self._too_large()
        received = 0

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_bytes:
                raise self._too_large()
            return message

        await self.app(scope, limited, send)

    def _too_large(self) -> ApiError:
        return ApiError(413, f"The request body is over {self.max_bytes} bytes; send less.", kind="payload_too_large")


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
