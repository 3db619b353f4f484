"""A spec as data for reports: which operation a request hit, and JSON pointers into the file."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

import yaml


@cache
def load(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def pointer(*parts: str) -> str:
    """An RFC 6901 JSON pointer."""
    return "".join("/" + p.replace("~", "~0").replace("/", "~1") for p in parts)


def location(path: Path, spec: dict[str, Any], operation: str, status: str | None = None) -> str:
    """`specs/<file>#<pointer>` of an operation label such as `GET /api/v1/pipelines` (and its response)."""
    method, _, template = operation.partition(" ")
    if template not in spec.get("paths", {}):
        return f"specs/{path.name}"
    parts = ["paths", template, method.lower()]
    if status is not None and status in spec["paths"][template].get(method.lower(), {}).get("responses", {}):
        parts += ["responses", status]
    return f"specs/{path.name}#{pointer(*parts)}"


def operation_label(spec: dict[str, Any], method: str, url_path: str) -> str:
    """`METHOD /template` of the documented operation whose template ends the request path."""
    for template in spec.get("paths", {}):
        regex = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template))
        if re.search(f"{regex}$", url_path):
            return f"{method} {template}"
    return f"{method} {url_path}"
