"""Every default of a conformance run lives here."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from conformance.selection import Selection


@dataclass(frozen=True)
class Auth:
    """How to authenticate: one of a bearer token, HTTP basic, or a ZenML-style form login."""

    token: str | None = None
    basic: tuple[str, str] | None = None
    login: tuple[str, str] | None = None

    @property
    def given(self) -> bool:
        return any((self.token, self.basic, self.login))


@dataclass(frozen=True)
class RunConfig:
    apis: tuple[str, ...]
    base_url: str | None = None
    """None: start the mock in-process and test that."""
    auth: Auth = Auth()
    max_examples: int = 50
    seed: int | None = None
    junit_xml: Path | None = None
    read_only: bool = False
    allow_file: Path | None = None
    workers: int = 1
    """Schemathesis workers; 1 is fastest on a 2-core machine where client and server share the cores."""
    stateful_steps: int = 6
    machine_examples: int = 10
    """Hypothesis scenarios per property state machine (each step is a few HTTP requests)."""
    rate_limit: str | None = None
    """`N/s` or `N/m`: at most that many requests to the server, Schemathesis and properties together."""
    max_time: float | None = None
    """Seconds for the whole run; the run stops at the next request once they are spent."""
    request_timeout: float = 10.0
    """Seconds a server may take to answer one request before that is a finding."""
    selection: Selection = Selection()
    session: str | None = None
    """Sent as `X-Mock-Session` on every request: the run works in its own session of a shared mock."""

    @property
    def session_headers(self) -> dict[str, str]:
        return {"X-Mock-Session": self.session} if self.session else {}
