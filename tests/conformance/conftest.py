"""Fixtures for the conformance self-tests: the real mock (or a wrapped one) served over loopback HTTP."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager

import pytest
from starlette.types import ASGIApp

from conformance.target import mock_auth
from mock_server import Settings, create_app
from mock_server.testing import serve_app

Wrap = Callable[[ASGIApp], ASGIApp]


@pytest.fixture
def served() -> Callable[..., AbstractContextManager[str]]:
    """`with served("gocd-stages", wrap=...) as base_url:` a fresh mock (response validation on), optionally wrapped."""

    def start(*apis: str, wrap: Wrap | None = None) -> AbstractContextManager[str]:
        app = create_app(Settings(apis=apis, validate_responses=True))
        return serve_app(wrap(app) if wrap else app)

    return start


def mock_auth_flags(api: str) -> list[str]:
    """The `conformance run` credential flags of the mock's default fixtures for `api`."""
    auth = mock_auth(api)
    if auth.token:
        return ["--token", auth.token]
    if auth.basic:
        return ["--basic", ":".join(auth.basic)]
    return ["--login", ":".join(auth.login or ("", ""))]


MUTATION_OUTCOMES: dict[str, bool] = {}


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print the mutation score: the share of fault-injected mocks the suite caught."""
    if not MUTATION_OUTCOMES:
        return
    caught = sum(MUTATION_OUTCOMES.values())
    total = len(MUTATION_OUTCOMES)
    terminalreporter.write_sep("=", f"mutation score: {caught}/{total} ({100 * caught // total}%)")
    for name, ok in sorted(MUTATION_OUTCOMES.items()):
        terminalreporter.write_line(f"  {'caught ' if ok else 'MISSED '} {name}")


@pytest.fixture
def record_mutation() -> Iterator[Callable[[str, bool], None]]:
    yield MUTATION_OUTCOMES.__setitem__
