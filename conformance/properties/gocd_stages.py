"""Conformance properties of GoCD's legacy Stages API (contracts/specs/gocd-stages.yaml), spoken over HTTP only.

What must hold on any GoCD 14.3-19.5 server with security on (research/seed-apis.md §5) and on the mock:
history is newest first, 10 runs a page, offsets partition the runs, `pagination` echoes the offset and
keeps its total, unknown pipelines are 404; cancelling the latest run of a stage either cancels it (history
then shows it Cancelled and a second cancel says it is not active) or says it was not active (history
agrees); a user without operate permission never cancels anything.

Environment (defaults fit the mock's fixtures):
- `GOCD_PIPELINE` / `GOCD_STAGE`: a stage whose history is read (default `foo` / `DEV`).
- `GOCD_CANCEL_PIPELINE` / `GOCD_CANCEL_STAGE`: a stage the machine cancels (default `demo_pipeline` /
  `first_stage`); its history is read too. On a real server this REALLY cancels its latest run if it is
  running: point it at a stage you may cancel.
- `GOCD_VIEWER=user:pass`: a user who may view but not operate that stage (default `viewer:viewer`). If the
  server rejects it on history (401), the permission check is skipped with a warning.
Cancel requests send `Confirm: true`, which GoCD 16.3+ requires (the mock accepts it with or without).
"""

from __future__ import annotations

import os
import uuid
import warnings
from collections.abc import Callable
from typing import Any

import httpx
from hypothesis.stateful import initialize, rule

from conformance.properties import ApiMachine, assert_sorted, expect, fetch_all_pages

PAGE_SIZE = 10
CANCELLED = "Stage cancelled successfully.\n"
NOT_ACTIVE = "Stage is not active. Cancellation Ignored.\n"
STAGE_FIELDS = ("id", "name", "counter", "approval_type", "approved_by", "rerun_of_counter", "pipeline_name")
JOB_FIELDS = ("id", "name", "state", "result", "scheduled_date")
CONFIRM = {"Confirm": "true"}


def read_stage() -> tuple[str, str]:
    return os.environ.get("GOCD_PIPELINE", "foo"), os.environ.get("GOCD_STAGE", "DEV")


def cancel_stage() -> tuple[str, str]:
    return os.environ.get("GOCD_CANCEL_PIPELINE", "demo_pipeline"), os.environ.get("GOCD_CANCEL_STAGE", "first_stage")


def viewer() -> tuple[str, str]:
    user, _, password = os.environ.get("GOCD_VIEWER", "viewer:viewer").partition(":")
    return user, password


def stages() -> list[tuple[str, str]]:
    """Every configured stage whose history the read-only properties check (once each)."""
    return list(dict.fromkeys([read_stage(), cancel_stage()]))


def history_url(pipeline: str, stage: str, offset: int | None = None) -> str:
    url = f"/go/api/stages/{pipeline}/{stage}/history"
    return url if offset is None else f"{url}/{offset}"


def cancel_url(pipeline: str, stage: str) -> str:
    return f"/go/api/stages/{pipeline}/{stage}/cancel"


def page(client: httpx.Client, pipeline: str, stage: str, offset: int) -> dict[str, Any]:
    body = expect(client.get(history_url(pipeline, stage, offset)), 200, f"history of {pipeline}/{stage}")
    assert isinstance(body, dict) and {"stages", "pagination"} <= set(body), f"not a history page: {body!r}"
    return body


def all_pages(client: httpx.Client, pipeline: str, stage: str) -> list[dict[str, Any]]:
    """Every page from offset 0 in steps of the page size, until the reported total is reached."""

    def fetch(number: int) -> tuple[list[dict[str, Any]], bool]:
        body = page(client, pipeline, stage, number * PAGE_SIZE)
        more = bool(body["stages"]) and number * PAGE_SIZE + len(body["stages"]) < body["pagination"]["total"]
        return [body], more

    return fetch_all_pages(fetch)


def all_runs(client: httpx.Client, pipeline: str, stage: str) -> list[dict[str, Any]]:
    return [run for body in all_pages(client, pipeline, stage) for run in body["stages"]]


def latest_run(client: httpx.Client, pipeline: str, stage: str) -> dict[str, Any] | None:
    runs = page(client, pipeline, stage, 0)["stages"]
    return runs[0] if runs else None


def is_active(run: dict[str, Any]) -> bool:
    return any(job["state"] != "Completed" for job in run["jobs"])


def for_each_stage(check: Callable[[httpx.Client, str, str], None]) -> Callable[[httpx.Client], None]:
    """A read-only property run on every configured stage, named after `check`."""

    def run(client: httpx.Client) -> None:
        for pipeline, stage in stages():
            check(client, pipeline, stage)

    run.__name__ = check.__name__
    run.__doc__ = check.__doc__
    return run


# Read-only properties


