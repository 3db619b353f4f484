"""Live reload, on copies of the specs and fixtures: a changed spec is swapped in keeping the state,
a broken one leaves the last good version served, a changed fixture file resets its API."""

from __future__ import annotations

import logging
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from contracts import spec_path
from mock_server import Settings, create_app
from mock_server.apis import load_api
from mock_server.fixtures import default_fixture_file
from mock_server.testing import serve_app

API = "gocd-stages"
ADMIN = ("admin", "badger")
CANCEL = "/go/api/stages/demo_pipeline/first_stage/cancel"
CANCEL_HEADERS = {"X-GoCD-Confirm": "true", "Accept": "application/vnd.go.cd.v3+json"}
HISTORY = "/go/api/stages/foo/DEV/history"
WAIT_S = 15.0


@pytest.fixture
def copies(tmp_path: Path) -> tuple[Path, Path]:
    """A specs folder and a fixtures file of our own, so the package's files are never edited."""
    specs = tmp_path / "specs"
    specs.mkdir()
    shutil.copy(spec_path(API), specs / f"{API}.yaml")
    fixtures = tmp_path / "fixtures.yaml"
    fixtures.write_text(f"{API}:\n" + _indent(default_fixture_file(load_api(API)).read_text()))
    return specs, fixtures


def _indent(text: str) -> str:
    return "".join(f"  {line}\n" for line in text.splitlines())


@pytest.fixture
def mock(copies: tuple[Path, Path]) -> Iterator[httpx.Client]:
    specs, fixtures = copies
    app = create_app(Settings(apis=(API,), specs_dir=specs, fixtures=fixtures, reload=True, seed=0))
    with serve_app(app) as base_url, httpx.Client(base_url=base_url, timeout=10) as http:
        yield http


def eventually(check: Callable[[], bool], edit: Callable[[], None]) -> None:
    """Edit, then wait for `check`; edit again now and then, in case the watcher was not yet watching."""
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        edit()
        for _ in range(20):
            if check():
                return
            time.sleep(0.1)
    raise AssertionError("the edit was not picked up")


def title(http: httpx.Client) -> str:
    return str(http.get(f"/{API}/openapi.json").json()["info"]["title"])


def retitle(spec: Path, new: str) -> Callable[[], None]:
    original = spec_path(API).read_text()
    old = next(line for line in original.splitlines() if line.startswith("  title:"))
    return lambda: spec.write_text(original.replace(old, f"  title: {new}", 1))


def test_a_changed_spec_is_swapped_in_keeping_the_state(mock, copies, caplog) -> None:
    caplog.set_level(logging.WARNING, logger="mock_server.reload")
    specs, _ = copies
    assert mock.post(CANCEL, auth=ADMIN, headers=CANCEL_HEADERS).text == "Stage cancelled successfully.\n"
    eventually(lambda: title(mock) == "Edited", retitle(specs / f"{API}.yaml", "Edited"))
    again = mock.post(CANCEL, auth=ADMIN, headers=CANCEL_HEADERS)
    assert again.text == "Stage is not active. Cancellation Ignored.\n"  # the cancel before the reload stands
    line = next(r.getMessage() for r in caplog.records if r.getMessage().startswith("reloaded"))
    assert f"{API} rebuilt, state kept (swap took" in line and line.endswith(" ms)")


def test_a_broken_spec_keeps_the_last_good_version_until_it_is_fixed(mock, copies, caplog) -> None:
    caplog.set_level(logging.WARNING, logger="mock_server.reload")
    spec = specs_file = copies[0] / f"{API}.yaml"
    good = title(mock)

    def failed() -> bool:
        return any("failed, still serving" in r.getMessage() for r in caplog.records)

    eventually(failed, lambda: spec.write_text("openapi: 3.0.3\npaths: {\n  broken: [\n"))
    error = next(r.getMessage() for r in caplog.records if "failed" in r.getMessage())
    assert f"{specs_file}:" in error and "not valid YAML" in error
    assert title(mock) == good
    assert mock.get(HISTORY, auth=ADMIN).status_code == 200
    eventually(lambda: title(mock) == "Fixed", retitle(spec, "Fixed"))


