"""The five contracts as data: the OpenAPI documents and the few facts every layer reads off them.

A leaf package: it imports nothing of the project, and both `mock_server` and `conformance` import it
(neither imports the other). The specs ship inside it as package data, so an installed wheel carries them.
"""

from contracts.documents import NAMES, SPECS_DIR, load_document, load_spec, parse_yaml, spec_path
from contracts.openapi import METHODS, Operation, PathTemplate, login_path, operations, pointer, pointer_parts

__all__ = [
    "METHODS",
    "NAMES",
    "SPECS_DIR",
    "Operation",
    "PathTemplate",
    "load_document",
    "load_spec",
    "login_path",
    "operations",
    "parse_yaml",
    "pointer",
    "pointer_parts",
    "spec_path",
]
