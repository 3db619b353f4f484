"""Query-string parsing that keeps repeated values apart.

Connexion 3.3 joins `?a=x&a=y` of an exploded form array into "x,y" and splits it again, so a value
that itself holds a comma (ZenML's `created=in:2025-01-01,2025-02-01`) is torn in two and fails
validation. Real servers (FastAPI, Rails) keep each repeated value whole; so does this parser.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from connexion.uri_parsing import OpenAPIURIParser


class RepeatedQueryParser(OpenAPIURIParser):
    """Also keeps its parameter schemas: Connexion's property builds the dict again at every lookup,
    once per parameter of every request, and a parser now serves all of an operation's requests."""

    @cached_property
    def param_schemas(self) -> dict[str, Any]:
        return {name: defn.get("schema", {}) for name, defn in self.param_defns.items()}

    @staticmethod
    def _resolve_param_duplicates(values: list[str], param_defn: dict[str, Any], _in: str) -> Any:
        style = param_defn.get("style", OpenAPIURIParser.style_defaults[_in])
        if _in == "query" and style == "form" and param_defn.get("explode", True):
            return list(values)
        return OpenAPIURIParser._resolve_param_duplicates(values, param_defn, _in)

    @staticmethod
    def _split(value: Any, param_defn: dict[str, Any], _in: str) -> list[Any]:
        return value if isinstance(value, list) else OpenAPIURIParser._split(value, param_defn, _in)
