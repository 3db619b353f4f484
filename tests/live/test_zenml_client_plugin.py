"""ZenML's own client (`zenml.client.Client`, in `.venv-zenml`) against the plugin's `mock_api`, as a user would.

The scenario and its checks are `test_zenml_client.py`'s; this adds what embedding gives: the state the
client left behind, read back through the handle, and a clean mock again for the next test.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mock_server.api import Login
from mock_server.testing import MockServer
from tests.live.test_zenml_client import results, run_client

pytestmark = pytest.mark.live


def pipelines(mock: MockServer) -> dict[str, str | None]:
    return {p["name"]: p["description"] for p in mock.state()["zenml-pipelines"]["pipelines"]}


def test_zenml_client_changes_are_in_the_mocks_state_and_gone_after_reset(
    zenml_python: Path, mock_api: MockServer, tmp_path: Path
) -> None:
    # Given the plugin's mock, reset to its fixtures, and ZenML's client logged in with its default user
    login = mock_api.credentials["zenml-pipelines"]
    assert isinstance(login, Login)
    # When the client runs the scenario (update alpha_pipeline, delete gamma_pipeline)
    got = results(run_client(zenml_python, mock_api.base_url, tmp_path / "mock.json"))
    # Then it connected as the mock's default user, and its changes are in the mock's state
    assert got["active_user"] == login.username == "default"
    after = pipelines(mock_api)
    assert "gamma_pipeline" not in after
    assert after["alpha_pipeline"] == "updated by zenml.client"
    # and reset() puts the fixtures back
    mock_api.reset()
    assert pipelines(mock_api)["gamma_pipeline"] == "seeded gamma_pipeline"
