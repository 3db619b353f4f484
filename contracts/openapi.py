"""What every layer reads off an OpenAPI document: its operations, path templates and JSON pointers."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
"""The keys of a path item that are operations (OpenAPI 3.0)."""


def pointer(*parts: str | int) -> str:
    """An RFC 6901 JSON pointer: `~` becomes `~0` and `/` becomes `~1`, so path templates stay readable."""
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in parts)


def pointer_parts(text: str) -> tuple[str, ...]:
    """The keys a JSON pointer (`/paths/~1items/get`) names, unescaped: the inverse of `pointer`."""
    if not text:
        return ()
    return tuple(part.replace("~1", "/").replace("~0", "~") for part in text.removeprefix("/").split("/"))


@dataclass(frozen=True)
class PathTemplate:
    """A documented path such as `/v0/pipelines/{pipeline_id}/stages/`, matched against request paths."""

    template: str

    @property
    def regex(self) -> re.Pattern[str]:
        """Anchored at the end only: `fullmatch` for the whole path, `search` for a path under a prefix."""
        return _compiled(self.template)

    def matches(self, path: str) -> bool:
        """The whole request path is an instance of this template."""
        return self.regex.fullmatch(path) is not None

    def ends(self, path: str) -> bool:
        """The request path ends with an instance of this template (a server may sit under a prefix)."""
        return self.regex.search(path) is not None

    def shared_segments(self, path: str) -> int:
        """How many leading literal segments this template shares with `path` (for unrouted paths)."""
        count = 0
        for ours, theirs in zip(self.template.strip("/").split("/"), path.strip("/").split("/"), strict=False):
            if ours != theirs or "{" in ours:
                break
            count += 1
        return count


@cache
def _compiled(template: str) -> re.Pattern[str]:
    """Each `{name}` stands for one non-empty segment; everything else is literal."""
    regex = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template))
    return re.compile(f"{regex}$")


@dataclass(frozen=True)
class Operation:
    """One operation of a spec, with where it sits (`paths / template / method`)."""

    template: str
    method: str
    """Lower case, as written in the document."""
    spec: dict[str, Any]
    """The operation object itself."""

    @property
    def operation_id(self) -> str | None:
        value = self.spec.get("operationId")
        return value if isinstance(value, str) else None

    @property
    def label(self) -> str:
        """`GET /api/v1/pipelines`, as reports name an operation."""
        return f"{self.method.upper()} {self.template}"

    @property
    def where(self) -> tuple[str, str, str]:
        return ("paths", self.template, self.method)


def login_path(spec: dict[str, Any]) -> str | None:
    """Where an OAuth2 password flow trades a form login for a bearer token (`tokenUrl`), if the API has one."""
    schemes = spec.get("components", {}).get("securitySchemes", {})
    for scheme in schemes.values() if isinstance(schemes, dict) else ():
        url = scheme.get("flows", {}).get("password", {}).get("tokenUrl") if isinstance(scheme, dict) else None
        if isinstance(url, str):
            return url
    return None


def operations(spec: dict[str, Any]) -> Iterator[Operation]:
    """Every operation under `paths`, in document order (callbacks and non-operation keys left out)."""
    paths = spec.get("paths")
    for template, item in (paths if isinstance(paths, dict) else {}).items():
        if not isinstance(item, dict):
            continue
        for method, operation in item.items():
            if method in METHODS and isinstance(operation, dict):
                yield Operation(str(template), method, operation)
