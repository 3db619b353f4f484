"""The options that make a run safe against production: rate limit, time budget, selection, timeouts."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from contextlib import AbstractContextManager

import pytest
from starlette.types import ASGIApp, Receive, Scope, Send

from conformance.cli import main

pytestmark = pytest.mark.slow  # whole conformance runs or real servers: left out of make test-fast

Served = Callable[..., AbstractContextManager[str]]
QUICK = ["--max-examples", "5", "--seed", "1", "--token", "mock-token"]


class Counting:
    """An ASGI wrapper that records when each request arrives, its method, path and user agent."""

    def __init__(self) -> None:
        self.app: ASGIApp | None = None
        self.seen: list[tuple[float, str, str, str]] = []

    def wrap(self, app: ASGIApp) -> ASGIApp:
        self.app = app
        return self

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert self.app is not None
        if scope["type"] == "http":
            agent = dict(scope["headers"]).get(b"user-agent", b"").decode()
            self.seen.append((time.monotonic(), scope["method"], scope["path"], agent))
        await self.app(scope, receive, send)

    def max_in_window(self, seconds: float) -> int:
        times = sorted(t for t, *_ in self.seen)
        return max((sum(1 for u in times[i:] if u < t + seconds) for i, t in enumerate(times)), default=0)

    def paths(self) -> set[tuple[str, str]]:
        return {(method, path) for _, method, path, _ in self.seen}


def counted(served: Served, api: str = "instabase-flow") -> tuple[AbstractContextManager[str], Counting]:
    counter = Counting()
    return served(api, wrap=counter.wrap), counter


def instabase(base_url: str, *extra: str) -> int:
    return main(["run", "--api", "instabase-flow", "--base-url", base_url, *QUICK, *extra])


def test_rate_limit_bounds_schemathesis_and_properties_together(served: Served, capsys) -> None:
    server, counter = counted(served)
    with server as base_url:
        started = time.monotonic()
        code = instabase(base_url, "--read-only", "--phases", "properties,coverage", "--rate-limit", "8/s")
        elapsed = time.monotonic() - started
    assert code == 0, capsys.readouterr().out
    agents = {agent.split("/")[0] for *_, agent in counter.seen}
    assert {"python-httpx", "schemathesis"} <= agents  # both halves went through the limit
    assert len(counter.seen) > 16, "too few requests for the limit to matter"
    assert counter.max_in_window(1.0) <= 8
    assert elapsed >= len(counter.seen) / 8 - 1.5


def test_rate_limit_syntax_is_checked() -> None:
    for bad in ("10", "10/h", "1/s", "x/s"):
        with pytest.raises(SystemExit) as exit_:
            main(["run", "--api", "gocd-stages", "--rate-limit", bad])
        assert exit_.value.code == 2


def test_time_budget_stops_at_the_next_request_and_fails_the_run(served: Served, capsys) -> None:
    server, counter = counted(served)
    with server as base_url:
        started = time.monotonic()
        code = instabase(base_url, "--rate-limit", "20/s", "--max-time", "2")
        elapsed = time.monotonic() - started
    out = capsys.readouterr().out
    assert code == 1, out
    assert "ERROR: time budget of 2 s exceeded" in out
    assert "FAILURES" not in out
    assert elapsed < 6
    assert max(t for t, *_ in counter.seen) - started < 2.5


def test_failures_found_before_the_budget_ran_out_say_more(served: Served, capsys) -> None:
    from tests.conformance.mutants import MUTANTS

    mutant = next(m for m in MUTANTS if m.name == "undocumented status code")
    with served("instabase-flow", wrap=mutant.wrap) as base_url:
        code = instabase(base_url, "--rate-limit", "20/s", "--max-time", "3")
    out = capsys.readouterr().out
    assert code == 1
    assert "FAILURES" in out and "NOTE: time budget of 3 s exceeded" in out


def test_excluded_operation_is_never_called(served: Served, capsys) -> None:
    server, counter = counted(served)
    with server as base_url:
        code = instabase(base_url, "--exclude-operation", "update_job_pipelines")
    out = capsys.readouterr().out
    assert code == 0, out
    assert ("POST", "/api/v1/jobs/pipelines") not in counter.paths()
    assert "skipped JobPipelinesMachine: needs POST /api/v1/jobs/pipelines (update_job_pipelines)" in out


def test_only_the_selected_operation_is_called(served: Served, capsys) -> None:
    server, counter = counted(served)
    with server as base_url:
        code = instabase(base_url, "--operation", "list_flow_pipelines", "--read-only")
    out = capsys.readouterr().out
    assert code == 0, out
    called = {path for _, path in counter.paths() if not path.startswith("/schemathesis-probe")}
    assert called <= {"/", "/api/v1/flow/pipeline"}
    assert "coverage: 1/1 operations exercised" in out
    assert "skipped both_list_paths_agree" in out


def test_unknown_operation_id_is_a_usage_error(capsys) -> None:
    assert main(["run", "--api", "gocd-stages", "--operation", "nope"]) == 2
    assert "no operationId 'nope' in gocd-stages" in capsys.readouterr().err


@pytest.mark.parametrize(("phases", "agent"), [("properties", "python-httpx"), ("coverage", "schemathesis")])
def test_phases_select_the_halves(phases: str, agent: str, served: Served, capsys) -> None:
    server, counter = counted(served)
    with server as base_url:
        code = instabase(base_url, "--phases", phases, "--read-only")
    assert code == 0, capsys.readouterr().out
    # the reachability check is the one request outside both halves
    agents = {a.split("/")[0] for _, _, path, a in counter.seen if path != "/"}
    assert agents == {agent}


def test_unknown_phase_is_a_usage_error() -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["run", "--api", "gocd-stages", "--phases", "examples,stateless"])
    assert exit_.value.code == 2


class Hanging:
    """Answers GET /api/v1/jobs/pipelines only after `seconds`: a server that hangs on one operation."""

    def __init__(self, app: ASGIApp, seconds: float = 3.0) -> None:
        self.app = app
        self.seconds = seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET" and scope["path"] == "/api/v1/jobs/pipelines":
            await asyncio.sleep(self.seconds)
        await self.app(scope, receive, send)


def test_hanging_server_is_a_failure_of_that_operation(served: Served, capsys) -> None:
    with served("instabase-flow", wrap=Hanging) as base_url:
        started = time.monotonic()
        code = instabase(base_url, "--request-timeout", "0.5", "--phases", "properties,coverage", "--read-only")
        elapsed = time.monotonic() - started
    out = capsys.readouterr().out
    assert code == 1, out
    failures = out.split("\nFAILURES\n", 1)[1]
    assert "] request_timeout  GET /api/v1/jobs/pipelines" in failures
    assert "] both_list_paths_agree  GET /api/v1/jobs/pipelines" in failures
    assert "a response within 0.5 s (--request-timeout)" in failures
    assert elapsed < 30


def test_progress_goes_to_stderr_one_line_per_step_unless_quiet(served: Served, capsys) -> None:
    with served("instabase-flow") as base_url:
        assert instabase(base_url, "--read-only", "--phases", "properties,coverage") == 0
        err = capsys.readouterr().err
        assert instabase(base_url, "--read-only", "--phases", "properties,coverage", "--quiet") == 0
        quiet = capsys.readouterr().err
    assert "[instabase-flow] properties: 4/4 properties" in err
    assert "[instabase-flow] coverage: 2/2 operations" in err
    assert "[instabase-flow]" not in quiet


def test_progress_on_a_terminal_rewrites_one_line() -> None:
    import io

    from conformance.findings import ApiResult
    from conformance.progress import StreamProgress

    stream = io.StringIO()
    progress = StreamProgress(stream, tty=True)
    result = ApiResult(api="gocd-stages", requests=7)
    progress.update(result, "fuzzing", 1, 3)
    progress.step_done(result, "fuzzing", 3, 3)
    progress.close()
    text = stream.getvalue()
    assert "\n" not in text
    assert "\r\x1b[K[gocd-stages] fuzzing: 3/3 operations, 7 requests, 0 failure(s)" in text


def test_login_without_a_token_is_a_finding_and_the_api_is_skipped(served: Served, capsys) -> None:
    from tests.conformance.mutants import rewrite

    def broken(scope: Scope, response: tuple[int, dict[str, str], bytes]) -> tuple[int, dict[str, str], bytes]:
        return 500, {"content-type": "text/plain"}, b"oops"

    with served("zenml-pipelines", wrap=rewrite(method="POST", path="/api/v1/login", reply=broken)) as base_url:
        code = main(["run", "--api", "zenml-pipelines", "--base-url", base_url, "--login", "default:", "--seed", "1"])
    out = capsys.readouterr().out
    assert code == 1, out
    assert "] login_as_documented  POST /api/v1/login" in out
    assert "got HTTP 500: oops" in out
    assert "the other checks of this API did not run" in out
