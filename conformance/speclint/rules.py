"""The lint rules: each a small function registered by name, yielding (location, message) pairs.

Owns every check `make validate` makes on a spec: openapi-spec-validator first, then the rules of
docs/CONVENTIONS.md that the mock, the conformance runner and Schemathesis rely on. A rule sees one
`Spec` (and, through `spec.run`, the others linted with it) and never raises on a malformed spec.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Callable, Iterable, Iterator
from functools import cache
from typing import Any
from urllib.parse import quote

import yaml
from jsonschema import Draft4Validator, FormatChecker
from jsonschema.exceptions import ValidationError, best_match
from jsonschema.protocols import Validator
from openapi_schema_validator import OAS30ReadValidator, OAS30Validator, OAS30WriteValidator, oas30_format_checker
from openapi_spec_validator import OpenAPIV30SpecValidator
from openapi_spec_validator.schemas import schema_v30
from openapi_spec_validator.validation.exceptions import DuplicateOperationIDError, UnresolvableParameterError
from referencing import Registry
from referencing.exceptions import Unresolvable
from referencing.jsonschema import DRAFT4

from conformance.speclint.model import MISSING, Node, Ptr, Spec, as_dict, as_list, parse_ref, to_pointer, yaml_entries

Issue = tuple[Ptr, str]
Rule = Callable[[Spec], Iterable[Issue]]

RULES: dict[str, Rule] = {}
"""Every rule by name, in the order they run (and report)."""


def rule(name: str) -> Callable[[Rule], Rule]:
    def register(fn: Rule) -> Rule:
        RULES[name] = fn
        return fn

    return register


def _is_error_code(code: str) -> bool:
    return re.fullmatch(r"[45](\d\d|XX)", code) is not None


def _documents(responses: dict[str, Any], code: str) -> bool:
    """A status is documented by its own code or by its range (`4XX`), as Schemathesis counts it."""
    return code in responses or f"{code[0]}XX" in responses


# --- openapi-spec-validator -------------------------------------------------------------------


@cache
def _meta_validator() -> Draft4Validator:
    """openapi-spec-validator's own OAS 3.0 meta-schema, run through jsonschema so errors keep their
    `oneOf` context (its default jsonschema-rs backend drops it) and `best_match` can name the culprit;
    the format checker catches invalid `pattern` regexes."""
    return Draft4Validator(dict(schema_v30), format_checker=Draft4Validator.FORMAT_CHECKER)


_COVERED = (DuplicateOperationIDError, UnresolvableParameterError)
"""Semantic errors the project rules report with a precise pointer (unique-operation-ids, path-parameters)."""


@rule("openapi-spec-validator")
def openapi_spec_validator(spec: Spec) -> Iterator[Issue]:
    """Meta-schema errors point at their location. The semantic checks assume a document that passes
    the meta-schema and whose refs resolve (they crash otherwise), so they run once it does. Those
    that carry no location (required lists, duplicate parameters and tags) point at the root; the
    schema and `default` checks are left to the meta-schema pass and valid-examples, which can point."""
    meta_errors = [best_match([error]) for error in _meta_validator().iter_errors(spec.doc)]
    for error in meta_errors:
        yield tuple(error.absolute_path), error.message
    if meta_errors or next(iter(refs_resolve(spec)), None) is not None:
        return
    validator = OpenAPIV30SpecValidator(spec.doc)
    for error in validator.root_validator(validator.schema_path):
        if not isinstance(error, _COVERED) and not isinstance(error.validator, str):
            yield (), error.message


# --- YAML pitfalls -------------------------------------------------------------------------------


@rule("yaml-duplicate-keys")
def yaml_duplicate_keys(spec: Spec) -> Iterator[Issue]:
    """YAML keeps the last of two equal keys silently: a second `get:` or `"200":` wipes the first."""
    for where, node in [((), spec.tree), *((where, value) for where, _, value in yaml_entries(spec.tree))]:
        if isinstance(node, yaml.MappingNode):
            seen: set[str] = set()
            for key, _ in node.value:
                if key.value in seen:
                    yield (*where, key.value), f"duplicate key {key.value!r} (line {key.start_mark.line + 1})"
                seen.add(key.value)


_YAML_TYPES = {"int": "an integer", "float": "a number", "bool": "a boolean", "null": "null", "timestamp": "a date"}


@rule("yaml-implicit-types")
def yaml_implicit_types(spec: Spec) -> Iterator[Issue]:
    """Unquoted `200:` keys, `2024-01-01` and `yes`/`no` are not strings to YAML: an example becomes a
    date object, `enum: [yes, no]` becomes booleans. OAS asks for quoted status codes."""
    for where, key, value in yaml_entries(spec.tree):
        if isinstance(key, yaml.ScalarNode):
            kind = key.tag.rsplit(":", 1)[-1]  # e.g. tag:yaml.org,2002:int
            if kind in _YAML_TYPES:
                yield where, f"key {key.value!r} is read as {_YAML_TYPES[kind]} by YAML; quote it"
        if isinstance(value, yaml.ScalarNode):
            kind = value.tag.rsplit(":", 1)[-1]
            if kind == "timestamp":
                yield where, f"{value.value!r} is read as a date by YAML; quote it"
            elif kind == "bool" and value.value.lower() not in ("true", "false"):
                yield where, f"{value.value!r} is read as a boolean by YAML; write true/false, or quote it"


# --- references and components -------------------------------------------------------------------


@rule("refs-resolve")
def refs_resolve(spec: Spec) -> Iterator[Issue]:
    for where, ref in spec.refs():
        target = parse_ref(ref)
        if target is None:
            yield where, f"$ref {ref!r} is not a local reference (#/...); specs are self-contained"
        elif spec.get(target) is MISSING:
            yield where, f"$ref {ref!r} does not resolve"
        elif spec.deref({"$ref": ref}, where) is None:
            yield where, f"$ref {ref!r} leads to a chain of $refs that loops or breaks further on"


@rule("unused-components")
def unused_components(spec: Spec) -> Iterator[Issue]:
    """A component counts as used when something reachable from `paths` refers to it (through
    other components too); security schemes count when a security requirement names them."""
    edges: dict[Ptr, set[Ptr]] = {}
    for where, ref in spec.refs():
        target = parse_ref(ref)
        if target is not None and len(target) >= 3 and target[0] == "components":
            owner = where[:3] if where[0] == "components" else ()
            edges.setdefault(owner, set()).add(target[:3])
    for _, name in spec.security_requirements():
        edges.setdefault((), set()).add(("components", "securitySchemes", name))
    used: set[Ptr] = set()
    todo: list[Ptr] = [()]
    while todo:
        for target in edges.get(todo.pop(), ()):
            if target not in used:
                used.add(target)
                todo.append(target)
    for section, entries in spec.components.items():
        if not section.startswith("x-"):
            for name in as_dict(entries):
                if ("components", section, name) not in used:
                    yield ("components", section, name), "unused component: nothing reachable from paths refers to it"


# --- operations ---------------------------------------------------------------------------------


@rule("operation-id")
def operation_id(spec: Spec) -> Iterator[Issue]:
    """The mock's handler function is named after the operationId."""
    for op in spec.operations:
        op_id = op.obj.get("operationId")
        if op_id is None:
            yield op.where, "operation has no operationId"
        elif not (isinstance(op_id, str) and re.fullmatch(r"[a-z_][a-z0-9_]*", op_id) and not keyword.iskeyword(op_id)):
            yield (*op.where, "operationId"), f"operationId {op_id!r} is not a snake_case Python identifier"


