"""`--state-file`: state survives a restart and a kill -9; a bad file stops the start and is kept."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from mock_server import Settings, create_app
from mock_server.cli import main
from mock_server.persist import StateFileError
from mock_server.testing import serve_app

PIPELINE = "ba6d91f0-3d61-4f40-8b26-43d9f7559df9"
STAGES = f"/v0/pipelines/{PIPELINE}/stages/"
AUTH = {"Authorization": "Bearer mock-token"}


@contextmanager
def mock(state_file: Path, interval: float = 5.0) -> Iterator[httpx.Client]:
    settings = Settings(apis=("esper-stages",), state_file=state_file, state_interval_s=interval)
    with serve_app(create_app(settings)) as url, httpx.Client(base_url=url, headers=AUTH) as client:
        yield client


def stage_names(client: httpx.Client) -> list[str]:
    return [stage["name"] for stage in client.get(STAGES, params={"limit": 1000}).json()["content"]["results"]]


def test_the_state_is_saved_at_shutdown_and_loaded_at_start(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    with mock(path) as client:
        assert client.post(STAGES, json={"name": "Kept"}).status_code == 200
    saved = json.loads(path.read_text())
    assert saved["version"] == 2
    assert "Kept" in [stage["name"] for stage in saved["state"]["default"]["esper-stages"]["stages"]]
    with mock(path) as client:
        assert "Kept" in stage_names(client)
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]  # no temp file left behind


def test_every_session_is_saved_and_comes_back_in_its_own_session(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    with mock(path) as client:
        created = client.post(STAGES, json={"name": "Mine"}, headers={"X-Mock-Session": "alice"})
        assert created.status_code == 200
    with mock(path) as client:
        assert "Mine" in [
            stage["name"]
            for stage in client.get(STAGES, params={"limit": 1000}, headers={"X-Mock-Session": "alice"}).json()[
                "content"
            ]["results"]
        ]
        assert "Mine" not in stage_names(client)


def test_a_version_1_file_loads_as_the_default_session(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    with mock(path) as client:
        assert client.post(STAGES, json={"name": "Old"}).status_code == 200
    saved = json.loads(path.read_text())
    path.write_text(json.dumps({"version": 1, "state": saved["state"]["default"]}))
    with mock(path) as client:
        assert "Old" in stage_names(client)


def test_a_temp_file_left_by_a_kill_during_a_save_is_removed_at_start(tmp_path: Path) -> None:
    stale = tmp_path / ".state.json.k1ll3d.tmp"
    stale.write_bytes(b'{"version": 1, "sta')
    with mock(tmp_path / "state.json"):
        assert not stale.exists()


def test_reads_alone_do_not_rewrite_the_file(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    with mock(path) as client:
        client.post(STAGES, json={"name": "Kept"})
    compact = json.dumps(json.loads(path.read_text())).encode()  # not the layout the mock writes
    path.write_bytes(compact)
    with mock(path) as client:
        assert "Kept" in stage_names(client)
    assert path.read_bytes() == compact


def test_no_file_yet_starts_from_the_fixtures(tmp_path: Path) -> None:
    with mock(tmp_path / "new.json") as client:
        assert stage_names(client)
    assert not (tmp_path / "new.json").exists()  # nothing changed, nothing written


INVALID_STAGE = {"version": 1, "state": {"esper-stages": {"stages": [{"id": "x"}]}}}
BAD_FILES = {
    "not JSON": b'{"version": 1, "state": ',
    "empty": b"",
    "not UTF-8": b'{"version": 1, "state": {"\xff": 1}}',
    "not a mapping": b"[1, 2]",
    "an unknown version": json.dumps({"version": 99, "state": {}}).encode(),
    "no state": json.dumps({"version": 1}).encode(),
    "a stage missing its name": json.dumps(INVALID_STAGE).encode(),
    "an API not served": json.dumps({"version": 1, "state": {"gocd-stages": {}}}).encode(),
}


@pytest.mark.parametrize("content", BAD_FILES.values(), ids=BAD_FILES.keys())
def test_a_bad_file_stops_the_start_with_one_line_naming_it_and_is_kept(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "state.json"
    path.write_bytes(content)
    with pytest.raises(StateFileError) as raised:
        create_app(Settings(apis=("esper-stages",), state_file=path))
    message = str(raised.value)
    assert str(path) in message
    assert "\n" not in message
    assert path.read_bytes() == content


def test_the_cli_exits_2_on_a_bad_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "state.json"
    path.write_text(json.dumps(INVALID_STAGE))
    assert main(["--api", "esper-stages", "--state-file", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert f"state file {path} does not load" in err
    assert "'name' is a required property" in err


def test_a_folder_that_cannot_take_the_file_stops_the_start(tmp_path: Path) -> None:
    with pytest.raises(StateFileError, match="cannot be written"):
        create_app(Settings(apis=("esper-stages",), state_file=tmp_path / "missing" / "state.json"))


@pytest.mark.slow
def test_a_kill_9_loses_at_most_the_last_interval(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    with running(path) as client:
        assert client.post(STAGES, json={"name": "Before the kill"}).status_code == 200
        deadline = time.monotonic() + 20
        while "Before the kill" not in (path.read_text() if path.exists() else ""):
            assert time.monotonic() < deadline, "the changed state was not saved within 20 s"
            time.sleep(0.1)
    with running(path) as client:
        assert "Before the kill" in stage_names(client)


@contextmanager
def running(path: Path) -> Iterator[httpx.Client]:
    """`python -m mock_server --state-file` in its own process, ended with SIGKILL (no shutdown save)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cmd = [sys.executable, "-m", "mock_server", "--api", "esper-stages", "--port", str(port)]
    cmd += ["--state-file", str(path), "--state-interval", "0.2"]
    process = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=AUTH) as client:
            deadline = time.monotonic() + 30
            while True:
                assert process.poll() is None, process.stderr.read().decode() if process.stderr else ""
                try:
                    client.get(STAGES)
                    break
                except httpx.TransportError:
                    assert time.monotonic() < deadline, "the mock did not answer within 30 s"
                    time.sleep(0.1)
            yield client
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.wait(10)
