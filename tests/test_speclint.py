"""Tests for conformance.speclint: every rule fires on a spec broken in exactly one way, a valid spec
is clean, the CLI reports everything at once with the right exit status, and the real specs pass."""

from __future__ import annotations

import copy
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from conformance.speclint import Finding, default_specs, lint, main
from conformance.speclint.model import Ptr, to_pointer
from conformance.speclint.rules import RULES

ROOT = Path(__file__).resolve().parents[1]
REAL_SPECS = sorted((ROOT / "contracts" / "specs").glob("*.yaml"))

LIST = ("paths", "/items", "get")
CREATE = ("paths", "/items", "post")
GET = ("paths", "/items/{item_id}", "get")
LOGIN = ("paths", "/login", "post")
ITEM = {"id": 1, "name": "widget", "note": None, "created": "2024-05-01T12:00:00Z"}
JSON = "application/json"


def _error(description: str, message: str) -> dict[str, Any]:
    schema = {"$ref": "#/components/schemas/Error"}
    return {"description": description, "content": {JSON: {"schema": schema, "example": {"message": message}}}}


def _errors(*codes: str) -> dict[str, Any]:
    names = {"401": "Unauthorized", "404": "NotFound", "415": "UnsupportedMediaType"}
    return {code: {"$ref": f"#/components/responses/{names[code]}"} for code in codes}


def base_spec() -> dict[str, Any]:
    """Small, but uses every feature the rules look at: shared responses, parameters, headers and
    examples, root and public security, links, nullable, formats."""
    item = {"$ref": "#/components/schemas/Item"}
    spec = {
        "openapi": "3.0.3",
        "info": {"title": "Items", "version": "1", "description": "Items.\n\n## Seed vs reality\n- None.\n"},
        "servers": [{"url": "https://items.example.com"}],
        "tags": [{"name": "Items"}],
        "security": [{"bearerAuth": []}],
        "x-error-schemas": ["Error"],
        "x-error-codes": ["401", "404"],
        "paths": {
            "/items": {
                "get": {
                    "operationId": "list_items",
                    "summary": "List items",
                    "tags": ["Items"],
                    "responses": {
                        "200": {
                            "description": "The items",
                            "content": {JSON: {"schema": {"type": "array", "items": item}, "example": [ITEM]}},
                        },
                        **_errors("401", "404"),
                    },
                },
                "post": {
                    "operationId": "create_item",
                    "summary": "Create an item",
                    "tags": ["Items"],
                    "requestBody": {
                        "required": True,
                        "content": {
                            JSON: {
                                "schema": {"$ref": "#/components/schemas/NewItem"},
                                "examples": {"widget": {"$ref": "#/components/examples/NewWidget"}},
                            }
                        },
                    },
                    "responses": {
                        "201": {
                            "description": "Created",
                            "content": {JSON: {"schema": item, "examples": {"widget": {"value": ITEM}}}},
                            "links": {
                                "GetItem": {"operationId": "get_item", "parameters": {"item_id": "$response.body#/id"}}
                            },
                        },
                        **_errors("401", "404", "415"),
                    },
                },
            },
            "/items/{item_id}": {
                "parameters": [{"$ref": "#/components/parameters/ItemId"}],
                "get": {
                    "operationId": "get_item",
                    "summary": "Get an item",
                    "tags": ["Items"],
                    "responses": {
                        "200": {
                            "description": "The item",
                            "headers": {"X-Request-Id": {"$ref": "#/components/headers/RequestId"}},
                            "content": {JSON: {"schema": item}},
                        },
                        **_errors("401", "404"),
                    },
                },
            },
            "/login": {
                "post": {
                    "operationId": "log_in",
                    "summary": "Log in",
                    "tags": ["Items"],
                    "security": [],
                    "requestBody": {
                        "content": {
                            JSON: {
                                "schema": {
                                    "type": "object",
                                    "required": ["user"],
                                    "properties": {"user": {"type": "string"}},
                                },
                                "example": {"user": "ada"},
                            }
                        }
                    },
                    "responses": {
                        "200": {
                            "description": "A token",
                            "content": {
                                JSON: {"schema": {"type": "object", "properties": {"token": {"type": "string"}}}}
                            },
                        },
                        **_errors("415"),
                    },
                }
            },
        },
        "components": {
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
            "parameters": {
                "ItemId": {
                    "name": "item_id",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "integer", "minimum": 1},
                    "example": 1,
                }
            },
            "headers": {
                "RequestId": {
                    "schema": {"type": "string", "format": "uuid"},
                    "example": "0b6f2f6e-2c55-4f3e-9a43-5d0c8b8f1a2e",
                }
            },
            "examples": {"NewWidget": {"value": {"name": "widget", "note": None}}},
            "responses": {
                "Unauthorized": _error("No or wrong credentials", "Unauthorized"),
                "NotFound": _error("No such item", "Not found"),
                "UnsupportedMediaType": _error("Not JSON", "Send JSON"),
            },
            "schemas": {
                "NewItem": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["name"],
                    "properties": {
                        "name": {"type": "string", "minLength": 1, "default": "widget"},
                        "note": {"type": "string", "nullable": True},
                    },
                },
                "Item": {
                    "type": "object",
                    "required": ["id", "name", "created"],
                    "properties": {
                        "id": {"type": "integer", "minimum": 1},
                        "name": {"type": "string"},
                        "note": {"type": "string", "nullable": True},
                        "created": {"type": "string", "format": "date-time"},
                    },
                    "example": ITEM,
                },
                "Error": {
                    "type": "object",
                    "required": ["message"],
                    "properties": {"message": {"type": "string"}},
                },
            },
        },
    }
    return copy.deepcopy(spec)  # ITEM and `item` are shared; breaking one place must not break others