@rule("unique-operation-ids")
def unique_operation_ids(spec: Spec) -> Iterator[Issue]:
    """Unique within the spec and across every spec of the run: the mock serves all five APIs."""
    for op_id, places in spec.operation_ids.items():
        for where in places:
            for other in places:
                if other != where:
                    yield (*where, "operationId"), f"operationId {op_id!r} is also used at {to_pointer(other)}"
            for sibling in (sibling for sibling in spec.run if sibling is not spec):
                for other in sibling.operation_ids.get(op_id, []):
                    yield (
                        (*where, "operationId"),
                        f"operationId {op_id!r} is also used in {sibling.file} at {to_pointer(other)}",
                    )


@rule("summary-and-tags")
def summary_and_tags(spec: Spec) -> Iterator[Issue]:
    for op in spec.operations:
        if not (isinstance(op.obj.get("summary"), str) and op.obj["summary"].strip()):
            yield op.where, "operation has no summary"
        if not as_list(op.obj.get("tags")):
            yield op.where, "operation has no tags"


@rule("operation-security")
def operation_security(spec: Spec) -> Iterator[Issue]:
    """Where the API has auth, an operation without security is almost always an omission; a public
    one says so with `security: []`."""
    schemes = as_dict(spec.components.get("securitySchemes"))
    for where, name in spec.security_requirements():
        if name not in schemes:
            yield where, f"security requirement names {name!r}, which is not in components/securitySchemes"
    if schemes and not as_list(spec.doc.get("security")):
        for op in spec.operations:
            if "security" not in op.obj:
                yield op.where, "operation has no security (and there is no root-level one); `security: []` if public"


