"""Bad input and hostile clients against the shared machinery: bounded bodies, chunked bodies, the
admin API's Host/Origin/token guard, bounded `Prefer: delay`, the clock bound and standard JSON out."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

AUTH = {"Authorization": "Bearer mock-token"}
JSON = {**AUTH, "Content-Type": "application/json"}
PIPELINE = "ba6d91f0-3d61-4f40-8b26-43d9f7559df9"
STAGES = f"/v0/pipelines/{PIPELINE}/stages/"
STAGE = f"{STAGES}a7ebf6bf-875d-460b-a617-14d37e308b98/"


def chunks(data: bytes) -> Iterator[bytes]:
    yield data[:5]
    yield data[5:]


def test_chunked_json_body_is_accepted(make_client) -> None:
    client = make_client("esper-stages")
    response = client.post(STAGES, content=chunks(b'{"name": "Chunked"}'), headers=JSON)
    assert response.status_code == 200, response.text
    assert response.json()["content"]["name"] == "Chunked"


def test_chunked_body_over_the_limit_is_413(make_client) -> None:
    client = make_client("esper-stages")
    big = b'{"name": "' + b"x" * (1024 * 1024) + b'"}'
    assert client.post(STAGES, content=chunks(big), headers=JSON).status_code == 413


@pytest.mark.parametrize(
    ("body", "said"),
    [
        (b"[" * 10_000 + b"]" * 10_000, "levels deep"),
        (b'{"name": "x", "a": ' + b"[" * 70 + b"]" * 70 + b"}", "levels deep"),
        (b'{"name": ' + b"1" * 5_000 + b"}", "digits"),
        (b'{"name": NaN}', "NaN is not JSON"),
        (b'{"name": -Infinity}', "-Infinity is not JSON"),
        (b'{"name": 1e400}', "does not fit"),
    ],
)
@pytest.mark.parametrize("method", ["POST", "DELETE"])
def test_unbounded_json_is_a_400_in_the_apis_format(make_client, method: str, body: bytes, said: str) -> None:
    client = make_client("esper-stages")
    before = client.get("/__admin/state").json()
    response = client.request(method, STAGES if method == "POST" else STAGE, content=body, headers=JSON)
    assert response.status_code == 400, response.text
    assert response.json()["code"] == 400 and said in response.json()["message"]
    assert client.get("/__admin/state").json() == before


def test_unbounded_json_without_content_type_is_a_400(make_client) -> None:
    client = make_client("gocd-stages")
    cancel = "/go/api/stages/build-linux/1/compile/1/cancel"
    response = client.post(cancel, content=b"[" * 10_000, auth=("admin", "badger"), headers={"X-GoCD-Confirm": "true"})
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/plain")


def test_deep_admin_import_is_a_400_not_a_500(make_client) -> None:
    client = make_client("esper-stages")
    response = client.put("/__admin/state", content=b'{"esper-stages": ' + b"[" * 5_000 + b"]" * 5_000 + b"}")
    assert response.status_code == 400
    assert "levels deep" in response.json()["detail"]
