"""Slow responses on purpose: `--latency` for every request, `Prefer: delay=MS` for one.

Both are bounded and end early when the client goes away, so a slow response can never hold a
connection (or the shutdown) for longer than the client wants it.
"""

from __future__ import annotations

import asyncio
import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mock_server.api import ApiError

MAX_DELAY_MS = 60_000
DELAY = re.compile(r"delay\s*=\s*(\d+)")


def requested_delay(prefer: str) -> int:
    """Milliseconds a `Prefer: delay=MS` header asks for (0 if none); over the bound is a 400."""
    match = DELAY.search(prefer)
    if match is None:
        return 0
    digits = match.group(1)
    if len(digits) > len(str(MAX_DELAY_MS)) or int(digits) > MAX_DELAY_MS:
        shown = digits if len(digits) <= 12 else f"{digits[:12]}..."
        raise ApiError(400, f"Prefer: delay={shown} is over the limit; ask for at most {MAX_DELAY_MS} ms.")
    return int(digits)


async def sleep_unless_disconnected(ms: int, receive: Receive) -> bool:
    """Sleep `ms`, or less if the client disconnects first; True when it is still there."""

    async def disconnected() -> None:
        while (await receive())["type"] != "http.disconnect":
            pass

    watcher = asyncio.ensure_future(disconnected())
    try:
        done, _ = await asyncio.wait({watcher}, timeout=ms / 1000)
        return not done
    finally:
        watcher.cancel()


class Latency:
    """Delay every response by `--latency` ms (the CLI bounds it to MAX_DELAY_MS)."""

    def __init__(self, app: ASGIApp, latency_ms: int = 0) -> None:
        self.app = app
        self.latency_ms = latency_ms

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self.latency_ms:
            await asyncio.sleep(self.latency_ms / 1000)
        await self.app(scope, receive, send)


class CorsWhenOrigin:
    """Send only requests with an `Origin` through the CORS layer (`cors`, wrapping `app`).

    Starlette's CORS middleware parses every request's headers and wraps its `send`; for a request
    without an Origin all it does is add `Vary: Origin`, which this does without the parsing.
    """

    def __init__(self, app: ASGIApp, cors: ASGIApp) -> None:
        self.app = app
        self.cors = cors

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or any(name == b"origin" for name, _ in scope["headers"]):
            await self.cors(scope, receive, send)
            return

        async def send_vary(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", ()), (b"vary", b"Origin")]}
            await send(message)

        await self.app(scope, receive, send_vary)
