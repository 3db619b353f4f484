"""Mock of GoCD's legacy Stages API (`specs/gocd-stages.yaml`): stage history and cancelling the active
run of a stage, over a fixed pipeline configuration, with users who may view and/or operate pipelines.

Truth: the seed (seeds/004, GoCD's `Stages_API.md`) for paths, the example data and the 401 for a user
without operate permission; research/seed-apis.md §5 for what real servers (14.3-19.5) did: the exact
texts, the order of the checks (`ScheduleService.cancelAndTriggerRelevantStages`), page size 10, the
real stage shape (`StageInstanceAPIModel`, recorded cassettes). Decisions where seed and reality differ
are listed in the spec's "Seed vs reality" section.

Stage runs start when GoCD schedules a pipeline, which this API cannot do: the admin action
`start-stage-run` plays the scheduler so there is something to cancel.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any, Self

from mock_server.api import (
    ApiError,
    BasicAuth,
    Collected,
    Context,
    Credential,
    MockApi,
    Principal,
    RecordHook,
    Reply,
    handler_set,
)

PAGE_SIZE = 10  # Api::StagesController#history: `page_size = 10`, not configurable
ALL = "*"  # in a user's `view` / `operate` lists: every pipeline
REALM = 'Basic realm="GoCD"'
STAGE_IDS = "gocd-stages.stage"  # server-wide id sequences (Ids counters are shared by all APIs)
JOB_IDS = "gocd-stages.job"
COMPLETED = "Completed"


def same(a: str, b: str) -> bool:
    """GoCD names are CaseInsensitiveStrings, and its database columns compare names ignoring case."""
    return a.lower() == b.lower()


def is_active(run: Mapping[str, Any]) -> bool:
    """Stage.isActive(): some job has not completed yet."""
    return any(job["state"] != COMPLETED for job in run["jobs"])


def newest_first(run: Mapping[str, Any]) -> tuple[int, int, int]:
    """History order (StageDao): pipeline counter, then stage counter, both descending."""
    return (-run["pipeline_counter"], -int(run["counter"]), -run["id"])


@dataclass
class State:
    """Users by name, pipeline configurations in config order, and every stage run in id order."""

    ctx: Context
    users: dict[str, dict[str, Any]]
    pipelines: list[dict[str, Any]]
    runs: list[dict[str, Any]]
    """Add a run with `add_run`, which keeps the history index in step."""
    histories: dict[tuple[str, str], tuple[dict[str, Any], ...]] = field(default_factory=dict, repr=False)
    """Each stage's runs in history order, by lowered names: every history page read sorted them all."""

    @classmethod
    def from_fixture(cls, data: Mapping[str, Any], ctx: Context) -> Self:
        state = cls(
            ctx=ctx,
            users={u["username"]: {**u} for u in data.get("users", [])},
            pipelines=[{**p, "stages": [{**s} for s in p["stages"]]} for p in data.get("pipelines", [])],
            runs=[{**r, "jobs": [{**j} for j in r["jobs"]]} for r in data.get("stages", [])],
        )
        state.check_runs()
        ctx.ids.bump(STAGE_IDS, max((r["id"] for r in state.runs), default=0))
        ctx.ids.bump(JOB_IDS, max((j["id"] for r in state.runs for j in r["jobs"]), default=0))
        return state

    def check_runs(self) -> None:
        """Every run belongs to a configured stage and ids are unique (ValueError: the admin import says 400)."""
        for run in self.runs:
            if self.stage_config(run["pipeline_name"], run["name"]) is None:
                raise ValueError(f"stage run {run['id']}: {run['pipeline_name']}/{run['name']} is not configured")
        for what, ids in (
            ("stage", [r["id"] for r in self.runs]),
            ("job", [j["id"] for r in self.runs for j in r["jobs"]]),
        ):
            if len(set(ids)) != len(ids):
                raise ValueError(f"{what} run ids repeat")

    def export(self) -> dict[str, Any]:
        return {
            "users": [dict(u) for u in self.users.values()],
            "pipelines": [{**p, "stages": [dict(s) for s in p["stages"]]} for p in self.pipelines],
            "stages": [{**r, "jobs": [dict(j) for j in r["jobs"]]} for r in self.runs],
        }

    def pipeline(self, name: str) -> dict[str, Any] | None:
        return next((p for p in self.pipelines if same(p["name"], name)), None)

    def stage_config(self, pipeline_name: str, stage_name: str) -> dict[str, Any] | None:
        pipeline = self.pipeline(pipeline_name)
        stages = pipeline["stages"] if pipeline else []
        return next((s for s in stages if same(s["name"], stage_name)), None)

    def history(self, pipeline_name: str, stage_name: str) -> tuple[dict[str, Any], ...]:
        key = pipeline, stage = pipeline_name.lower(), stage_name.lower()  # `same`, each name lowered once
        runs = self.histories.get(key)
        if runs is None:
            found = [r for r in self.runs if r["name"].lower() == stage and r["pipeline_name"].lower() == pipeline]
            runs = tuple(sorted(found, key=newest_first))
            if runs:  # names without runs are not kept: any name can be asked for
                self.histories[key] = runs
        return runs

    def add_run(self, run: dict[str, Any]) -> None:
        self.runs.append(run)
        self.histories.pop((run["pipeline_name"].lower(), run["name"].lower()), None)

    def now_ms(self) -> int:
        return int(self.ctx.clock.now().timestamp() * 1000)


