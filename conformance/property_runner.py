"""The Hypothesis half of a run: each API's properties, bound to the target's client.

A failing property becomes a `Finding` named after the rule or function that asserted, with the
last request it sent as a curl line and Hypothesis's minimal reproduction as the received text.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from functools import partial
from pathlib import Path
from types import ModuleType
from urllib.parse import urlsplit

import httpx
from hypothesis import HealthCheck, Phase, settings
from hypothesis.stateful import run_state_machine_as_test

from conformance.apis import Suite
from conformance.findings import ApiResult, Finding, curl_for
from conformance.gate import TimeBudgetExceeded
from conformance.progress import Progress
from conformance.properties import bind
from conformance.selection import Deselected
from conformance.settings import RunConfig
from conformance.spec import location, operation_label
from conformance.target import RecordingClient
from contracts import load_document


def run_properties(
    suite: Suite, run: RunConfig, client: RecordingClient, result: ApiResult, progress: Progress
) -> None:
    """Run the read-only properties, then (unless read-only) the state machines.

    TimeBudgetExceeded propagates: the whole run stops there.
    """
    module = suite.properties
    machines = [] if run.read_only else module.MACHINES
    total = len(module.READ_ONLY) + len(machines)
    for fn in module.READ_ONLY:
        _run_one(suite, module, fn.__name__, partial(fn, client), client, result)
        progress.update(result, "properties", len(result.properties_run), total)
    if run.read_only:
        return
    machine_settings = settings(
        max_examples=run.machine_examples,
        stateful_step_count=run.stateful_steps,
        deadline=None,
        database=None,
        derandomize=run.seed is not None,
        suppress_health_check=list(HealthCheck),
        print_blob=False,
        # Shrinking replays whole sequences against the server hundreds of times (minutes on a
        # live target); sequences are at most `stateful_steps` long, so the first failing one is
        # already a short reproduction.
        phases=[Phase.explicit, Phase.reuse, Phase.generate],
    )
    for machine in module.MACHINES:
        bound = bind(machine, client)
        _run_one(
            suite,
            module,
            machine.__name__,
            partial(run_state_machine_as_test, bound, settings=machine_settings),
            client,
            result,
        )
        progress.update(result, "properties", len(result.properties_run), total)


def _run_one(
    suite: Suite,
    module: ModuleType,
    name: str,
    test: Callable[[], object],
    client: RecordingClient,
    result: ApiResult,
) -> None:
    result.properties_run.append(name)
    try:
        test()
    except Exception as exc:  # an assertion, or a crash on something the server said: both are findings
        inner = _innermost(exc)
        if isinstance(inner, TimeBudgetExceeded) or client.gate.expired:
            # Hypothesis replays a failure; a replay cut short by the budget looks like flaky data.
            stop = TimeBudgetExceeded(f"time budget of {client.gate.max_time:g} s exceeded")
            result.properties_skipped[name] = str(stop)
            raise stop from None
        if isinstance(inner, Deselected):
            result.properties_skipped[name] = str(inner)
        else:
            result.findings.append(_finding(suite, module, name, inner, client))
    finally:
        result.checks += 1


def _innermost(exc: BaseException) -> BaseException:
    """Hypothesis reports a failure that did not repeat as a FlakyFailure group: use what it wraps."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return exc


def _finding(suite: Suite, module: ModuleType, name: str, exc: BaseException, client: RecordingClient) -> Finding:
    spec = load_document(suite.spec_path)
    request = client.last_request
    operation = operation_label(spec, request.method, urlsplit(str(request.url)).path) if request else "(none)"
    notes = "\n".join(getattr(exc, "__notes__", []))
    message = str(exc) or exc.__class__.__name__
    if isinstance(exc, httpx.TimeoutException):
        message = f"a response within {client.timeout.read:g} s (--request-timeout), got none\n{message}"
    return Finding(
        api=suite.name,
        check=_check_name(module, name, exc),
        operation=operation,
        spec_location=location(suite.spec_path, spec, operation),
        expected=message.split("\n", 1)[0],
        received=(message + ("\n" + notes if notes else "")).strip(),
        curl=curl_for(request) if request else "",
    )


def _check_name(module: ModuleType, default: str, exc: BaseException) -> str:
    """The innermost rule, invariant or property function of `module` that raised."""
    here = Path(module.__file__ or "").resolve()
    names = [
        frame.name
        for frame in traceback.extract_tb(exc.__traceback__)
        if Path(frame.filename).resolve() == here and not frame.name.startswith("_")
    ]
    steps = {n for m in getattr(module, "MACHINES", []) for n in dir(m) if _is_step(getattr(m, n, None))}
    for candidate in reversed(names):
        if candidate in steps or candidate == default:
            return candidate
    return names[-1] if names else default


def _is_step(attribute: object) -> bool:
    """A rule, invariant or initialize step of a Hypothesis state machine (not a helper method)."""
    return any(name.startswith("hypothesis_stateful_") for name in getattr(attribute, "__dict__", {}))
