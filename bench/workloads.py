"""What the benchmark sends: per API, the requests of each workload, its credentials and its bench state.

Every request is one a user of the real API sends, with its credential, so the servers run auth and
full request validation on each of them. The ids are the default fixtures' (mock_server/fixtures/),
which are also the specs' examples, so Prism answers the same requests from its examples.
A body's `{n}` becomes a number unique to the request (ZenML refuses a second pipeline of the same name).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

ESPER_PIPELINE = "ba6d91f0-3d61-4f40-8b26-43d9f7559df9"
ESPER_STAGE = "a7ebf6bf-875d-460b-a617-14d37e308b98"
ZENML_PROJECT = "41690570-a25e-40a6-8306-f2a86a6e6fda"
ZENML_PIPELINE = "d0bd4d7f-9ab4-46da-a0b2-acea81e76a4a"
ZENML_USER = "6d3bfdce-9247-4db6-a023-91149c0dade5"
ZENML_TOKEN = "bench-token"
"""Put into the ZenML state by the import before each round, so no round depends on a login."""

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    body: str = ""
    content_type: str = JSON


@dataclass(frozen=True)
class Target:
    """One API under load: its credential, its workloads and the state a round starts from."""

    api: str
    headers: dict[str, str]
    workloads: dict[str, tuple[Request, ...]]
    list_request: Request
    get_request: Request
    prepare: Callable[[dict[str, Any]], dict[str, Any]] = field(default=lambda state: state)
    """Default exported state -> the state imported before every round (the mock only)."""


def mixed(list_: Request, get: Request, create: Request) -> tuple[Request, ...]:
    """80 % reads, 20 % writes, interleaved: 5 gets, 3 lists and 2 creates in every 10 requests."""
    return (get, list_, get, create, get, list_, get, get, list_, create)


def workloads(list_: Request, get: Request, create: Request) -> dict[str, tuple[Request, ...]]:
    return {"list": (list_,), "get": (get,), "create": (create,), "mixed": mixed(list_, get, create)}


def _zenml_state(state: dict[str, Any]) -> dict[str, Any]:
    state = copy.deepcopy(state)
    state["tokens"] = [{"access_token": ZENML_TOKEN, "user_id": ZENML_USER}]
    return state


_ESPER_LIST = Request("GET", f"/v0/pipelines/{ESPER_PIPELINE}/stages/")
_ESPER_GET = Request("GET", f"/v0/pipelines/{ESPER_PIPELINE}/stages/{ESPER_STAGE}/")
_ESPER_CREATE = Request(
    "POST",
    f"/v0/pipelines/{ESPER_PIPELINE}/stages/",
    '{"name": "Bench stage {n}", "description": "made by the benchmark", "timeout_seconds": 600}',
)
_ZENML_LIST = Request("GET", "/api/v1/pipelines")
_ZENML_GET = Request("GET", f"/api/v1/pipelines/{ZENML_PIPELINE}")
_ZENML_CREATE = Request(
    "POST",
    "/api/v1/pipelines",
    f'{{"name": "bench_pipeline_{{n}}", "project": "{ZENML_PROJECT}", "description": "made by the benchmark", '
    '"tags": ["seed"]}',
)

_GOCD_LIST = Request("GET", "/go/api/stages/demo_pipeline/first_stage/history")
_GOCD_GET = Request("GET", "/go/api/stages/demo_pipeline/first_stage/history/20")
"""GoCD has no read of one stage run: `get` is the history page at an offset (the last 7 of 27 runs)."""
_GOCD_CREATE = Request("POST", "/go/api/stages/demo_pipeline/first_stage/cancel")
"""GoCD's one write here: cancel the latest run (building after each state reset, then not active)."""
_GOCD_AUTH = {"Authorization": "Basic YWRtaW46YmFkZ2Vy"}  # admin:badger, the default fixtures' admin