def may(principal: Principal, permission: str, pipeline_name: str) -> bool:
    """`permission` is "view" or "operate"; a user lists the pipelines it has it on, or "*"."""
    names = principal.get(permission, [])
    return ALL in names or any(same(name, pipeline_name) for name in names)


# History


async def get_stage_history(state: State, pipeline_name: str, stage_name: str, principal: Principal) -> dict[str, Any]:
    """`.../history` without an offset: the real route defaulted it to 0."""
    return history_page(state, pipeline_name, stage_name, 0, principal)


async def get_stage_history_at_offset(
    state: State, pipeline_name: str, stage_name: str, offset: int, principal: Principal
) -> dict[str, Any]:
    return history_page(state, pipeline_name, stage_name, offset, principal)


def history_page(
    state: State, pipeline_name: str, stage_name: str, offset: int, principal: Principal
) -> dict[str, Any]:
    """StageService.findDetailedStageHistoryByOffset: unknown pipeline 404, no view permission 401,
    unknown stage of a known pipeline an empty page (research §5)."""
    pipeline = state.pipeline(pipeline_name)
    if pipeline is None:
        raise Verbatim(404, "Not Found { Pipeline not found }", kind="not_found")
    if not may(principal, "view", pipeline["name"]):
        raise Verbatim(401, "Unauthorized { Not authorized to view pipeline }", kind="forbidden")
    runs = state.history(pipeline_name, stage_name)
    return {
        "stages": runs[offset : offset + PAGE_SIZE],
        "pagination": {"offset": offset, "total": len(runs), "page_size": PAGE_SIZE},
    }


class Verbatim(ApiError):
    """An error in GoCD's own words, sent as is (the message is the whole text body)."""


# Cancel


async def cancel_stage(state: State, pipeline_name: str, stage_name: str, principal: Principal) -> str:
    """ScheduleService.cancelAndTriggerRelevantStages: latest run or 404; not active is a 200 for anyone;
    only then operate permission (401 as in 14.x-18.3 and the seed). The Confirm header is optional."""
    runs = state.history(pipeline_name, stage_name)
    if not runs:
        raise Verbatim(
            404, f"Stage '(pipeline name: {pipeline_name}, stage name {stage_name})' not found.", kind="not_found"
        )
    latest = runs[0]
    if not is_active(latest):
        return "Stage is not active. Cancellation Ignored.\n"
    if not may(principal, "operate", latest["pipeline_name"]):
        raise Verbatim(401, f"Unauthorized to operate stage named {latest['name']}", kind="forbidden")
    # StageService.cancelStage: unfinished jobs complete as Cancelled; finished ones keep their result.
    for job in latest["jobs"]:
        if job["state"] != COMPLETED:
            job.update(state=COMPLETED, result="Cancelled")
    latest["result"] = "Cancelled"
    return "Stage cancelled successfully.\n"


# Errors and auth


def render_error(err: ApiError) -> Reply:
    """Plain text ending with a newline, as GoCD's `render_error_response(..., is_text=true)`.

    Handlers raise GoCD's exact texts as `Verbatim`; problems found by the shared machinery are
    worded the way GoCD words a failed result: `<reason> { <detail> }`.
    """
    headers: dict[str, str] = {}
    if isinstance(err, Verbatim):
        text = err.message
    elif err.kind in ("missing_credentials", "invalid_credentials"):
        headers["WWW-Authenticate"] = REALM
        detail = (
            "Authentication required: send HTTP Basic credentials of a GoCD user (curl -u user:password)."
            if err.kind == "missing_credentials"
            else "Invalid credentials: unknown user or wrong password."
        )
        text = f"Unauthorized {{ {detail} }}"
    else:
        text = f"{HTTPStatus(err.status).phrase} {{ {err.message} }}"
    return text + "\n", err.status, headers


