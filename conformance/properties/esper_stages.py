"""Properties of Esper's pipeline Stages API (`contracts/specs/esper-stages.yaml`), checked over HTTP only.

What they assert: what create returns, get returns; update changes only the fields sent; a list's
`count` equals the number of results over all pages and `next`/`previous` agree with `limit`/`offset`;
deleted stages are gone from get and list; attaching and detaching target lists shows in the stage's
list, and `type` selects exactly the target lists whose `target_list_type` is that type.

What they need from the target: the seed offers no way to list pipelines or target lists, so
- the pipeline is `$ESPER_PIPELINE_ID`, else the mock's default fixture pipeline
  (ba6d91f0-3d61-4f40-8b26-43d9f7559df9);
- the target lists to attach are `$ESPER_TARGET_LIST_IDS` (comma-separated ids of target lists of that
  pipeline), else those discovered over HTTP (attached to the pipeline's stages), else the mock's
  default fixture target lists of the default pipeline.
Every target list used must belong to the pipeline: attaching it is expected to succeed.
The machine only asserts about stages it creates, and deletes them again at the end.
"""

from __future__ import annotations

import os
import uuid
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, consumes, precondition, rule

from conformance.properties import ApiMachine, expect, fetch_all_pages

DEFAULT_PIPELINE_ID = "ba6d91f0-3d61-4f40-8b26-43d9f7559df9"
DEFAULT_TARGET_LIST_IDS = (
    "e020bfe9-7c71-4403-800b-700dad22bfd2",
    "73f047d1-286d-4bb7-bbd8-5e30c8e00ca1",
    "949078d5-da8d-40a5-aef4-3f55b02369c7",
    "9424d000-d0a0-4543-bc58-0190b76e42c8",
    "d4d9ee02-13d3-4511-8614-84bfd89d3b7b",
    "eb4b1b50-128d-4698-83f4-069fda60e25b",
    "8e111c43-accf-4bd4-996a-fa54e2d50c61",
)
TYPES = ("devices", "groups", "collections")
SAMPLE = 5  # how many existing stages the read-only checks look into
MAX_LIMIT = 100  # the spec's bound on `limit`


def pipeline_id() -> str:
    return os.environ.get("ESPER_PIPELINE_ID", "").strip() or DEFAULT_PIPELINE_ID


def stages_path(pipeline: str) -> str:
    return f"/v0/pipelines/{pipeline}/stages/"


def target_lists_path(stage_id: str) -> str:
    return f"/v0/stages/{stage_id}/targetlists/"


def content(response: httpx.Response, status: int, what: str) -> Any:
    """The envelope's `content`, after checking the status and that `code` repeats it."""
    body = expect(response, status, what)
    assert isinstance(body, dict) and body.get("code") == status and "content" in body, (
        f"{what}: expected a {{code: {status}, message, content}} envelope, got {str(body)[:300]}"
    )
    return body["content"]


def query_of(url: str) -> dict[str, str]:
    return {key: values[-1] for key, values in parse_qs(urlsplit(url).query).items()}


def check_page(page: dict[str, Any], limit: int, offset: int, what: str) -> None:
    """One DRF page against the limit/offset that asked for it."""
    count, results = page.get("count"), page.get("results")
    assert isinstance(count, int) and isinstance(results, list), f"{what}: page lacks count/results: {page}"
    expected = max(0, min(limit, count - offset))
    assert len(results) == expected, (
        f"{what}: count={count}, limit={limit}, offset={offset} means {expected} results, got {len(results)}"
    )
    following = page.get("next")
    if offset + limit < count:
        assert following, f"{what}: {count - offset - limit} items remain after offset {offset} but next is null"
        got = query_of(following)
        assert (got.get("limit"), got.get("offset")) == (str(limit), str(offset + limit)), (
            f"{what}: next should ask for limit={limit}&offset={offset + limit}, it is {following}"
        )
    else:
        assert following is None, f"{what}: offset {offset} + limit {limit} reach count {count} but next={following}"
    previous = page.get("previous")
    if offset == 0:
        assert previous is None, f"{what}: first page has previous={previous}"
    else:
        assert previous, f"{what}: offset {offset} > 0 but previous is null"
        got = query_of(previous)
        assert int(got.get("offset", "0")) == max(offset - limit, 0) and got.get("limit") == str(limit), (
            f"{what}: previous should ask for limit={limit}&offset={max(offset - limit, 0)}, it is {previous}"
        )


def walk(client: httpx.Client, path: str, limit: int, **params: str) -> list[dict[str, Any]]:
    """Every item of a paged list, following `next`; checks every page and that `count` holds overall."""
    what = f"GET {path}?{urlencode({**params, 'limit': limit})}"
    state: dict[str, Any] = {"url": None, "counts": set()}

    def fetch(number: int) -> tuple[list[Any], bool]:
        response = client.get(state["url"]) if state["url"] else client.get(path, params={**params, "limit": limit})
        page = content(response, 200, f"{what}, page {number}")
        check_page(page, limit, number * limit, f"{what}, page {number}")
        state["counts"].add(page["count"])
        state["url"] = page["next"]
        return page["results"], bool(page["next"])

    items = fetch_all_pages(fetch)
    counts = state["counts"]
    assert len(counts) == 1, f"{what}: count changed from page to page: {sorted(counts)}"
    assert len(items) == next(iter(counts)), f"{what}: count says {next(iter(counts))}, pages held {len(items)}"
    ids = [item.get("id") for item in items]
    assert len(set(ids)) == len(ids), f"{what}: an id shows on more than one page: {ids}"
    return items


