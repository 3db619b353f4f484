"""pytest plugin (entry point `pytest11`): the mock as fixtures, for suites that test their own client code.

    def test_cancel(mock_api):
        go = gocd.Server(mock_api.base_url, "admin", "badger")

`mock_server` is one mock for the whole session; `mock_api` is the same mock reset to its fixtures
before each test, so tests do not see each other's changes. Installing the package registers the
plugin in every pytest run of that environment, so it does nothing until a test asks for a fixture:
no server, no port, no thread (and `mock_server.testing` is imported only then).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from mock_server.apis import MODULES

if TYPE_CHECKING:
    from mock_server.testing import MockServer


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("mock-server", "pipeline-contracts mock (fixtures mock_server, mock_api)")
    group.addoption(
        "--mock-api",
        action="append",
        dest="mock_apis",
        choices=tuple(MODULES),
        metavar="NAME",
        help=f"serve only this API (repeatable; default: all): {', '.join(MODULES)}",
    )
    group.addoption(
        "--mock-fixtures",
        dest="mock_fixtures",
        type=Path,
        metavar="FILE",
        help="YAML file mapping API names to fixture data that replaces those APIs' defaults",
    )


@pytest.fixture(scope="session")
def mock_server(request: pytest.FixtureRequest) -> Iterator[MockServer]:
    """One mock for the session, on a free loopback port (state is shared: use `mock_api` for a clean one)."""
    from mock_server.testing import serve

    apis: list[str] | None = request.config.getoption("mock_apis")
    fixtures: Path | None = request.config.getoption("mock_fixtures")
    with serve(apis=apis, fixtures=fixtures) as server:
        yield server


@pytest.fixture
def mock_api(mock_server: MockServer) -> MockServer:
    """The session's mock, reset to its fixtures (ids and clock too) before this test."""
    mock_server.reset()
    return mock_server
