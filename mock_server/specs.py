"""The five contracts as data: loading `specs/<name>.yaml` and matching request paths to them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

SPECS_DIR = Path(__file__).resolve().parent.parent / "specs"
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def load_yaml(path: Path) -> Any:
    """A YAML file, parsed by libyaml when it is there (a third of the start-up's YAML time)."""
    with path.open(encoding="utf-8") as fh:
        return yaml.load(fh, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


@cache
def load_spec(name: str) -> dict[str, Any]:
    """The spec as a dict. Loaded ourselves (not by path) so Connexion skips its Jinja rendering."""
    return load_yaml(SPECS_DIR / f"{name}.yaml")


@dataclass(frozen=True)
class PathTemplate:
    api: str
    template: str
    pattern: re.Pattern[str]
    methods: str
    """The `Allow` header value: documented methods, plus HEAD where GET is documented."""

    @classmethod
    def build(cls, api: str, template: str, item: dict[str, Any]) -> PathTemplate:
        regex = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template))
        methods = {m.upper() for m in item if m in METHODS}
        if "GET" in methods:
            methods.add("HEAD")
        return cls(api, template, re.compile(f"^{regex}$"), ", ".join(sorted(methods)))

    def shared_segments(self, path: str) -> int:
        """How many leading literal segments this template shares with `path` (for unrouted paths)."""
        count = 0
        for ours, theirs in zip(self.template.strip("/").split("/"), path.strip("/").split("/"), strict=False):
            if ours != theirs or "{" in ours:
                break
            count += 1
        return count


class PathTable:
    """Which API owns a request path. Exact template matches win; otherwise the longest shared prefix."""

    def __init__(self, apis: list[str]) -> None:
        self.templates = [
            PathTemplate.build(api, template, item)
            for api in apis
            for template, item in load_spec(api)["paths"].items()
        ]

    def match(self, path: str) -> PathTemplate | None:
        return next((t for t in self.templates if t.pattern.match(path)), None)

    def owner(self, path: str) -> str | None:
        exact = self.match(path)
        if exact is not None:
            return exact.api
        best = max(self.templates, key=lambda t: t.shared_segments(path), default=None)
        return best.api if best is not None and best.shared_segments(path) > 0 else None

    def allow(self, path: str) -> str | None:
        exact = self.match(path)
        return exact.methods if exact is not None else None
