"""Mock of Esper's pipeline Stages API (`specs/esper-stages.yaml`): stages of a pipeline and the target
lists attached to them, with state.

Truth: the seed page (seeds/000, Redoc `api.esper.io/tag/Stages/`) for paths, bodies and the 200-only
successes; research/seed-apis.md §1 for the object fields the real service returns (esper-cli
`feature/pipelines` branch), DRF-style paging and the `{code, message, content}` error body. Pipelines
and target lists are created by endpoints outside the seed, so they come from the fixtures only
(or from this module's admin actions). Decisions where the seed is silent are listed in the spec's
"Seed vs reality" section.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import islice
from typing import Any, Self, overload

from mock_server.api import ApiError, Collected, Context, MockApi, RecordHook, Token, handler_set
from mock_server.apis.esper_common import envelope, page, render_error, verify

EDITABLE = ("name", "description", "timeout_seconds")
TARGET_LIST_TYPES = ("DEVICES", "GROUPS", "COLLECTIONS")


def timestamp(ctx: Context) -> str:
    """DRF's rendering of an aware UTC datetime: microseconds and a `Z`."""
    return ctx.clock.now().isoformat(timespec="microseconds").replace("+00:00", "Z")


@dataclass
class State:
    """Pipelines, stages and target lists by id (dicts keep creation order, which is list order)."""

    ctx: Context
    api_keys: list[str]
    pipelines: dict[str, dict[str, Any]]
    stages: dict[str, dict[str, Any]]
    target_lists: dict[str, dict[str, Any]]
    attachments: dict[str, list[str]]
    """stage id -> ids of its target lists, in the order they were attached."""
    stages_by_pipeline: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    """Index: pipeline id -> its stages by id, in creation order (the list order). Kept by `add_stage` and
    `remove_stage`, rebuilt by `from_fixture`; a stage never changes pipeline."""

    @classmethod
    def from_fixture(cls, data: Mapping[str, Any], ctx: Context) -> Self:
        state = cls(
            ctx=ctx,
            api_keys=[str(key) for key in data.get("api_keys", [])],
            pipelines={p["id"]: {"id": p["id"], "name": p.get("name", "")} for p in data.get("pipelines", [])},
            stages={s["id"]: {**s} for s in data.get("stages", [])},
            target_lists={t["id"]: {**t} for t in data.get("target_lists", [])},
            attachments={stage: list(ids) for stage, ids in (data.get("attachments") or {}).items()},
        )
        state.check_references()
        for stage in state.stages.values():
            state.stages_by_pipeline.setdefault(stage["pipeline_id"], {})[stage["id"]] = stage
        return state

    def add_stage(self, stage: dict[str, Any]) -> None:
        self.stages[stage["id"]] = stage
        self.stages_by_pipeline.setdefault(stage["pipeline_id"], {})[stage["id"]] = stage

    def remove_stage(self, stage_id: str) -> None:
        stage = self.stages.pop(stage_id)
        del self.stages_by_pipeline[stage["pipeline_id"]][stage_id]
        self.attachments.pop(stage_id, None)

    def check_references(self) -> None:
        """Every stage and target list names a known pipeline; every attachment a stage and a target
        list of the same pipeline, once. Raised as ValueError so the admin import answers 400."""
        for kind, items in (("stage", self.stages), ("target list", self.target_lists)):
            for item in items.values():
                if item["pipeline_id"] not in self.pipelines:
                    raise ValueError(f"{kind} {item['id']} names unknown pipeline {item['pipeline_id']}")
        for stage_id, ids in self.attachments.items():
            if stage_id not in self.stages:
                raise ValueError(f"attachments name unknown stage {stage_id}")
            for tl_id in ids:
                if self.target_lists.get(tl_id, {}).get("pipeline_id") != self.stages[stage_id]["pipeline_id"]:
                    raise ValueError(f"attachments of stage {stage_id}: {tl_id} is no target list of its pipeline")
            if len(set(ids)) != len(ids):
                raise ValueError(f"attachments of stage {stage_id} repeat a target list")

    def export(self) -> dict[str, Any]:
        return {
            "api_keys": list(self.api_keys),
            "pipelines": [dict(p) for p in self.pipelines.values()],
            "stages": [dict(s) for s in self.stages.values()],
            "target_lists": [dict(t) for t in self.target_lists.values()],
            "attachments": {stage: list(ids) for stage, ids in self.attachments.items() if ids},
        }


