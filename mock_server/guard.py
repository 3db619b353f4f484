"""Keep the admin API out of reach of web pages and of other machines.

`/__admin` reads and replaces every key, password and token, so no page a developer visits may
use it: it gets no CORS headers (it bypasses the CORS middleware), a `Host` other than a loopback
name or the `--host` value is refused (DNS rebinding), and so is an `Origin` other than the mock's
own. When the mock listens beyond loopback, admin needs `--admin-token` or is off. Only `/__admin`
paths pay for these checks.
"""

from __future__ import annotations

import hmac
import json

from starlette.types import ASGIApp, Receive, Scope, Send

from mock_server.settings import Settings

ADMIN = "/__admin"
TITLES = {401: "Unauthorized", 403: "Forbidden"}
LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1", "[::1]"})


def is_loopback(host: str) -> bool:
    return host in LOOPBACK


def _hostname(host: str) -> str:
    """`Host` without its port: `[::1]:8000` -> `[::1]`, `localhost:8000` -> `localhost`."""
    if host.startswith("["):
        return host.split("]", 1)[0] + "]"
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


class AdminGuard:
    """Send `/__admin` requests that pass the checks to `admin`, everything else to `app`."""

    def __init__(self, app: ASGIApp, admin: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.admin = admin
        self.hosts = LOOPBACK | {settings.host}
        self.token = settings.admin_token
        self.off = not is_loopback(settings.host) and not settings.admin_token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(ADMIN):
            await self.app(scope, receive, send)
            return
        problem = self.check(scope)
        if problem is None:
            await self.admin(scope, receive, send)
            return
        status, detail = problem
        body = json.dumps({"type": "about:blank", "title": TITLES[status], "detail": detail, "status": status}).encode()
        headers = [(b"content-type", b"application/problem+json"), (b"content-length", str(len(body)).encode())]
        if status == 401:
            headers.append((b"www-authenticate", b'Bearer realm="mock admin"'))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    def check(self, scope: Scope) -> tuple[int, str] | None:
        """(status, why) when the request may not use admin, else None."""
        if self.off:
            return 403, "The admin API is off: the mock listens beyond loopback; restart it with --admin-token TOKEN."
        host = origin = authorization = ""
        for name, value in scope["headers"]:
            if name == b"host":
                host = value.decode("latin-1")
            elif name == b"origin":
                origin = value.decode("latin-1")
            elif name == b"authorization":
                authorization = value.decode("latin-1")
        if _hostname(host) not in self.hosts:
            return 403, f"Host {host!r} is not this mock; use http://127.0.0.1 or the --host name."
        if origin and origin != f"{scope.get('scheme', 'http')}://{host}":
            return 403, f"Origin {origin!r} may not use the admin API; only the mock's own pages may."
        if self.token and not hmac.compare_digest(authorization.encode(), f"Bearer {self.token}".encode()):
            return 401, "The admin API needs the token given with --admin-token: send Authorization: Bearer TOKEN."
        return None
