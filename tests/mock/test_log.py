"""One line per request on stdout: text as Prism prints it, or JSON; off unless asked for."""

from __future__ import annotations

import json
import re

import pytest

from mock_server.cli import parse

AUTH = {"Authorization": "Bearer mock-token"}
STAGES = "/v0/pipelines/ba6d91f0-3d61-4f40-8b26-43d9f7559df9/stages/"
TIME = r"\d\d:\d\d:\d\d"


def lines(capsys: pytest.CaptureFixture[str]) -> list[str]:
    return capsys.readouterr().out.splitlines()


def test_text_lines_for_2xx_4xx_and_no_route(make_client, capsys) -> None:
    client = make_client("esper-stages", log_format="text")
    client.get(STAGES, headers=AUTH)
    client.post(STAGES, json={}, headers={**AUTH, "X-Mock-Session": "ci-1"})
    client.get("/elsewhere")
    ok, refused, nowhere = lines(capsys)
    assert re.fullmatch(rf"{TIME} GET {STAGES} -> 200 list_stages \(\d+ ms\)", ok), ok
    assert re.fullmatch(
        rf"{TIME} \[ci-1\] POST {STAGES} -> 400 create_stage: 'name' is a required property \(\d+ ms\)", refused
    ), refused
    assert re.fullmatch(rf"{TIME} GET /elsewhere -> 404 No API serves /elsewhere. \(\d+ ms\)", nowhere), nowhere


def test_json_lines_carry_the_same_fields(make_client, capsys) -> None:
    client = make_client("esper-stages", log_format="json")
    client.post(STAGES, json={}, headers=AUTH)
    [line] = lines(capsys)
    fields = json.loads(line)
    assert fields["operation"] == "create_stage" and fields["status"] == 400 and fields["session"] == "default"
    assert fields["reason"] == "'name' is a required property"


def test_nothing_is_printed_unless_asked(make_client, capsys) -> None:
    make_client("esper-stages").get(STAGES, headers=AUTH)
    assert lines(capsys) == []


def test_the_cli_logs_text_unless_quiet() -> None:
    assert parse([]).log_format == "text"
    assert parse(["--log-format", "json"]).log_format == "json"
    assert parse(["--quiet"]).log_format is None
    assert parse(["--max-sessions", "5", "--journal-size", "10"]).max_sessions == 5
    with pytest.raises(SystemExit):
        parse(["--max-sessions", "0"])
