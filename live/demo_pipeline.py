"""Run a real two-step ZenML pipeline, `demo_training_pipeline`, against the server in `ZENML_STORE_URL`.

Run with `.venv-zenml/bin/python` by `live/zenml_server.py` when it seeds a live server: the pipeline then
has what only a run gives it (`latest_run_id`, `latest_run_status: completed`, `latest_run_user`), as the
recorded samples' `demo_training_pipeline` does. No tags, no description (also as recorded).
"""

from __future__ import annotations

from zenml import pipeline, step


@step
def load_data() -> list[int]:
    return [1, 2, 3]


@step
def train(data: list[int]) -> float:
    return sum(data) / len(data)


@pipeline(enable_cache=False)
def demo_training_pipeline() -> None:
    train(load_data())


if __name__ == "__main__":
    run = demo_training_pipeline()
    if run is None or str(run.status.value) != "completed":
        raise SystemExit(f"demo_training_pipeline did not complete: {run and run.status}")
