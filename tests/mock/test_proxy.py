"""The validating proxy (`--proxy NAME=URL`): forwarding fidelity, upstream failures, contract checks."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response, StreamingResponse
from starlette.routing import Route
from starlette.testclient import TestClient
from starlette.types import ASGIApp, Receive, Scope, Send

from mock_server import Settings, create_app
from mock_server.cli import parse
from mock_server.contract_check import ContractCheck
from mock_server.proxy import CHECK_BYTES
from mock_server.testing import serve_app
from tests.conformance.mutants import MUTANTS, edit_json, rewrite, set_in

GOCD = "gocd-stages"
HISTORY = "/go/api/stages/foo/DEV/history"
LARGE = b"[" + b"1," * (CHECK_BYTES // 2) + b"1]"
BINARY = bytes(range(256)) + b"\xff\xfe not UTF-8 \xc3\x28"


async def _binary(request: Request) -> Response:
    echo = {"x-got-query": request.url.query, "x-got-auth": request.headers.get("authorization", "")}
    echo["x-got-proxy-auth"] = request.headers.get("proxy-authorization", "none")
    echo["x-got-hop"] = request.headers.get("x-hop", "none")
    response = Response(BINARY, media_type="application/octet-stream", headers=echo)
    response.headers.append("set-cookie", "a=1")
    response.headers.append("set-cookie", "b=2")
    return response


async def _chunked(request: Request) -> StreamingResponse:
    async def chunks() -> Any:
        for index in range(50):
            yield f"chunk {index};".encode()

    return StreamingResponse(chunks(), media_type="text/plain")


async def _large(request: Request) -> Response:
    return Response(LARGE, media_type="application/json")


async def _slow(request: Request) -> Response:
    await asyncio.sleep(3)
    return Response(b"late")


async def _redirect(request: Request) -> RedirectResponse:
    return RedirectResponse("/elsewhere", status_code=302)


UPSTREAM = Starlette(
    routes=[
        Route("/go/api/stages/bin/DEV/history", _binary, methods=["GET", "HEAD"]),
        Route("/go/api/stages/chunked/DEV/history", _chunked),
        Route("/go/api/stages/slow/DEV/history", _slow),
        Route("/go/api/stages/large/DEV/history", _large),
        Route("/go/api/stages/moved/DEV/history", _redirect),
    ]
)


@contextmanager
def proxy(api: str, upstream: str, **settings: Any) -> Iterator[TestClient]:
    app = create_app(Settings(apis=(api,), proxies=((api, upstream),), seed=0, **settings))
    with TestClient(app, base_url="http://localhost") as client:
        yield client


class Upstream:
    """The server behind `through`: one for the module (stopping one takes uvicorn ~0.2 s), serving the app the
    test put there: a new real mock, or a mutant of one, which builds its Connexion stacks at its first request."""

    def __init__(self) -> None:
        self.app: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        assert self.app is not None, "a test sends to the upstream before putting an app there"
        await self.app(scope, receive, send)


@pytest.fixture(scope="module")
def upstream() -> Iterator[tuple[Upstream, str]]:
    server = Upstream()
    with serve_app(server) as url:
        yield server, url


Through = Callable[..., AbstractContextManager[TestClient]]


@pytest.fixture
def through(upstream: tuple[Upstream, str]) -> Through:
    """`with through(api, wrap, **settings) as client:` the proxy, in front of a new real mock of `api` (optionally
    wrapped by a mutant) as upstream."""
    server, url = upstream

    @contextmanager
    def start(api: str, wrap: Callable[[ASGIApp], ASGIApp] | None = None, **settings: Any) -> Iterator[TestClient]:
        app = create_app(Settings(apis=(api,), seed=0))
        server.app = wrap(app) if wrap else app
        with proxy(api, url, **settings) as client:
            yield client

    return start


@pytest.fixture(scope="module")
def tiny() -> Iterator[str]:
    with serve_app(UPSTREAM) as url:
        yield url


def test_binary_body_repeated_headers_and_query_pass_unchanged(tiny: str) -> None:
    with proxy(GOCD, tiny) as client:
        response = client.get(
            "/go/api/stages/bin/DEV/history?a=1&a=2&b=%C3%A9",
            headers={"Authorization": "Basic YWRtaW46YmFkZ2Vy", "Proxy-Authorization": "Basic c2VjcmV0"},
        )
    assert response.status_code == 200
    assert response.content == BINARY
    assert response.headers.get_list("set-cookie") == ["a=1", "b=2"]
    assert response.headers["x-got-query"] == "a=1&a=2&b=%C3%A9"
    assert response.headers["x-got-auth"] == "Basic YWRtaW46YmFkZ2Vy"  # credentials pass through
    assert response.headers["x-got-proxy-auth"] == "none"  # hop-by-hop: never forwarded
    assert response.headers["content-length"] == str(len(BINARY))


def test_chunked_body_arrives_whole(tiny: str) -> None:
    with proxy(GOCD, tiny) as client:
        response = client.get("/go/api/stages/chunked/DEV/history")
    assert response.content == b"".join(f"chunk {index};".encode() for index in range(50))


def test_head_has_the_headers_and_no_body(tiny: str) -> None:
    with proxy(GOCD, tiny) as client:
        response = client.head("/go/api/stages/bin/DEV/history")
    assert response.status_code == 200
    assert response.content == b""
    assert response.headers["content-length"] == str(len(BINARY))


def test_redirects_go_back_to_the_client(tiny: str) -> None:
    with proxy(GOCD, tiny) as client:
        response = client.get("/go/api/stages/moved/DEV/history", follow_redirects=False)
    assert response.status_code == 302
    assert response.headers["location"] == "/elsewhere"


def test_upstream_down_is_a_502_in_the_apis_format_without_the_urls_password() -> None:
    with serve_app(UPSTREAM) as url:
        pass  # the port is free again: nobody listens there
    with proxy(GOCD, url.replace("http://", "http://ci:hunter2@")) as client:
        response = client.get(HISTORY)
    assert response.status_code == 502
    assert response.headers["content-type"].startswith("text/plain")  # GoCD's errors are plain text
    assert "unreachable" in response.text and "\n" not in response.text.strip()
    assert "hunter2" not in response.text


def test_a_body_past_the_check_cap_streams_through_unchecked(tiny: str) -> None:
    with proxy(GOCD, tiny) as client:
        response = client.get("/go/api/stages/large/DEV/history", auth=("admin", "badger"))
    assert response.content == LARGE
    assert response.headers["x-contract-violations"] == "0"  # the JSON array is not the schema's object: unread


def test_upstream_too_slow_is_a_504(tiny: str) -> None:
    with proxy(GOCD, tiny, proxy_timeout=0.3) as client:
        response = client.get("/go/api/stages/slow/DEV/history")
    assert response.status_code == 504
    assert "did not answer within 0.3 s" in response.text


def test_a_clean_exchange_has_no_violations(through: Through) -> None:
    with through(GOCD) as client:
        response = client.get(HISTORY, auth=("admin", "badger"))
        summary = client.get("/__admin/violations").json()
    assert response.status_code == 200, response.text
    assert response.headers["x-contract-violations"] == "0"
    assert summary["violations"] == 0
    assert summary["operations"][0]["requests"] == 1


def test_quiet_headers_leave_the_count_out(through: Through) -> None:
    with through(GOCD, proxy_quiet_headers=True) as client:
        response = client.get(HISTORY, auth=("admin", "badger"))
    assert "x-contract-violations" not in response.headers


KEY = {"Authorization": "Bearer mock-token"}


def test_violations_are_summarised_with_pointer_and_never_quote_credentials(through: Through) -> None:
    with through("esper-stages") as client:
        refused = client.get("/v0/pipelines/ba6d91f0-3d61-4f40-8b26-43d9f7559df9/stages/")  # no API key
        client.get("/v0/pipelines/ba6d91f0-3d61-4f40-8b26-43d9f7559df9/stages/", headers=KEY)
        bad = client.post("/v0/pipelines/ba6d91f0-3d61-4f40-8b26-43d9f7559df9/stages/", json={"name": 5}, headers=KEY)
        summary = client.get("/__admin/violations").json()
        cleared = client.delete("/__admin/violations").json()
    assert bad.status_code == 400  # the upstream's own answer: the proxy reports, it does not judge
    listed, created = summary["operations"]
    assert refused.status_code == 401  # a call without its key, refused: the contract at work, no violation
    assert (listed["operation"], listed["requests"], listed["violations"]) == ("list_stages", 2, 0)
    assert created["operation"] == "create_stage"
    assert any(v["at"] == "body.name" and "/requestBody/" in v["pointer"] for v in created["first"]), created
    assert "mock-token" not in str(summary)
    assert cleared == {"operations": [], "violations": 0}


BREAKING = {
    "required field missing (stage name)": (
        "GET",
        "/v0/pipelines/ba6d91f0-3d61-4f40-8b26-43d9f7559df9/stages/a7ebf6bf-875d-460b-a617-14d37e308b98/",
    ),
    "wrong type (count as a string)": ("GET", "/v0/pipelines/ba6d91f0-3d61-4f40-8b26-43d9f7559df9/stages/"),
    "login answers an undocumented status (203 with a token)": ("POST", "/api/v1/login"),
    "undocumented status code": ("GET", "/api/v1/flow/pipeline"),
    "wrong content type": ("GET", "/api/v1/jobs/pipelines"),
    "wrong error format (JSON instead of GoCD's plain text)": ("GET", "/go/api/stages/nope/DEV/history"),
    "auth not enforced": ("GET", "/v0/operations/"),
    "sporadic 500s": ("GET", HISTORY),
}
"""The mutants whose answers break the per-exchange contract, each with a request that meets the fault.
The others break promises across requests (persistence, ordering, filters) that one exchange cannot show."""

AUTH: dict[str, dict[str, Any]] = {
    "esper-stages": {"headers": {"Authorization": "Bearer mock-token"}},
    "instabase-flow": {"headers": {"Authorization": "Bearer mock-token"}},
    "gocd-stages": {"auth": ("admin", "badger")},
    "esper-operations": {},  # no credentials: the mutant's upstream lets the call in
    "zenml-pipelines": {"data": {"username": "default", "password": ""}},
}


@pytest.mark.parametrize("mutant", [m for m in MUTANTS if m.name in BREAKING], ids=lambda m: m.name)
def test_every_response_breaking_mutant_is_a_violation(mutant: Any, through: Through) -> None:
    method, path = BREAKING[mutant.name]
    with through(mutant.api, mutant.wrap) as client:
        for _ in range(7):  # the sporadic mutant breaks every 7th answer; the others break the first
            response = client.request(method, path, **AUTH[mutant.api])
            if response.headers["x-contract-violations"] != "0":
                break
    assert int(response.headers["x-contract-violations"]) >= 1, response.text


@pytest.mark.parametrize("mutant", [m for m in MUTANTS if m.name in BREAKING], ids=lambda m: m.name)
def test_the_transparent_proxy_reports_none_on_the_same_requests(mutant: Any, through: Through) -> None:
    method, path = BREAKING[mutant.name]
    with through(mutant.api) as client:
        response = client.request(method, path, **AUTH[mutant.api])
    assert response.status_code == (401 if mutant.name == "auth not enforced" else response.status_code)
    assert response.headers["x-contract-violations"] == "0", client.get("/__admin/violations").json()


def test_strict_mode_replaces_a_breaking_answer_by_502_with_the_violations(through: Through) -> None:
    mutant = next(m for m in MUTANTS if m.name == "wrong type (count as a string)")
    with through("esper-stages", mutant.wrap, proxy_strict=True) as client:
        response = client.get(BREAKING[mutant.name][1], headers={"Authorization": "Bearer mock-token"})
    assert response.status_code == 502
    body = response.json()
    (violation,) = [v for v in body["violations"] if v["at"] == "body.content.count"]
    assert violation["pointer"].endswith("/properties/content/properties/count/type"), violation
    assert violation["got"] == '"3"'


def test_a_secret_in_a_violation_is_never_quoted(through: Through) -> None:
    leak = rewrite(method="POST", path="/api/v1/login", reply=edit_json(set_in(("access_token",), ["tok-SECRET"])))
    with through("zenml-pipelines", leak) as client:
        response = client.post("/api/v1/login", data={"username": "default", "password": ""})
        summary = client.get("/__admin/violations").json()
    assert response.headers["x-contract-violations"] == "1"
    assert response.json()["access_token"] == ["tok-SECRET"]  # the client still gets what the server sent
    (violation,) = summary["operations"][0]["first"]
    assert violation["at"] == "body.access_token" and violation["got"] == "<redacted>"
    assert "tok-SECRET" not in str(summary)


def test_cors_is_the_upstreams_alone(through: Through) -> None:
    with through(GOCD) as client:
        response = client.get(HISTORY, auth=("admin", "badger"), headers={"Origin": "http://app.example"})
        preflight = client.options(
            HISTORY, headers={"Origin": "http://app.example", "Access-Control-Request-Method": "GET"}
        )
    assert response.headers.get_list("access-control-allow-origin") == ["*"]  # one: the mock's layer stays out
    assert preflight.headers.get_list("access-control-allow-origin") == ["*"]


def test_headers_a_connection_header_names_are_not_forwarded(tiny: str) -> None:
    with proxy(GOCD, tiny) as client:
        response = client.get(
            "/go/api/stages/bin/DEV/history",
            headers={"Connection": "keep-alive, X-Hop", "X-Hop": "for this connection only"},
        )
    assert response.headers["x-got-hop"] == "none"


def test_proxy_flags_are_checked(capsys: pytest.CaptureFixture[str]) -> None:
    settings = parse(["--proxy", "gocd-stages=http://127.0.0.1:8153", "--record", "out.yaml", "--proxy-strict"])
    assert settings.proxies == (("gocd-stages", "http://127.0.0.1:8153"),) and settings.proxy_strict
    for argv, words in [
        (["--proxy", "jenkins=http://x"], "'jenkins' is not an API"),
        (["--proxy", "gocd-stages=goserver:8153"], "NAME=http://host:port"),
        (["--record", "out.yaml"], "--record needs --proxy"),
        (["--api", "esper-stages", "--proxy", "gocd-stages=http://x"], "also pass --api gocd-stages"),
    ]:
        with pytest.raises(SystemExit):
            parse(argv)
        assert words in capsys.readouterr().err


def test_an_undocumented_path_or_method_is_one_violation_and_still_forwarded(tiny: str) -> None:
    with proxy(GOCD, tiny) as client:
        unknown = client.get("/go/api/nothing-here")
        wrong_method = client.delete("/go/api/stages/bin/DEV/history", auth=("admin", "badger"))
        summary = client.get("/__admin/violations").json()
    assert unknown.status_code == 404 and wrong_method.status_code == 405  # the upstream's answers
    assert unknown.headers["x-contract-violations"] == wrong_method.headers["x-contract-violations"] == "1"
    first = {v["expected"]: v for op in summary["operations"] for v in op["first"]}
    assert first["a documented path"]["pointer"] == "/paths"
    assert (
        first["a documented method"]["pointer"]
        == "/paths/~1go~1api~1stages~1{pipeline_name}~1{stage_name}~1history/delete"
    )


def test_a_request_body_past_the_limit_is_413_before_anything_is_sent(tiny: str) -> None:
    with proxy(GOCD, tiny, max_body_bytes=10) as client:
        response = client.post("/go/api/stages/foo/DEV/cancel", content=b"x" * 11, auth=("admin", "badger"))
    assert response.status_code == 413
    assert "over 10 bytes" in response.text


def test_only_a_served_api_can_be_proxied() -> None:
    with pytest.raises(ValueError, match="cannot proxy gocd-stages: not among the served APIs"):
        create_app(Settings(apis=("esper-stages",), proxies=((GOCD, "http://127.0.0.1:1"),)))


def test_the_journal_entry_and_the_log_line_carry_the_violations(
    capsys: pytest.CaptureFixture[str], through: Through
) -> None:
    wrong_type = next(m for m in MUTANTS if m.name == "wrong type (count as a string)")
    path = "/v0/pipelines/ba6d91f0-3d61-4f40-8b26-43d9f7559df9/stages/"
    with through("esper-stages", wrong_type.wrap, log_format="text") as client:
        client.get(path, headers=KEY)
        (entry,) = client.get("/__admin/requests", params={"operation": "list_stages"}).json()["requests"]
    assert entry["violations"] and entry["violations"][0]["at"] == "body.content.count"
    line = next(line for line in capsys.readouterr().out.splitlines() if "list_stages" in line)
    assert "-> 200 list_stages: 1 violation: body.content.count:" in line


def test_checking_an_answer_does_not_stall_the_mocks_other_clients(tiny: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """openapi-core takes milliseconds over a large page: the check runs off the event loop, so a mocked API
    answers while a proxied exchange is still being checked."""
    checking, release = threading.Event(), threading.Event()
    real_check = ContractCheck.check

    def slow_check(self: ContractCheck, exchange: Any) -> Any:
        checking.set()
        release.wait(timeout=10)  # on the event loop, the request below could not be served until then
        return real_check(self, exchange)

    monkeypatch.setattr(ContractCheck, "check", slow_check)
    app = create_app(Settings(apis=(GOCD, "esper-stages"), proxies=((GOCD, tiny),), seed=0))
    with serve_app(app) as url, httpx.Client(base_url=url, timeout=20) as client:
        proxied = threading.Thread(target=client.get, args=("/go/api/stages/bin/DEV/history",))
        proxied.start()
        assert checking.wait(timeout=10)
        mocked = client.get("/v0/pipelines/p/stages/")  # no credentials: the mock's own 401
        still_checking = proxied.is_alive()
        release.set()
        proxied.join(timeout=10)
    assert mocked.status_code == 401
    assert still_checking
