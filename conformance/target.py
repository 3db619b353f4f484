"""Where a run sends its requests: a real deployment, or the mock started in-process.

The only module that imports `mock_server`, and only to start it: everything else talks HTTP.
"""

from __future__ import annotations

import base64
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

from conformance.findings import ApiResult
from conformance.gate import Gate
from conformance.settings import Auth
from conformance.spec import operation_label


class Unreachable(Exception):
    """The target cannot be used: the message is the one line a user sees (exit status 2)."""


@dataclass(frozen=True)
class Credentials:
    headers: dict[str, str]
    login_problem: str | None = None
    """How the login answer broke the contract (a finding of the login operation), if it did."""
    usable: bool = True
    """False when no credentials came out of the login: the API's checks cannot run."""


def credentials(base_url: str, auth: Auth, login_path: str | None, client: httpx.Client) -> Credentials:
    """The Authorization header for `auth`; a login is done once, here, at the API's `login_path`."""
    if auth.token is not None:
        return Credentials({"Authorization": f"Bearer {auth.token}"})
    if auth.basic is not None:
        user, password = auth.basic
        return Credentials({"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()})
    if auth.login is not None:
        if login_path is None:
            raise Unreachable(
                "--login works only for an API with a login route (zenml-pipelines); use --token or --basic"
            )
        token, problem = login(client, base_url + login_path, *auth.login)
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return Credentials(headers, problem, usable=token is not None)
    return Credentials({})


def login(client: httpx.Client, url: str, username: str, password: str) -> tuple[str | None, str | None]:
    """(token, problem): exit 2 only for an unreachable server or wrong credentials (HTTP 401).

    Any other answer is the server breaking the login contract: a finding, and the token is used
    if the answer carried one anyway (a 203 with a token still lets the rest of the API be checked).
    """
    try:
        response = client.post(url, data={"username": username, "password": password})
    except httpx.TimeoutException:
        return None, f"no answer within {client.timeout.read:g} s (--request-timeout)"
    except httpx.HTTPError as exc:
        raise Unreachable(f"cannot reach {url}: {exc}") from exc
    if response.status_code == 401:
        raise Unreachable(
            f"login as {username!r} at {url} failed: HTTP 401 {response.text[:200]} (check the --login credentials)"
        )
    token = _access_token(response)
    if response.status_code == 200 and token is not None:
        return token, None
    return token, (
        f"expected HTTP 200 with an access_token (or 401 for wrong credentials), "
        f"got HTTP {response.status_code}: {response.text[:200]}"
    )


def _access_token(response: httpx.Response) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    token = body.get("access_token") if isinstance(body, dict) else None
    return token if isinstance(token, str) and token else None


def check_reachable(client: httpx.Client, base_url: str) -> None:
    try:
        client.get(base_url)
    except httpx.HTTPError as exc:
        raise Unreachable(f"server unreachable at {base_url}: {exc.__class__.__name__}: {exc}") from exc


@dataclass(frozen=True)
class Tally:
    """Where a client counts what it sends: each request against the operation of `spec` it calls, in
    `result` (so the report's per-operation table adds up to the API's total)."""

    spec: dict[str, Any]
    result: ApiResult

    def __call__(self, request: httpx.Request) -> None:
        self.result.requests += 1
        self.result.count(operation_label(self.spec, request.method, urlsplit(str(request.url)).path), "requests")


class RecordingClient(httpx.Client):
    """An httpx.Client whose every request passes the run's gate and is counted in its tally, and that
    remembers its last one (so a failed property comes with a curl line)."""

    def __init__(
        self,
        gate: Gate,
        guard: Callable[[httpx.Request], None] | None = None,
        tally: Tally | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(event_hooks={"request": [self._admit]}, **kwargs)
        self.gate = gate
        self.guard = guard
        self.tally = tally
        self.last_request: httpx.Request | None = None

    def _admit(self, request: httpx.Request) -> None:
        if self.guard is not None:
            self.guard(request)
        self.gate.admit()
        self.last_request = request
        if self.tally is not None:
            self.tally(request)


def client_for(
    base_url: str,
    headers: dict[str, str],
    gate: Gate,
    timeout: float,
    guard: Callable[[httpx.Request], None] | None = None,
    tally: Tally | None = None,
) -> RecordingClient:
    return RecordingClient(gate, guard, tally, base_url=base_url, headers=headers, timeout=timeout)


@contextmanager
def mock_server(apis: tuple[str, ...]) -> Iterator[str]:
    """Serve a fresh mock of `apis` on a free loopback port in a thread; yield its base URL."""
    from mock_server.testing import MockServerError, serve

    try:
        with serve(apis=apis) as mock:
            yield mock.base_url
    except MockServerError as exc:
        raise Unreachable(str(exc)) from exc


def mock_auth(api: str) -> Auth:
    """The credentials of the mock's default fixtures, as the mock declares them (`MockApi.credentials`)."""
    from mock_server.api import BasicAuth, Login, Token
    from mock_server.apis import load_api

    credentials = load_api(api).credentials
    if isinstance(credentials, Token):
        return Auth(token=credentials.value)
    if isinstance(credentials, BasicAuth):
        return Auth(basic=(credentials.username, credentials.password))
    assert isinstance(credentials, Login)
    return Auth(login=(credentials.username, credentials.password))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port