class ValuesView(Sequence[dict[str, Any]]):
    """A dict's values as a sequence `page` can slice without copying them all: a slice from the start
    costs its end, not the whole dict (a page at a deep offset still walks up to it)."""

    def __init__(self, items: dict[str, dict[str, Any]]) -> None:
        self._items = items

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self._items.values())

    @overload
    def __getitem__(self, index: int) -> dict[str, Any]: ...
    @overload
    def __getitem__(self, index: slice) -> list[dict[str, Any]]: ...
    def __getitem__(self, index: int | slice) -> dict[str, Any] | list[dict[str, Any]]:
        if isinstance(index, slice) and index.step is None:
            start, stop, _ = index.indices(len(self._items))
            return list(islice(self._items.values(), start, max(start, stop)))
        return list(self._items.values())[index]


# Lookups: each raises the 404 a client sees, saying which id was not found where.


def find_pipeline(state: State, pipeline_id: str) -> dict[str, Any]:
    pipeline = state.pipelines.get(pipeline_id)
    if pipeline is None:
        raise ApiError(404, f"Pipeline {pipeline_id} not found.", kind="not_found")
    return pipeline


def find_stage(state: State, pipeline_id: str, stage_id: str) -> dict[str, Any]:
    """A stage is only found under its own pipeline (the path names both)."""
    find_pipeline(state, pipeline_id)
    stage = state.stages.get(stage_id)
    if stage is None or stage["pipeline_id"] != pipeline_id:
        raise ApiError(404, f"Stage {stage_id} not found in pipeline {pipeline_id}.", kind="not_found")
    return stage


def find_any_stage(state: State, stage_id: str) -> dict[str, Any]:
    """The /v0/stages/{stage_id}/ routes name no pipeline."""
    stage = state.stages.get(stage_id)
    if stage is None:
        raise ApiError(404, f"Stage {stage_id} not found.", kind="not_found")
    return stage


# Stages


async def list_stages(
    state: State, pipeline_id: str, limit: str | None = None, offset: str | None = None
) -> dict[str, Any]:
    find_pipeline(state, pipeline_id)
    return envelope(page(ValuesView(state.stages_by_pipeline.get(pipeline_id, {})), limit, offset))


async def create_stage(state: State, pipeline_id: str, body: dict[str, Any]) -> dict[str, Any]:
    find_pipeline(state, pipeline_id)
    now = timestamp(state.ctx)
    # Omitted fields take zero values (seed: only `name` is required).
    stage = {
        "id": state.ctx.ids.uuid(taken=state.stages),
        "name": body["name"],
        "description": body.get("description", ""),
        "pipeline_id": pipeline_id,
        "timeout_seconds": int(body.get("timeout_seconds", 0)),  # 10.0 is 10, as DRF's IntegerField reads it
        "created_at": now,
        "updated_at": now,
    }
    state.add_stage(stage)
    return envelope(stage)  # 200, not 201: the seed documents only 200 for create


async def get_stage(state: State, pipeline_id: str, stage_id: str) -> dict[str, Any]:
    return envelope(find_stage(state, pipeline_id, stage_id))


async def update_stage(state: State, pipeline_id: str, stage_id: str, body: dict[str, Any]) -> dict[str, Any]:
    stage = find_stage(state, pipeline_id, stage_id)
    # Partial update: the seed's PUT body has no required field, so what is not sent is kept.
    stage.update({key: body[key] for key in EDITABLE if key in body})
    if "timeout_seconds" in body:
        stage["timeout_seconds"] = int(body["timeout_seconds"])  # 10.0 is 10, as DRF's IntegerField reads it
    stage["updated_at"] = timestamp(state.ctx)
    return envelope(stage)


async def delete_stage(state: State, pipeline_id: str, stage_id: str) -> dict[str, Any]:
    find_stage(state, pipeline_id, stage_id)
    state.remove_stage(stage_id)
    return envelope({})


# Target lists of a stage


async def list_stage_target_lists(
    state: State, stage_id: str, type: str | None = None, limit: str | None = None, offset: str | None = None
) -> dict[str, Any]:
    find_any_stage(state, stage_id)
    attached = [state.target_lists[tl_id] for tl_id in state.attachments.get(stage_id, [])]
    # The filter is lower case, the field upper case (seed vs research §1): compare case-insensitively.
    # An empty `type=` filters nothing, as django-filter skips empty values.
    if type:
        attached = [t for t in attached if t["target_list_type"] == type.upper()]
    return envelope(page(attached, limit, offset))


