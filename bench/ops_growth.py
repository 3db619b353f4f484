"""Esper operations: the cost of a default list as finished operations pile up (issue 10.13).

Operations can never be deleted, so a long-running mock holds ever more of them; a list must cost what it
returns, not what the tenant ever created. Run: `.venv/bin/python -m bench.ops_growth` (in-process, no
server; prints milliseconds per `GET /v0/operations/` with 0, 1,000 and 5,000 finished operations).
"""

from __future__ import annotations

import copy
import time

from starlette.testclient import TestClient

from mock_server import Settings, create_app

AUTH = {"Authorization": "Bearer mock-token"}
LISTS = 200


def ms_per_list(finished: int) -> float:
    with TestClient(create_app(Settings(apis=("esper-operations",), seed=0)), base_url="http://localhost") as client:
        state = client.get("/__admin/state").json()["esper-operations"]
        template = next(op for op in state["operations"] if op["state"] == "SUCCESS")
        extra = [{**copy.deepcopy(template), "id": f"00000000-0000-4000-8000-{i:012d}"} for i in range(finished)]
        state["operations"] += extra
        client.put("/__admin/state", json={"esper-operations": state}).raise_for_status()
        for _ in range(5):  # warm up
            client.get("/v0/operations/", headers=AUTH)
        start = time.perf_counter()
        for _ in range(LISTS):
            client.get("/v0/operations/", headers=AUTH).raise_for_status()
        return (time.perf_counter() - start) / LISTS * 1000


def main() -> None:
    for finished in (0, 1000, 5000):
        print(f"{finished:>5} finished operations: {ms_per_list(finished):.2f} ms per default list")


if __name__ == "__main__":
    main()
