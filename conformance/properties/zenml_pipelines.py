"""Conformance properties of ZenML's pipelines API (contracts/specs/zenml-pipelines.yaml), spoken over HTTP only.

What must hold on any ZenML 0.98 server (research/zenml-samples/, seed-apis.md §3) and on the mock:
`Page` envelopes whose `total` counts every item and whose `total_pages` is `ceil(total/size)` (1 when
empty), `index`/`max_size` echoing the request, 400 past the last page; `sort_by` ordering both ways;
every filter operator selecting exactly the items it should (checked against the full listing);
`hydrate` deciding whether `metadata` is filled; and, on pipelines the machine creates itself, create /
get / update (tags added and removed, description replaced) / delete round trips.

Environment: `ZENML_PROJECT` names the project to work in (name or id; default: the project named
`default`, else the first one listed). The machine creates pipelines named `pc-<random>-<n>` there and
deletes them again; tags it adds (`pipeline-contracts-a`/`-b`/`-c`) stay on the server, as ZenML never
deletes tags with a pipeline.
"""

from __future__ import annotations

import json
import math
import os
import re
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial
from typing import Any

import httpx
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, consumes, initialize, rule

from conformance.properties import ApiMachine, assert_sorted, expect, fetch_all_pages

PIPELINES = "/api/v1/pipelines"
ITEM_FIELDS = ("body", "metadata", "resources", "id", "permission_denied", "name")
BODY_FIELDS = ("created", "updated", "user_id", "project_id")
RESOURCE_FIELDS = ("user", "latest_run_user", "latest_run_id", "latest_run_status", "tags", "visualizations")
TAGS = ("pipeline-contracts-a", "pipeline-contracts-b", "pipeline-contracts-c")
FILTER_TIME = "%Y-%m-%d %H:%M:%S"

Item = dict[str, Any]


# Reading


def project_id(client: httpx.Client) -> str:
    """The project the properties work in (see ZENML_PROJECT)."""
    wanted = os.environ.get("ZENML_PROJECT")
    if wanted:
        return expect(client.get(f"/api/v1/projects/{wanted}"), 200, f"project {wanted}")["id"]
    projects = expect(client.get("/api/v1/projects", params={"size": 100}), 200, "list of projects")["items"]
    assert projects, "the server has no project to work in"
    return next((p["id"] for p in projects if p["name"] == "default"), projects[0]["id"])


def page(client: httpx.Client, project: str, **params: Any) -> dict[str, Any]:
    body = expect(client.get(PIPELINES, params={"project": project, **params}), 200, f"pipelines {params}")
    assert isinstance(body, dict) and {"index", "max_size", "total_pages", "total", "items"} <= set(body), (
        f"not a Page: {body!r}"
    )
    return body


def listing(client: httpx.Client, project: str, **params: Any) -> list[Item]:
    """Every pipeline matching `params`, in one page of the largest size."""
    body = page(client, project, size=10000, **params)
    assert body["total"] == len(body["items"]), f"one page of size 10000 holds {len(body['items'])} of {body['total']}"
    return body["items"]


def ids(items: list[Item]) -> list[str]:
    return [item["id"] for item in items]


def all_pages(client: httpx.Client, project: str, size: int, **params: Any) -> list[dict[str, Any]]:
    def fetch(number: int) -> tuple[list[dict[str, Any]], bool]:
        body = page(client, project, page=number + 1, size=size, **params)
        return [body], body["index"] < body["total_pages"]

    return fetch_all_pages(fetch)


def for_project(check: Callable[[httpx.Client, str], None]) -> Callable[[httpx.Client], None]:
    """A read-only property of the working project, named after `check`."""

    def run(client: httpx.Client) -> None:
        check(client, project_id(client))

    run.__name__ = check.__name__
    run.__doc__ = check.__doc__
    return run


# What a filter should select, computed from the full listing (the server runs SQL LIKE: ASCII
# case-insensitive, `%` and `_` are wildcards; `=` is exact).


def like(pattern: str, value: str) -> bool:
    regex = "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, re.S | re.I | re.A) is not None


def text_matches(op: str, operand: Any, value: str | None) -> bool:
    if value is None:
        return False
    tests: dict[str, Callable[[], bool]] = {
        "equals": lambda: value == operand,
        "notequals": lambda: value != operand,
        "contains": lambda: like(f"%{operand}%", value),
        "startswith": lambda: like(f"{operand}%", value),
        "endswith": lambda: like(f"%{operand}", value),
        "oneof": lambda: value in operand,
    }
    return tests[op]()