@rule("success-response")
def success_response(spec: Spec) -> Iterator[Issue]:
    for op in spec.operations:
        if not any(re.fullmatch(r"2(\d\d|XX)", code) for code in as_dict(op.obj.get("responses"))):
            yield (*op.where, "responses"), "operation has no 2xx response"


@rule("error-responses")
def error_responses(spec: Spec) -> Iterator[Issue]:
    """Schemathesis flags every undocumented status; the mock renders errors in the API's own format,
    so every error body must be one of the API's error schemas."""
    schemas = as_dict(spec.components.get("schemas"))
    error_schemas = spec.doc.get("x-error-schemas")
    if not (isinstance(error_schemas, list) and error_schemas):
        yield (), "root x-error-schemas is missing: list the component schemas that are error bodies"
        error_schemas = []
    for i, name in enumerate(error_schemas):
        if name not in schemas:
            yield ("x-error-schemas", i), f"x-error-schemas names {name!r}, which is not in components/schemas"
    codes = spec.doc.get("x-error-codes")
    if not isinstance(codes, list):
        yield (), "root x-error-codes is missing: list the error codes every secured operation documents"
        codes = []
    for i, code in enumerate(codes):
        if not re.fullmatch(r"[45]\d\d", str(code)):
            yield ("x-error-codes", i), f"x-error-codes entry {code!r} is not a 4xx/5xx status code"
    for op in spec.operations:
        responses = as_dict(op.obj.get("responses"))
        if spec.is_secured(op):
            missing = [str(code) for code in codes if not _documents(responses, str(code))]
            if missing:
                yield (
                    (*op.where, "responses"),
                    f"secured operation does not document {', '.join(missing)} (x-error-codes)",
                )
        if "requestBody" in op.obj and not _documents(responses, "415"):
            yield (*op.where, "responses"), "operation with a requestBody does not document 415"
        for code, response in responses.items():
            if error_schemas and _is_error_code(code):
                yield from _error_body(spec, response, (*op.where, "responses", code), set(error_schemas))


def _error_body(spec: Spec, response: Any, where: Ptr, names: set[str]) -> Iterator[Issue]:
    """Checked where the response object lives, so a shared components/responses entry reports once."""
    resolved = spec.deref(response, where)
    if resolved is None:
        return
    response, where = resolved
    for media_type, media in as_dict(as_dict(response).get("content")).items():
        schema = as_dict(media).get("schema")
        if not _refs_error_schema(spec, schema, names):
            at = (*where, "content", media_type, "schema")
            yield at, f"error body must $ref one of x-error-schemas ({', '.join(sorted(names))})"


def _refs_error_schema(spec: Spec, schema: Any, names: set[str]) -> bool:
    seen: set[Ptr] = set()
    while isinstance(schema, dict) and "$ref" in schema:
        target = parse_ref(schema["$ref"])
        if target is None or target in seen:
            return False
        if len(target) == 3 and target[:2] == ("components", "schemas") and target[2] in names:
            return True
        seen.add(target)
        schema = spec.get(target)
    return False


def _parameters(spec: Spec, op_where: Ptr) -> dict[tuple[str, str], tuple[dict[str, Any], Ptr]]:
    """The parameters in force for an operation, by (name, in): path-level ones, overridden by its own."""
    declared: dict[tuple[str, str], tuple[dict[str, Any], Ptr]] = {}
    for owner in (op_where[:2], op_where):
        for i, param in enumerate(as_list(as_dict(spec.get(owner)).get("parameters"))):
            resolved = spec.deref(param, (*owner, "parameters", i))
            if resolved is not None and isinstance(resolved[0], dict):
                key = (str(resolved[0].get("name")), str(resolved[0].get("in")))
                declared[key] = (resolved[0], (*owner, "parameters", i))
    return declared


