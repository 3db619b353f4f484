"""Shared fixtures: a seeded mock per test, as new, with response validation on.

Building an app costs 40-130 ms (mostly Connexion checking each spec in `add_api`), and most tests
build one, so `make_client` builds an app once per Settings for the whole session and renews it through
the admin API before each test that asks for it (see `renew`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from mock_server import Settings, create_app

BASE_URL = "http://localhost"  # admin refuses other hosts
DEFAULTS = Settings()
OWN_APP = (
    "host",
    "admin_token",
    "fixtures",
    "specs_dir",
    "faults",
    "state_file",
    "reload",
    "proxies",
    "record",
    "log_format",
)
"""Settings that give an app more than its runtime state (files read at start, a watcher, an upstream, log
lines on stdout) or close its admin API: with any of them off its default, the test gets an app of its own."""

Pool = dict[Settings, list[TestClient]]


def started(settings: Settings) -> TestClient:
    client = TestClient(create_app(settings), base_url=BASE_URL)
    client.__enter__()  # the lifespan: Connexion builds its middleware stacks here
    return client


def renew(owner: TestClient) -> None:
    """The app as new: named sessions dropped; the default session's state, ids and clock reset; journals and
    fault rules cleared (setting rules reseeds the fault draws). Not reset: the default session's request count
    and times in `GET /__admin/sessions` (a test that reads them asks for `own_app=True`)."""
    for session in owner.get("/__admin/sessions").json()["sessions"]:
        if session["name"] != "default":
            owner.delete(f"/__admin/sessions/{session['name']}").raise_for_status()
    for method, path in (
        ("POST", "/__admin/reset"),
        ("DELETE", "/__admin/requests"),
        ("DELETE", "/__admin/faults"),
    ):
        owner.request(method, path).raise_for_status()


@pytest.fixture(scope="session")
def started_apps() -> Iterator[Pool]:
    """The started apps `make_client` lends, per Settings (as many as one test has asked for at once)."""
    pool: Pool = {}
    yield pool
    for owners in pool.values():
        for owner in owners:
            owner.__exit__(None, None, None)


@pytest.fixture
def make_client(started_apps: Pool) -> Iterator[Callable[..., TestClient]]:
    """`make_client("gocd-stages", **settings)`: a new TestClient over an app serving that API, as new.

    Response validation is on, so a response that breaks its spec fails the test as a 500. Each call
    in a test is a different app; the client is the test's own (headers, cookies, auth). `own_app=True`
    builds an app for this test alone instead of renewing a shared one.
    """
    own: list[TestClient] = []
    lent: Counter[Settings] = Counter()

    def make(*apis: str, own_app: bool = False, **overrides: Any) -> TestClient:
        settings = Settings(**{"apis": apis, "seed": 0, "validate_responses": True, **overrides})
        if own_app or any(getattr(settings, name) != getattr(DEFAULTS, name) for name in OWN_APP):
            own.append(started(settings))
            return own[-1]
        owners = started_apps.setdefault(settings, [])
        if lent[settings] == len(owners):
            owners.append(started(settings))
        owner = owners[lent[settings]]
        lent[settings] += 1
        renew(owner)
        client = TestClient(owner.app, base_url=BASE_URL)
        client.portal = owner.portal  # the owner's event loop, where the app's lifespan ran
        return client

    yield make
    for client in own:
        client.__exit__(None, None, None)