def verify(state: State, credential: Credential) -> Principal | None:
    """HTTP Basic against the fixture's users; the principal carries the user's permissions."""
    if not isinstance(credential, BasicAuth):
        return None
    user = state.users.get(credential.username)
    if user is None or user["password"] != credential.password:
        return None
    return {"sub": user["username"], "view": list(user["view"]), "operate": list(user["operate"])}


# Admin: play GoCD's scheduler.


def admin_start_stage_run(state: State, body: Mapping[str, Any]) -> dict[str, Any]:
    """`POST /__admin/gocd-stages/start-stage-run` with `{"pipeline", "stage"[, "approved_by"]}`.

    A first stage starts a new pipeline run (next pipeline counter), as a trigger does; a later stage
    runs (again) in the pipeline's latest run, as an approval or a re-run does. Its jobs are Scheduled
    and its result Unknown until it is cancelled. Refused while the stage's latest run is active.
    """
    pipeline_name, stage_name = str(body.get("pipeline", "")), str(body.get("stage", ""))
    pipeline = state.pipeline(pipeline_name)
    if pipeline is None:
        known = ", ".join(p["name"] for p in state.pipelines)
        raise ApiError(404, f"Pipeline {pipeline_name!r} is not configured; configured: {known}.")
    config = state.stage_config(pipeline_name, stage_name)
    if config is None:
        known = ", ".join(s["name"] for s in pipeline["stages"])
        raise ApiError(404, f"Pipeline {pipeline['name']} has no stage {stage_name!r}; its stages: {known}.")
    history = state.history(pipeline_name, stage_name)
    if history and is_active(history[0]):
        raise ApiError(409, f"{pipeline['name']}/{config['name']} is already running; cancel it first.")
    pipeline_counters = [r["pipeline_counter"] for r in state.runs if same(r["pipeline_name"], pipeline_name)]
    if config is pipeline["stages"][0] or not pipeline_counters:
        pipeline_counter, counter = max(pipeline_counters, default=0) + 1, 1
    else:
        pipeline_counter = max(pipeline_counters)
        counter = 1 + max((int(r["counter"]) for r in history if r["pipeline_counter"] == pipeline_counter), default=0)
    now = state.now_ms()
    run = {
        "id": state.ctx.ids.counter(STAGE_IDS),
        "name": config["name"],
        "counter": str(counter),
        "approval_type": config["approval_type"],
        "approved_by": str(body.get("approved_by", "changes")),
        "result": "Unknown",
        "rerun_of_counter": None,
        "pipeline_name": pipeline["name"],
        "pipeline_counter": pipeline_counter,
        "jobs": [
            {
                "id": state.ctx.ids.counter(JOB_IDS),
                "name": job,
                "state": "Scheduled",
                "result": "Unknown",
                "scheduled_date": now,
            }
            for job in config["jobs"]
        ],
    }
    state.add_run(run)
    return run


def record_collect(operation: str, body: Any) -> Collected:
    """Stage runs from the history pages a real GoCD answered."""
    if operation.startswith("get_stage_history") and isinstance(body, dict):
        return {"stages": [run for run in body.get("stages", []) if isinstance(run, dict)]}
    return {}


def record_complete(collected: Collected) -> tuple[dict[str, Any], str]:
    """The recorded runs, their pipelines' configuration as the runs show it, and the mock's default user."""
    runs = sorted(collected.get("stages", []), key=lambda run: run["id"])
    pipelines: dict[str, dict[str, dict[str, Any]]] = {}
    for run in runs:
        stage = pipelines.setdefault(run["pipeline_name"], {}).setdefault(
            run["name"], {"name": run["name"], "approval_type": run.get("approval_type", "success"), "jobs": []}
        )
        stage["jobs"] += [job["name"] for job in run.get("jobs", []) if job["name"] not in stage["jobs"]]
    config = [
        {"name": name, "group": "recorded", "stages": list(stages.values())} for name, stages in pipelines.items()
    ]
    users = [{"username": "admin", "password": "badger", "view": [ALL], "operate": [ALL]}]
    return {"users": users, "pipelines": config, "stages": runs}, "HTTP Basic admin:badger (views and operates all)"


API = MockApi(
    name="gocd-stages",
    state=State,
    handlers=handler_set(cancel_stage, get_stage_history, get_stage_history_at_offset),
    render_error=render_error,
    verify=verify,
    any_token_principal={"sub": "admin", "view": [ALL], "operate": [ALL]},
    credentials=BasicAuth("admin", "badger"),
    fixture_schemas={"stages": "Stage"},
    admin_actions={"start-stage-run": admin_start_stage_run},
    record=RecordHook(record_collect, record_complete),
    trailing_slash="ignore",
)
