"""The validating proxy: one API's requests forwarded to a real server, each exchange checked against the spec.

The response goes back unchanged (status, headers, body bytes), with `X-Contract-Violations: N` added
unless the proxy is quiet. To count violations in a header the body must be read before the headers go
out, so the proxy holds up to `CHECK_BYTES` of it; a longer body is streamed on unvalidated (its status
and headers are still checked). The proxy never follows a redirect: a 3xx goes back to the client as is.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

import httpx
from starlette.types import Receive, Scope, Send

from mock_server.api import ApiError, MockApi
from mock_server.contract_check import ContractCheck, Exchange, Violation, ViolationSummary
from mock_server.notes import notes

MAX_NOTED = 100
"""Violations kept per exchange (notes, strict answer); the header counts them all."""
CHECK_BYTES = 4 * 1024 * 1024
"""Response bodies up to this size are validated; past it, the rest streams through unchecked."""

HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)
"""RFC 9110 section 7.6.1: headers for one connection only, never forwarded."""
NOT_FORWARDED = HOP_BY_HOP | {"host", "content-length"}
"""Request headers the proxy's own client sets for the upstream connection."""

Observer = Callable[[str | None, int, bytes], None]
"""Told (operation, status, body) of each fully read upstream response: the recorder listens here."""


class Proxy:
    """ASGI app forwarding one API's traffic to `upstream`; a fresh client per app, made at first use."""

    def __init__(
        self,
        api: MockApi,
        upstream: str,
        check: ContractCheck,
        summary: ViolationSummary,
        *,
        timeout: float,
        strict: bool,
        quiet: bool,
        max_request_bytes: int,
        observe: Observer | None = None,
        on_shutdown: Callable[[], None] | None = None,
    ) -> None:
        self.api = api
        self.upstream = upstream.rstrip("/")
        self.shown = str(httpx.URL(self.upstream).copy_with(userinfo=b""))
        """The upstream as messages name it: without any user:password it carries."""
        self.check = check
        self.summary = summary
        self.timeout = timeout
        self.strict = strict
        self.quiet = quiet
        self.max_request_bytes = max_request_bytes
        self.observe = observe
        self.on_shutdown = on_shutdown
        self._client: httpx.AsyncClient | None = None

    @property
    def client(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(follow_redirects=False, timeout=httpx.Timeout(self.timeout))
            self._client.headers.clear()  # no default Accept-Encoding etc.: the client's headers only
        return self._client

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        record = notes()
        record.api = self.api.name
        body = await _read_body(receive, self.max_request_bytes)
        if body is None:
            await self._error(send, 413, f"Request body over {self.max_request_bytes} bytes; the proxy holds no more.")
            return
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]]
        dropped = NOT_FORWARDED | _connection_tokens(headers)
        query = scope.get("query_string", b"").decode("latin-1")
        exchange = Exchange(
            method=scope["method"],
            path=scope["path"],
            query=parse_qsl(query, keep_blank_values=True),
            headers=headers,
            body=body,
        )
        _, operation = self.check.operation(scope["method"], scope["path"])
        record.operation = operation
        url = self.upstream + scope.get("raw_path", scope["path"].encode()).decode("latin-1")
        request = self.client.build_request(
            scope["method"],
            url + (f"?{query}" if query else ""),
            headers=[(k, v) for k, v in scope["headers"] if k.decode("latin-1").lower() not in dropped],
            content=body,
        )
        try:
            response = await self.client.send(request, stream=True)
        except httpx.TimeoutException:
            await self._error(send, 504, f"Upstream {self.shown} did not answer within {self.timeout:g} s.")
            return
        except httpx.HTTPError as exc:
            await self._error(send, 502, f"Upstream {self.shown} unreachable: {type(exc).__name__}: {exc}.")
            return
        try:
            await self._relay(response, exchange, operation, send)
        finally:
            await response.aclose()

    async def _relay(self, response: httpx.Response, exchange: Exchange, operation: str | None, send: Send) -> None:
        exchange.response_headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in response.headers.raw]
        dropped = HOP_BY_HOP | _connection_tokens(exchange.response_headers)
        out = [(k.lower(), v) for k, v in response.headers.raw if k.decode("latin-1").lower() not in dropped]
        try:
            held, rest = await _hold(response, CHECK_BYTES)
        except httpx.HTTPError as exc:
            await self._error(send, 502, f"Upstream {self.shown} broke off its answer: {type(exc).__name__}.")
            return
        exchange.status = response.status_code
        exchange.response_body = held
        encoded = response.headers.get("content-encoding", "identity").lower() != "identity"
        exchange.response_body_checked = rest is None and not encoded
        # In a worker thread: openapi-core takes ~15 ms over a ZenML list page, which on the event loop
        # would stall every other client of the mock for as long.
        violations = await asyncio.to_thread(self.check.check, exchange)
        notes().violations.extend(violations[:MAX_NOTED])
        self.summary.add(self.api.name, operation, violations)
        if exchange.response_body_checked and self.observe is not None and 200 <= response.status_code < 300:
            self.observe(operation, response.status_code, held)
        if violations and self.strict:
            await self._strict(send, violations)
            return
        if not self.quiet:
            out.append((b"x-contract-violations", str(len(violations)).encode()))
        await send({"type": "http.response.start", "status": response.status_code, "headers": out})
        await send({"type": "http.response.body", "body": held, "more_body": rest is not None})
        if rest is None:
            return
        try:
            async for chunk in rest:
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
        except httpx.HTTPError:
            pass  # the upstream broke off mid-body: end what we send; the client sees a short body
        await send({"type": "http.response.body", "body": b""})

    async def _strict(self, send: Send, violations: list[Violation]) -> None:
        detail = f"The upstream exchange broke the {self.api.name} contract ({len(violations)} violations)."
        data = json.dumps({"detail": detail, "violations": violations[:MAX_NOTED]}).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())]
        if not self.quiet:
            headers.append((b"x-contract-violations", str(len(violations)).encode()))
        await send({"type": "http.response.start", "status": 502, "headers": headers})
        await send({"type": "http.response.body", "body": data})

    async def _error(self, send: Send, status: int, message: str) -> None:
        """A proxy's own answer (upstream down, too slow, body too big), in the API's error format."""
        notes().reason = message
        body, code, extra = self.api.render_error(ApiError(status, message))
        data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
        media = "text/plain; charset=utf-8" if isinstance(body, str) else "application/json"
        headers = {"content-type": media, **{k.lower(): v for k, v in extra.items()}, "content-length": str(len(data))}
        raw = [(k.encode(), v.encode()) for k, v in headers.items()]
        await send({"type": "http.response.start", "status": code, "headers": raw})
        await send({"type": "http.response.body", "body": data})

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            phase = message["type"].rsplit(".", 1)[-1]
            if phase == "shutdown":
                if self._client is not None:
                    await self._client.aclose()
                    self._client = None
                if self.on_shutdown is not None:
                    self.on_shutdown()
            await send({"type": f"lifespan.{phase}.complete"})
            if phase == "shutdown":
                return


def _connection_tokens(headers: list[tuple[str, str]]) -> frozenset[str]:
    """Headers a `Connection` header names are hop-by-hop too (RFC 9110 section 7.6.1)."""
    values = [v for k, v in headers if k.lower() == "connection"]
    return frozenset(token.strip().lower() for value in values for token in value.split(",") if token.strip())


async def _read_body(receive: Receive, limit: int) -> bytes | None:
    """The whole request body, or None past `limit` bytes (the proxy validates it, so it must hold it)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


async def _hold(response: httpx.Response, limit: int) -> tuple[bytes, Any]:
    """Up to `limit` bytes of the body, and an iterator over the rest (None when the body ended first)."""
    chunks: list[bytes] = []
    size = 0
    stream = response.aiter_raw()
    async for chunk in stream:
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            return b"".join(chunks), stream
    return b"".join(chunks), None
