"""The mock inside a Python test suite, as moto does for AWS: a background thread, a free port, a handle.

    with serve(apis=["gocd-stages"]) as mock:
        requests.get(mock.url("/go/api/stages/foo/DEV/history"), auth=("admin", "badger"))

The handle resets, exports and imports state through the admin API over HTTP rather than by touching
the runtime: the runtime lives on the server's event loop in another thread, and the admin routes
run there, between requests, so a test never races a request in flight; it is also the path every
other user of the mock (any language, `make mock`) takes.
"""

from __future__ import annotations

import base64
import socket
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from mock_server.api import BasicAuth, Login, Token
from mock_server.apis import MODULES, load_api
from mock_server.app import create_app
from mock_server.fixtures import FixtureError
from mock_server.server import BoundedProtocol
from mock_server.settings import ALL_APIS, Settings

__all__ = ["FixtureError", "MockServer", "MockServerError", "serve", "serve_app"]

Credentials = Token | BasicAuth | Login

START_TIMEOUT = 20.0
STOP_TIMEOUT = 10.0


class MockServerError(RuntimeError):
    """The mock could not start, or its admin API refused a request; the message says why and what to do."""


@dataclass
class MockServer:
    """A running mock: where it listens, the default credentials of each API it serves, and its state."""

    base_url: str
    apis: tuple[str, ...]
    credentials: Mapping[str, Credentials]
    """Per API name, what a client of the default fixtures sends (`Token`, `BasicAuth`, or a `Login` to trade
    for a token). Fixtures of your own (`fixtures=`, `load()`) bring their own credentials."""
    _http: httpx.Client = field(repr=False)

    def url(self, path: str) -> str:
        """The absolute URL of `path` on this server (`/go/api/...` -> `http://127.0.0.1:PORT/go/api/...`)."""
        return self.base_url + "/" + path.lstrip("/")

    def reset(self, session: str | None = None) -> None:
        """Every API back to its fixtures, and ids and the clock back to their start (in the default
        session, or in `session`: the one requests name with the `X-Mock-Session` header)."""
        self._call("POST", f"/__admin/sessions/{session}/reset" if session else "/__admin/reset")

    def state(self, session: str | None = None) -> dict[str, Any]:
        """The whole state per API name, in the shape fixtures have (so `load(state())` is a no-op)."""
        state: dict[str, Any] = self._call("GET", "/__admin/state", params=_session(session))
        return state

    def load(self, state: Mapping[str, Any], session: str | None = None) -> None:
        """Replace the state of the APIs `state` names; invalid data changes nothing and raises MockServerError."""
        self._call("PUT", "/__admin/state", json=dict(state), params=_session(session))

    def requests(self, **filters: str | int) -> list[dict[str, Any]]:
        """The request journal, newest first; `filters` as `GET /__admin/requests` takes them
        (`session`, `api`, `operation`, `method`, `status`, `since`, `limit`, `offset`)."""
        entries: list[dict[str, Any]] = self._call("GET", "/__admin/requests", params=filters)["requests"]
        return entries

    def headers(self, api: str) -> dict[str, str]:
        """The Authorization header of `api`'s default credentials; a `Login` logs in (a fresh token each call)."""
        credential = self.credentials[api]
        if isinstance(credential, Token):
            return {"Authorization": f"Bearer {credential.value}"}
        if isinstance(credential, BasicAuth):
            pair = f"{credential.username}:{credential.password}".encode()
            return {"Authorization": "Basic " + base64.b64encode(pair).decode()}
        form = {"username": credential.username, "password": credential.password}
        token = self._call("POST", credential.path, data=form)["access_token"]
        return {"Authorization": f"Bearer {token}"}

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self._http.request(method, path, **kwargs)
        if response.status_code != 200:
            detail = response.json().get("detail", response.text) if response.text.startswith("{") else response.text
            raise MockServerError(f"{method} {path} answered {response.status_code}: {detail}")
        return response.json()


@contextmanager
def serve(
    apis: Iterable[str] | str | None = None,
    fixtures: str | Path | None = None,
    seed: int | None = None,
    *,
    validate_responses: bool = False,
    port: int = 0,
) -> Iterator[MockServer]:
    """Run a fresh mock of `apis` (default: all) on loopback until the block ends, even if it raises.

    `fixtures` is a YAML file mapping API names to data that replaces their defaults; `seed` makes
    created ids and timestamps repeat run to run; `validate_responses` turns a reply off its spec
    into a 500; `port=0` (the default) picks a free port. A bad fixture raises `FixtureError`
    (naming file and field), a taken port or a failed start `MockServerError`.
    """
    names = _api_names(apis)
    settings = Settings(
        apis=names,
        fixtures=Path(fixtures) if fixtures is not None else None,
        seed=seed,
        validate_responses=validate_responses,
    )
    app = create_app(settings)
    credentials = {name: load_api(name).credentials for name in names}
    with serve_app(app, port=port) as base_url, httpx.Client(base_url=base_url, timeout=30) as http:
        yield MockServer(base_url=base_url, apis=names, credentials=credentials, _http=http)


@contextmanager
def serve_app(app: Any, *, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Run any ASGI app under uvicorn in a daemon thread until the block ends; yield its base URL.

    The socket is bound here, before the thread starts, so a taken port is an immediate, clear error
    and a free port cannot be taken by someone else between choosing and binding it.
    """
    sock = _bind(host, port)
    # BoundedProtocol, as the CLI serves: it also lets fault rules drop a connection (reset, truncate).
    config = uvicorn.Config(app, log_level="error", lifespan="on", timeout_graceful_shutdown=5, http=BoundedProtocol)
    server = uvicorn.Server(config)
    crashed: list[BaseException] = []

    def run() -> None:
        try:
            server.run(sockets=[sock])
        except BaseException as exc:  # SystemExit included: uvicorn exits when start-up fails
            crashed.append(exc)

    thread = threading.Thread(target=run, name=f"mock-server:{sock.getsockname()[1]}", daemon=True)
    thread.start()
    try:
        _wait_started(server, thread, crashed)
        yield f"http://{host}:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=STOP_TIMEOUT)
        if thread.is_alive():  # a request still running past the graceful timeout
            server.force_exit = True
            thread.join(timeout=STOP_TIMEOUT)
        sock.close()


def _session(session: str | None) -> dict[str, str]:
    return {"session": session} if session else {}


def _api_names(apis: Iterable[str] | str | None) -> tuple[str, ...]:
    names = (apis,) if isinstance(apis, str) else tuple(dict.fromkeys(apis)) if apis is not None else ALL_APIS
    unknown = [name for name in names if name not in MODULES]
    if unknown or not names:
        raise ValueError(f"unknown API {', '.join(map(repr, unknown)) or '(none given)'}; known: {', '.join(MODULES)}")
    return names


def _bind(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does: a port in TIME_WAIT is free
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise MockServerError(
            f"cannot listen on {host}:{port}: {exc.strerror}; stop what uses it, or pass port=0 for a free port"
        ) from exc
    return sock


def _wait_started(server: uvicorn.Server, thread: threading.Thread, crashed: list[BaseException]) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.01)
    if server.started:
        return
    if thread.is_alive():
        raise MockServerError(f"the mock did not start within {START_TIMEOUT:.0f} s")
    why = f"{type(crashed[0]).__name__}: {crashed[0]}" if crashed else "uvicorn's log above says why"
    raise MockServerError(f"the mock stopped while starting: {why}")
