"""ZenML's own Python client (`zenml.client.Client`, in `.venv-zenml`) against the mock, and against a real server.

`live/client_vs_mock.py` runs the scenario (log in, list with paging/sorting/filters, get by id and by
name, update through the client's store, delete) and reports each step's result and every request sent.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from live.zenml_server import LIVE, LiveServer, isolated_env

pytestmark = pytest.mark.live

SCRIPT = LIVE / "client_vs_mock.py"
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def run_client(python: Path, base_url: str, out: Path) -> dict[str, Any]:
    ran = subprocess.run(
        [str(python), str(SCRIPT), "--url", base_url, "--out", str(out)],
        env=isolated_env(),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert out.exists(), f"the client script crashed (exit {ran.returncode}):\n{ran.stdout}\n{ran.stderr}"
    return json.loads(out.read_text())


def results(report: dict[str, Any]) -> dict[str, Any]:
    """Each step's result; a failed step fails the test with the client's error and what it sent."""
    failed = {name: step["error"] for name, step in report["steps"].items() if "error" in step}
    assert not failed, f"the ZenML client failed: {json.dumps(failed, indent=2)}\nrequests:\n" + "\n".join(
        report["requests"]
    )
    return {name: step["result"] for name, step in report["steps"].items()}


def without_ids(value: Any) -> Any:
    """The report with every UUID replaced: ids differ between two servers by nature, nothing else should."""
    return json.loads(UUID.sub("<id>", json.dumps(value)))


def test_zenml_client_logs_in_lists_gets_updates_and_deletes_against_the_mock(
    zenml_python: Path, mock_zenml: str, tmp_path: Path
) -> None:
    # Given the mock with its default fixtures (alpha, beta, gamma with tags; demo_training_pipeline ran)
    # When ZenML's client runs the scenario against it
    got = results(run_client(zenml_python, mock_zenml, tmp_path / "mock.json"))

    # Then it connected as `default` to a 0.98.0 OAuth2 server, in project and stack `default`
    assert got["server_info"] == {"version": "0.98.0", "auth_scheme": "OAUTH2_PASSWORD_BEARER"}
    assert (got["active_user"], got["active_project"], got["active_stack"]) == ("default", "default", "default")
    # and lists page, sort and filter as the real server does
    everything = ["alpha_pipeline", "beta_pipeline", "gamma_pipeline", "demo_training_pipeline"]
    assert got["list_default"] == {
        "index": 1,
        "max_size": 20,
        "total": 4,
        "total_pages": 1,
        "names": everything,
        "hydrated": [False] * 4,
    }
    page1, page2 = got["list_page1_size2_by_name"], got["list_page2_size2_by_name"]
    assert (page1["index"], page1["max_size"], page1["total_pages"], page1["total"]) == (1, 2, 2, 4)
    assert page1["names"] + page2["names"] == sorted(everything)
    assert page2["index"] == 2
    assert got["list_sort_desc_name"]["names"] == sorted(everything, reverse=True)
    assert got["list_name_contains"]["names"] == ["alpha_pipeline", "beta_pipeline", "gamma_pipeline"]
    assert got["list_name_startswith"]["names"] == ["beta_pipeline"]
    assert got["list_tags_seed"]["names"] == ["alpha_pipeline", "beta_pipeline", "gamma_pipeline"]
    assert got["list_hydrated"]["hydrated"] == [True]
    # and finds the same pipeline by name and by id
    alpha = {
        "name": "alpha_pipeline",
        "description": "seeded alpha_pipeline",
        "tags": ["alpha_pipeline-tag", "seed"],
        "user": "default",
        "latest_run_status": None,
    }
    assert got["get_by_name"].items() >= alpha.items()
    assert got["get_by_id"] == got["get_by_name"]
    # and the store's update changes description and tags, as a later get shows
    updated = alpha | {"description": "updated by zenml.client", "tags": ["client-tag", "seed"]}
    assert got["update_through_store"].items() >= updated.items()
    assert got["get_after_update"] == got["update_through_store"]
    # and a deleted pipeline is gone
    assert got["delete_by_name"]["get_after_delete"].startswith("KeyError")
    assert got["list_after_delete"]["names"] == ["alpha_pipeline", "beta_pipeline", "demo_training_pipeline"]


def test_zenml_client_gets_the_same_answers_and_sends_the_same_requests_to_mock_and_real_server(
    zenml_python: Path, mock_zenml: str, live_zenml: LiveServer, tmp_path: Path
) -> None:
    # Given the mock and a real 0.98.0 server seeded with the same pipelines (ids differ)
    # When ZenML's client runs the same scenario against each
    mock = run_client(zenml_python, mock_zenml, tmp_path / "mock.json")
    real = run_client(zenml_python, live_zenml.base_url, tmp_path / "real.json")

    # Then every step gives the same result, and the client sends the same requests and gets the same statuses
    assert without_ids(results(mock)) == without_ids(results(real))
    assert without_ids(mock["requests"]) == without_ids(real["requests"])
