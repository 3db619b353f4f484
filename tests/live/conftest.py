"""Live tests: a real ZenML 0.98.0 server and ZenML's own client, both in `.venv-zenml`.

They need that environment (created on first use, ~1-2 minutes) and start real servers, so plain
`make test` skips them; `LIVE=1` (what `make test-live` sets) runs them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from live.zenml_server import LiveServer, ensure_venv, zenml_server
from mock_server.testing import serve

ENABLED = os.environ.get("LIVE") == "1"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "live: needs .venv-zenml and a real ZenML server; runs only with LIVE=1")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if ENABLED:
        return
    skip = pytest.mark.skip(reason="live test: run with LIVE=1 (make test-live)")
    for item in items:
        if item.get_closest_marker("live"):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def zenml_python() -> Path:
    """The python of `.venv-zenml` (installed on first use)."""
    return ensure_venv()


@pytest.fixture(scope="session")
def live_zenml(zenml_python: Path) -> Iterator[LiveServer]:
    """One real, seeded ZenML server for the session (stopped and removed at its end)."""
    with zenml_server() as server:
        yield server


@pytest.fixture
def mock_zenml() -> Iterator[str]:
    """A fresh ZenML mock over loopback HTTP, with response validation on (a reply off its spec is a 500)."""
    with serve(apis="zenml-pipelines", validate_responses=True) as mock:
        yield mock.base_url