@rule("path-parameters")
def path_parameters(spec: Spec) -> Iterator[Issue]:
    """Connexion routes on the template: an undeclared or optional path parameter breaks the handler call."""
    for op in spec.operations:
        template = str(op.where[1])
        declared = _parameters(spec, op.where)
        names = re.findall(r"\{([^{}]+)\}", template)
        for name in names:
            if (name, "path") not in declared:
                yield op.where, f"path parameter {{{name}}} has no `in: path` parameter"
            elif declared[(name, "path")][0].get("required") is not True:
                yield declared[(name, "path")][1], f"path parameter {name!r} must be `required: true`"
        for (name, location), (_, at) in declared.items():
            if location == "path" and name not in names:
                yield at, f"path parameter {name!r} does not appear in the path template {template}"


def _is_create(op: Node) -> bool:
    """A POST that answers 201 or whose operationId says create_."""
    op_id = op.obj.get("operationId")
    return op.where[2] == "post" and (
        "201" in as_dict(op.obj.get("responses")) or (isinstance(op_id, str) and op_id.startswith("create_"))
    )


def _has_links(spec: Spec, op: Node) -> bool:
    for code, response in as_dict(op.obj.get("responses")).items():
        resolved = spec.deref(response, ())
        if code.startswith("2") and resolved is not None and as_dict(resolved[0]).get("links"):
            return True
    return False


@rule("create-links")
def create_links(spec: Spec) -> Iterator[Issue]:
    """Schemathesis' stateful phase follows `links` from what a create returns to what reads it, and
    fills the target's parameters from them."""
    for op in spec.operations:
        if _is_create(op) and not _has_links(spec, op):
            yield (*op.where, "responses"), "create operation declares no links on its 2xx response"
    for link in spec.of("link"):
        if "$ref" in link.obj:
            continue
        target = link.obj.get("operationId")
        if "operationRef" in link.obj:
            ref = parse_ref(link.obj["operationRef"])
            if ref is None or spec.get(ref) is MISSING:
                yield link.where, f"operationRef {link.obj['operationRef']!r} does not resolve"
        elif target is None:
            yield link.where, "link names no operationId"
        elif target not in spec.operation_ids:
            yield (*link.where, "operationId"), f"link target {target!r} is not an operationId of this spec"
        else:
            accepted = {f"{where}.{name}" for name, where in _parameters(spec, spec.operation_ids[target][0])}
            accepted |= {name.partition(".")[2] for name in accepted}
            for name in as_dict(link.obj.get("parameters")):
                if name not in accepted:
                    yield (*link.where, "parameters", name), f"{target} has no parameter {name!r}"


# --- examples ------------------------------------------------------------------------------------


@cache
def _formats() -> FormatChecker:
    """Every format jsonschema can check (date-time, uuid, email, ...) plus the OAS ones (int32, byte, ...)."""
    checker = FormatChecker()
    checker.checkers.update(oas30_format_checker.checkers)
    return checker


_SPEC_URI = "urn:speclint:spec"


def _validator(spec: Spec, where: Ptr, cls: type[Validator]) -> Validator:
    """A validator for the schema at `where` that resolves `#/components/...` against the whole spec."""
    registry: Registry[Any] = Registry().with_resource(_SPEC_URI, DRAFT4.create_resource(spec.doc))
    schema = {"$ref": f"{_SPEC_URI}#{quote(to_pointer(where), safe='/~')}"}
    return cls(schema, registry=registry, format_checker=_formats())


def _check(
    spec: Spec, value: Any, schema_at: Ptr, cls: type[Validator], where: Ptr, label: str = "example"
) -> Iterator[Issue]:
    try:
        errors = list(_validator(spec, schema_at, cls).iter_errors(value))
    except Unresolvable:
        return  # refs-resolve reports the broken $ref
    except Exception as exc:  # a schema jsonschema cannot evaluate (unknown type, bad regex, wrong shape)
        reason = f"{type(exc).__name__}: {str(exc).partition(chr(10))[0]}"
        yield where, f"{label} not checked: its schema cannot be evaluated ({reason})"
        return
    for error in errors:
        best: ValidationError = best_match([error])
        yield (*where, *best.absolute_path), f"{label} does not match its schema: {best.message}"


