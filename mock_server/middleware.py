"""Pure ASGI middleware for behaviour that spans every API: slow responses and body limits."""

from __future__ import annotations

import asyncio
import re

from starlette.types import ASGIApp, Receive, Scope, Send

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
