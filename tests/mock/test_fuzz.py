"""Every bad-input class against every write operation of every API (iterated from the specs):
never a 5xx, always the API's own error format, never a changed state."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from contracts import load_spec, operations
from mock_server.settings import ALL_APIS

WRITES = ("post", "put", "patch", "delete")
DEEP = b"[" * 10_000 + b"]" * 10_000
JSON = "application/json"
# (name, body, content type or None, only for operations that declare a request body)
CASES: list[tuple[str, bytes, str | None, bool]] = [
    ("deep", DEEP, JSON, False),
    ("deep-no-type", DEEP, None, False),
    ("huge-int", b'{"a": ' + b"7" * 5_000 + b"}", JSON, False),
    ("nan", b'{"a": NaN, "b": Infinity}', JSON, False),
    ("1e400", b'{"a": 1e400}', JSON, False),
    ("non-utf8", b'{"a": "\xff\xfe"}', JSON, False),
    ("nul", b'{"a": "\x00"}', JSON, False),
    ("oversize", b'{"a": "' + b"x" * (1024 * 1024) + b'"}', JSON, False),
    ("truncated-no-type", b'{"a": ', None, False),
    ("wrong-type", b'{"a": 1}', "text/plain", True),
    ("form-type", b"a=1", "application/x-www-form-urlencoded", True),
]


def write_operations() -> Iterator[tuple[str, str, str, bool]]:
    for api in ALL_APIS:
        for op in operations(load_spec(api)):
            if op.method in WRITES:
                url = re.sub(r"\{[^}]+\}", lambda m: "1" if "counter" in m.group() else "x", op.template)
                yield api, op.method.upper(), url, "requestBody" in op.spec


def own_format(api: str, response: Any) -> bool:
    if api == "gocd-stages":
        return response.headers["content-type"].startswith("text/plain")
    body = response.json()
    if api.startswith("esper"):
        return set(body) == {"code", "message", "content"}
    if api == "zenml-pipelines":  # {"detail": ...}, or the login route's bare [exception, message]
        return isinstance(body, dict) and "detail" in body or isinstance(body, list) and len(body) == 2
    return body.get("status") == "ERROR"


CREDENTIALS = {"gocd-stages": {"Authorization": "Basic YWRtaW46YmFkZ2Vy"}}  # admin:badger


@pytest.mark.parametrize("api", ALL_APIS)
def test_bad_input_to_every_write_operation(make_client: Callable[..., TestClient], api: str) -> None:
    client = make_client(api, any_token=True, validate_responses=False)
    auth = CREDENTIALS.get(api, {"Authorization": "Bearer fuzz"})
    before = client.get("/__admin/state").json()
    operations = [op for op in write_operations() if op[0] == api]
    assert operations
    for _, method, url, has_body in operations:
        for name, body, content_type, needs_body in CASES:
            if needs_body and not has_body:
                continue
            headers = {**auth, **({"Content-Type": content_type} if content_type else {})}
            response = client.request(method, url, content=body, headers=headers)
            where = f"{method} {url} {name}: {response.status_code} {response.text[:200]}"
            assert response.status_code < 500, where
            assert response.status_code >= 400, where
            assert own_format(api, response), where
        chunked = client.request(
            method, url, content=iter([DEEP[:10], DEEP[10:]]), headers={**auth, "Content-Type": JSON}
        )
        assert chunked.status_code == 400 and own_format(api, chunked), f"{method} {url} chunked"
    assert client.get("/__admin/state").json() == before
