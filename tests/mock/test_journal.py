"""The request journal: what arrived and what the mock answered, per session, filtered and bounded."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

AUTH = {"Authorization": "Bearer mock-token"}
STAGES = "/v0/pipelines/ba6d91f0-3d61-4f40-8b26-43d9f7559df9/stages/"


def journal(client: TestClient, path: str = "/__admin/requests", **query: Any) -> Any:
    response = client.get(path, params=query)
    assert response.status_code == 200, response.text
    return response.json()


def test_an_entry_says_what_arrived_and_what_was_answered(make_client) -> None:
    client = make_client("esper-stages")
    client.post(STAGES + "?x=1", json={"type": "APP_INSTALL"}, headers={**AUTH, "X-Mock-Session": "a"})
    [entry] = journal(client)["requests"]
    assert entry["session"] == "a" and entry["method"] == "POST" and entry["path"] == STAGES
    assert entry["query"] == "x=1"
    assert (entry["api"], entry["operation"], entry["status"]) == ("esper-stages", "create_stage", 400)
    assert entry["reason"] == "'name' is a required property"
    assert entry["body"] == '{"type":"APP_INSTALL"}' and not entry["body_truncated"]
    assert entry["headers"]["authorization"] == "Bearer ***"
    assert entry["ms"] >= 0 and entry["time"].endswith("Z")


def test_credentials_never_enter_the_journal(make_client) -> None:
    client = make_client("gocd-stages")
    client.get(
        "/go/api/stages/foo/DEV/history/0", auth=("admin", "badger"), headers={"Cookie": "sid=s3cret; mock_session=a"}
    )
    [entry] = journal(client)["requests"]
    assert entry["headers"]["authorization"] == "Basic ***"
    assert entry["headers"]["cookie"] == "sid=***; mock_session=a"
    assert "s3cret" not in str(entry) and "badger" not in str(entry)


def test_a_refusal_before_the_handler_names_its_operation(make_client) -> None:
    client = make_client("esper-stages")
    client.get(STAGES)  # no credentials: refused by the security check
    client.get("/v0/nothing")
    refused, no_route = journal(client)["requests"][::-1]
    assert (refused["operation"], refused["status"]) == ("list_stages", 401)
    assert refused["reason"]
    assert (no_route["api"], no_route["operation"], no_route["status"]) == ("esper-stages", None, 404)


def test_a_body_over_64_kib_is_cut_and_says_so(make_client) -> None:
    client = make_client("esper-stages")
    body = b'{"name": "' + b"x" * 100_000 + b'"}'
    client.post(STAGES, content=body, headers={**AUTH, "Content-Type": "application/json"})
    [entry] = journal(client)["requests"]
    assert entry["body_truncated"] and entry["body_bytes"] == len(body)
    assert len(entry["body"]) == 64 * 1024


def test_filters_count_and_pages(make_client) -> None:
    client = make_client("esper-stages", "gocd-stages")
    client.get(STAGES, headers=AUTH)
    client.get(STAGES)
    client.get(STAGES, headers={**AUTH, "X-Mock-Session": "b"})
    client.get("/go/api/stages/foo/DEV/history/0", auth=("admin", "badger"))
    count = "/__admin/requests/count"
    assert journal(client, count) == {"count": 4}
    assert journal(client, count, session="b") == {"count": 1}
    assert journal(client, count, api="gocd-stages") == {"count": 1}
    assert journal(client, count, operation="list_stages") == {"count": 3}
    assert journal(client, count, status="4xx") == {"count": 1}
    assert journal(client, count, status="200", method="get") == {"count": 3}
    assert journal(client, count, since="2999-01-01T00:00:00Z") == {"count": 0}
    newest = journal(client, limit=2)["requests"]
    assert [e["api"] for e in newest] == ["gocd-stages", "esper-stages"] and newest[1]["session"] == "b"
    assert journal(client, limit=2, offset=3)["requests"][0]["status"] == 200
    assert client.get("/__admin/requests", params={"since": "yesterday"}).status_code == 400
    assert client.get("/__admin/requests", params={"status": "4x"}).status_code == 400
    assert client.get("/__admin/requests", params={"session": "nobody"}).status_code == 404


def test_clear_empties_one_session_or_all(make_client) -> None:
    client = make_client("esper-stages")
    for session in ("a", "b"):
        client.get(STAGES, headers={**AUTH, "X-Mock-Session": session})
    assert client.delete("/__admin/requests", params={"session": "a"}).json() == {"cleared": 1}
    assert journal(client, "/__admin/requests/count") == {"count": 1}
    assert client.delete("/__admin/requests").json() == {"cleared": 1}
    assert journal(client)["requests"] == []


def test_the_journal_keeps_only_the_last_entries_and_skips_admin(make_client) -> None:
    client = make_client("esper-stages", journal_size=3)
    for limit in range(1, 6):
        client.get(STAGES, params={"limit": limit}, headers=AUTH)
    assert [e["query"] for e in journal(client)["requests"]] == ["limit=5", "limit=4", "limit=3"]
    assert journal(client, "/__admin/requests/count") == {"count": 3}


def test_an_error_asked_for_with_prefer_has_its_reason_too(make_client) -> None:
    client = make_client("esper-stages")
    answer = client.get(STAGES, headers={**AUTH, "Prefer": "code=404"})  # the spec's example, not error_response
    [entry] = journal(client)["requests"]
    assert entry["status"] == 404 and entry["reason"] == answer.json()["message"]
