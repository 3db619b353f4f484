"""Fault rules: documented statuses in the API's own format, delays, resets and truncations; checked
against the spec when set, seeded, and never changing state."""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from starlette.testclient import TestClient

from mock_server import Settings, create_app
from mock_server.cli import main
from mock_server.testing import serve

ADMIN = ("admin", "badger")
HISTORY = "/go/api/stages/foo/DEV/history"
CANCEL = "/go/api/stages/demo_pipeline/first_stage/cancel"
CANCEL_HEADERS = {"X-GoCD-Confirm": "true", "Accept": "application/vnd.go.cd.v3+json"}


def rule(fault: Any, operation: str | None = "get_stage_history", **extra: Any) -> dict[str, Any]:
    item = {"api": "gocd-stages", "fault": fault, **extra}
    return {**item, "operation": operation} if operation else item


def set_rules(client: Any, *rules: dict[str, Any]) -> Any:
    response = client.put("/__admin/faults", json={"rules": list(rules)})
    assert response.status_code == 200, response.text
    return response.json()


def test_a_status_fault_answers_the_documented_body_in_the_apis_format(make_client) -> None:
    client = make_client("gocd-stages")
    set_rules(client, rule({"status": 404}))
    response = client.get(HISTORY, auth=ADMIN)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/plain")  # GoCD's plain-text errors
    esper = make_client("esper-stages")
    set_rules(esper, {"api": "esper-stages", "fault": {"status": 401}})
    answer = esper.get("/v0/pipelines/ba6d91f0-3d61-4f40-8b26-43d9f7559df9/stages/")
    assert answer.status_code == 401 and answer.json()["code"] == 401  # the Esper envelope


def test_an_undocumented_status_is_refused_naming_the_documented_codes(make_client) -> None:
    client = make_client("gocd-stages")
    set_rules(client, rule({"delay_ms": 1}))
    response = client.put("/__admin/faults", json={"rules": [rule({"status": 503})]})
    assert response.status_code == 400
    assert "503 is not documented" in response.json()["detail"]
    assert "documented error codes: 401, 404" in response.json()["detail"]
    assert len(client.get("/__admin/faults").json()["rules"]) == 1  # the previous rules stay


@pytest.mark.parametrize(
    ("item", "words"),
    [
        (rule({"status": 404}, operation="nope"), "no operation 'nope'"),
        ({"api": "elsewhere", "fault": "reset"}, "not served here"),
        (rule("reset", rate=1.5), "rate must be"),
        (rule({"delay_ms": {"min": 5, "max": 1}}), "delay_ms is N"),
        (rule("explode"), "fault is one of"),
        (rule("reset", times=0), "times must be"),
    ],
)
def test_malformed_rules_are_a_400_saying_what_to_send(make_client, item: dict[str, Any], words: str) -> None:
    client = make_client("gocd-stages")
    response = client.put("/__admin/faults", json={"rules": [item]})
    assert response.status_code == 400
    assert words in response.text


def test_an_undocumented_status_in_the_faults_file_exits_2(tmp_path: Path, capsys) -> None:
    faults = tmp_path / "faults.yaml"
    faults.write_text(yaml.safe_dump({"rules": [rule({"status": 500})]}))
    assert main(["--api", "gocd-stages", "--faults", str(faults)]) == 2
    error = capsys.readouterr().err
    assert str(faults) in error and "500 is not documented" in error and "codes: 401, 404" in error


def test_a_faulted_write_changes_no_state(make_client) -> None:
    client = make_client("gocd-stages")
    set_rules(client, rule({"status": "any-documented-error"}, operation="cancel_stage", times=1))
    faulted = client.post(CANCEL, auth=ADMIN, headers=CANCEL_HEADERS)
    assert faulted.status_code in (400, 401, 404)
    after = client.post(CANCEL, auth=ADMIN, headers=CANCEL_HEADERS)  # the rule has stopped
    assert after.status_code == 200
    assert after.text == "Stage cancelled successfully.\n"  # the stage was still running
    assert client.get("/__admin/faults").json()["rules"][0]["fired"] == 1


