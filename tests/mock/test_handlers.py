"""Each API binds exactly the operations of its spec: no operation without a handler, no helper as one."""

from __future__ import annotations

import pytest

from contracts import load_spec, operations
from mock_server import admin
from mock_server.apis import MODULES, load_api


@pytest.mark.parametrize("name", MODULES)
def test_the_handler_set_is_the_specs_operations(name: str) -> None:
    operation_ids = {op.spec["operationId"] for op in operations(load_spec(name))}
    assert set(load_api(name).handlers) == operation_ids


def test_the_admin_handler_set_is_admin_yamls_operations() -> None:
    operation_ids = {op.spec["operationId"] for op in operations(admin.load_admin_spec())}
    assert set(admin.HANDLERS) == operation_ids
