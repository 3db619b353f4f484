"""Where the mock reads each API's spec: the packaged contracts, or a folder given with `specs_dir`.

A folder of one's own is read afresh each time (live reload edits it); the packaged specs are parsed
once per process. A spec that does not parse is a `SpecError` naming the file and line.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from contracts import load_spec, parse_yaml, spec_path
from mock_server.settings import Settings


class SpecError(ValueError):
    """A spec file that cannot be read or parsed; the message names file and line."""


def spec_file(settings: Settings, name: str) -> Path:
    return (settings.specs_dir / f"{name}.yaml") if settings.specs_dir is not None else spec_path(name)


def read_spec(settings: Settings, name: str) -> dict[str, Any]:
    if settings.specs_dir is None:
        return load_spec(name)
    path = spec_file(settings, name)
    try:
        data = parse_yaml(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SpecError(f"{path}: cannot read the spec: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        raise SpecError(f"{path}{line}: not valid YAML: {getattr(exc, 'problem', None) or exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("paths"), dict):
        raise SpecError(f"{path}:1: not an OpenAPI document (no paths mapping)")
    return data


def line_of(path: Path, keys: Iterable[str | int]) -> int | None:
    """The line (1-based) of the YAML node that `keys` lead to in `path`, or of the deepest one found."""
    try:
        node = yaml.compose(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return None
    line = None
    for key in keys:
        if isinstance(node, yaml.MappingNode):
            node = next((value for name, value in node.value if name.value == str(key)), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            node = node.value[key]
        else:
            node = None
        if node is None:
            break
        line = node.start_mark.line + 1
    return line
