"""One line per request on stdout, as Prism prints them, or the same fields as JSON for log collectors.

    12:03:04 POST /v0/pipelines/P/stages/ -> 400 create_stage: 'name' is a required property (3 ms)
    12:03:05 [ci-42] GET /go/api/stages/build/DEV/history -> 200 get_stage_history (2 ms)

The session is shown when it is not the default. Lines are formatted only when logging is on.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable

from mock_server.journal import Entry, iso
from mock_server.notes import DEFAULT_SESSION

Line = Callable[[Entry], str]


def text_line(entry: Entry) -> str:
    clock = time.strftime("%H:%M:%S", time.localtime(entry.time))
    session = "" if entry.session == DEFAULT_SESSION else f" [{entry.session}]"
    target = f"{entry.path}?{entry.query}" if entry.query else entry.path
    what = f" {entry.operation}" if entry.operation else ""
    if entry.reason:
        what = f"{what}: {entry.reason}" if what else f" {entry.reason}"
    if entry.violations:
        first = entry.violations[0]
        count = len(entry.violations)
        what += f": {count} violation{'s' if count > 1 else ''}: {first.get('at')}: {first.get('message')}"
    if entry.fault:
        what += f" [fault: {entry.fault}]"
    return f"{clock}{session} {entry.method} {target} -> {entry.status}{what} ({entry.ms:.0f} ms)"


def json_line(entry: Entry) -> str:
    fields = {
        "time": iso(entry.time),
        "session": entry.session,
        "method": entry.method,
        "path": entry.path,
        "query": entry.query,
        "api": entry.api,
        "operation": entry.operation,
        "status": entry.status,
        "ms": round(entry.ms, 1),
        "reason": entry.reason,
        "fault": entry.fault,
        "violations": len(entry.violations),
    }
    return json.dumps(fields)


FORMATS: dict[str, Line] = {"text": text_line, "json": json_line}


def printer(log_format: str) -> Callable[[Entry], None]:
    """Print each entry's line to the stdout of the moment (so a test's capture sees it), unbuffered."""
    line = FORMATS[log_format]

    def emit(entry: Entry) -> None:
        sys.stdout.write(line(entry) + "\n")
        sys.stdout.flush()

    return emit
