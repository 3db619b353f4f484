"""Properties of the Instabase Flow Pipeline API (contracts/specs/instabase-flow.yaml) that any deployment must hold.

Read-only: both list paths agree; every listed pipeline is a well-formed object with permissions from
the documented set, a unique id, and `flow_pipeline:read` among them (the caller lists only what it
can read).

Writing (`JobPipelinesMachine`): updates one job's pipelines and checks that the answer is exactly
what was sent (deduplicated, in request order, names as listed), that repeating an update answers the
same, and that an unknown job or pipeline id gets HTTP 200 with `status: ERROR` and leaves the
pipeline list unchanged.

On a real server:
- The job comes from `INSTABASE_JOB_ID` (default: the seed's example job
  f403399d-7ac7-4285-bb06-f7ad82ddbea2); the caller must be allowed to change its pipelines.
- Pipeline ids come from the caller's own list: only pipelines it holds `flow_pipeline:write` or
  `flow_pipeline:manage_pipelines` on are attached.
- The API cannot read a job's pipelines, so the machine cannot learn the job's original pipelines.
  Set `INSTABASE_JOB_PIPELINE_IDS` (comma-separated, may be empty) to have them restored at the end;
  without it the job keeps the last pipelines the machine set.
- For the same reason "changes nothing" after a refused update is checked on what the API shows:
  the answer carries no updated pipelines and the caller's pipeline list is unchanged.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import httpx
from hypothesis import assume
from hypothesis import strategies as st
from hypothesis.stateful import initialize, precondition, rule

from conformance.properties import ApiMachine, expect

LIST_PATHS = ("/api/v1/flow/pipeline", "/api/v1/jobs/pipelines")
UPDATE_PATH = "/api/v1/jobs/pipelines"
SEED_JOB_ID = "f403399d-7ac7-4285-bb06-f7ad82ddbea2"
SEED_PIPELINE_IDS = ("e05cc5f7-b199-49a6-b1bc-f17dc5247e0c", "03f4dc97-1245-452d-9d7b-17f8b86473b8")
"""The pipelines of the seed's example update: ids a caller may know without the list."""
READ = "flow_pipeline:read"
DOCUMENTED_PERMISSIONS = frozenset(
    {READ, "flow_pipeline:execute", "flow_pipeline:delete", "flow_pipeline:manage_pipelines", "flow_pipeline:write"}
)
MAY_CHANGE = frozenset({"flow_pipeline:write", "flow_pipeline:manage_pipelines"})
PIPELINE_KEYS = {"name": str, "id": str, "permissions": list, "is_manager": bool}


def list_pipelines(client: httpx.Client, path: str = LIST_PATHS[0]) -> list[dict[str, Any]]:
    """The caller's pipelines, after checking the envelope and each pipeline's keys and types."""
    body = expect(client.get(path), 200, f"GET {path}")
    assert isinstance(body, dict) and body.get("status") == "OK", f"GET {path}: expected status OK, got {body!r}"
    pipelines = body.get("pipelines")
    assert isinstance(pipelines, list), f"GET {path}: expected a `pipelines` list, got {pipelines!r}"
    for pipeline in pipelines:
        for key, kind in PIPELINE_KEYS.items():
            assert isinstance(pipeline.get(key), kind), (
                f"GET {path}: expected `{key}` of type {kind.__name__} in every pipeline, got {pipeline!r}"
            )
    return pipelines


# --- read-only properties ---------------------------------------------------------------------


def both_list_paths_agree(client: httpx.Client) -> None:
    documented, example = (list_pipelines(client, path) for path in LIST_PATHS)
    assert documented == example, (
        f"expected GET {LIST_PATHS[0]} and GET {LIST_PATHS[1]} to list the same pipelines, "
        f"got {documented!r} and {example!r}"
    )


def pipeline_permissions_are_documented(client: httpx.Client) -> None:
    for pipeline in list_pipelines(client):
        permissions = pipeline["permissions"]
        unknown = set(permissions) - DOCUMENTED_PERMISSIONS
        assert not unknown, f"pipeline {pipeline['id']}: permissions outside the documented set: {sorted(unknown)}"
        assert len(set(permissions)) == len(permissions), (
            f"pipeline {pipeline['id']}: repeated permissions {permissions}"
        )


def listed_pipelines_are_readable(client: httpx.Client) -> None:
    unreadable = [p["id"] for p in list_pipelines(client) if READ not in p["permissions"]]
    assert not unreadable, f"expected only pipelines the caller holds {READ} on, also got {unreadable}"


def pipeline_ids_are_unique(client: httpx.Client) -> None:
    ids = [p["id"] for p in list_pipelines(client)]
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    assert not repeated, f"expected each pipeline listed once, got repeated ids {repeated}"


READ_ONLY: list[Callable[[httpx.Client], None]] = [
    both_list_paths_agree,
    pipeline_permissions_are_documented,
    listed_pipelines_are_readable,
    pipeline_ids_are_unique,
]


# --- writing properties -----------------------------------------------------------------------


