"""Run the app under uvicorn with every connection bounded in time and size.

uvicorn 0.54 has an idle timeout only between requests (`timeout_keep_alive`): a connection that
never sends a byte, or sends its headers a byte a second, stays open for ever, and httptools takes
headers of any size. This protocol adds a deadline for the request head and size limits answered
with a JSON 414 or 431 (uvicorn's own answer to a long URL is a plain-text 400). And it sends each
answer in one write (`JoinedWrites`).
"""

from __future__ import annotations

import asyncio
import json
import weakref
from typing import Any

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from mock_server.faults import CLOSE

HEAD_TIMEOUT_S = 10.0
"""From connecting (or from the first byte of a next request) to the end of the headers."""
KEEP_ALIVE_S = 5
"""Idle time between two requests on one connection."""
MAX_URL_BYTES = 8 * 1024
MAX_HEADER_BYTES = 16 * 1024
MAX_CONNECTIONS = 1000
"""Beyond this uvicorn answers 503 at once instead of queueing (`limit_concurrency`)."""
SHUTDOWN_GRACE_S = 3
"""On SIGTERM, requests still running (a `Prefer: delay`) get this long, then are cancelled."""


class JoinedWrites:
    """A connection's transport whose writes leave together: at the end of the answer, or next turn of the loop.

    uvicorn writes an answer's head and its body apart, and uvloop sends each at once: two system calls
    and two TCP segments per answer where one does (docs/benchmarks.md has the cost). Held here, they go
    out in one. An answer in parts (a proxied stream) still leaves as it comes: what is
    held is sent once the app yields to the loop, and always before the connection is closed.
    """

    __slots__ = ("transport", "loop", "held")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self.transport, self.loop = transport, loop
        self.held: list[bytes] = []

    def write(self, data: bytes) -> None:
        if not self.held:
            self.loop.call_soon(self.flush)
        self.held.append(data)

    def flush(self) -> None:
        if self.held:
            data = b"".join(self.held)
            self.held.clear()
            if not self.transport.is_closing():  # as a closed connection drops what it is given
                self.transport.write(data)

    def close(self) -> None:
        self.flush()
        self.transport.close()

    def is_closing(self) -> bool:
        return self.transport.is_closing()

    def __getattr__(self, name: str) -> Any:
        """The rest of the transport's interface (addresses, flow control), as it is."""
        return getattr(self.transport, name)


class BoundedProtocol(HttpToolsProtocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_since: float | None = None
        """When the request head being read began (its connection, or its first byte); None between heads."""
        self._head_timer: asyncio.TimerHandle | None = None
        self._url_bytes = self._header_bytes = 0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        self.writes = JoinedWrites(transport, self.loop)
        super().connection_made(self.writes)  # type: ignore[arg-type]
        self._head_begun()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
        super().connection_lost(exc)

    def on_response_complete(self) -> None:
        self.writes.flush()
        super().on_response_complete()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._url_bytes = self._header_bytes = 0
        if self._head_since is None:
            self._head_begun()

    def on_url(self, url: bytes) -> None:
        self._url_bytes += len(url)
        if self._url_bytes > MAX_URL_BYTES:
            self._refuse(414, f"The URL is over {MAX_URL_BYTES} bytes; send long input in a request body.")
            return
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._header_bytes += len(name) + len(value) + 4
        if self._header_bytes > MAX_HEADER_BYTES:
            self._refuse(431, f"The request headers are over {MAX_HEADER_BYTES} bytes; send fewer or shorter ones.")
            return
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._head_since = None
        if not self.transport.is_closing():
            super().on_headers_complete()
            self._offer_close()

    def _offer_close(self) -> None:
        """Give the app a way to drop this connection without an answer (fault rules: reset, truncate).

        ASGI has none: an app that raises before answering gets uvicorn's 500. The cycle is marked
        disconnected first, so uvicorn neither answers nor logs "returned without a response".
        The app's task has been created but has not run yet, so the scope can still be extended.
        """
        cycle = self.cycle
        if cycle is None or cycle.scope is not self.scope:
            return
        # Held weakly: the scope holds this function and the cycle holds the scope, and a reference cycle
        # per request would leave every request's objects to the garbage collector (~10 µs a request).
        weak_cycle, transport = weakref.ref(cycle), self.transport

        def close() -> None:
            current = weak_cycle()
            if current is not None:
                current.disconnected = True
            transport.close()  # after what was written is flushed: a truncated body still goes out

        self.scope.setdefault("extensions", {})[CLOSE] = {"close": close}

    def _head_begun(self) -> None:
        self._head_since = self.loop.time()
        if self._head_timer is None:
            self._head_timer = self.loop.call_at(self._head_since + HEAD_TIMEOUT_S, self._head_due)

    def _head_due(self) -> None:
        """One timer per connection at a time, not one per request (2.5 µs each to arm and cancel): when it
        rings, a head begun HEAD_TIMEOUT_S ago is cut off, a later one gets the timer set for its own hour."""
        self._head_timer = None
        if self._head_since is None:
            return  # between heads: the next one sets the timer again
        due = self._head_since + HEAD_TIMEOUT_S
        if self.loop.time() >= due:
            self.transport.close()
        else:
            self._head_timer = self.loop.call_at(due, self._head_due)

    def _refuse(self, status: int, detail: str) -> None:
        if self.transport.is_closing():
            return
        reason = {414: b"URI Too Long", 431: b"Request Header Fields Too Large"}[status]
        body = json.dumps({"detail": detail, "status": status}).encode()
        head = b"HTTP/1.1 %d %s\r\ncontent-type: application/json\r\ncontent-length: %d\r\nconnection: close\r\n\r\n"
        self.transport.write(head % (status, reason, len(body)) + body)
        self.transport.close()


def config(app: Any, host: str, port: int) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="warning",
        http=BoundedProtocol,
        timeout_keep_alive=KEEP_ALIVE_S,
        limit_concurrency=MAX_CONNECTIONS,
        timeout_graceful_shutdown=SHUTDOWN_GRACE_S,
    )
