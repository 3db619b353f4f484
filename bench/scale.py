"""Big states for the scale runs: the default state plus generated ZenML pipelines or Esper stages.

Generated objects look like the fixtures' (same project or pipeline, so they all land in the list
being paged, creation times one second apart, seeded ids) and are loaded with `PUT /__admin/state`.
"""

from __future__ import annotations

import copy
import random
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.workloads import ESPER_PIPELINE, ZENML_PROJECT, ZENML_USER

EPOCH = datetime(2025, 1, 1, tzinfo=UTC)


def _ids(seed: int) -> Iterator[str]:
    rnd = random.Random(seed)
    while True:
        yield str(uuid.UUID(int=rnd.getrandbits(128), version=4))


def esper_stages(state: dict[str, Any], total: int) -> dict[str, Any]:
    state = copy.deepcopy(state)
    ids = _ids(1)
    for i in range(max(0, total - len(state["stages"]))):
        at = (EPOCH + timedelta(seconds=i)).isoformat(timespec="microseconds").replace("+00:00", "Z")
        state["stages"].append(
            {
                "id": next(ids),
                "name": f"Generated stage {i}",
                "description": "made by the benchmark",
                "pipeline_id": ESPER_PIPELINE,
                "timeout_seconds": 600,
                "created_at": at,
                "updated_at": at,
            }
        )
    return state


def zenml_pipelines(state: dict[str, Any], total: int) -> dict[str, Any]:
    state = copy.deepcopy(state)
    ids = _ids(2)
    for i in range(max(0, total - len(state["pipelines"]))):
        at = (EPOCH + timedelta(seconds=i)).replace(tzinfo=None).isoformat()
        state["pipelines"].append(
            {
                "id": next(ids),
                "name": f"generated_pipeline_{i}",
                "description": "made by the benchmark",
                "user_id": ZENML_USER,
                "project_id": ZENML_PROJECT,
                "created": at,
                "updated": at,
                "tags": ["seed"],
                "latest_run": None,
            }
        )
    return state


BUILDERS = {"esper-stages": esper_stages, "zenml-pipelines": zenml_pipelines}