def ids_of(items: list[dict[str, Any]]) -> list[str]:
    return [item["id"] for item in items]


def first_stages(client: httpx.Client) -> list[dict[str, Any]]:
    page = content(client.get(stages_path(pipeline_id()), params={"limit": SAMPLE}), 200, "list stages")
    return page["results"]


def target_list_ids(client: httpx.Client) -> list[str]:
    """Target lists of the pipeline to attach: from the environment, else discovered, else the defaults."""
    configured = [i.strip() for i in os.environ.get("ESPER_TARGET_LIST_IDS", "").split(",") if i.strip()]
    if configured:
        return configured
    discovered: dict[str, None] = {}
    for stage in first_stages(client):
        page = content(client.get(target_lists_path(stage["id"]), params={"limit": MAX_LIMIT}), 200, "list targets")
        discovered.update(dict.fromkeys(ids_of(page["results"])))
    return list(discovered) or list(DEFAULT_TARGET_LIST_IDS)


# Read-only properties: true for any data.


def stage_list_count_matches_pages(client: httpx.Client) -> None:
    """Small pages hold, in order, what one big page holds; every page's count/next/previous fits."""
    path = stages_path(pipeline_id())
    small = walk(client, path, limit=2)
    if len(small) <= MAX_LIMIT:
        assert ids_of(walk(client, path, limit=MAX_LIMIT)) == ids_of(small), f"GET {path}: pages of 2 disagree"


def listed_stages_are_what_get_returns(client: httpx.Client) -> None:
    for stage in first_stages(client):
        path = f"{stages_path(pipeline_id())}{stage['id']}/"
        assert content(client.get(path), 200, f"GET {path}") == stage, f"GET {path} differs from the list's item"


def type_filter_selects_exactly_by_target_list_type(client: httpx.Client) -> None:
    for stage in first_stages(client):
        path = target_lists_path(stage["id"])
        every = walk(client, path, limit=1)
        for kind in TYPES:
            wanted = [t["id"] for t in every if t.get("target_list_type") == kind.upper()]
            got = ids_of(walk(client, path, limit=1, type=kind))
            assert got == wanted, f"GET {path}?type={kind}: expected {wanted} (of {ids_of(every)}), got {got}"


def unknown_ids_are_404(client: httpx.Client) -> None:
    unknown = str(uuid.uuid4())
    for path in (stages_path(unknown), f"{stages_path(pipeline_id())}{unknown}/", target_lists_path(unknown)):
        content(client.get(path), 404, f"GET {path} (unknown id)")


READ_ONLY = [
    stage_list_count_matches_pages,
    listed_stages_are_what_get_returns,
    type_filter_selects_exactly_by_target_list_type,
    unknown_ids_are_404,
]


# The stateful machine: stages it creates, updates, deletes, and target lists it attaches to them.

NAMES = st.text(st.characters(codec="utf-8", exclude_categories=("Cc", "Cs")), min_size=1, max_size=40)
DESCRIPTIONS = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=80)
TIMEOUTS = st.integers(min_value=0, max_value=2**31 - 1)
EDITS = st.fixed_dictionaries({}, optional={"name": NAMES, "description": DESCRIPTIONS, "timeout_seconds": TIMEOUTS})


