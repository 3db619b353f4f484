"""Fixture data: the default data set of each API, or a user's file, checked against the spec.

A bad fixture stops the start with a message naming the file and the field, so a typo in a
user's data never turns into a confusing 500 later.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from openapi_schema_validator import OAS30Validator, oas30_format_checker

from contracts import parse_yaml
from mock_server.api import MockApi

FIXTURES_DIR = Path(__file__).resolve().parent / "fixtures"


class FixtureError(ValueError):
    """A fixture does not match the spec; the message names file and field."""


def default_fixture_file(api: MockApi) -> Path:
    return FIXTURES_DIR / f"{api.name}.yaml"


def read_yaml(path: Path) -> Any:
    try:
        return parse_yaml(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise FixtureError(f"{path}: cannot read fixture file: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise FixtureError(f"{path}: not valid YAML: {exc}") from exc


def load_fixtures(
    apis: list[MockApi], specs: Mapping[str, Mapping[str, Any]], user_file: Path | None
) -> dict[str, tuple[str, Mapping[str, Any]]]:
    """(source, data) per API: the user's file overrides the defaults of the APIs it names."""
    chosen: dict[str, tuple[str, Mapping[str, Any]]] = {
        api.name: (str(default_fixture_file(api)), read_yaml(default_fixture_file(api)) or {}) for api in apis
    }
    if user_file is not None:
        data = read_yaml(user_file)
        names = {api.name for api in apis}
        if not isinstance(data, dict) or not set(data) <= names:
            raise FixtureError(
                f"{user_file}: top-level keys must be API names served here ({', '.join(sorted(names))})"
            )
        chosen.update({name: (str(user_file), value or {}) for name, value in data.items()})
    for api in apis:
        source, data = chosen[api.name]
        validate_fixture(api, specs[api.name], data, source)
    return chosen


def validate_fixture(api: MockApi, spec: Mapping[str, Any], data: Mapping[str, Any], source: str) -> None:
    """Check every item listed in `api.fixture_schemas` against its component schema in `spec`."""
    if not isinstance(data, Mapping):
        raise FixtureError(f"{source}: {api.name}: fixture must be a mapping of collections")
    for key, schema_name in api.fixture_schemas.items():
        schema = {"$ref": f"#/components/schemas/{schema_name}", "components": spec["components"]}
        validator = OAS30Validator(schema, format_checker=oas30_format_checker)
        items = data.get(key, [])
        if not isinstance(items, list):
            raise FixtureError(f"{source}: {api.name}.{key}: expected a list of {schema_name}, got {items!r}")
        for index, item in enumerate(items):
            error = next(iter(sorted(validator.iter_errors(item), key=lambda e: list(e.path))), None)
            if error is not None:
                field = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
                raise FixtureError(f"{source}: {api.name}.{key}[{index}]{field}: {error.message}")
