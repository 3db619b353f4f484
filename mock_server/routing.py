"""Which served API owns a request path, and which methods a path documents (for `Allow` on a 405)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from contracts import METHODS, PathTemplate


@dataclass(frozen=True)
class Route:
    api: str
    path: PathTemplate
    regex: re.Pattern[str]
    """The template's pattern, kept here: matching is on every request's path."""
    allow: str
    """The `Allow` header value: documented methods, plus HEAD where GET is documented."""
    operations: dict[str, str]
    """Method -> operationId (HEAD as GET), for the journal of a request refused before its handler."""


def _operations(item: dict[str, Any]) -> dict[str, str]:
    ids = {m.upper(): op["operationId"] for m, op in item.items() if m in METHODS and "operationId" in op}
    if "GET" in ids:
        ids.setdefault("HEAD", ids["GET"])
    return ids


def _allow(item: dict[str, object]) -> str:
    methods = {m.upper() for m in item if m in METHODS}
    if "GET" in methods:
        methods.add("HEAD")
    return ", ".join(sorted(methods))


class PathTable:
    """Exact template matches win; otherwise the API whose templates share the longest literal prefix."""

    def __init__(self, specs: Mapping[str, Mapping[str, Any]]) -> None:
        self.specs = dict(specs)
        self._build()

    def set_spec(self, api: str, spec: Mapping[str, Any]) -> None:
        """A reloaded spec: every holder of the table sees its paths from the next request on."""
        self.specs[api] = spec
        self._build()

    def _build(self) -> None:
        self.routes = [
            Route(api, PathTemplate(template), PathTemplate(template).regex, _allow(item), _operations(item))
            for api, spec in self.specs.items()
            for template, item in spec["paths"].items()
        ]
        # One regex of every template in order, a group each (a template's pattern has none of its own):
        # the number of the group that matched is the first matching route's place.
        self.first = re.compile("|".join(f"({route.regex.pattern})" for route in self.routes) or "(?!)")

    def match(self, path: str) -> Route | None:
        found = self.first.fullmatch(path)
        return None if found is None or found.lastindex is None else self.routes[found.lastindex - 1]

    def owner(self, path: str) -> str | None:
        exact = self.match(path)
        return exact.api if exact is not None else self.nearest(path)

    def nearest(self, path: str) -> str | None:
        """The API whose templates share most literal segments with `path` (none shared: None)."""
        best = max(self.routes, key=lambda r: r.path.shared_segments(path), default=None)
        return best.api if best is not None and best.path.shared_segments(path) > 0 else None

    def allow(self, path: str) -> str | None:
        exact = self.match(path)
        return exact.allow if exact is not None else None