class StageLifecycle(ApiMachine):
    stages = Bundle("stages")

    def __init__(self) -> None:
        super().__init__()
        self.pipeline = pipeline_id()
        self.target_lists = target_list_ids(self.client)
        self.known: dict[str, dict[str, Any]] = {}  # stage id -> the stage as last answered
        self.attached: dict[str, list[str]] = {}  # stage id -> target list ids it should list
        self.deleted: set[str] = set()

    def stage_path(self, stage_id: str) -> str:
        return f"{stages_path(self.pipeline)}{stage_id}/"

    def listed_target_lists(self, stage_id: str, kind: str | None = None) -> list[str]:
        params = {"type": kind} if kind else {}
        return ids_of(walk(self.client, target_lists_path(stage_id), limit=2, **params))

    @rule(target=stages, name=NAMES, description=st.none() | DESCRIPTIONS, timeout=st.none() | TIMEOUTS)
    def create_returns_what_get_returns(self, name: str, description: str | None, timeout: int | None) -> str:
        sent = {"name": name, "description": description, "timeout_seconds": timeout}
        sent = {key: value for key, value in sent.items() if value is not None}
        path = stages_path(self.pipeline)
        stage = content(self.client.post(path, json=sent), 200, f"POST {path} {sent}")
        for key, value in {**sent, "pipeline_id": self.pipeline}.items():
            assert stage.get(key) == value, f"POST {path}: sent {key}={value!r}, the stage has {stage.get(key)!r}"
        assert stage.get("id") and stage["id"] not in self.known, f"POST {path}: no new id in {stage}"
        got = content(self.client.get(self.stage_path(stage["id"])), 200, "GET the created stage")
        assert got == stage, f"GET {self.stage_path(stage['id'])}: {got} differs from what create returned {stage}"
        assert self.listed_target_lists(stage["id"]) == [], "a new stage already lists target lists"
        self.known[stage["id"]] = stage
        self.attached[stage["id"]] = []
        return stage["id"]

    @rule(stage_id=stages, edits=EDITS)
    def update_changes_only_the_fields_sent(self, stage_id: str, edits: dict[str, Any]) -> None:
        path = self.stage_path(stage_id)
        before = self.known[stage_id]
        after = content(self.client.put(path, json=edits), 200, f"PUT {path} {edits}")
        for key in (set(before) | set(after)) - {"updated_at"}:
            wanted = edits.get(key, before.get(key))
            assert after.get(key) == wanted, f"PUT {path} {edits}: expected {key}={wanted!r}, got {after.get(key)!r}"
        got = content(self.client.get(path), 200, f"GET {path} after update")
        assert got == after, f"GET {path}: {got} differs from what update returned {after}"
        self.known[stage_id] = after

    @rule(stage_id=consumes(stages))
    def deleted_stage_is_gone(self, stage_id: str) -> None:
        path = self.stage_path(stage_id)
        content(self.client.delete(path), 200, f"DELETE {path}")
        content(self.client.get(path), 404, f"GET {path} after delete")
        content(self.client.get(target_lists_path(stage_id)), 404, f"GET {target_lists_path(stage_id)} after delete")
        del self.known[stage_id]
        del self.attached[stage_id]
        self.deleted.add(stage_id)

    @rule()
    def list_holds_the_live_created_stages(self) -> None:
        listed = {s["id"]: s for s in walk(self.client, stages_path(self.pipeline), limit=2)}
        for stage_id, stage in self.known.items():
            assert listed.get(stage_id) == stage, f"stage list: expected {stage}, got {listed.get(stage_id)}"
        gone = self.deleted & set(listed)
        assert not gone, f"stage list still holds deleted stages {sorted(gone)}"

    @precondition(lambda self: bool(self.target_lists))
    @rule(stage_id=stages, data=st.data())
    def attached_target_list_is_listed_once_under_its_type(self, stage_id: str, data: st.DataObject) -> None:
        tl_id = data.draw(st.sampled_from(self.target_lists), label="target_list_id")
        path = target_lists_path(stage_id)
        target_list = content(self.client.post(path, json={"target_list_id": tl_id}), 200, f"POST {path} {tl_id}")
        assert target_list.get("id") == tl_id, f"POST {path}: attached {tl_id}, the answer is {target_list}"
        if tl_id not in self.attached[stage_id]:
            self.attached[stage_id].append(tl_id)
        listed = self.listed_target_lists(stage_id)
        assert sorted(listed) == sorted(self.attached[stage_id]), (
            f"GET {path}: expected {sorted(self.attached[stage_id])}, got {sorted(listed)}"
        )
        kind = str(target_list.get("target_list_type", "")).lower()
        for other in TYPES:
            shown = tl_id in self.listed_target_lists(stage_id, other)
            assert shown == (other == kind), f"GET {path}?type={other}: {tl_id} ({kind}) shown={shown}"

    @precondition(lambda self: any(self.attached.values()))
    @rule(data=st.data())
    def detached_target_list_is_unlisted(self, data: st.DataObject) -> None:
        stage_id = data.draw(st.sampled_from(sorted(s for s, ids in self.attached.items() if ids)), label="stage")
        tl_id = data.draw(st.sampled_from(self.attached[stage_id]), label="target_list_id")
        path = f"{target_lists_path(stage_id)}{tl_id}/"
        content(self.client.delete(path), 200, f"DELETE {path}")
        self.attached[stage_id].remove(tl_id)
        assert tl_id not in self.listed_target_lists(stage_id), (
            f"GET {target_lists_path(stage_id)}: {tl_id} still listed"
        )
        content(self.client.delete(path), 404, f"DELETE {path} again")

    @rule(stage_id=stages)
    def unknown_target_list_is_neither_attached_nor_detached(self, stage_id: str) -> None:
        unknown = str(uuid.uuid4())
        path = target_lists_path(stage_id)
        content(self.client.post(path, json={"target_list_id": unknown}), 404, f"POST {path} unknown target list")
        content(self.client.delete(f"{path}{unknown}/"), 404, f"DELETE {path}{unknown}/")
        assert sorted(self.listed_target_lists(stage_id)) == sorted(self.attached[stage_id]), f"GET {path} changed"

    def teardown(self) -> None:
        for stage_id in list(self.known):  # leave a real server as it was
            self.client.delete(self.stage_path(stage_id))


MACHINES: list[type[ApiMachine]] = [StageLifecycle]