@for_each_stage
def history_is_newest_first(client: httpx.Client, pipeline: str, stage: str) -> None:
    """Runs come newest first: by pipeline counter, then stage counter, both descending."""
    runs = all_runs(client, pipeline, stage)
    keys = [(run["pipeline_counter"], int(run["counter"])) for run in runs]
    assert_sorted(keys, descending=True, what=f"history of {pipeline}/{stage} (pipeline_counter, counter)")


@for_each_stage
def history_pages_hold_ten_runs(client: httpx.Client, pipeline: str, stage: str) -> None:
    """Every page holds min(10, total - offset) runs and says page_size 10."""
    for body in all_pages(client, pipeline, stage):
        pagination = body["pagination"]
        wanted = max(0, min(PAGE_SIZE, pagination["total"] - pagination["offset"]))
        assert pagination["page_size"] == PAGE_SIZE, f"page_size: expected 10, got {pagination!r}"
        assert len(body["stages"]) == wanted, (
            f"history of {pipeline}/{stage} at offset {pagination['offset']} of {pagination['total']}: "
            f"expected {wanted} runs, got {len(body['stages'])}"
        )


@for_each_stage
def history_offsets_partition_the_runs(client: httpx.Client, pipeline: str, stage: str) -> None:
    """Pages at offsets 0, 10, 20 ... hold every run once (as many as `total`), and any offset skips exactly
    that many runs."""
    pages = all_pages(client, pipeline, stage)
    ids = [run["id"] for body in pages for run in body["stages"]]
    total = pages[0]["pagination"]["total"]
    assert len(ids) == len(set(ids)) == total, (
        f"history of {pipeline}/{stage}: pages hold {len(ids)} runs ({len(set(ids))} distinct), total says {total}"
    )
    for offset in {1, PAGE_SIZE // 2, max(total - 1, 0)}:
        got = [run["id"] for run in page(client, pipeline, stage, offset)["stages"]]
        assert got == ids[offset : offset + PAGE_SIZE], (
            f"history of {pipeline}/{stage} at offset {offset}: expected runs {ids[offset : offset + PAGE_SIZE]}, "
            f"got {got}"
        )


@for_each_stage
def history_pagination_echoes_offset_and_keeps_total(client: httpx.Client, pipeline: str, stage: str) -> None:
    """`pagination.offset` is the offset asked for and `total` is the same on every page, past the end too."""
    pages = all_pages(client, pipeline, stage)
    total = pages[0]["pagination"]["total"]
    pages.append(page(client, pipeline, stage, total + PAGE_SIZE))
    for number, body in enumerate(pages):
        offset = number * PAGE_SIZE if number < len(pages) - 1 else total + PAGE_SIZE
        assert body["pagination"] == {"offset": offset, "total": total, "page_size": PAGE_SIZE}, (
            f"history of {pipeline}/{stage}: expected pagination offset {offset}, total {total}, "
            f"got {body['pagination']!r}"
        )
    assert pages[-1]["stages"] == [], f"history past the end should be empty, got {pages[-1]['stages']!r}"


@for_each_stage
def history_without_offset_is_the_first_page(client: httpx.Client, pipeline: str, stage: str) -> None:
    """`.../history` answers what `.../history/0` answers."""
    plain = expect(client.get(history_url(pipeline, stage)), 200, f"history of {pipeline}/{stage}")
    assert plain == page(client, pipeline, stage, 0), "history without offset differs from history/0"


@for_each_stage
def history_lists_only_the_requested_stage_with_real_fields(client: httpx.Client, pipeline: str, stage: str) -> None:
    """Each run is a run of the stage asked for, with every field real servers send (rerun_of_counter too)."""
    for run in all_runs(client, pipeline, stage):
        missing = [field for field in STAGE_FIELDS + ("pipeline_counter", "jobs") if field not in run]
        assert not missing, f"run {run.get('id')} of {pipeline}/{stage} lacks {missing}: {run!r}"
        assert (run["pipeline_name"].lower(), run["name"].lower()) == (pipeline.lower(), stage.lower()), (
            f"history of {pipeline}/{stage} lists a run of {run['pipeline_name']}/{run['name']}"
        )
        assert run["counter"].isdigit(), f"counter should be a numeric string, got {run['counter']!r}"
        for job in run["jobs"]:
            lacking = [field for field in JOB_FIELDS if field not in job]
            assert not lacking, f"job {job.get('id')} of run {run['id']} lacks {lacking}: {job!r}"


def history_of_unknown_stage_is_empty(client: httpx.Client) -> None:
    """A configured pipeline with a stage it does not have: 200, no runs, total 0."""
    pipeline, _ = read_stage()
    body = page(client, pipeline, f"no-such-stage-{uuid.uuid4().hex[:8]}", 0)
    assert body["stages"] == [] and body["pagination"]["total"] == 0, f"expected an empty history, got {body!r}"


def history_of_unknown_pipeline_is_404(client: httpx.Client) -> None:
    """An unconfigured pipeline: 404 `Not Found { Pipeline not found }`."""
    response = client.get(history_url(f"no-such-pipeline-{uuid.uuid4().hex[:8]}", "DEV", 0))
    text = expect(response, 404, "history of an unknown pipeline")
    assert "Pipeline not found" in str(text), f"expected 'Not Found {{ Pipeline not found }}', got {text!r}"


def missing_credentials_are_challenged(client: httpx.Client) -> None:
    """No credentials: 401 with a Basic challenge (security must be on)."""
    request = client.build_request("GET", history_url(*read_stage(), 0))
    request.headers.pop("Authorization", None)
    response = client.send(request, auth=None)
    expect(response, 401, "history without credentials")
    challenge = response.headers.get("WWW-Authenticate", "")
    assert challenge.lower().startswith("basic"), f"expected a Basic challenge, got {challenge!r}"


READ_ONLY: list[Callable[[httpx.Client], None]] = [
    history_is_newest_first,
    history_pages_hold_ten_runs,
    history_offsets_partition_the_runs,
    history_pagination_echoes_offset_and_keeps_total,
    history_without_offset_is_the_first_page,
    history_lists_only_the_requested_stage_with_real_fields,
    history_of_unknown_stage_is_empty,
    history_of_unknown_pipeline_is_404,
    missing_credentials_are_challenged,
]


# Writes


class CancelMachine(ApiMachine):
    """Cancels the latest run of GOCD_CANCEL_PIPELINE/GOCD_CANCEL_STAGE and checks history agrees."""

    def cancel(self, auth: tuple[str, str] | None = None) -> httpx.Response:
        kwargs: dict[str, Any] = {"auth": auth} if auth else {}
        return self.client.post(cancel_url(*cancel_stage()), headers=CONFIRM, **kwargs)

    @initialize()
    def user_without_operate_permission_cancels_nothing(self) -> None:
        """Runs first, while the stage may still be active: the viewer gets 401 `Unauthorized to operate
        stage named S` if it is active, `not active` otherwise, and the run is unchanged either way."""
        pipeline, stage = cancel_stage()
        if self.client.get(history_url(pipeline, stage, 0), auth=viewer()).status_code == 401:
            skipped = f"GOCD_VIEWER ({viewer()[0]}) is rejected on history: operate-permission check skipped"
            warnings.warn(skipped, stacklevel=2)
            return
        before = latest_run(self.client, pipeline, stage)
        response = self.cancel(auth=viewer())
        after = latest_run(self.client, pipeline, stage)
        if before is None or after is None or after["id"] != before["id"]:
            return  # no run, or a new one started meanwhile: nothing to compare
        if is_active(before) and is_active(after):
            text = expect(response, 401, "cancel of an active run by a user without operate permission")
            assert f"Unauthorized to operate stage named {before['name']}" in text, f"401 text: {text!r}"
        elif not is_active(before):
            text = expect(response, 200, "cancel of a finished run by a user without operate permission")
            assert text == NOT_ACTIVE, f"expected {NOT_ACTIVE!r}, got {text!r}"
        assert after["result"] == before.get("result") or after["result"] != "Cancelled", (
            f"a user without operate permission cancelled run {before['id']}: {after!r}"
        )

    @rule()
    def cancel_latest_run_and_history_agrees(self) -> None:
        """Cancelled: history shows the run Cancelled with every job Completed, and a second cancel says not
        active. Not active: history's latest run is not active."""
        pipeline, stage = cancel_stage()
        before = latest_run(self.client, pipeline, stage)
        text = expect(self.cancel(), (200, 404), f"cancel of {pipeline}/{stage}")
        after = latest_run(self.client, pipeline, stage)
        if before is None:
            assert text.startswith("Stage '(pipeline name: "), f"cancel of a stage with no run: got {text!r}"
            return
        assert after is not None, f"cancel of {pipeline}/{stage} emptied its history"
        if text == CANCELLED:
            assert after["id"] == before["id"] and is_active(before), (
                f"'{CANCELLED.strip()}' for run {before['id']}, which was not active: {before!r}"
            )
            assert after["result"] == "Cancelled" and not is_active(after), f"history after cancel shows {after!r}"
            again = expect(self.cancel(), 200, "second cancel")
            assert again == NOT_ACTIVE, f"second cancel of run {after['id']}: expected not active, got {again!r}"
        else:
            assert text == NOT_ACTIVE, f"cancel: expected one of the two 200 texts, got {text!r}"
            assert not is_active(after), f"'{NOT_ACTIVE.strip()}' but history shows run {after['id']} active"

    @rule()
    def cancel_of_unknown_stage_is_404(self) -> None:
        pipeline, _ = cancel_stage()
        stage = f"no-such-stage-{uuid.uuid4().hex[:8]}"
        text = expect(self.client.post(cancel_url(pipeline, stage), headers=CONFIRM), 404, "cancel of unknown stage")
        wanted = f"Stage '(pipeline name: {pipeline}, stage name {stage})' not found.\n"
        assert text == wanted, f"expected {wanted!r}, got {text!r}"


MACHINES: list[type[ApiMachine]] = [CancelMachine]
