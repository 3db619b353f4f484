"""`mock_server.testing.serve` and the pytest plugin: the mock embedded in someone else's test suite."""

from __future__ import annotations

import socket
import textwrap
import threading
from importlib.metadata import entry_points
from pathlib import Path

import httpx
import pytest

from mock_server.api import BasicAuth, Login, Token
from mock_server.fixtures import FixtureError
from mock_server.testing import MockServer, MockServerError, serve

pytest_plugins = ["pytester"]

OPERATIONS = "/v0/operations/"
NEW_OPERATION = {
    "operation_type": "REBOOT",
    "schedule_type": "IMMEDIATE",
    "operation_device_query": {"device_ids": "9f0a1c2e-5b7d-4e3a-8c6f-1d2e3f4a5b6c"},
}
# One read per API that needs its credentials (the pipeline id is in esper-stages' default fixture).
READS = {
    "esper-stages": "/v0/pipelines/ba6d91f0-3d61-4f40-8b26-43d9f7559df9/stages/",
    "esper-operations": OPERATIONS,
    "zenml-pipelines": "/api/v1/pipelines",
    "instabase-flow": "/api/v1/flow/pipeline",
    "gocd-stages": "/go/api/stages/foo/DEV/history",
}


def create_operation(mock: MockServer) -> str:
    response = httpx.post(mock.url(OPERATIONS), json=NEW_OPERATION, headers=mock.headers("esper-operations"))
    assert response.status_code == 201, response.text
    return str(response.json()["content"]["id"])


def operation_ids(mock: MockServer) -> list[str]:
    return [op["id"] for op in mock.state()["esper-operations"]["operations"]]


def refuses_connections(base_url: str) -> bool:
    try:
        httpx.get(base_url, timeout=2)
    except httpx.ConnectError:
        return True
    return False


def threads_on(port: int | str) -> list[threading.Thread]:
    """The server threads of the mock on `port` (others, such as the plugin's session mock, may be running)."""
    return [t for t in threading.enumerate() if t.name == f"mock-server:{port}"]


def test_serve_answers_on_loopback_with_each_apis_default_credentials() -> None:
    # Given a mock of every API
    with serve() as mock:
        # Then it listens on loopback, and url() joins paths onto it
        assert mock.base_url.startswith("http://127.0.0.1:")
        assert mock.url("go/api/x") == mock.url("/go/api/x") == mock.base_url + "/go/api/x"
        # and it names each API's default credentials, taken from the API itself
        assert mock.credentials == {
            "esper-stages": Token("mock-token"),
            "esper-operations": Token("mock-token"),
            "zenml-pipelines": Login("default", "", "/api/v1/login"),
            "instabase-flow": Token("mock-token"),
            "gocd-stages": BasicAuth("admin", "badger"),
        }
        # and those credentials are accepted, where no credentials are refused
        for api, path in READS.items():
            assert httpx.get(mock.url(path), headers=mock.headers(api)).status_code == 200, api
            assert httpx.get(mock.url(path)).status_code == 401, api


def test_state_reset_and_load_go_through_the_admin_api() -> None:
    with serve(apis=["esper-operations"]) as mock:
        # Given the default state, and one operation created through the API
        before = mock.state()
        created = create_operation(mock)
        after = mock.state()
        # Then state() shows it, and reset() forgets it
        assert created in operation_ids(mock)
        mock.reset()
        assert mock.state() == before
        # and load() brings back exactly the exported state
        mock.load(after)
        assert mock.state() == after
        # and invalid state is refused with the reason, changing nothing
        with pytest.raises(MockServerError, match=r"PUT /__admin/state answered 400: State not imported"):
            mock.load({"esper-operations": {"operations": [{"id": "not an operation"}]}})
        assert mock.state() == after


def test_a_seed_makes_created_ids_repeat_from_server_to_server() -> None:
    ids = []
    for _ in range(2):
        with serve(apis="esper-operations", seed=7) as mock:
            ids.append(create_operation(mock))
    assert ids[0] == ids[1]


def test_serve_stops_the_server_when_the_block_ends() -> None:
    with serve(apis="gocd-stages") as mock:
        assert httpx.get(mock.base_url).status_code == 200
    assert refuses_connections(mock.base_url)
    assert threads_on(mock.base_url.rsplit(":", 1)[1]) == []


def test_serve_stops_the_server_when_the_test_raises_and_lets_the_error_through() -> None:
    with pytest.raises(ZeroDivisionError), serve(apis="gocd-stages") as mock:
        base_url = mock.base_url
        assert httpx.get(base_url).status_code == 200
        _ = 1 / 0
    assert refuses_connections(base_url)
    assert threads_on(base_url.rsplit(":", 1)[1]) == []


