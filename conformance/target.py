"""Where a run sends its requests: a real deployment, or the mock started in-process.

The only module that imports `mock_server`, and only to start it: everything else talks HTTP.
"""

from __future__ import annotations

import base64
import socket
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import httpx

from conformance.settings import Auth


class Unreachable(Exception):
    """The target cannot be used: the message is the one line a user sees (exit status 2)."""


def auth_headers(base_url: str, auth: Auth, login_path: str | None) -> dict[str, str]:
    """The Authorization header for `auth`; a login is done once, here, at the API's `login_path`."""
    if auth.token is not None:
        return {"Authorization": f"Bearer {auth.token}"}
    if auth.basic is not None:
        user, password = auth.basic
        return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}
    if auth.login is not None:
        if login_path is None:
            raise Unreachable(
                "--login works only for an API with a login route (zenml-pipelines); use --token or --basic"
            )
        return {"Authorization": f"Bearer {login(base_url + login_path, *auth.login)}"}
    return {}


def login(url: str, username: str, password: str) -> str:
    try:
        response = httpx.post(url, data={"username": username, "password": password}, timeout=10)
    except httpx.HTTPError as exc:
        raise Unreachable(f"cannot reach {url}: {exc}") from exc
    if response.status_code != 200 or "access_token" not in response.text:
        raise Unreachable(f"login as {username!r} at {url} failed: HTTP {response.status_code} {response.text[:200]}")
    return response.json()["access_token"]


def check_reachable(base_url: str) -> None:
    try:
        httpx.get(base_url, timeout=10)
    except httpx.HTTPError as exc:
        raise Unreachable(f"server unreachable at {base_url}: {exc.__class__.__name__}: {exc}") from exc


class RecordingClient(httpx.Client):
    """An httpx.Client that remembers its last request, so a failed property comes with a curl line."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(event_hooks={"request": [self._remember]}, **kwargs)
        self.last_request: httpx.Request | None = None
        self.sent = 0

    def _remember(self, request: httpx.Request) -> None:
        self.last_request = request
        self.sent += 1


def client_for(base_url: str, headers: dict[str, str]) -> RecordingClient:
    return RecordingClient(base_url=base_url, headers=headers, timeout=30)


@contextmanager
def mock_server(apis: tuple[str, ...]) -> Iterator[str]:
    """Serve a fresh mock of `apis` on a free loopback port in a thread; yield its base URL."""
    from mock_server.testing import MockServerError, serve

    try:
        with serve(apis=apis) as mock:
            yield mock.base_url
    except MockServerError as exc:
        raise Unreachable(str(exc)) from exc


def serve(app: Any) -> AbstractContextManager[str]:
    """Run an ASGI app (a mock wrapped to inject faults, in the self-tests) on a free loopback port in a thread."""
    from mock_server.testing import serve_app

    return serve_app(app)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port
