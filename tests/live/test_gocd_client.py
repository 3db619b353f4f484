"""The `gocd` client library (PyPI `gocd`, urllib-based) against the mock, through the pytest plugin's `mock_api`.

What a team with GoCD automation would write: no server to start, state back to the fixtures before
each test. Not marked `live`: it needs no real server nor `.venv-zenml`, so plain `make test` runs it.
"""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator

import gocd  # type: ignore[import-untyped]
import pytest

from mock_server.api import BasicAuth
from mock_server.testing import MockServer


@pytest.fixture
def go(mock_api: MockServer) -> Iterator[gocd.Server]:
    """A `gocd.Server` logged in with the mock's default GoCD user (admin:badger)."""
    credential = mock_api.credentials["gocd-stages"]
    assert isinstance(credential, BasicAuth)
    yield gocd.Server(mock_api.base_url, credential.username, credential.password)
    urllib.request.install_opener(None)  # gocd.Server installs a global urllib opener; leave none behind


def test_stage_history_pages_through_every_run_latest_first(go: gocd.Server) -> None:
    # Given demo_pipeline/first_stage's 27 runs in the default fixtures
    stage = go.stage("demo_pipeline", "first_stage")
    # When the client reads its history page by page
    pages = [stage.history(offset=offset) for offset in (0, 10, 20)]
    # Then each page is ten runs or the rest, latest first, with the seed's pagination
    assert all(page.is_ok for page in pages)
    assert [page["pagination"] for page in pages] == [{"offset": o, "total": 27, "page_size": 10} for o in (0, 10, 20)]
    runs = [run for page in pages for run in page["stages"]]
    assert len(runs) == 27
    assert [run["id"] for run in runs] == sorted((run["id"] for run in runs), reverse=True)
    assert (runs[0]["pipeline_counter"], runs[0]["result"]) == (25, "Unknown")  # still building
    assert (runs[-1]["pipeline_counter"], runs[-1]["name"]) == (1, "first_stage")


def test_cancel_stops_the_running_stage_once(go: gocd.Server) -> None:
    stage = go.stage("demo_pipeline", "first_stage")
    # When the client cancels the stage whose latest run is building
    first, second = stage.cancel(), stage.cancel()
    # Then the first cancel stops it, the second finds nothing to cancel (both 200, plain text)
    assert (first.status_code, first.payload) == (200, b"Stage cancelled successfully.\n")
    assert (second.status_code, second.payload) == (200, b"Stage is not active. Cancellation Ignored.\n")
    # and the history now shows the run, and its unfinished job, as cancelled
    latest = stage.history()["stages"][0]
    assert (latest["pipeline_counter"], latest["result"]) == (25, "Cancelled")
    assert [(job["state"], job["result"]) for job in latest["jobs"]] == [("Completed", "Cancelled")]


def test_each_test_starts_from_the_fixtures_again(go: gocd.Server) -> None:
    # Given another test cancelled this run (in whatever order they ran), mock_api reset the state
    # Then the run is still building, and cancelling it works again
    stage = go.stage("demo_pipeline", "first_stage")
    assert stage.history()["stages"][0]["result"] == "Unknown"
    assert stage.cancel().payload == b"Stage cancelled successfully.\n"


def test_a_wrong_password_is_a_401_the_client_reports(mock_api: MockServer) -> None:
    response = gocd.Server(mock_api.base_url, "admin", "wrong").stage("foo", "DEV").history()
    urllib.request.install_opener(None)
    assert not response.is_ok
    assert (response.status_code, response.payload) == (
        401,
        b"Unauthorized { Invalid credentials: unknown user or wrong password. }\n",
    )
