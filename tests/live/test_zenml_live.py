"""The live target itself: its check can fail, and its server never outlives it.

`make conformance-zenml-live` shows the run is green with the true spec; the first test shows that green
means something: the same run, against the same kind of server, with one required field the server never
sends added to the spec, reports that field, and the live target's known deviations do not hide it.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
import yaml

import conformance.apis
from conformance.runner import run
from conformance.settings import Auth, RunConfig
from live.zenml_server import KNOWN_DEVIATIONS, PASSWORD, USERNAME, LiveServer, zenml_server

pytestmark = pytest.mark.live

MISSING_FIELD = "archived"
"""A field no ZenML 0.98 pipeline has."""


def spec_requiring_a_field_the_server_does_not_send(folder: Path) -> Path:
    """A copy of the ZenML spec whose `PipelineResponse` requires `archived`; returns the specs folder."""
    spec = yaml.safe_load(conformance.apis.SUITES["zenml-pipelines"].spec_path.read_text(encoding="utf-8"))
    pipeline = spec["components"]["schemas"]["PipelineResponse"]
    pipeline["properties"][MISSING_FIELD] = {"type": "boolean"}
    pipeline["required"].append(MISSING_FIELD)
    (folder / "zenml-pipelines.yaml").write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    return folder


def test_live_run_reports_a_required_field_the_real_server_does_not_send(
    live_zenml: LiveServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the suite reads a ZenML spec that wrongly requires `archived` on every pipeline
    monkeypatch.setattr(conformance.apis, "SPECS_DIR", spec_requiring_a_field_the_server_does_not_send(tmp_path))
    config = RunConfig(
        apis=("zenml-pipelines",),
        base_url=live_zenml.base_url,
        auth=Auth(login=(USERNAME, PASSWORD)),
        allow_file=KNOWN_DEVIATIONS,
        read_only=True,  # a GET is enough to see a field is missing; keeps the test short
        max_examples=5,
        seed=1,
    )

    # When the conformance run checks the real server against it
    result = run(config)

    # Then the run fails, on the response schema of the pipelines it listed, naming the missing field
    assert not result.ok
    schema_failures = [f for f in result.failures if f.check == "response_schema_conformance"]
    assert "GET /api/v1/pipelines" in {f.operation for f in schema_failures}, [str(f) for f in result.failures]
    assert all(MISSING_FIELD in f.received for f in schema_failures), [f.received for f in schema_failures]


def test_server_is_stopped_and_its_store_removed_when_interrupted(zenml_python: Path) -> None:
    # Given a running live server (not seeded: only its lifetime matters here)
    with pytest.raises(KeyboardInterrupt), zenml_server(seed=False) as server:
        assert httpx.get(f"{server.base_url}/health", timeout=5).status_code == 200
        assert (server.workdir / "stores").is_dir()
        # When the block is interrupted, as by Ctrl-C
        raise KeyboardInterrupt

    # Then the server no longer answers and its directory, with the SQLite store, is gone
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{server.base_url}/health", timeout=5)
    assert not server.workdir.exists()