class JobPipelinesMachine(ApiMachine):
    """Replaces one job's pipelines with random lists of attachable pipelines, plus refused updates."""

    def __init__(self) -> None:
        super().__init__()
        self.job_id = os.environ.get("INSTABASE_JOB_ID", SEED_JOB_ID)
        self.catalogue = list_pipelines(self.client)
        self.names = {p["id"]: p["name"] for p in self.catalogue}
        self.attachable = [p["id"] for p in self.catalogue if MAY_CHANGE & set(p["permissions"])]
        self.current: list[str] | None = None
        """The job's pipelines as last set by this machine; unknown before its first update."""

    def post(self, job_id: str, pipeline_ids: list[str]) -> dict[str, Any]:
        body = expect(
            self.client.post(UPDATE_PATH, json={"job_id": job_id, "pipeline_ids": pipeline_ids}),
            200,
            f"update job {job_id} to {pipeline_ids}",
        )
        assert isinstance(body, dict), f"update job {job_id}: expected a JSON object, got {body!r}"
        return body

    def expected_answer(self, ids: list[str]) -> list[dict[str, str]]:
        return [{"flowPipelineName": self.names[i], "flowPipelineId": i} for i in ids]

    def assert_set_to(self, body: dict[str, Any], sent: list[str]) -> None:
        wanted = list(dict.fromkeys(sent))  # repeats count once, at their first position
        assert body.get("status") == "OK", f"update job {self.job_id} to {sent}: expected status OK, got {body!r}"
        assert body.get("updated_pipelines") == self.expected_answer(wanted), (
            f"update job {self.job_id} to {sent}: expected updated_pipelines {self.expected_answer(wanted)}, "
            f"got {body.get('updated_pipelines')!r}"
        )
        self.current = wanted

    def assert_refused(self, body: dict[str, Any], what: str) -> None:
        assert body.get("status") == "ERROR" and isinstance(body.get("msg"), str) and body["msg"], (
            f"{what}: expected HTTP 200 with status ERROR and a msg, got {body!r}"
        )
        assert "updated_pipelines" not in body or not body["updated_pipelines"], (
            f"{what}: a refused update reported updated pipelines {body['updated_pipelines']!r}"
        )
        after = list_pipelines(self.client)
        assert after == self.catalogue, f"{what}: the pipeline list changed from {self.catalogue!r} to {after!r}"

    def draw_ids(self, data: st.DataObject) -> list[str]:
        if not self.attachable:
            return []
        return data.draw(st.lists(st.sampled_from(self.attachable), max_size=5), label="pipeline_ids")

    @rule(data=st.data())
    def update_sets_exactly_what_was_sent(self, data: st.DataObject) -> None:
        sent = self.draw_ids(data)
        self.assert_set_to(self.post(self.job_id, sent), sent)

    @precondition(lambda self: self.current is not None)
    @rule()
    def repeating_an_update_answers_the_same(self) -> None:
        assert self.current is not None
        self.assert_set_to(self.post(self.job_id, self.current), self.current)

    @rule(data=st.data(), job=st.uuids())
    def unknown_job_is_refused_and_changes_nothing(self, data: st.DataObject, job: Any) -> None:
        sent = self.draw_ids(data)
        self.assert_refused(self.post(str(job), sent), f"update unknown job {job}")

    @rule(data=st.data(), unknown=st.uuids())
    def unknown_pipeline_is_refused_and_changes_nothing(self, data: st.DataObject, unknown: Any) -> None:
        assume(str(unknown) not in self.names)
        sent = [*self.draw_ids(data), str(unknown)]
        self.assert_refused(self.post(self.job_id, sent), f"update job {self.job_id} with unknown pipeline {unknown}")

    @initialize()
    def accepted_pipelines_are_listed(self) -> None:
        """A list that leaves out a pipeline the caller may use is incomplete: ids from outside the list
        (the seed's examples, `INSTABASE_PIPELINE_IDS`) that an update accepts must be listed.

        Sound in one direction only: a refusal may mean a missing write permission, not invisibility.
        """
        extra = [i.strip() for i in os.environ.get("INSTABASE_PIPELINE_IDS", "").split(",") if i.strip()]
        for pipeline_id in dict.fromkeys([*SEED_PIPELINE_IDS, *extra]):
            if pipeline_id in self.names:
                continue
            body = self.post(self.job_id, [pipeline_id])
            assert body.get("status") != "OK", (
                f"pipeline {pipeline_id} is accepted by POST {UPDATE_PATH} (job {self.job_id}) but missing from "
                f"GET {LIST_PATHS[0]}, which must list every pipeline the caller may read: got {body!r}"
            )

    def teardown(self) -> None:
        original = os.environ.get("INSTABASE_JOB_PIPELINE_IDS")
        if original is not None and self.current is not None:
            restore = [i.strip() for i in original.split(",") if i.strip()]
            self.client.post(UPDATE_PATH, json={"job_id": self.job_id, "pipeline_ids": restore})


MACHINES: list[type[ApiMachine]] = [JobPipelinesMachine]
