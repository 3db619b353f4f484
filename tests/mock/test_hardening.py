"""Bad input and hostile clients against the shared machinery: bounded bodies, chunked bodies, the
admin API's Host/Origin/token guard, bounded `Prefer: delay`, the clock bound and standard JSON out."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator

import orjson
import pytest

from mock_server import Settings, create_app
from mock_server.cli import banner

AUTH = {"Authorization": "Bearer mock-token"}
JSON = {**AUTH, "Content-Type": "application/json"}
PIPELINE = "ba6d91f0-3d61-4f40-8b26-43d9f7559df9"
STAGES = f"/v0/pipelines/{PIPELINE}/stages/"
STAGE = f"{STAGES}a7ebf6bf-875d-460b-a617-14d37e308b98/"


def chunks(data: bytes) -> Iterator[bytes]:
    yield data[:5]
    yield data[5:]


def test_chunked_json_body_is_accepted(make_client) -> None:
    client = make_client("esper-stages")
    response = client.post(STAGES, content=chunks(b'{"name": "Chunked"}'), headers=JSON)
    assert response.status_code == 200, response.text
    assert response.json()["content"]["name"] == "Chunked"


@pytest.mark.parametrize("content", [b'{"name": "Parsed once"}', chunks(b'{"name": "Parsed once"}')])
def test_a_json_body_is_parsed_once_by_the_door(make_client, monkeypatch: pytest.MonkeyPatch, content) -> None:
    """The body validator and the handler's arguments take the door's value, not a parse of their own."""
    client = make_client("esper-stages", validate_responses=False)  # its validator parses the response
    calls: list[str | bytes] = []
    for parser in (json, orjson):
        loads = parser.loads
        monkeypatch.setattr(parser, "loads", lambda text, loads=loads, **kw: calls.append(text) or loads(text, **kw))
    response = client.post(STAGES, content=content, headers=JSON)
    monkeypatch.undo()
    assert response.status_code == 200, response.text
    assert response.json()["content"]["name"] == "Parsed once"
    assert calls == [b'{"name": "Parsed once"}']


def test_chunked_body_over_the_limit_is_413(make_client) -> None:
    client = make_client("esper-stages")
    big = b'{"name": "' + b"x" * (1024 * 1024) + b'"}'
    assert client.post(STAGES, content=chunks(big), headers=JSON).status_code == 413


@pytest.mark.parametrize(
    ("body", "said"),
    [
        (b"[" * 10_000 + b"]" * 10_000, "levels deep"),
        (b'{"name": "x", "a": ' + b"[" * 70 + b"]" * 70 + b"}", "levels deep"),
        (b'{"name": ' + b"1" * 5_000 + b"}", "digits"),
        (b'{"name": NaN}', "NaN is not JSON"),
        (b'{"name": -Infinity}', "-Infinity is not JSON"),
        (b'{"name": 1e400}', "does not fit"),
    ],
)
@pytest.mark.parametrize("method", ["POST", "DELETE"])
def test_unbounded_json_is_a_400_in_the_apis_format(make_client, method: str, body: bytes, said: str) -> None:
    client = make_client("esper-stages")
    before = client.get("/__admin/state").json()
    response = client.request(method, STAGES if method == "POST" else STAGE, content=body, headers=JSON)
    assert response.status_code == 400, response.text
    assert response.json()["code"] == 400 and said in response.json()["message"]
    assert client.get("/__admin/state").json() == before


def test_unbounded_json_without_content_type_is_a_400(make_client) -> None:
    client = make_client("gocd-stages")
    cancel = "/go/api/stages/build-linux/1/compile/1/cancel"
    response = client.post(cancel, content=b"[" * 10_000, auth=("admin", "badger"), headers={"X-GoCD-Confirm": "true"})
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/plain")


def test_deep_admin_import_is_a_400_not_a_500(make_client) -> None:
    client = make_client("esper-stages")
    response = client.put("/__admin/state", content=b'{"esper-stages": ' + b"[" * 5_000 + b"]" * 5_000 + b"}")
    assert response.status_code == 400
    assert "levels deep" in response.json()["detail"]


def test_admin_gets_no_cors_headers_but_the_apis_do(make_client) -> None:
    client = make_client("esper-stages")
    preflight = {"Origin": "http://localhost", "Access-Control-Request-Method": "POST"}
    assert "access-control-allow-origin" in client.options(STAGES, headers=preflight).headers
    response = client.options("/__admin/reset", headers=preflight)
    assert "access-control-allow-origin" not in response.headers


@pytest.mark.parametrize("method", ["GET", "OPTIONS"])
def test_admin_refuses_a_foreign_origin(make_client, method: str) -> None:
    client = make_client("esper-stages")
    response = client.request(method, "/__admin/state", headers={"Origin": "http://evil.example"})
    assert response.status_code == 403
    assert "evil.example" in response.json()["detail"]
    assert client.get("/__admin/state", headers={"Origin": "http://localhost"}).status_code == 200


def test_admin_refuses_a_foreign_host(make_client) -> None:
    """DNS rebinding: a page at evil.example whose name now resolves to 127.0.0.1."""
    client = make_client("esper-stages")
    assert client.post("/__admin/reset", headers={"Host": "evil.example:8000"}).status_code == 403
    for host in ("127.0.0.1:8000", "[::1]:8000", "localhost"):
        assert client.get("/__admin/state", headers={"Host": host}).status_code == 200, host


def test_admin_is_off_beyond_loopback_without_a_token(make_client) -> None:
    client = make_client("esper-stages", host="0.0.0.0")
    response = client.get("/__admin/state", headers={"Host": "0.0.0.0"})
    assert response.status_code == 403 and "--admin-token" in response.json()["detail"]
    assert client.get(STAGES, headers=AUTH).status_code == 200


def test_admin_beyond_loopback_needs_the_token(make_client) -> None:
    client = make_client("esper-stages", host="10.1.2.3", admin_token="s3cret")
    host = {"Host": "10.1.2.3:8000"}
    assert client.get("/__admin/state", headers=host).status_code == 401
    assert client.get("/__admin/state", headers={**host, "Authorization": "Bearer wrong"}).status_code == 401
    assert client.get("/__admin/state", headers={**host, "Authorization": "Bearer s3cret"}).status_code == 200


def test_banner_warns_beyond_loopback_and_says_admin_is_off() -> None:
    text = banner(Settings(apis=("gocd-stages",), host="0.0.0.0"))
    assert "WARNING" in text and "admin API: OFF" in text
    assert "admin API: needs" in banner(Settings(apis=("gocd-stages",), host="0.0.0.0", admin_token="t"))
    assert "WARNING" not in banner(Settings(apis=("gocd-stages",)))


@pytest.mark.parametrize("delay", ["60001", "9" * 5_000])
def test_prefer_delay_over_the_bound_is_a_400_in_the_apis_format(make_client, delay: str) -> None:
    client = make_client("gocd-stages")
    response = client.get(
        "/go/api/stages/foo/DEV/history", auth=("admin", "badger"), headers={"Prefer": f"delay={delay}"}
    )
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/plain") and "at most 60000 ms" in response.text


def test_prefer_delay_waits_for_authentication(make_client) -> None:
    client = make_client("esper-stages")
    started = time.perf_counter()
    assert client.get(STAGES, headers={"Prefer": "delay=2000"}).status_code == 401
    assert time.perf_counter() - started < 1


def test_prefer_delay_ends_when_the_client_disconnects() -> None:
    asyncio.run(_delayed_request_then_disconnect())


async def _delayed_request_then_disconnect() -> None:
    app = create_app(Settings(apis=("esper-stages",)))
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": STAGES,
        "raw_path": STAGES.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"localhost"), (b"authorization", b"Bearer mock-token"), (b"prefer", b"delay=30000")],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 8000),
    }
    messages = [{"type": "http.request", "body": b"", "more_body": False}]

    async def receive() -> dict[str, object]:
        if messages:
            return messages.pop()
        await asyncio.sleep(0.1)
        return {"type": "http.disconnect"}

    sent: list[dict[str, object]] = []

    async def send(message: dict[str, object]) -> None:
        sent.append(message)

    started = time.perf_counter()
    await asyncio.wait_for(app(scope, receive, send), timeout=5)
    assert time.perf_counter() - started < 2
    assert sent[0]["status"] == 400


@pytest.mark.parametrize("seconds", ["NaN", "Infinity", "1e400", "-1"])
def test_clock_advance_refuses_non_finite_and_negative_seconds(make_client, seconds: str) -> None:
    client = make_client("esper-operations")
    response = client.post("/__admin/clock/advance", content=f'{{"seconds": {seconds}}}'.encode())
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"


def test_clock_cannot_overflow(make_client) -> None:
    client = make_client("esper-operations")
    year = {"seconds": 31_536_000}
    for _ in range(200):
        if client.post("/__admin/clock/advance", json=year).status_code == 400:
            break
    response = client.post("/__admin/clock/advance", json=year)
    assert response.status_code == 400 and "100 years" in response.json()["detail"]
    assert client.get("/v0/operations/", headers=AUTH).status_code == 200


def test_a_5000_digit_path_number_is_a_400_in_the_apis_format(make_client) -> None:
    client = make_client("gocd-stages")
    response = client.get("/go/api/stages/foo/DEV/history/" + "9" * 5_000, auth=("admin", "badger"))
    assert response.status_code == 400 and "digits" in response.text
    assert client.get("/go/api/stages/foo/DEV/history/2", auth=("admin", "badger")).status_code == 200
