"""The Schemathesis half of a run, and the only module that imports schemathesis.

Loads the spec from `contracts/`, points it at the target, runs the examples, coverage, fuzzing and
stateful phases with every check, and turns what Schemathesis recorded into `Finding`s.
"""

from __future__ import annotations

import copy
import threading
from typing import Any

import requests
import schemathesis
from schemathesis.engine import Status, from_schema
from schemathesis.engine.events import (
    EngineFinished,
    FatalError,
    NonFatalError,
    PhaseFinished,
    PhaseStarted,
    ScenarioFinished,
)

from conformance.apis import Suite
from conformance.findings import ApiResult, Finding
from conformance.gate import PROBES, Gate, TimeBudgetExceeded
from conformance.progress import Progress
from conformance.selection import ENGINE_PHASES, Selection, operation_ids
from conformance.settings import RunConfig
from conformance.spec import location
from contracts import load_document

WRITE_METHODS = ("POST", "PUT", "DELETE", "PATCH")
POSITIVE_STATUSES = ("2xx", "3xx", "401", "403", "404", "409", "429", "5xx")  # Schemathesis's default


def config_for(run: RunConfig, spec: dict[str, Any], base_url: str, headers: dict[str, str]) -> schemathesis.Config:
    """The Schemathesis configuration of one API's run (read-only: no write method ever leaves)."""
    phases = run.selection.phases
    deselected = sorted(set(operation_ids(spec)) - set(run.selection.selected(spec)))
    data: dict[str, Any] = {
        "base-url": base_url,
        "headers": headers,
        "workers": run.workers,
        "request-timeout": run.request_timeout,
        "generation": {"max-examples": run.max_examples, "database": "none"},
        "phases": {
            "examples": {"enabled": "examples" in phases},
            "coverage": {
                "enabled": "coverage" in phases,
                # The coverage phase probes undocumented methods with write verbs: not in read-only mode.
                **({"unexpected-methods": ["trace"]} if run.read_only else {}),
            },
            "fuzzing": {"enabled": "fuzzing" in phases},
            "stateful": {"enabled": "stateful" in phases and not run.read_only, "max-steps": run.stateful_steps},
        },
        "output": {"sanitization": {"enabled": False}},
        "operations": [
            *conditional_errors(spec),
            *([{"include-method": list(WRITE_METHODS), "enabled": False}] if run.read_only else []),
            *([{"include-operation-id": deselected, "enabled": False}] if deselected else []),
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


def run_schemathesis(
    suite: Suite,
    run: RunConfig,
    base_url: str,
    headers: dict[str, str],
    result: ApiResult,
    gate: Gate,
    progress: Progress,
) -> None:
    """Run Schemathesis on one API and record findings, request counts and status coverage.

    Raises TimeBudgetExceeded after recording what ran, if the run's time ran out meanwhile.
    """
    spec = load_document(suite.spec_path)
    if not any(p in run.selection.phases for p in ENGINE_PHASES) or not run.selection.selected(spec):
        return
    schema = schemathesis.openapi.from_dict(copy.deepcopy(spec), config=config_for(run, spec, base_url, headers))
    # The same Limiter object the properties' client waits on: one budget for both.
    schema.config.rate_limit = gate.limiter
    stream = from_schema(schema).execute()
    remaining = gate.remaining()
    # Schemathesis checks its stop event before every case: the run stops at the next request.
    timer = threading.Timer(remaining, stream.stop) if remaining is not None else None
    if timer is not None:
        timer.daemon = True
        timer.start()
    total = sum(
        1
        for label in run.selection.selected(spec).values()
        if not (run.read_only and label.split(" ", 1)[0] in WRITE_METHODS)
    )
    phase, done = "", set[str]()
    try:
        for event in stream:
            if isinstance(event, PhaseStarted) and event.phase.name.value == "probing":
                # Its capability probes bypass the transport's limiter and go out as soon as the
                # stream resumes: take their permits now.
                gate.admit(weight=PROBES)
            elif isinstance(event, PhaseStarted) and event.phase.name.value in ENGINE_PHASES:
                phase, done = event.phase.name.value, set()
                result.phases_run.append(phase)
            elif isinstance(event, PhaseFinished) and event.phase.name.value == phase:
                if event.status == Status.SKIP:
                    result.phases_run.remove(phase)
                else:
                    progress.step_done(result, phase, len(done), _total(phase, done, total))
            elif isinstance(event, ScenarioFinished):
                record_scenario(suite, spec, event, result)
                # A stateful scenario spans operations: that step counts scenarios instead.
                done.add(str(event.id) if phase == "stateful" else event.label or "")
                progress.update(result, phase, len(done), _total(phase, done, total))
            elif isinstance(event, NonFatalError):
                result.findings.append(_error_finding(suite, spec, event, run.request_timeout))
            elif isinstance(event, FatalError):
                raise event.exception
            elif isinstance(event, EngineFinished):
                break
    finally:
        if timer is not None:
            timer.cancel()
    if gate.expired:
        raise TimeBudgetExceeded(f"time budget of {gate.max_time:g} s exceeded")


def _total(phase: str, done: set[str], operations: int) -> int:
    return len(done) if phase == "stateful" else operations


def _error_finding(suite: Suite, spec: dict[str, Any], event: NonFatalError, timeout: float) -> Finding:
    """A request that got no answer in time is that operation's failure; other errors are reported as such."""
    spot = location(suite.spec_path, spec, event.label)
    curl = event.info.code_sample or ""
    if isinstance(event.value, requests.Timeout):
        expected = f"a response within {timeout:g} s (--request-timeout)"
        return Finding(suite.name, "request_timeout", event.label, spot, expected, str(event.value), curl)
    return Finding(suite.name, "schemathesis_error", event.label, spot, "a run without errors", str(event.value), curl)


def documented_statuses(spec: dict[str, Any], result: ApiResult, selection: Selection) -> None:
    """The documented (operation, status) pairs of the selected operations, for the coverage line."""
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if isinstance(operation, dict) and "responses" in operation and selection.allows(operation["operationId"]):
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