def other_api() -> dict[str, Any]:
    """The base spec with its own operationIds, to lint beside it (operationIds are global)."""
    doc = base_spec()
    for item in doc["paths"].values():
        for op in item.values():
            if isinstance(op, dict) and "operationId" in op:
                op["operationId"] = f"other_{op['operationId']}"
    doc["paths"]["/items"]["post"]["responses"]["201"]["links"]["GetItem"]["operationId"] = "other_get_item"
    return doc


def _write(tmp_path: Path, doc: dict[str, Any], name: str = "items.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return path


def _hits(findings: list[Finding]) -> set[tuple[str, str]]:
    return {(finding.rule, finding.pointer) for finding in findings}


Break = Callable[[dict[str, Any]], None]


def _at(doc: dict[str, Any], where: Ptr) -> Any:
    for part in where:
        doc = doc[part]
    return doc


def put(where: Ptr, value: Any) -> Break:
    def apply(doc: dict[str, Any]) -> None:
        _at(doc, where[:-1])[where[-1]] = copy.deepcopy(value)

    return apply


def drop(where: Ptr) -> Break:
    def apply(doc: dict[str, Any]) -> None:
        del _at(doc, where[:-1])[where[-1]]

    return apply


def rename_key(where: Ptr, old: str, new: str) -> Break:
    def apply(doc: dict[str, Any]) -> None:
        owner = _at(doc, where)
        owner[new] = owner.pop(old)

    return apply


def both(*breaks: Break) -> Break:
    def apply(doc: dict[str, Any]) -> None:
        for one in breaks:
            one(doc)

    return apply


P_LIST = "/paths/~1items/get"
P_CREATE = "/paths/~1items/post"
P_GET = "/paths/~1items~1{item_id}/get"
P_LIST_200 = f"{P_LIST}/responses/200/content/application~1json"

DUPLICATE_PARAMETER = put(
    (*LIST, "parameters"),
    [
        {"name": "q", "in": "query", "schema": {"type": "string"}},
        {"name": "q", "in": "query", "schema": {"type": "integer"}},
    ],
)
"""Only the semantic pass sees this (the meta-schema's uniqueItems needs identical entries)."""

CASES = [
    pytest.param(put((*LIST, "bogus"), 1), [("openapi-spec-validator", P_LIST)], id="meta-schema"),
    pytest.param(DUPLICATE_PARAMETER, [("openapi-spec-validator", "")], id="semantic-duplicate-parameter"),
    pytest.param(
        put((*LIST, "responses", "200", "content", JSON, "schema", "items"), {"$ref": "#/components/schemas/Nope"}),
        [("refs-resolve", f"{P_LIST_200}/schema/items/$ref")],
        id="ref-unresolved",
    ),
    pytest.param(
        put((*GET, "responses", "200", "content", JSON, "schema"), {"$ref": "other.yaml#/Item"}),
        [("refs-resolve", f"{P_GET}/responses/200/content/application~1json/schema/$ref")],
        id="ref-external",
    ),
    pytest.param(
        put(("components", "schemas", "Error"), {"$ref": "#/components/schemas/Error"}),
        [("refs-resolve", "/components/schemas/Error/$ref")],
        id="ref-cycle",
    ),
    pytest.param(
        both(
            put(
                ("components", "schemas", "Orphan"),
                {"type": "object", "properties": {"leaf": {"$ref": "#/components/schemas/Leaf"}}},
            ),
            put(("components", "schemas", "Leaf"), {"type": "string"}),
            put(("components", "securitySchemes", "basicAuth"), {"type": "http", "scheme": "basic"}),
        ),
        [
            ("unused-components", "/components/schemas/Orphan"),
            ("unused-components", "/components/schemas/Leaf"),
            ("unused-components", "/components/securitySchemes/basicAuth"),
        ],
        id="unused-components-transitive",
    ),
    pytest.param(
        put((*LIST, "operationId"), "listItems"), [("operation-id", f"{P_LIST}/operationId")], id="op-id-camel"
    ),
    pytest.param(
        put((*LIST, "operationId"), "import"), [("operation-id", f"{P_LIST}/operationId")], id="op-id-keyword"
    ),
    pytest.param(drop((*LIST, "operationId")), [("operation-id", P_LIST)], id="op-id-missing"),
    pytest.param(
        put((*GET, "operationId"), "list_items"),
        [("unique-operation-ids", f"{P_LIST}/operationId"), ("unique-operation-ids", f"{P_GET}/operationId")],
        id="op-id-duplicate",
    ),
    pytest.param(drop((*LIST, "summary")), [("summary-and-tags", P_LIST)], id="no-summary"),
    pytest.param(put((*LIST, "tags"), []), [("summary-and-tags", P_LIST)], id="no-tags"),
    pytest.param(
        drop(("security",)), [("operation-security", P_LIST), ("operation-security", P_GET)], id="no-security"
    ),
    pytest.param(
        put((*GET, "security"), [{"apiKey": []}]),
        [("operation-security", f"{P_GET}/security/0/apiKey")],
        id="unknown-security-scheme",
    ),
    pytest.param(drop((*GET, "responses", "200")), [("success-response", f"{P_GET}/responses")], id="no-2xx"),
    pytest.param(
        drop((*LIST, "responses", "404")), [("error-responses", f"{P_LIST}/responses")], id="missing-error-code"
    ),
    pytest.param(drop((*CREATE, "responses", "415")), [("error-responses", f"{P_CREATE}/responses")], id="missing-415"),
    pytest.param(
        put((*LIST, "responses", "404"), {"description": "x", "content": {JSON: {"schema": {"type": "object"}}}}),
        [("error-responses", f"{P_LIST}/responses/404/content/application~1json/schema")],
        id="error-body-inline",
    ),
    pytest.param(
        put(("components", "responses", "NotFound", "content", JSON, "schema"), {"$ref": "#/components/schemas/Item"}),
        [("error-responses", "/components/responses/NotFound/content/application~1json/schema")],
        id="error-body-in-component",
    ),
    pytest.param(drop(("x-error-schemas",)), [("error-responses", "")], id="no-x-error-schemas"),
    pytest.param(
        put(("x-error-schemas",), ["Problem"]),
        [("error-responses", "/x-error-schemas/0")],
        id="x-error-schemas-unknown",
    ),
    pytest.param(
        put(("x-error-codes",), ["401", "200"]), [("error-responses", "/x-error-codes/1")], id="x-error-codes-2xx"
    ),
    pytest.param(drop(("x-error-codes",)), [("error-responses", "")], id="no-x-error-codes"),
    pytest.param(
        drop((*LOGIN, "security")), [("error-responses", "/paths/~1login/post/responses")], id="public-op-now-secured"
    ),
    pytest.param(
        rename_key(("paths",), "/items/{item_id}", "/items/{id}"),
        [("path-parameters", "/paths/~1items~1{id}/get"), ("path-parameters", "/paths/~1items~1{id}/parameters/0")],
        id="path-param-mismatch",
    ),
    pytest.param(
        put(
            ("paths", "/items/{item_id}", "parameters"),
            [{"name": "item_id", "in": "path", "schema": {"type": "integer"}}],
        ),
        [("path-parameters", "/paths/~1items~1{item_id}/parameters/0")],
        id="path-param-optional",
    ),
    pytest.param(
        drop((*CREATE, "responses", "201", "links")), [("create-links", f"{P_CREATE}/responses")], id="create-no-links"
    ),
    pytest.param(
        put((*CREATE, "responses", "201", "links", "GetItem", "operationId"), "fetch_item"),
        [("create-links", f"{P_CREATE}/responses/201/links/GetItem/operationId")],
        id="link-unknown-operation",
    ),
    pytest.param(
        rename_key((*CREATE, "responses", "201", "links", "GetItem", "parameters"), "item_id", "id"),
        [("create-links", f"{P_CREATE}/responses/201/links/GetItem/parameters/id")],
        id="link-unknown-parameter",
    ),
    pytest.param(
        put((*CREATE, "responses", "201", "links", "GetItem"), {"operationRef": "#/paths/~1items~1{id}/get"}),
        [("create-links", f"{P_CREATE}/responses/201/links/GetItem")],
        id="link-operation-ref-unresolved",
    ),
    pytest.param(
        put((*CREATE, "responses", "201", "links", "GetItem"), {"parameters": {"item_id": "$response.body#/id"}}),
        [("create-links", f"{P_CREATE}/responses/201/links/GetItem")],
        id="link-without-target",
    ),
    pytest.param(
        both(rename_key((*CREATE, "responses"), "201", "200"), drop((*CREATE, "responses", "200", "links"))),
        [("create-links", f"{P_CREATE}/responses")],
        id="create-by-operation-id",
    ),
    pytest.param(
        put((*LIST, "responses", "200", "content", JSON, "example"), [{**ITEM, "id": "one"}]),
        [("valid-examples", f"{P_LIST_200}/example/0/id")],
        id="media-example",
    ),
    pytest.param(
        put((*CREATE, "responses", "201", "content", JSON, "examples", "widget", "value", "created"), "yesterday"),
        [("valid-examples", f"{P_CREATE}/responses/201/content/application~1json/examples/widget/value/created")],
        id="examples-value-format",
    ),
    pytest.param(
        put(("components", "examples", "NewWidget", "value"), {"note": "no name"}),
        [("valid-examples", f"{P_CREATE}/requestBody/content/application~1json/examples/widget")],
        id="example-ref",
    ),
    pytest.param(
        both(
            put(("components", "schemas", "NewItem", "properties", "id"), {"type": "integer", "readOnly": True}),
            put(("components", "examples", "NewWidget", "value", "id"), 7),
        ),
        [("valid-examples", f"{P_CREATE}/requestBody/content/application~1json/examples/widget/id")],
        id="request-example-readonly",
    ),
    pytest.param(
        put(("components", "parameters", "ItemId", "example"), 0),
        [("valid-examples", "/components/parameters/ItemId/example")],
        id="parameter-example",
    ),
    pytest.param(
        put(("components", "headers", "RequestId", "example"), "not-a-uuid"),
        [("valid-examples", "/components/headers/RequestId/example")],
        id="header-example-format",
    ),
    pytest.param(
        put(("components", "schemas", "Item", "example", "note"), 3),
        [("valid-examples", "/components/schemas/Item/example/note")],
        id="schema-example",
    ),
    pytest.param(
        put(("components", "schemas", "Item", "properties", "id", "type"), "int"),
        [
            ("openapi-spec-validator", "/components/schemas/Item/properties/id/type"),
            ("valid-examples", P_LIST_200 + "/example"),
        ],
        id="schema-cannot-be-evaluated",
    ),
    pytest.param(
        put(("components", "schemas", "NewItem", "properties", "name", "default"), ""),
        [("valid-examples", "/components/schemas/NewItem/properties/name/default")],
        id="schema-default",
    ),
    pytest.param(
        put(("components", "schemas", "Item", "properties", "note"), {"allOf": [{"type": "string"}], "nullable": True}),
        [("nullable-type", "/components/schemas/Item/properties/note")],
        id="nullable-without-type",
    ),
    pytest.param(
        put(("components", "schemas", "Item", "properties", "id", "readOnly"), True),
        [("readonly-required", "/components/schemas/Item/properties/id")],
        id="readonly-required",
    ),
    pytest.param(
        put(
            (*CREATE, "requestBody", "content", JSON, "schema"),
            {"allOf": [{"$ref": "#/components/schemas/NewItem"}, {"properties": {"size": {"type": "integer"}}}]},
        ),
        [("allof-closed-base", f"{P_CREATE}/requestBody/content/application~1json/schema/allOf/0")],
        id="allof-closed-base",
    ),
    pytest.param(
        put((*LIST, "description"), "Filter with {{ query }}."),
        [("no-template-syntax", f"{P_LIST}/description")],
        id="template-syntax",
    ),
    pytest.param(
        put(("info", "description"), "Items."), [("seed-vs-reality", "/info/description")], id="no-seed-section"
    ),
    pytest.param(
        put(("info", "description"), "## Seed vs reality\nNothing.\n\n## Later\n- x\n"),
        [("seed-vs-reality", "/info/description")],
        id="seed-section-not-last",
    ),
    pytest.param(
        put(("info", "description"), "Items.\n\n## Seed vs reality\nThey agree.\n"),
        [("seed-vs-reality", "/info/description")],
        id="seed-section-no-list",
    ),
]

YAML_CASES = [
    pytest.param(
        lambda text: text + "openapi: 3.0.3\n", [("yaml-duplicate-keys", "/openapi")], id="duplicate-root-key"
    ),
    pytest.param(
        lambda text: text.replace("    get:\n", "    get:\n      summary: again\n", 1),
        [("yaml-duplicate-keys", f"{P_LIST}/summary")],
        id="duplicate-nested-key",
    ),
    pytest.param(
        lambda text: text.replace("'201':", "201:"),
        [("yaml-implicit-types", f"{P_CREATE}/responses/201")],
        id="int-status-key",
    ),
    pytest.param(
        lambda text: text + "x-released: 2024-05-01\n", [("yaml-implicit-types", "/x-released")], id="date-value"
    ),
    pytest.param(lambda text: text + "x-beta: yes\n", [("yaml-implicit-types", "/x-beta")], id="yes-value"),
]


def test_base_spec_is_clean(tmp_path: Path) -> None:
    findings, failing = lint([_write(tmp_path, base_spec(), "a.yaml"), _write(tmp_path, other_api(), "b.yaml")])
    assert [str(finding) for finding in findings] == []
    assert failing == 0


@pytest.mark.parametrize(("breaks", "expected"), CASES)
def test_rule_fires(tmp_path: Path, breaks: Break, expected: list[tuple[str, str]]) -> None:
    doc = base_spec()
    breaks(doc)
    findings, _ = lint([_write(tmp_path, doc)])
    assert set(expected) <= _hits(findings), "\n".join(map(str, findings))


@pytest.mark.parametrize(("edit", "expected"), YAML_CASES)
def test_yaml_rule_fires(tmp_path: Path, edit: Callable[[str], str], expected: list[tuple[str, str]]) -> None:
    path = _write(tmp_path, base_spec())
    path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")
    findings, _ = lint([path])
    assert set(expected) <= _hits(findings), "\n".join(map(str, findings))


def test_every_rule_has_a_case() -> None:
    covered = {rule for case in [*CASES, *YAML_CASES] for rule, _ in case.values[1]}
    assert covered == set(RULES)


def test_operation_ids_are_unique_across_specs(tmp_path: Path) -> None:
    other = base_spec()
    other["paths"] = {"/things": {"get": copy.deepcopy(base_spec()["paths"]["/items"]["get"])}}
    first, second = _write(tmp_path, base_spec(), "a.yaml"), _write(tmp_path, other, "b.yaml")
    findings, failing = lint([first, second])
    clashes = {(f.file, f.pointer) for f in findings if f.rule == "unique-operation-ids"}
    assert clashes == {(str(first), f"{P_LIST}/operationId"), (str(second), "/paths/~1things/get/operationId")}
    assert failing == 2


def test_merge_key_override_is_not_a_duplicate(tmp_path: Path) -> None:
    path = _write(tmp_path, base_spec())
    anchors = "x-base: &base {a: 1, b: 2}\nx-derived:\n  <<: *base\n  b: 3\n"
    path.write_text(path.read_text(encoding="utf-8") + anchors, encoding="utf-8")
    assert [str(finding) for finding in lint([path])[0]] == []


MALFORMED = {
    "paths-list": put(("paths",), []),
    "components-list": put(("components",), [1]),
    "operation-string": put(LIST, "oops"),
    "responses-list": put((*LIST, "responses"), ["200"]),
    "parameters-dict": put(("paths", "/items/{item_id}", "parameters"), {"a": 1}),
    "security-string": put(("security",), "bearerAuth"),
    "schema-string": put(("components", "schemas", "Item"), "Item"),
    "properties-list": put(("components", "schemas", "Item", "properties"), ["id"]),
    "content-list": put((*GET, "responses", "200", "content"), ["x"]),
    "ref-int": put((*LIST, "responses", "401"), {"$ref": 5}),
    "x-error-codes-string": put(("x-error-codes",), "401"),
}


@pytest.mark.parametrize("breaks", MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_specs_give_findings_not_crashes(tmp_path: Path, breaks: Break) -> None:
    doc = base_spec()
    breaks(doc)
    findings, _ = lint([_write(tmp_path, doc)])
    assert findings
    assert [str(f) for f in findings if "crashed" in f.message] == []


def test_semantic_checks_message(tmp_path: Path) -> None:
    doc = base_spec()
    DUPLICATE_PARAMETER(doc)
    findings, _ = lint([_write(tmp_path, doc)])
    assert [f.message for f in findings if f.rule == "openapi-spec-validator"] == ["Duplicate parameter 'q'"]


def test_unreadable_specs_are_findings(tmp_path: Path) -> None:
    broken, scalar = tmp_path / "broken.yaml", tmp_path / "scalar.yaml"
    broken.write_text("openapi: [3.0.3\n", encoding="utf-8")
    scalar.write_text("just text\n", encoding="utf-8")
    findings, failing = lint([broken, scalar])
    assert [(f.file, f.pointer, f.rule) for f in findings] == [(str(broken), "", "load"), (str(scalar), "", "load")]
    assert "line 2" in findings[0].message
    assert failing == 2


def test_a_crashing_rule_is_a_finding(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(spec: object) -> list[tuple[Ptr, str]]:
        raise KeyError("surprise")

    monkeypatch.setitem(RULES, "boom", boom)
    findings, _ = lint([_write(tmp_path, base_spec())])
    assert [(f.rule, f.pointer, f.message) for f in findings] == [("boom", "", "rule crashed: KeyError('surprise')")]


def test_pointers_follow_rfc6901() -> None:
    assert to_pointer(("paths", "/go/api/{x}", "post")) == "/paths/~1go~1api~1{x}/post"
    assert to_pointer(("a~b", 0)) == "/a~0b/0"
    finding = Finding("specs/x.yaml", "/paths/~1a/get", "summary-and-tags", "operation has no summary")
    assert str(finding) == "specs/x.yaml: /paths/~1a/get: operation has no summary [summary-and-tags]"


def test_cli_reports_every_finding_at_once(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc = base_spec()
    drop((*LIST, "summary"))(doc)
    drop((*GET, "responses", "200"))(doc)
    bad, good = _write(tmp_path, doc, "bad.yaml"), _write(tmp_path, other_api(), "good.yaml")
    assert main([str(bad), str(good)]) == 1
    *lines, summary = capsys.readouterr().out.splitlines()
    assert f"{bad}: {P_LIST}: operation has no summary [summary-and-tags]" in lines
    assert f"{bad}: {P_GET}/responses: operation has no 2xx response [success-response]" in lines
    assert all(line.startswith(f"{bad}: ") for line in lines)
    assert summary == f"{len(lines)} findings in 1 spec"


def test_cli_clean(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(_write(tmp_path, base_spec()))]) == 0
    assert capsys.readouterr().out == "1 spec OK\n"


@pytest.mark.parametrize("argv", [["no/such/spec.yaml"], ["--frobnicate"]], ids=["missing-file", "bad-option"])
def test_cli_usage_errors(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert len(err.splitlines()) == 1 and err.startswith("speclint: ")


def test_module_entry_point(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "conformance.speclint", str(tmp_path / "missing.yaml")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == f"speclint: {tmp_path / 'missing.yaml'}: no such file\n"


@pytest.mark.skipif(not REAL_SPECS, reason="specs/ has no *.yaml yet")
def test_default_specs_are_the_projects() -> None:
    assert default_specs() == REAL_SPECS


@pytest.fixture(scope="module")
def real_findings() -> list[Finding]:
    """All real specs linted in one run, as `make validate` does (operationIds are compared across them)."""
    return lint(REAL_SPECS)[0]


@pytest.mark.parametrize(
    "spec",
    REAL_SPECS or [pytest.param(None, marks=pytest.mark.skip(reason="specs/ has no *.yaml yet"))],
    ids=lambda spec: spec.name if isinstance(spec, Path) else "none",
)
def test_real_spec_passes(spec: Path, real_findings: list[Finding]) -> None:
    mine = [str(finding) for finding in real_findings if finding.file == str(spec)]
    assert mine == []