def created_at(item: Item) -> datetime:
    return datetime.fromisoformat(item["body"]["created"])


def tag_names(item: Item) -> set[str]:
    return {t["name"] for t in item["resources"]["tags"]}


def user_names(item: Item) -> tuple[str, ...]:
    user = item["resources"]["user"]
    return (user["name"], user["body"]["full_name"]) if user else ()


def in_range(low: datetime, high: datetime) -> str:
    return f"in:{low:{FILTER_TIME}},{high:{FILTER_TIME}}"


def _name_matches(op: str, operand: str, item: Item) -> bool:
    return text_matches(op, operand, item["name"])


def _has_tag(tag: str, item: Item) -> bool:
    return tag in tag_names(item)


def _has_tag_containing(part: str, item: Item) -> bool:
    return any(like(f"%{part}%", t) for t in tag_names(item))


def filter_cases(anchor: Item) -> list[tuple[dict[str, str], Callable[[Item], bool]]]:
    """(query, which items it must select) for each operator, with operands taken from `anchor`."""
    name, hex_id = anchor["name"], anchor["id"].replace("-", "")
    mid = name[len(name) // 3 : len(name) // 3 + 3] or name
    second = created_at(anchor).replace(microsecond=0)
    cases: list[tuple[dict[str, str], Callable[[Item], bool]]] = [
        ({"name": f"{op}:{operand}"}, partial(_name_matches, op, operand))
        for op, operand in (
            ("equals", name),
            ("notequals", name),
            ("contains", mid),
            ("startswith", name[:3]),
            ("endswith", name[-3:]),
        )
    ]
    low, high = second - timedelta(seconds=1), second + timedelta(seconds=1)
    either = [name, "no-such-pipeline"]
    cases += [
        ({"name": name}, lambda i: i["name"] == name),
        ({"name": f"oneof:{json.dumps(either)}"}, lambda i: i["name"] in either),
        ({"id": anchor["id"]}, lambda i: i["id"] == anchor["id"]),
        ({"id": f"startswith:{hex_id[:8]}"}, lambda i: i["id"].replace("-", "").startswith(hex_id[:8])),
        ({"created": f"gte:{second:{FILTER_TIME}}"}, lambda i: created_at(i) >= second),
        ({"created": f"lt:{second:{FILTER_TIME}}"}, lambda i: created_at(i) < second),
        ({"created": in_range(low, high)}, lambda i: low <= created_at(i) <= high),
    ]
    for tag in sorted(tag_names(anchor))[:1]:
        part = tag[1:4]
        cases += [
            ({"tags": tag}, partial(_has_tag, tag)),
            ({"tags": f"contains:{part}"}, partial(_has_tag_containing, part)),
        ]
    user = anchor["resources"]["user"]
    if user is not None:  # a user matches by name, full name or id
        cases.append(({"user": user["name"]}, lambda i: user["name"] in user_names(i)))
    status = anchor["resources"]["latest_run_status"]
    if status is not None:
        cases.append(({"latest_run_status": status}, lambda i: i["resources"]["latest_run_status"] == status))
    return cases


# Read-only properties


@for_project
def items_have_every_field(client: httpx.Client, project: str) -> None:
    """Every listed pipeline has the fields the server always sends, in the project listed."""
    for item in listing(client, project):
        lacking = [f for f in ITEM_FIELDS if f not in item] + [f for f in BODY_FIELDS if f not in item.get("body", {})]
        lacking += [f for f in RESOURCE_FIELDS if f not in (item.get("resources") or {})]
        assert not lacking, f"pipeline {item.get('id')} lacks {lacking}: {item!r}"
        assert item["body"]["project_id"] == project, f"pipeline {item['id']} of another project listed: {item!r}"


@for_project
def total_counts_every_item_across_pages(client: httpx.Client, project: str) -> None:
    """Pages of 2 hold every pipeline once; together they are the one-page listing, in the same order."""
    pages = all_pages(client, project, size=2)
    gathered = [i for body in pages for i in ids(body["items"])]
    total = pages[0]["total"]
    assert len(gathered) == len(set(gathered)) == total, (
        f"pages of 2 hold {len(gathered)} pipelines ({len(set(gathered))} distinct), total says {total}"
    )
    assert gathered == ids(listing(client, project)), "pages of 2, joined, differ from the one-page listing"


@for_project
def total_pages_is_total_over_size_and_page_echoes_request(client: httpx.Client, project: str) -> None:
    """`total_pages` is ceil(total/size) (1 when empty); `index`/`max_size` are the page and size asked for;
    each page holds min(size, what is left)."""
    for size in (1, 2, 3, 10000):
        for body in all_pages(client, project, size=size):
            total = body["total"]
            pages = max(1, math.ceil(total / size))
            assert body["total_pages"] == pages, (
                f"size {size}, total {total}: total_pages {body['total_pages']}, not {pages}"
            )
            assert body["max_size"] == size, f"max_size: expected {size}, got {body['max_size']}"
            wanted = max(0, min(size, total - (body["index"] - 1) * size))
            assert len(body["items"]) == wanted, f"page {body['index']} of size {size}: {len(body['items'])} items"


@for_project
def page_past_the_end_is_400(client: httpx.Client, project: str) -> None:
    """One page past the last: 400 `{"detail": ["ValueError", "Invalid page ..."]}`."""
    last = page(client, project, size=2)["total_pages"]
    response = client.get(PIPELINES, params={"project": project, "size": 2, "page": last + 1})
    body = expect(response, 400, "a page past the last one")
    assert body["detail"][0] == "ValueError" and f"Invalid page {last + 1}." in body["detail"][1], body


@for_project
def sort_by_orders_both_ways(client: httpx.Client, project: str) -> None:
    """`sort_by=[asc:|desc:]name|created` orders the listing (ties by id)."""
    keys: dict[str, Callable[[Item], Any]] = {"name": lambda i: i["name"], "created": created_at}
    for field, key in keys.items():
        for prefix, descending in (("", False), ("asc:", False), ("desc:", True)):
            items = listing(client, project, sort_by=f"{prefix}{field}")
            assert_sorted([key(i) for i in items], descending, f"pipelines sorted by {prefix}{field}")
        assert sorted(ids(items)) == sorted(ids(listing(client, project))), f"sort_by={field} lost or added items"


@for_project
def each_filter_operator_selects_exactly_the_matching_items(client: httpx.Client, project: str) -> None:
    """For each operator (with operands taken from listed pipelines), the filtered listing is exactly the
    items of the full listing that match."""
    everything = listing(client, project)
    anchors = {i["id"]: i for i in everything[:1] + everything[-1:]}
    anchors.update({i["id"]: i for i in everything if i["resources"]["tags"] or i["resources"]["latest_run_status"]})
    for anchor in list(anchors.values())[:4]:
        for query, selects in filter_cases(anchor):
            wanted = [i["id"] for i in everything if selects(i)]
            got = ids(listing(client, project, **query))
            assert sorted(got) == sorted(wanted), f"filter {query}: expected {sorted(wanted)}, got {sorted(got)}"


@for_project
def logical_or_is_the_union_of_the_conditions(client: httpx.Client, project: str) -> None:
    """`name=A&name=B&logical_operator=or` selects both; with `and` (the default) neither."""
    names = [i["name"] for i in listing(client, project)][:2]
    if len(names) < 2:
        return
    either = listing(client, project, name=names, logical_operator="or")
    assert sorted(i["name"] for i in either) == sorted(names), f"or of {names}: got {[i['name'] for i in either]}"
    assert listing(client, project, name=names) == [], f"and of two different names {names} selected something"


@for_project
def hydrate_decides_whether_metadata_is_filled(client: httpx.Client, project: str) -> None:
    """Lists default to `metadata: null`; `hydrate=true` fills `{description}`. GET defaults to hydrated."""
    plain, full = listing(client, project), listing(client, project, hydrate="true")
    assert all(i["metadata"] is None for i in plain), "a list without hydrate=true sent metadata"
    assert all(isinstance(i["metadata"], dict) and "description" in i["metadata"] for i in full), (
        "a list with hydrate=true lacks metadata.description"
    )
    for item in plain[:2]:
        got = expect(client.get(f"{PIPELINES}/{item['id']}"), 200, "get pipeline")
        assert isinstance(got["metadata"], dict), f"GET without hydrate should be hydrated: {got['metadata']!r}"
        bare = expect(client.get(f"{PIPELINES}/{item['id']}", params={"hydrate": "false"}), 200, "get pipeline")
        assert bare["metadata"] is None, f"GET with hydrate=false sent metadata {bare['metadata']!r}"


@for_project
def unknown_sort_field_is_422_with_detail(client: httpx.Client, project: str) -> None:
    """An unknown `sort_by` field is a filter-model error: 422 `{"detail": ["ValueError", ...]}`."""
    response = client.get(PIPELINES, params={"project": project, "sort_by": "no_such_field"})
    body = expect(response, 422, "sort_by=no_such_field")
    assert isinstance(body, dict) and body["detail"][0] == "ValueError", f"expected the detail shape, got {body!r}"


def unknown_pipeline_is_404_with_quoted_message(client: httpx.Client) -> None:
    """404 `{"detail": ["KeyError", "\\"Unable to get pipeline with ID '<id>': ...\\""]}`."""
    unknown = str(uuid.uuid4())
    body = expect(client.get(f"{PIPELINES}/{unknown}"), 404, "an unknown pipeline")
    wanted = f"\"Unable to get pipeline with ID '{unknown}': No pipeline with this ID found\""
    assert body == {"detail": ["KeyError", wanted]}, f"expected {wanted!r}, got {body!r}"


def non_uuid_id_is_422_bare_list(client: httpx.Client) -> None:
    """Request validation answers a bare array `["ValueError", "..."]`, no `detail` wrapper."""
    body = expect(client.get(f"{PIPELINES}/not-a-uuid"), 422, "a non-UUID pipeline id")
    assert isinstance(body, list) and body[0] == "ValueError", f"expected a bare ['ValueError', ...], got {body!r}"


def missing_token_is_401_not_authenticated(client: httpx.Client) -> None:
    """No token: 401 `{"detail": "Not authenticated"}` with `WWW-Authenticate: Bearer`."""
    request = client.build_request("GET", PIPELINES)
    request.headers.pop("Authorization", None)
    request.headers.pop("Cookie", None)  # the login's session cookie is a token too (the server reads it first)
    response = client.send(request, auth=None)
    assert expect(response, 401, "list without a token") == {"detail": "Not authenticated"}
    assert response.headers.get("WWW-Authenticate") == "Bearer", (
        f"challenge: {response.headers.get('WWW-Authenticate')!r}"
    )


READ_ONLY: list[Callable[[httpx.Client], None]] = [
    items_have_every_field,
    total_counts_every_item_across_pages,
    total_pages_is_total_over_size_and_page_echoes_request,
    page_past_the_end_is_400,
    sort_by_orders_both_ways,
    each_filter_operator_selects_exactly_the_matching_items,
    logical_or_is_the_union_of_the_conditions,
    hydrate_decides_whether_metadata_is_filled,
    unknown_sort_field_is_422_with_detail,
    unknown_pipeline_is_404_with_quoted_message,
    non_uuid_id_is_422_bare_list,
    missing_token_is_401_not_authenticated,
]


# Writes

DESCRIPTIONS = st.text(st.characters(codec="utf-8", exclude_categories=("Cc", "Cs")), max_size=40)


class PipelineLifecycle(ApiMachine):
    """Creates pipelines in the working project, changes and deletes them, and reads them back."""

    pipelines = Bundle("pipelines")

    @initialize()
    def pick_project(self) -> None:
        self.project = project_id(self.client)
        self.prefix = f"pc-{uuid.uuid4().hex[:8]}-"
        self.live: dict[str, Item] = {}
        self.count = 0

    def teardown(self) -> None:
        for pipeline_id in list(getattr(self, "live", {})):
            self.client.delete(f"{PIPELINES}/{pipeline_id}")

    def get(self, pipeline_id: str, status: int = 200) -> Any:
        return expect(self.client.get(f"{PIPELINES}/{pipeline_id}"), status, f"get pipeline {pipeline_id}")

    def mine(self, **params: Any) -> list[Item]:
        return listing(self.client, self.project, name=f"startswith:{self.prefix}", **params)

    @rule(target=pipelines, tags=st.sets(st.sampled_from(TAGS)), description=st.none() | DESCRIPTIONS)
    def create_is_readable_and_listed(self, tags: set[str], description: str | None) -> str:
        """200 with the hydrated pipeline; GET returns the same; `name=equals:` lists exactly it."""
        name = f"{self.prefix}{self.count}"
        self.count += 1
        body = {"name": name, "project": self.project, "description": description, "tags": sorted(tags)}
        created = expect(self.client.post(PIPELINES, json=body), 200, f"create {name}")
        assert (created["name"], created["body"]["project_id"]) == (name, self.project), f"created {created!r}"
        assert created["metadata"] == {"description": description}, f"created metadata {created['metadata']!r}"
        assert tag_names(created) == tags, f"created with tags {tags}, got {tag_names(created)}"
        assert self.get(created["id"]) == created, "GET of a new pipeline differs from what create answered"
        assert ids(listing(self.client, self.project, name=f"equals:{name}")) == [created["id"]]
        self.live[created["id"]] = created
        return created["id"]

    @rule(pipeline_id=pipelines)
    def duplicate_name_is_409(self, pipeline_id: str) -> None:
        if pipeline_id not in self.live:
            return
        body = {"name": self.live[pipeline_id]["name"], "project": self.project}
        answer = expect(self.client.post(PIPELINES, json=body), 409, "create with a name in use")
        assert answer["detail"][0] == "EntityExistsError", f"409 body {answer!r}"

    @rule(pipeline_id=pipelines, add=st.sets(st.sampled_from(TAGS), min_size=1), remove=st.sets(st.sampled_from(TAGS)))
    def tags_added_and_removed_round_trip(self, pipeline_id: str, add: set[str], remove: set[str]) -> None:
        """PUT add_tags/remove_tags: the pipeline then carries (old + add) - remove, also by `tags=` filter."""
        if pipeline_id not in self.live:
            return
        wanted = (tag_names(self.get(pipeline_id)) | add) - remove
        body = {"add_tags": sorted(add), "remove_tags": sorted(remove), "description": "tagged"}
        updated = expect(self.client.put(f"{PIPELINES}/{pipeline_id}", json=body), 200, "update tags")
        assert tag_names(updated) == tag_names(self.get(pipeline_id)) == wanted, (
            f"tags after +{sorted(add)} -{sorted(remove)}: expected {sorted(wanted)}, got {sorted(tag_names(updated))}"
        )
        for tag in TAGS:
            listed = pipeline_id in ids(self.mine(tags=tag))
            assert listed == (tag in wanted), f"tags={tag} {'omits' if tag in wanted else 'lists'} {pipeline_id}"

    @rule(pipeline_id=pipelines, description=DESCRIPTIONS)
    def description_is_replaced_and_cleared(self, pipeline_id: str, description: str) -> None:
        """PUT sets `description`; a PUT without it sets `null` (as the real server does); `updated` moves."""
        if pipeline_id not in self.live:
            return
        before = self.get(pipeline_id)
        updated = expect(self.client.put(f"{PIPELINES}/{pipeline_id}", json={"description": description}), 200, "put")
        assert self.get(pipeline_id)["metadata"] == {"description": description} == updated["metadata"]
        assert updated["body"]["updated"] >= before["body"]["updated"], "updated went back in time"
        expect(self.client.put(f"{PIPELINES}/{pipeline_id}", json={}), 200, "put {}")
        assert self.get(pipeline_id)["metadata"] == {"description": None}, "PUT {} should clear the description"

    @rule(pipeline_id=consumes(pipelines))
    def delete_then_get_is_404(self, pipeline_id: str) -> None:
        """200 `null`; then GET, PUT and DELETE are 404, and the list no longer has it."""
        if self.live.pop(pipeline_id, None) is None:
            return
        assert expect(self.client.delete(f"{PIPELINES}/{pipeline_id}"), 200, "delete") is None
        self.get(pipeline_id, status=404)
        expect(self.client.delete(f"{PIPELINES}/{pipeline_id}"), 404, "second delete")
        expect(self.client.put(f"{PIPELINES}/{pipeline_id}", json={}), 404, "update of a deleted pipeline")
        assert pipeline_id not in ids(self.mine()), f"deleted pipeline {pipeline_id} is still listed"

    @rule()
    def own_pipelines_are_listed_sorted_and_counted(self) -> None:
        """`name=startswith:<prefix>` lists exactly the live pipelines; desc:name sorts them; pages of 1 count them."""
        listed = self.mine(sort_by="desc:name")
        assert sorted(ids(listed)) == sorted(self.live), f"expected {sorted(self.live)}, listed {sorted(ids(listed))}"
        assert_sorted([i["name"] for i in listed], descending=True, what="own pipelines by desc:name")
        first = page(self.client, self.project, name=f"startswith:{self.prefix}", size=1)
        assert first["total"] == len(self.live), f"total {first['total']}, live {len(self.live)}"
        assert first["total_pages"] == max(1, len(self.live)), f"size 1: total_pages {first['total_pages']}"


MACHINES: list[type[ApiMachine]] = [PipelineLifecycle]
