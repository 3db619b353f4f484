"""The Schemathesis half of a run, and the only module that imports schemathesis.

Loads the spec from `contracts/`, points it at the target, runs the examples, coverage, fuzzing and
stateful phases with every check, and turns what Schemathesis recorded into `Finding`s.
"""

from __future__ import annotations

import copy
from typing import Any

import schemathesis
from schemathesis.engine import from_schema
from schemathesis.engine.events import EngineFinished, FatalError, NonFatalError, ScenarioFinished

from conformance.apis import Suite
from conformance.findings import ApiResult, Finding
from conformance.settings import RunConfig
from conformance.spec import location
from contracts import load_document

WRITE_METHODS = ("POST", "PUT", "DELETE", "PATCH")
POSITIVE_STATUSES = ("2xx", "3xx", "401", "403", "404", "409", "429", "5xx")  # Schemathesis's default


def config_for(run: RunConfig, spec: dict[str, Any], base_url: str, headers: dict[str, str]) -> schemathesis.Config:
    """The Schemathesis configuration of one API's run (read-only: no write method ever leaves)."""
    data: dict[str, Any] = {
        "base-url": base_url,
        "headers": headers,
        "workers": run.workers,
        "generation": {"max-examples": run.max_examples, "database": "none"},
        "phases": {
            "stateful": {"enabled": not run.read_only, "max-steps": run.stateful_steps},
            # The coverage phase probes undocumented methods with write verbs: not in read-only mode.
            **({"coverage": {"unexpected-methods": ["trace"]}} if run.read_only else {}),
        },
        "output": {"sanitization": {"enabled": False}},
        "operations": [
            *conditional_errors(spec),
            *([{"include-method": list(WRITE_METHODS), "enabled": False}] if run.read_only else []),
        ],
    }
    if run.seed is not None:
        data["seed"] = run.seed
    return schemathesis.Config.from_dict(data)


def conditional_errors(spec: dict[str, Any]) -> list[dict[str, Any]]:
    """Let schema-valid requests be refused with the codes an operation lists in `x-conditional-errors`.

    Some rules depend on state or on relations between fields that a schema cannot express (a
    window that ends before it starts, an update of a finished operation); the spec names the
    status such a refusal has, and `positive_data_acceptance` accepts exactly those.
    """
    entries = []
    for item in spec["paths"].values():
        for operation in item.values():
            codes = operation.get("x-conditional-errors") if isinstance(operation, dict) else None
            if codes:
                statuses = [*POSITIVE_STATUSES, *map(str, codes)]
                entries.append(
                    {
                        "include-operation-id": operation["operationId"],
                        "checks": {"positive_data_acceptance": {"expected-statuses": statuses}},
                    }
                )
    return entries


def run_schemathesis(suite: Suite, run: RunConfig, base_url: str, headers: dict[str, str], result: ApiResult) -> None:
    """Run Schemathesis on one API and record findings, request counts and status coverage."""
    spec = load_document(suite.spec_path)
    documented_statuses(spec, result)
    schema = schemathesis.openapi.from_dict(copy.deepcopy(spec), config=config_for(run, spec, base_url, headers))
    for event in from_schema(schema).execute():
        if isinstance(event, ScenarioFinished):
            record_scenario(suite, spec, event, result)
        elif isinstance(event, NonFatalError):
            result.findings.append(
                Finding(
                    suite.name,
                    "schemathesis_error",
                    event.label,
                    location(suite.spec_path, spec, event.label),
                    "a run without errors",
                    str(event.value),
                )
            )
        elif isinstance(event, FatalError):
            raise event.exception
        elif isinstance(event, EngineFinished):
            break


def documented_statuses(spec: dict[str, Any], result: ApiResult) -> None:
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if isinstance(operation, dict) and "responses" in operation:
                result.operations_total += 1
                label = f"{method.upper()} {path}"
                result.statuses_documented |= {(label, code) for code in operation["responses"]}


def record_scenario(suite: Suite, spec: dict[str, Any], event: ScenarioFinished, result: ApiResult) -> None:
    recorder = event.recorder
    labels = {case_id: node.value.operation.label for case_id, node in recorder.cases.items()}
    for case_id, interaction in recorder.interactions.items():
        label = labels.get(case_id, recorder.label)
        result.requests += 1
        result.count(label, "requests")
        if interaction.response is not None:
            result.statuses_seen.add((label, str(interaction.response.status_code)))
    seen: set[tuple[str, str, str]] = set()
    for case_id, checks in recorder.checks.items():
        label = labels.get(case_id, recorder.label)
        for check in checks:
            result.checks += 1
            result.count(label, "checks")
            info = check.failure_info
            if info is None:
                continue
            failure = info.failure
            operation = failure.operation or label
            if (check.name, operation, failure.title) in seen:
                continue
            seen.add((check.name, operation, failure.title))
            result.count(label, "failures")
            curl = "\n".join(step.curl for step in info.steps) or info.code_sample
            result.findings.append(
                Finding(
                    api=suite.name,
                    check=check.name,
                    operation=operation,
                    spec_location=location(suite.spec_path, spec, operation, _status_of(recorder, case_id)),
                    expected=failure.title,
                    received=failure.message,
                    curl=curl,
                )
            )


def _status_of(recorder: Any, case_id: str) -> str | None:
    interaction = recorder.interactions.get(case_id)
    if interaction is None or interaction.response is None:
        return None
    return str(interaction.response.status_code)
