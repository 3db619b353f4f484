"""The command line: exit statuses, one-line errors, reports, known deviations, read-only mode."""

from __future__ import annotations

import socket
import xml.etree.ElementTree as ET
from pathlib import Path

import httpx
import pytest
from starlette.types import ASGIApp, Receive, Scope, Send

from conformance.apis import SUITES
from conformance.cli import main
from tests.conformance.conftest import mock_auth_flags

QUICK = ["--max-examples", "5", "--seed", "1"]


def run_instabase(base_url: str, *extra: str, token: str = "mock-token") -> int:
    """A quick run against the Instabase mock (the fastest API to check)."""
    return main(["run", "--api", "instabase-flow", "--base-url", base_url, "--token", token, *QUICK, *extra])


def test_unknown_api_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["run", "--api", "nope"])
    assert exit_.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def test_unreachable_server_is_exit_2_with_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    assert main(["run", "--api", "gocd-stages", "--base-url", f"http://127.0.0.1:{port}", *QUICK]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("conformance: server unreachable at http://127.0.0.1:")
    assert "\n" not in err


def test_failed_login_is_exit_2(served, capsys: pytest.CaptureFixture[str]) -> None:
    with served("zenml-pipelines") as base_url:
        code = main(["run", "--api", "zenml-pipelines", "--base-url", base_url, "--login", "default:wrong", *QUICK])
    assert code == 2
    assert "login as 'default'" in capsys.readouterr().err


def test_login_for_an_api_without_a_login_route_is_exit_2(served, capsys: pytest.CaptureFixture[str]) -> None:
    with served("gocd-stages") as base_url:
        code = main(["run", "--api", "gocd-stages", "--base-url", base_url, "--login", "admin:badger", *QUICK])
    assert code == 2
    assert "--login works only for an API with a login route" in capsys.readouterr().err


def test_conforming_server_exits_0_and_writes_junit(served, tmp_path: Path, capsys) -> None:
    report = tmp_path / "junit.xml"
    with served("instabase-flow") as base_url:
        code = run_instabase(base_url, "--junit-xml", str(report))
    out = capsys.readouterr().out
    assert code == 0, out
    assert "the server conforms" in out
    assert "coverage: 3/3 operations exercised" in out
    suite = ET.parse(report).getroot().find("testsuite")
    assert suite is not None and suite.get("name") == "instabase-flow" and suite.get("failures") == "0"
    assert {case.get("name") for case in suite} >= {"GET /api/v1/flow/pipeline", "POST /api/v1/jobs/pipelines"}


def test_wrong_credentials_are_findings_not_crashes(served, capsys) -> None:
    with served("instabase-flow") as base_url:
        code = run_instabase(base_url, token="wrong")
    assert code == 1
    assert "FAILURES" in capsys.readouterr().out


def test_expired_known_deviation_fails_the_run(served, tmp_path: Path, capsys) -> None:
    allow = tmp_path / "known.yaml"
    allow.write_text("- {check: not_a_server_error, reason: flaky proxy, expires: 2020-01-01}\n")
    with served("instabase-flow") as base_url:
        code = run_instabase(base_url, "--allow", str(allow))
    out = capsys.readouterr().out
    assert code == 1
    assert "ERROR: known deviation expired on 2020-01-01: not_a_server_error (until 2020-01-01: flaky proxy)" in out


def test_malformed_allow_file_is_exit_2(served, tmp_path: Path, capsys) -> None:
    allow = tmp_path / "known.yaml"
    allow.write_text("- {check: x}\n")
    assert main(["run", "--api", "gocd-stages", "--allow", str(allow), *QUICK]) == 2
    assert "entry 0: missing reason, expires" in capsys.readouterr().err


class MethodRecorder:
    """Wraps the mock and records every method it is sent."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.sent: set[tuple[str, str]] = set()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            self.sent.add((scope["method"], scope["path"]))
        await self.app(scope, receive, send)


@pytest.mark.parametrize(
    "api",
    # one API's run in make test-fast; all five, ZenML's login included, in make test
    [api if api == "instabase-flow" else pytest.param(api, marks=pytest.mark.slow) for api in SUITES],
)
def test_read_only_sends_no_write_method(api: str, served, capsys) -> None:
    recorders: list[MethodRecorder] = []

    def wrap(app: ASGIApp) -> ASGIApp:
        recorders.append(MethodRecorder(app))
        return recorders[0]

    with served(api, wrap=wrap) as base_url:
        code = main(["run", "--api", api, "--base-url", base_url, *mock_auth_flags(api), "--read-only", *QUICK])
    assert code == 0, capsys.readouterr().out
    writes = {(method, path) for method, path in recorders[0].sent if method in {"POST", "PUT", "DELETE", "PATCH"}}
    # the ZenML login (which creates nothing) is the one write a read-only run may send
    assert writes <= {("POST", "/api/v1/login")}, writes


def test_session_sends_the_header_on_every_request(served, capsys) -> None:
    with served("instabase-flow") as base_url:
        assert run_instabase(base_url, "--session", "ci-7") == 0, capsys.readouterr().out
        counts = {
            s: httpx.get(f"{base_url}/__admin/requests/count", params={"session": s}).json()["count"]
            for s in ("ci-7", "default")
        }
    assert counts["ci-7"] > 10
    assert counts["default"] == 1  # the reachability probe at the root only


def test_a_malformed_session_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["run", "--api", "instabase-flow", "--session", "a b"])
    assert exit_.value.code == 2
    assert "1-64 characters" in capsys.readouterr().err