@rule("valid-examples")
def valid_examples(spec: Spec) -> Iterator[Issue]:
    """Examples are what people paste against the mock. Requests are checked with OAS 3.0 write
    semantics (readOnly properties neither required nor allowed), responses with read semantics.
    Schema `default`s are checked the same way (openapi-spec-validator checks them but cannot point)."""
    for node in spec.of("mediaType", "parameter", "header"):
        if "schema" not in node.obj or "$ref" in node.obj:
            continue
        response_side = node.kind == "header" or "responses" in node.where or "headers" in node.where
        cls = OAS30ReadValidator if response_side else OAS30WriteValidator
        schema_at = (*node.where, "schema")
        if "example" in node.obj:
            yield from _check(spec, node.obj["example"], schema_at, cls, (*node.where, "example"))
        for name, example in as_dict(node.obj.get("examples")).items():
            resolved = spec.deref(example, (*node.where, "examples", name, "value"))
            if resolved is not None and isinstance(resolved[0], dict) and "value" in resolved[0]:
                if "$ref" in example:  # point at the use: the example may be right for another schema
                    at, label = (*node.where, "examples", name), f"example {example['$ref']}"
                else:
                    at, label = (*node.where, "examples", name, "value"), "example"
                yield from _check(spec, resolved[0]["value"], schema_at, cls, at, label)
    for node in spec.of("schema"):
        for key in ("example", "default"):
            if key in node.obj:
                yield from _check(spec, node.obj[key], node.where, OAS30Validator, (*node.where, key), key)


# --- schema style (libs.md §1.10, CONVENTIONS.md §9) ---------------------------------------------


def _schemas(spec: Spec) -> Iterator[Node]:
    return (node for node in spec.of("schema") if "$ref" not in node.obj)


@rule("nullable-type")
def nullable_type(spec: Spec) -> Iterator[Issue]:
    """Connexion ignores `nullable` beside a bare `$ref`/`allOf`/`anyOf` while Schemathesis honours it."""
    for node in spec.of("schema"):
        if node.obj.get("nullable") is True and "type" not in node.obj:
            yield (
                node.where,
                "nullable: true without a type beside it; inline the type or make the referenced schema nullable",
            )


@rule("readonly-required")
def readonly_required(spec: Spec) -> Iterator[Issue]:
    """Connexion then rejects requests that omit the property; use separate request and response schemas."""
    for node in _schemas(spec):
        properties = as_dict(node.obj.get("properties"))
        for name in as_list(node.obj.get("required")):
            resolved = spec.deref(properties.get(name), (*node.where, "properties", str(name)))
            if resolved is not None and as_dict(resolved[0]).get("readOnly") is True:
                yield (*node.where, "properties", str(name)), f"property {name!r} is both readOnly and required"


@rule("allof-closed-base")
def allof_closed_base(spec: Spec) -> Iterator[Issue]:
    """A base with `additionalProperties: false` rejects every property the other allOf members add."""
    for node in _schemas(spec):
        for i, member in enumerate(as_list(node.obj.get("allOf"))):
            resolved = spec.deref(member, (*node.where, "allOf", i))
            if resolved is not None and as_dict(resolved[0]).get("additionalProperties") is False:
                yield (*node.where, "allOf", i), "allOf member has additionalProperties: false"


@rule("no-template-syntax")
def no_template_syntax(spec: Spec) -> Iterator[Issue]:
    """Connexion renders a spec it loads by path with Jinja2 (libs.md §1.7): `{{ x }}` silently vanishes
    and `{%` breaks loading. The mock loads specs as dicts, but other tools may not."""
    for where, text in _strings(spec.doc, ()):
        if "{{" in text or "{%" in text:
            yield where, "text contains template syntax ({{ or {%)"


def _strings(value: Any, where: Ptr) -> Iterator[tuple[Ptr, str]]:
    if isinstance(value, str):
        yield where, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, (*where, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _strings(item, (*where, i))


@rule("seed-vs-reality")
def seed_vs_reality(spec: Spec) -> Iterator[Issue]:
    """Every disagreement between the seed document and the real service is written down in one place."""
    description = as_dict(spec.doc.get("info")).get("description")
    text = description if isinstance(description, str) else ""
    headings = list(re.finditer(r"^##\s+(.*?)\s*$", text, re.MULTILINE))
    if not headings or headings[-1].group(1).lower() != "seed vs reality":
        yield ("info", "description"), "info.description does not end with a `## Seed vs reality` section"
    elif not re.search(r"^\s*[-*] ", text[headings[-1].end() :], re.MULTILINE):
        yield ("info", "description"), "the `## Seed vs reality` section has no list items"
