"""The suites: one per API, the only list of APIs on the conformance side."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module
from pathlib import Path
from types import ModuleType

from conformance.settings import Auth
from contracts import SPECS_DIR


@dataclass(frozen=True)
class Suite:
    name: str
    mock_auth: Auth
    """Credentials of the mock's default fixtures, used when the suite starts the mock itself."""
    login_path: str | None = None
    """Where `--login USER:PASS` trades a form login for a bearer token, for APIs that have one."""

    @property
    def spec_path(self) -> Path:
        return SPECS_DIR / f"{self.name}.yaml"

    @property
    def properties(self) -> ModuleType:
        return import_module(f"conformance.properties.{self.name.replace('-', '_')}")


SUITES = {
    suite.name: suite
    for suite in (
        Suite("esper-stages", Auth(token="mock-token")),
        Suite("esper-operations", Auth(token="mock-token")),
        Suite("zenml-pipelines", Auth(login=("default", "")), login_path="/api/v1/login"),
        Suite("instabase-flow", Auth(token="mock-token")),
        Suite("gocd-stages", Auth(basic=("admin", "badger"))),
    )
}
