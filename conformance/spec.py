"""A spec as data for reports: which operation a request hit, and where in the file it is written."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from contracts import PathTemplate, pointer


def location(path: Path, spec: dict[str, Any], operation: str, status: str | None = None) -> str:
    """`contracts/specs/<file>#<pointer>` of an operation label such as `GET /api/v1/pipelines` (and its response)."""
    method, _, template = operation.partition(" ")
    if template not in spec.get("paths", {}):
        return f"contracts/specs/{path.name}"
    parts = ["paths", template, method.lower()]
    if status is not None and status in spec["paths"][template].get(method.lower(), {}).get("responses", {}):
        parts += ["responses", status]
    return f"contracts/specs/{path.name}#{pointer(*parts)}"


def operation_label(spec: dict[str, Any], method: str, url_path: str) -> str:
    """`METHOD /template` of the documented operation whose template ends the request path."""
    for template in spec.get("paths", {}):
        if PathTemplate(template).ends(url_path):
            return f"{method} {template}"
    return f"{method} {url_path}"
