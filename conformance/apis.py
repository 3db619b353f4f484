"""The suites: one per contract in `contracts/specs/`, each with its property module."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module
from pathlib import Path
from types import ModuleType

from contracts import NAMES, SPECS_DIR, load_document, login_path


@dataclass(frozen=True)
class Suite:
    name: str

    @property
    def spec_path(self) -> Path:
        return SPECS_DIR / f"{self.name}.yaml"

    @property
    def login_path(self) -> str | None:
        """Where `--login USER:PASS` trades a form login for a bearer token (the spec's OAuth2 `tokenUrl`)."""
        return login_path(load_document(self.spec_path))

    @property
    def properties(self) -> ModuleType:
        return import_module(f"conformance.properties.{self.name.replace('-', '_')}")


SUITES = {name: Suite(name) for name in NAMES}