TARGETS = {
    "zenml-pipelines": Target(
        api="zenml-pipelines",
        headers={"Authorization": f"Bearer {ZENML_TOKEN}"},
        workloads=workloads(_ZENML_LIST, _ZENML_GET, _ZENML_CREATE),
        list_request=_ZENML_LIST,
        get_request=_ZENML_GET,
        prepare=_zenml_state,
    ),
    "esper-stages": Target(
        api="esper-stages",
        headers={"Authorization": "Bearer mock-token"},
        workloads=workloads(_ESPER_LIST, _ESPER_GET, _ESPER_CREATE),
        list_request=_ESPER_LIST,
        get_request=_ESPER_GET,
    ),
    "gocd-stages": Target(
        api="gocd-stages",
        headers=_GOCD_AUTH,
        workloads=workloads(_GOCD_LIST, _GOCD_GET, _GOCD_CREATE),
        list_request=_GOCD_LIST,
        get_request=_GOCD_GET,
    ),
}

# The first request a user sends to each API, with the default fixtures' credentials.
STARTUP_PROBES: dict[str, tuple[Request, dict[str, str]]] = {
    "esper-stages": (_ESPER_LIST, {"Authorization": "Bearer mock-token"}),
    "esper-operations": (Request("GET", "/v0/operations/"), {"Authorization": "Bearer mock-token"}),
    "zenml-pipelines": (Request("POST", "/api/v1/login", "username=default&password=", FORM), {}),
    "instabase-flow": (Request("GET", "/api/v1/flow/pipeline"), {"Authorization": "Bearer mock-token"}),
    "gocd-stages": (Request("GET", "/go/api/stages/foo/DEV/history"), _GOCD_AUTH),
}

ESPER_OPERATION = "5743470f-7dcc-4a92-8a4b-f41b1cea69ed"
_ESPER_DEVICE = "9f0a1c2e-5b7d-4e3a-8c6f-1d2e3f4a5b6c"
INSTABASE_JOB = "f403399d-7ac7-4285-bb06-f7ad82ddbea2"
INSTABASE_PIPELINES = ("e05cc5f7-b199-49a6-b1bc-f17dc5247e0c", "03f4dc97-1245-452d-9d7b-17f8b86473b8")

SOAK: dict[str, tuple[dict[str, str], tuple[Request, ...]]] = {
    "esper-stages": (TARGETS["esper-stages"].headers, TARGETS["esper-stages"].workloads["mixed"]),
    "zenml-pipelines": (TARGETS["zenml-pipelines"].headers, TARGETS["zenml-pipelines"].workloads["mixed"]),
    "esper-operations": (
        {"Authorization": "Bearer mock-token"},
        mixed(
            Request("GET", "/v0/operations/"),
            Request("GET", f"/v0/operations/{ESPER_OPERATION}/"),
            Request(
                "POST",
                "/v0/operations/",
                '{"operation_type": "CONVERGE", "schedule_type": "IMMEDIATE", '
                f'"operation_device_query": {{"device_ids": "{_ESPER_DEVICE}"}}, "arguments": {{}}}}',
            ),
        ),
    ),
    "instabase-flow": (
        {"Authorization": "Bearer mock-token"},
        mixed(
            Request("GET", "/api/v1/flow/pipeline"),
            Request("GET", "/api/v1/jobs/pipelines"),
            Request(
                "POST",
                "/api/v1/jobs/pipelines",
                json.dumps({"job_id": INSTABASE_JOB, "pipeline_ids": list(INSTABASE_PIPELINES)}),
            ),
        ),
    ),
    "gocd-stages": (
        {"Authorization": "Basic YWRtaW46YmFkZ2Vy", "Accept": "application/vnd.go.cd.v3+json"},
        mixed(
            Request("GET", "/go/api/stages/foo/DEV/history"),
            Request("GET", "/go/api/stages/foo/DEV/history/0"),
            Request("POST", "/go/api/stages/foo/DEV/cancel"),
        ),
    ),
}
"""The soak's mixed workload of each of the five APIs (80 % reads, 20 % writes): its headers and requests.
Every request answers 200 with the default fixtures (plus the ZenML token `TARGETS` imports)."""