def test_a_port_in_use_is_a_clear_error() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(MockServerError, match=rf"cannot listen on 127.0.0.1:{port}: .*pass port=0"):
            with serve(apis="gocd-stages", port=port):
                pytest.fail("started on a taken port")
        assert threads_on(port) == []


def test_a_bad_fixture_names_the_file_and_the_field(tmp_path: Path) -> None:
    bad = tmp_path / "fixtures.yaml"
    bad.write_text("gocd-stages:\n  stages:\n    - {id: one}\n")
    with pytest.raises(FixtureError, match=rf"{bad}: gocd-stages.stages\[0\]"):
        with serve(apis="gocd-stages", fixtures=bad):
            pytest.fail("started with a bad fixture")


def test_an_unknown_api_is_refused_naming_the_known_ones() -> None:
    with pytest.raises(ValueError, match=r"unknown API 'gocd'; known: esper-stages, .*gocd-stages"):
        with serve(apis=["gocd"]):
            pytest.fail("started an unknown API")


def test_the_plugin_is_registered_as_a_pytest11_entry_point() -> None:
    plugins = {ep.name: ep.value for ep in entry_points(group="pytest11")}
    assert plugins.get("pipeline_contracts") == "mock_server.pytest_plugin"


SUITE = textwrap.dedent(
    f"""
    import httpx

    NEW = {NEW_OPERATION!r}
    CREATED = []

    def listed(mock):
        reply = httpx.get(mock.url("{OPERATIONS}"), params={{"limit": 100}}, headers=mock.headers("esper-operations"))
        return [op["id"] for op in reply.json()["content"]["results"]]

    def test_a_creates_an_operation(mock_api):
        reply = httpx.post(mock_api.url("{OPERATIONS}"), json=NEW, headers=mock_api.headers("esper-operations"))
        assert reply.status_code == 201
        CREATED.append(reply.json()["content"]["id"])
        assert CREATED[0] in listed(mock_api)

    def test_b_does_not_see_it(mock_api):
        assert CREATED and CREATED[0] not in listed(mock_api)

    def test_c_same_server_for_the_session(mock_server, mock_api):
        assert mock_server is mock_api
    """
)


def test_mock_api_resets_state_between_tests(pytester: pytest.Pytester) -> None:
    # Given a suite whose first test creates an operation and whose second looks for it
    pytester.makepyfile(test_suite=SUITE)
    # When pytest runs it, in order, with the plugin loaded from its entry point
    result = pytester.runpytest("-p", "no:randomly", "--mock-api", "esper-operations")
    # Then both pass: the second test starts from the fixtures again
    result.assert_outcomes(passed=3)


def test_the_options_choose_the_apis_and_the_fixtures(pytester: pytest.Pytester) -> None:
    # Given a fixture file with one pipeline and no tags, and a test that looks at what is served
    pytester.makefile(".yaml", mine="instabase-flow:\n  jobs: []\n")
    pytester.makepyfile(
        test_options="""
        def test_served(mock_server):
            assert mock_server.apis == ("instabase-flow", "gocd-stages")
            assert mock_server.state()["instabase-flow"]["jobs"] == []
            assert mock_server.state()["gocd-stages"]["stages"]
        """
    )
    # When the options name two APIs and the file
    result = pytester.runpytest(
        "--mock-api", "instabase-flow", "--mock-api", "gocd-stages", "--mock-fixtures", "mine.yaml"
    )
    # Then the session's mock serves exactly those, with that data
    result.assert_outcomes(passed=1)


def test_an_unknown_mock_api_option_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_x="def test_x(): pass")
    result = pytester.runpytest("--mock-api", "gocd")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--mock-api: invalid choice: 'gocd'*"])


def test_the_plugin_starts_nothing_until_a_test_asks_for_its_fixtures(pytester: pytest.Pytester) -> None:
    # Given a suite that never uses the fixtures
    pytester.makepyfile(
        test_plain="""
        import threading

        def test_no_mock_running():
            assert [t.name for t in threading.enumerate() if t.name.startswith("mock-server:")] == []
        """
    )
    # Then no mock starts for it (in a process of its own: this one may run the plugin's session mock)
    pytester.runpytest_subprocess().assert_outcomes(passed=1)


def test_state_reset_load_and_the_journal_per_session() -> None:
    with serve(apis=["esper-operations"]) as mock:
        before = mock.state()
        httpx.get(mock.url("/v0/operations/"), headers={**mock.headers("esper-operations"), "X-Mock-Session": "w1"})
        emptied = {"esper-operations": {**before["esper-operations"], "operations": []}}
        mock.load(emptied, session="w1")
        assert mock.state(session="w1") == emptied and mock.state() == before
        mock.reset(session="w1")
        assert mock.state(session="w1") == before
        [entry] = mock.requests(session="w1")
        assert entry["operation"] == "list_operations" and entry["status"] == 200
