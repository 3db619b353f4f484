"""Shared fixtures: a fresh, seeded mock per test, with response validation on."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from mock_server import Settings, create_app


@pytest.fixture
def make_client() -> Iterator[Callable[..., TestClient]]:
    """`make_client("gocd-stages", **settings)`: a TestClient over a new app serving that API.

    Response validation is on, so a response that breaks its spec fails the test as a 500.
    """
    clients: list[TestClient] = []

    def make(*apis: str, **overrides: Any) -> TestClient:
        settings = Settings(**{"apis": apis, "seed": 0, "validate_responses": True, **overrides})
        client = TestClient(create_app(settings), base_url="http://localhost")  # admin refuses other hosts
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)