async def attach_target_list(state: State, stage_id: str, body: dict[str, Any]) -> dict[str, Any]:
    stage = find_any_stage(state, stage_id)
    tl_id = body["target_list_id"]
    target_list = state.target_lists.get(tl_id)
    if target_list is None:
        raise ApiError(404, f"Target list {tl_id} not found.", kind="not_found")
    if target_list["pipeline_id"] != stage["pipeline_id"]:
        raise ApiError(
            400,
            f"Target list {tl_id} belongs to pipeline {target_list['pipeline_id']}, not to the stage's pipeline "
            f"{stage['pipeline_id']}; attach a target list of pipeline {stage['pipeline_id']}.",
        )
    attached = state.attachments.setdefault(stage_id, [])
    if tl_id not in attached:  # attaching twice is harmless: no duplicate, still 200
        attached.append(tl_id)
    return envelope(target_list)


async def detach_target_list(state: State, stage_id: str, targetlist_id: str) -> dict[str, Any]:
    find_any_stage(state, stage_id)
    attached = state.attachments.get(stage_id, [])
    if targetlist_id not in attached:
        raise ApiError(404, f"Target list {targetlist_id} is not attached to stage {stage_id}.", kind="not_found")
    attached.remove(targetlist_id)
    return envelope({})


# Admin actions: the real service creates pipelines and target lists through endpoints the seed
# does not document (esper-cli `POST /pipelines/`, `POST /pipelines/{id}/targetlists/`).


def admin_create_pipeline(state: State, body: Mapping[str, Any]) -> dict[str, Any]:
    """`POST /__admin/esper-stages/create_pipeline` with `{"name": ...}`."""
    pipeline = {"id": state.ctx.ids.uuid(taken=state.pipelines), "name": str(body.get("name", ""))}
    state.pipelines[pipeline["id"]] = pipeline
    return pipeline


def admin_create_target_list(state: State, body: Mapping[str, Any]) -> dict[str, Any]:
    """`POST /__admin/esper-stages/create_target_list` with `{"pipeline_id", "name", "target_list_type"}`."""
    kind = str(body.get("target_list_type", "")).upper()
    if kind not in TARGET_LIST_TYPES:
        raise ApiError(400, f"target_list_type must be one of {', '.join(TARGET_LIST_TYPES)}.")
    pipeline = find_pipeline(state, str(body.get("pipeline_id", "")))
    target_list = {
        "id": state.ctx.ids.uuid(taken=state.target_lists),
        "name": str(body.get("name", "")),
        "pipeline_id": pipeline["id"],
        "target_list_type": kind,
        "created_at": timestamp(state.ctx),
    }
    state.target_lists[target_list["id"]] = target_list
    return target_list


STAGE_ANSWERS = {"get_stage", "create_stage", "update_stage"}


def record_collect(operation: str, body: Any) -> Collected:
    """Stages from list and single answers, target lists from a stage's list. Which stage a target list is
    attached to is in the request path, not the answer, so attachments are not recorded."""
    content = body.get("content") if isinstance(body, dict) else None
    if not isinstance(content, dict):
        return {}
    if operation == "list_stages":
        return {"stages": [s for s in content.get("results", []) if isinstance(s, dict)]}
    if operation in STAGE_ANSWERS:
        return {"stages": [content]}
    if operation == "list_stage_target_lists":
        return {"target_lists": [t for t in content.get("results", []) if isinstance(t, dict)]}
    return {}


def record_complete(collected: Collected) -> tuple[dict[str, Any], str]:
    stages, lists = list(collected.get("stages", [])), list(collected.get("target_lists", []))
    owners = dict.fromkeys(item["pipeline_id"] for item in [*stages, *lists])
    pipelines = [{"id": pid, "name": f"pipeline {pid[:8]}"} for pid in owners]  # names are not in any answer
    fixture = {"api_keys": ["mock-token"], "pipelines": pipelines, "stages": stages, "target_lists": lists}
    return fixture, "API key 'Bearer mock-token'"


API = MockApi(
    name="esper-stages",
    state=State,
    handlers=handler_set(
        list_stages,
        create_stage,
        get_stage,
        update_stage,
        delete_stage,
        list_stage_target_lists,
        attach_target_list,
        detach_target_list,
    ),
    render_error=render_error,
    verify=verify,
    any_token_principal={"sub": "esper-api-key"},
    credentials=Token("mock-token"),
    fixture_schemas={"stages": "Stage", "target_lists": "TargetList"},
    record=RecordHook(record_collect, record_complete),
    admin_actions={"create_pipeline": admin_create_pipeline, "create_target_list": admin_create_target_list},
    trailing_slash="append",
)
