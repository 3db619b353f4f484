"""Drive ZenML's own Python client (`zenml.client.Client`) against a server and print what it got, as JSON.

Run it with the separate ZenML environment, never with the project's `.venv`:

    .venv-zenml/bin/python live/client_vs_mock.py --url http://127.0.0.1:8000 [--out result.json]

The scenario is what a ZenML user's script does with pipelines: log in as `default` with an empty
password (through `ZENML_STORE_*`, as on a CI runner), list pipelines (a page at a time, sorted, filtered,
hydrated), get one by id and by name, update one through the client's store (the client has no
`update_pipeline` of its own) and delete one by name. It runs against the mock (tests/live) and, unchanged,
against a real server, so the two answers can be compared.

Every step is recorded even when it fails (`{"error": "<exception>: <message>"}`), and so is every HTTP
request the client sent (`requests`), so a failure says which route or shape the client could not use.
Timestamps are left out of the summaries; ids are kept, so a test can check that `get_pipeline` by id
returns what it returned by name (and masks them when it compares two servers).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlsplit


def _isolate(url: str, username: str, password: str, config_dir: str) -> None:
    """Point the client at `url` with a throwaway global config: nothing of the user's own is read or written."""
    os.environ.update(
        {
            "ZENML_CONFIG_PATH": config_dir,
            "ZENML_STORE_URL": url,
            "ZENML_STORE_USERNAME": username,
            "ZENML_STORE_PASSWORD": password,
            "ZENML_ANALYTICS_OPT_IN": "false",
            "ZENML_LOGGING_VERBOSITY": "ERROR",
            "ZENML_ENABLE_RICH_TRACEBACK": "false",
        }
    )


def _record_requests(log: list[str]) -> None:
    """Log every request the client sends (it speaks `requests`, through one `Session`)."""
    import requests

    send = requests.Session.request

    def request(self: requests.Session, method: str, url: str, *args: Any, **kwargs: Any) -> requests.Response:
        response = send(self, method, url, *args, **kwargs)
        parts = urlsplit(response.request.url or url)
        query = "&".join(f"{k}={v}" for k, v in sorted(parse_qsl(parts.query, keep_blank_values=True)))
        log.append(f"{method.upper()} {parts.path}{'?' + query if query else ''} -> {response.status_code}")
        return response

    requests.Session.request = request  # type: ignore[method-assign,assignment]
    # The login goes through `requests.post`, outside the session.
    requests.post = lambda url, **kwargs: request(requests.Session(), "POST", url, **kwargs)


def _pipeline(p: Any) -> dict[str, Any]:
    """What a user reads off a `PipelineResponse` (hydrating lazily where the client does)."""
    return {
        "id": str(p.id),
        "name": p.name,
        "description": p.get_metadata().description if p.metadata is None else p.metadata.description,
        "tags": sorted(t.name for t in p.tags),
        "project_id": str(p.project_id),
        "user": p.user.name if p.user else None,
        "latest_run_status": str(p.latest_run_status.value) if p.latest_run_status else None,
    }


def _server_info(info: Any) -> dict[str, Any]:
    return {"version": info.version, "auth_scheme": str(info.auth_scheme.value)}


def _page(page: Any) -> dict[str, Any]:
    return {
        "index": page.index,
        "max_size": page.max_size,
        "total": page.total,
        "total_pages": page.total_pages,
        "names": [p.name for p in page.items],
        "hydrated": [p.metadata is not None for p in page.items],
    }


def scenario(update_name: str, delete_name: str) -> dict[str, Callable[[], Any]]:
    """The steps, in order. Each is a thunk so one failure does not hide the others."""
    from zenml.client import Client
    from zenml.models import PipelineUpdate

    client = Client()
    store = client.zen_store
    seen: dict[str, Any] = {}

    def get_by_name() -> dict[str, Any]:
        seen["target"] = client.get_pipeline(update_name)
        return _pipeline(seen["target"])

    def update() -> dict[str, Any]:
        target = seen.get("target") or client.get_pipeline(update_name)
        change = PipelineUpdate(
            description="updated by zenml.client", add_tags=["client-tag"], remove_tags=[f"{update_name}-tag"]
        )
        return _pipeline(store.update_pipeline(target.id, change))

    def delete() -> dict[str, Any]:
        doomed = client.get_pipeline(delete_name)
        client.delete_pipeline(delete_name)
        try:
            client.get_pipeline(doomed.id)
        except KeyError as exc:
            return {"deleted_id": str(doomed.id), "get_after_delete": f"KeyError: {exc}"}
        return {"deleted_id": str(doomed.id), "get_after_delete": "still there"}

    return {
        "server_info": lambda: _server_info(store.get_store_info()),
        "active_user": lambda: client.active_user.name,
        "active_project": lambda: client.active_project.name,
        "active_stack": lambda: client.active_stack_model.name,
        "list_default": lambda: _page(client.list_pipelines()),
        "list_page1_size2_by_name": lambda: _page(client.list_pipelines(sort_by="asc:name", size=2, page=1)),
        "list_page2_size2_by_name": lambda: _page(client.list_pipelines(sort_by="asc:name", size=2, page=2)),
        "list_sort_desc_name": lambda: _page(client.list_pipelines(sort_by="desc:name")),
        "list_name_contains": lambda: _page(client.list_pipelines(name="contains:a_pipe", sort_by="name")),
        "list_name_startswith": lambda: _page(client.list_pipelines(name="startswith:beta")),
        "list_tags_seed": lambda: _page(client.list_pipelines(tags=["seed"], sort_by="name")),
        "list_hydrated": lambda: _page(client.list_pipelines(hydrate=True, size=1)),
        "get_by_name": get_by_name,
        "get_by_id": lambda: _pipeline(client.get_pipeline(seen["target"].id)),
        "update_through_store": update,
        "get_after_update": lambda: _pipeline(client.get_pipeline(update_name)),
        "delete_by_name": delete,
        "list_after_delete": lambda: _page(client.list_pipelines(sort_by="name")),
    }


def run(update_name: str, delete_name: str) -> dict[str, Any]:
    requests_log: list[str] = []
    _record_requests(requests_log)
    steps: dict[str, Any] = {}
    try:
        plan = scenario(update_name, delete_name)
    except Exception as exc:  # the client could not even start: that is the finding
        return {"steps": {"client": {"error": f"{type(exc).__name__}: {exc}"}}, "requests": requests_log}
    for name, step in plan.items():
        try:
            steps[name] = {"result": step()}
        except Exception as exc:  # one step's failure is reported, the others still run
            steps[name] = {"error": f"{type(exc).__name__}: {exc}"}
    return {"steps": steps, "requests": requests_log}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True, help="server root, e.g. http://127.0.0.1:8000")
    parser.add_argument("--username", default="default")
    parser.add_argument("--password", default="")
    parser.add_argument("--update", default="alpha_pipeline", help="pipeline to update (and get by name and id)")
    parser.add_argument("--delete", default="gamma_pipeline", help="pipeline to delete by name")
    parser.add_argument("--out", help="write the JSON here instead of stdout")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="zenml-client-") as config_dir:
        _isolate(args.url.rstrip("/"), args.username, args.password, config_dir)
        result = run(args.update, args.delete)
    text = json.dumps(result, indent=2, sort_keys=True)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as handle:
            handle.write(text + "\n")
    else:
        print(text)
    failed = [name for name, step in result["steps"].items() if "error" in step]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