@pytest.mark.slow  # 2000 requests: a statistical run
def test_the_rate_holds_within_three_standard_deviations(make_client) -> None:
    client = make_client("gocd-stages")
    n, rate = 2000, 0.3
    set_rules(client, rule({"status": 404}, rate=rate))
    faulted = sum(client.get(HISTORY, auth=ADMIN).status_code == 404 for _ in range(n))
    assert abs(faulted - n * rate) <= 3 * math.sqrt(n * rate * (1 - rate))


def statuses(seed: int) -> list[int]:
    with TestClient(create_app(Settings(apis=("gocd-stages",), seed=seed)), base_url="http://localhost") as client:
        set_rules(client, rule({"status": "any-documented-error"}, rate=0.5))
        return [client.get(HISTORY, auth=ADMIN).status_code for _ in range(60)]


def test_a_seed_repeats_the_fault_sequence() -> None:
    first = statuses(seed=7)
    assert first == statuses(seed=7)
    assert {401, 404, 200} <= set(first)  # any-documented-error picks among the documented codes


def test_prefer_code_wins_over_rules(make_client) -> None:
    client = make_client("gocd-stages")
    set_rules(client, rule({"status": 404}))
    response = client.get(HISTORY, auth=ADMIN, headers={"Prefer": "code=401"})
    assert response.status_code == 401


def test_a_delay_fault_answers_as_usual_later(make_client) -> None:
    client = make_client("gocd-stages")
    set_rules(client, rule({"delay_ms": {"min": 50, "max": 60}}))
    started = time.perf_counter()
    response = client.get(HISTORY, auth=ADMIN)
    assert response.status_code == 200 and response.json()["stages"]
    assert time.perf_counter() - started >= 0.05  # a lower bound only: the delay cannot be shorter
    assert client.get("/__admin/faults").json()["rules"][0]["fired"] == 1


def test_a_rule_can_be_limited_to_a_session_and_cleared(make_client) -> None:
    client = make_client("gocd-stages")
    set_rules(client, rule({"status": 404}, session="ci"))
    assert client.get(HISTORY, auth=ADMIN).status_code == 200  # this request is in the default session
    assert client.delete("/__admin/faults").json() == {"rules": []}


def test_the_journal_names_the_rule_that_fired() -> None:
    app = create_app(Settings(apis=("gocd-stages",), seed=0))
    with TestClient(app, base_url="http://localhost") as client:
        set_rules(client, rule({"status": 404}, name="history down"))
        client.get(HISTORY, auth=ADMIN)
        (entry,) = client.get("/__admin/requests", params={"api": "gocd-stages"}).json()["requests"]
    assert (entry["status"], entry["fault"]) == (404, "history down")


def test_reset_closes_the_connection_without_an_answer() -> None:
    with serve(apis="gocd-stages") as mock, httpx.Client(base_url=mock.base_url) as http:
        set_rules(http, rule("reset", times=1))
        with pytest.raises(httpx.RemoteProtocolError, match="without sending"):
            http.get(HISTORY, auth=ADMIN)
        assert http.get(HISTORY, auth=ADMIN).status_code == 200  # the server itself is fine


def test_truncate_sends_the_headers_and_half_the_body() -> None:
    with serve(apis="gocd-stages") as mock, httpx.Client(base_url=mock.base_url) as http:
        full = http.get(HISTORY, auth=ADMIN).content
        set_rules(http, rule("truncate", times=1))
        with http.stream("GET", HISTORY, auth=ADMIN) as response:
            assert response.status_code == 200
            assert response.headers["content-length"] == str(len(full))
            received = b""
            with pytest.raises(httpx.RemoteProtocolError):
                for chunk in response.iter_raw():
                    received += chunk
        assert received == full[: len(full) // 2]