def test_a_changed_fixture_file_resets_its_api(mock, copies) -> None:
    _, fixtures = copies
    original = fixtures.read_text()
    assert mock.post(CANCEL, auth=ADMIN, headers=CANCEL_HEADERS).status_code == 200

    def new_password() -> None:
        fixtures.write_text(original.replace("password: badger", "password: otter", 1))

    eventually(lambda: mock.get(HISTORY, auth=("admin", "otter")).status_code == 200, new_password)
    assert mock.get(HISTORY, auth=ADMIN).status_code == 401
    cancel = mock.post(CANCEL, auth=("admin", "otter"), headers=CANCEL_HEADERS)
    assert cancel.text == "Stage cancelled successfully.\n"  # back to the fixtures' running stage


def test_a_spec_the_state_breaks_resets_the_state_and_says_why(mock, copies, caplog) -> None:
    caplog.set_level(logging.WARNING, logger="mock_server.reload")
    spec = copies[0] / f"{API}.yaml"
    state = mock.get("/__admin/state").json()
    state[API]["stages"][0]["approved_by"] = "a-very-long-user-name"
    assert mock.put("/__admin/state", json={API: state[API]}).status_code == 200
    original = spec.read_text()
    anchor = "        approved_by:\n          type: string\n"
    assert anchor in original

    def limit() -> None:
        spec.write_text(original.replace(anchor, anchor + "          maxLength: 7\n", 1))

    eventually(lambda: any("state reset" in r.getMessage() for r in caplog.records), limit)
    line = next(r.getMessage() for r in caplog.records if "state reset" in r.getMessage())
    assert "approved_by" in line and "is too long" in line
    assert mock.get("/__admin/state").json()[API]["stages"][0]["approved_by"] != "a-very-long-user-name"


def test_an_invalid_openapi_document_names_file_and_line(mock, copies, caplog) -> None:
    caplog.set_level(logging.WARNING, logger="mock_server.reload")
    spec = copies[0] / f"{API}.yaml"
    original = spec.read_text()
    broken = original.replace("type: integer", "type: integr", 1)
    eventually(lambda: any("failed" in r.getMessage() for r in caplog.records), lambda: spec.write_text(broken))
    error = next(r.getMessage() for r in caplog.records if "failed" in r.getMessage())
    assert f"{spec}:" in error and "InvalidSpecification" in error
    reported = int(error.split(f"{spec}:", 1)[1].split(":", 1)[0])
    assert "name: offset" in broken.splitlines()[reported - 1]  # the parameter that holds the bad type
    assert mock.get(HISTORY, auth=ADMIN).status_code == 200


def test_an_edited_faults_file_is_in_force_at_once(copies, tmp_path: Path) -> None:
    faults = tmp_path / "faults.yaml"
    faults.write_text("rules: []\n")
    rule = "rules:\n  - {api: gocd-stages, operation: get_stage_history, fault: {status: 404}}\n"
    app = create_app(Settings(apis=(API,), specs_dir=copies[0], faults=faults, reload=True))
    with serve_app(app) as base_url, httpx.Client(base_url=base_url, timeout=10) as http:
        assert http.get(HISTORY, auth=ADMIN).status_code == 200
        eventually(lambda: http.get(HISTORY, auth=ADMIN).status_code == 404, lambda: faults.write_text(rule))
        assert http.get("/__admin/faults").json()["rules"][0]["fired"] >= 1


def test_a_fixture_that_no_longer_validates_keeps_the_last_good_data(mock, copies, caplog) -> None:
    caplog.set_level(logging.WARNING, logger="mock_server.reload")
    _, fixtures = copies
    broken = fixtures.read_text().replace("  - id: 1\n", "  - id: one\n", 1)
    assert "id: one" in broken

    def failed() -> bool:
        return any("failed, still serving" in r.getMessage() for r in caplog.records)

    eventually(failed, lambda: fixtures.write_text(broken))
    error = next(r.getMessage() for r in caplog.records if "failed" in r.getMessage())
    assert f"{fixtures}: {API}.stages[0].id" in error
    assert mock.get(HISTORY, auth=ADMIN).status_code == 200
