"""The loaded spec that lint rules read, and the walks they share.

Owns: loading a spec file (one YAML parse gives both the node tree, for YAML-level rules, and the
document), RFC 6901 JSON pointers, local `$ref` resolution, and one structured walk over every
OpenAPI object (operation, parameter, schema, ...) so that each rule filters nodes instead of
re-walking the document, and never mistakes an example value for a schema.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import yaml

from contracts import METHODS, parse_yaml, pointer, pointer_parts

Ptr = tuple[str | int, ...]
"""A location in the document as its keys and list indexes; `to_pointer` renders it."""

MISSING: Any = object()
"""What `Spec.get` returns for a location that does not exist (None is a valid YAML value)."""

_MAP, _ONE, _LIST = "map", "one", "list"
_CHILDREN: dict[str, tuple[tuple[str, str, str], ...]] = {
    # kind: (key, shape, child kind), for every key whose value holds further OpenAPI objects.
    "pathItem": (("parameters", _LIST, "parameter"), *((m, _ONE, "operation") for m in METHODS)),
    "operation": (
        ("parameters", _LIST, "parameter"),
        ("requestBody", _ONE, "requestBody"),
        ("responses", _MAP, "response"),
        ("callbacks", _MAP, "callback"),
    ),
    "parameter": (("schema", _ONE, "schema"), ("content", _MAP, "mediaType"), ("examples", _MAP, "example")),
    "header": (("schema", _ONE, "schema"), ("content", _MAP, "mediaType"), ("examples", _MAP, "example")),
    "requestBody": (("content", _MAP, "mediaType"),),
    "response": (("headers", _MAP, "header"), ("content", _MAP, "mediaType"), ("links", _MAP, "link")),
    "mediaType": (("schema", _ONE, "schema"), ("examples", _MAP, "example"), ("encoding", _MAP, "encoding")),
    "encoding": (("headers", _MAP, "header"),),
    "schema": (
        ("properties", _MAP, "schema"),
        ("items", _ONE, "schema"),
        ("additionalProperties", _ONE, "schema"),
        ("allOf", _LIST, "schema"),
        ("anyOf", _LIST, "schema"),
        ("oneOf", _LIST, "schema"),
        ("not", _ONE, "schema"),
    ),
    "example": (),
    "link": (),
    "securityScheme": (),
}
COMPONENT_KINDS = {
    "schemas": "schema",
    "responses": "response",
    "parameters": "parameter",
    "examples": "example",
    "requestBodies": "requestBody",
    "headers": "header",
    "securitySchemes": "securityScheme",
    "links": "link",
    "callbacks": "callback",
}


def to_pointer(where: Ptr) -> str:
    return pointer(*where)


def parse_ref(ref: object) -> Ptr | None:
    """The location a local `#/...` reference names; None for anything else (specs are self-contained)."""
    if not isinstance(ref, str) or not ref.startswith("#"):
        return None
    fragment = unquote(ref[1:])
    if not fragment:
        return ()
    if not fragment.startswith("/"):
        return None
    return pointer_parts(fragment)


def as_dict(value: object) -> dict[str, Any]:
    """Rules run on specs that may break the meta-schema too; a wrong shape reads as empty."""
    return value if isinstance(value, dict) else {}


def as_list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


@dataclass(frozen=True)
class Node:
    """One OpenAPI object found by the walk. A `$ref` object keeps the kind it stands for."""

    kind: str
    where: Ptr
    obj: dict[str, Any]


class LoadError(Exception):
    """The file cannot be read, is not YAML, or is not a mapping: a finding, not a crash."""


@dataclass(eq=False)
class Spec:
    """One spec of a lint run; `run` lists every spec linted together (itself included)."""

    file: str
    doc: dict[str, Any]
    tree: yaml.Node
    run: list[Spec] = field(default_factory=list)

    @classmethod
    def load(cls, path: Path, file: str) -> Spec:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise LoadError(f"cannot read the file: {exc}") from exc
        try:
            # Two parses: constructing the document flattens `<<` merge keys inside the node tree,
            # which would make a key that overrides a merged one look like a duplicate.
            tree = yaml.compose(text, Loader=yaml.SafeLoader)
            doc = parse_yaml(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = f" at line {mark.line + 1}" if mark else ""
            raise LoadError(f"not valid YAML{line}: {getattr(exc, 'problem', None) or exc}") from exc
        if tree is None or not isinstance(doc, dict):
            raise LoadError("the file is not a YAML mapping")
        return cls(file=file, doc=_str_keys(doc), tree=tree)

    def get(self, where: Ptr) -> Any:
        node: Any = self.doc
        for part in where:
            if isinstance(node, dict) and str(part) in node:
                node = node[str(part)]
            elif isinstance(node, list) and str(part).isdigit() and int(part) < len(node):
                node = node[int(part)]
            else:
                return MISSING
        return node

    def deref(self, obj: Any, where: Ptr) -> tuple[Any, Ptr] | None:
        """Follow a chain of `$ref`s to the object and its location; None if it breaks or loops."""
        seen: set[Ptr] = set()
        while isinstance(obj, dict) and "$ref" in obj:
            target = parse_ref(obj["$ref"])
            if target is None or target in seen:
                return None
            seen.add(target)
            obj, where = self.get(target), target
            if obj is MISSING:
                return None
        return obj, where

    @cached_property
    def nodes(self) -> list[Node]:
        return list(_walk(self.doc))

    def of(self, *kinds: str) -> Iterator[Node]:
        return (node for node in self.nodes if node.kind in kinds)

    @cached_property
    def operations(self) -> list[Node]:
        """Operations directly under `paths` (where = ("paths", template, method)), not callbacks."""
        return [node for node in self.of("operation") if len(node.where) == 3]

    @cached_property
    def operation_ids(self) -> dict[str, list[Ptr]]:
        ids: dict[str, list[Ptr]] = {}
        for op in self.operations:
            if isinstance(op.obj.get("operationId"), str):
                ids.setdefault(op.obj["operationId"], []).append(op.where)
        return ids

    @property
    def components(self) -> dict[str, Any]:
        return as_dict(self.doc.get("components"))

    def security(self, op: Node) -> list[Any]:
        """The security requirements in force: the operation's own, else the root's."""
        return as_list(op.obj["security"] if "security" in op.obj else self.doc.get("security"))

    def is_secured(self, op: Node) -> bool:
        """True when some requirement names a scheme (`[{}]` alone means anonymous access)."""
        return any(isinstance(requirement, dict) and requirement for requirement in self.security(op))

    def security_requirements(self) -> Iterator[tuple[Ptr, str]]:
        """Every scheme name used by a security requirement, root-level or in an operation."""
        owners = [((), self.doc), *((op.where, op.obj) for op in self.operations)]
        for where, owner in owners:
            for i, requirement in enumerate(as_list(owner.get("security"))):
                for name in as_dict(requirement):
                    yield (*where, "security", i, name), name

    def refs(self) -> Iterator[tuple[Ptr, object]]:
        """Every reference: `$ref` values and discriminator mappings (names or `#/...`)."""
        for node in self.nodes:
            if "$ref" in node.obj:
                yield (*node.where, "$ref"), node.obj["$ref"]
            elif node.kind == "schema":
                mapping = as_dict(as_dict(node.obj.get("discriminator")).get("mapping"))
                for key, value in mapping.items():
                    ref = value if str(value).startswith("#") else f"#/components/schemas/{value}"
                    yield (*node.where, "discriminator", "mapping", key), ref


def _str_keys(value: Any) -> Any:
    """YAML reads `200:` as an int key; the rules (and JSON) want strings. yaml-implicit-types flags it."""
    if isinstance(value, dict):
        return {str(key): _str_keys(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_str_keys(item) for item in value]
    return value


def _walk(doc: dict[str, Any]) -> Iterator[Node]:
    for template, item in as_dict(doc.get("paths")).items():
        yield from _visit("pathItem", item, ("paths", template))
    for section, entries in as_dict(doc.get("components")).items():
        kind = COMPONENT_KINDS.get(section)
        if kind is not None:
            for name, obj in as_dict(entries).items():
                yield from _visit(kind, obj, ("components", section, name))


def _visit(kind: str, obj: object, where: Ptr) -> Iterator[Node]:
    if not isinstance(obj, dict):
        return
    yield Node(kind, where, obj)
    if "$ref" in obj:
        return
    if kind == "callback":  # a callback maps runtime expressions to path items
        for expression, item in obj.items():
            yield from _visit("pathItem", item, (*where, expression))
        return
    for key, shape, child in _CHILDREN[kind]:
        value = obj.get(key)
        if shape == _ONE:
            yield from _visit(child, value, (*where, key))
        elif shape == _MAP:
            for name, item in as_dict(value).items():
                yield from _visit(child, item, (*where, key, name))
        else:
            for i, item in enumerate(as_list(value)):
                yield from _visit(child, item, (*where, key, i))


def yaml_entries(
    node: yaml.Node, where: Ptr = (), seen: set[int] | None = None
) -> Iterator[tuple[Ptr, yaml.Node | None, yaml.Node]]:
    """Every (location, key node, value node) of the YAML tree, for checks the parsed dict cannot see.
    An anchored node is walked once, where it is defined, not again at each alias."""
    seen = set() if seen is None else seen
    if id(node) in seen:
        return
    seen.add(id(node))
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            at = (*where, key.value if isinstance(key, yaml.ScalarNode) else "?")
            yield at, key, value
            yield from yaml_entries(value, at, seen)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            yield (*where, i), None, item
            yield from yaml_entries(item, (*where, i), seen)
