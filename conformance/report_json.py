"""The `RunResult` as JSON, for tools: a stable, versioned shape documented in docs/report-json.md.

Keys are only ever added within a version; a renamed or removed key, or a changed meaning,
bumps `version`.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from conformance.annotations import spec_line
from conformance.findings import ApiResult, Finding, RunResult

VERSION = 1


def as_json(run: RunResult) -> dict[str, Any]:
    failures = run.failures
    return {
        "format": "pipeline-contracts/conformance-run",
        "version": VERSION,
        "ok": run.ok,
        "stopped": run.stopped,
        "errors": list(run.errors),
        "totals": {
            "apis": len(run.results),
            "requests": sum(r.requests for r in run.results),
            "checks": sum(r.checks for r in run.results),
            "failures": len(failures),
            "accepted": sum(1 for r in run.results for f in r.findings if f.allowed_by),
        },
        "apis": [_api(result) for result in run.results],
    }


def _api(result: ApiResult) -> dict[str, Any]:
    return {
        "api": result.api,
        "seconds": round(result.seconds, 3),
        "requests": result.requests,
        "checks": result.checks,
        "phases": list(result.phases_run),
        "operations_total": result.operations_total,
        "operations": [{"operation": op, **stats} for op, stats in sorted(result.per_operation.items())],
        "properties": [
            {
                "name": name,
                "outcome": _outcome(result, name),
                "reason": result.properties_skipped.get(name),
            }
            for name in result.properties_run
        ],
        "statuses": {
            "documented": [list(pair) for pair in sorted(result.statuses_documented)],
            "seen": [list(pair) for pair in sorted(result.statuses_seen)],
        },
        "findings": [_finding(f) for f in result.findings],
    }


def _outcome(result: ApiResult, name: str) -> str:
    if any(f.check == name and f.allowed_by is None for f in result.findings):
        return "failed"
    return "skipped" if name in result.properties_skipped else "passed"


def _finding(finding: Finding) -> dict[str, Any]:
    file, line = spec_line(finding.spec_location)
    return {**asdict(finding), "spec_file": file, "spec_line": line}


def write_json(run: RunResult, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(as_json(run), indent=2) + "\n", encoding="utf-8")
