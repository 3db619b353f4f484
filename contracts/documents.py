"""Finding and reading the spec files: one place that knows where they are and how YAML is parsed."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

SPECS_DIR = Path(__file__).resolve().parent / "specs"
"""`contracts/specs/`, in a checkout and in an installed wheel alike (package data)."""

NAMES: tuple[str, ...] = tuple(sorted(path.stem for path in SPECS_DIR.glob("*.yaml")))
"""Every API with a contract, by its file name (`esper-stages`, ...)."""

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: a third of start-up's YAML time


def spec_path(name: str) -> Path:
    return SPECS_DIR / f"{name}.yaml"


def parse_yaml(text: str) -> Any:
    """A YAML text as plain data (safe: no tags that build objects)."""
    return yaml.load(text, Loader=_LOADER)


@cache
def load_document(path: Path) -> Any:
    """A YAML file as data, parsed once per process. Callers must not mutate what they get."""
    return parse_yaml(path.read_text(encoding="utf-8"))


def load_spec(name: str) -> dict[str, Any]:
    """The contract of API `name` as a dict (loaded here, not by path, so Connexion skips its Jinja rendering)."""
    spec: dict[str, Any] = load_document(spec_path(name))
    return spec
