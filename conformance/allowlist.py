"""Known deviations: accepted findings, each with a reason and an expiry date.

A team adopts the suite on a server with known differences and fails CI only on new ones. An
expired entry fails the run, so an accepted difference is looked at again.

    # known-deviations.yaml
    - check: response_schema_conformance     # a check or property name, as the report prints it
      api: zenml-pipelines                   # optional: only this API
      operation: GET /api/v1/pipelines       # optional: only this operation
      reason: real server sends naive timestamps
      expires: 2027-06-30
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, replace
from pathlib import Path

import yaml

from conformance.findings import Finding


class AllowlistError(ValueError):
    """The file is unusable: the message names the file and the entry (exit status 2)."""


@dataclass(frozen=True)
class Entry:
    check: str
    reason: str
    expires: datetime.date
    api: str | None = None
    operation: str | None = None

    def matches(self, finding: Finding) -> bool:
        return (
            self.check == finding.check
            and self.api in (None, finding.api)
            and self.operation in (None, finding.operation)
        )

    def describe(self) -> str:
        scope = " ".join(x for x in (self.api, self.operation) if x)
        return f"{self.check}{' on ' + scope if scope else ''} (until {self.expires}: {self.reason})"


def load(path: Path) -> list[Entry]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    except (OSError, yaml.YAMLError) as exc:
        raise AllowlistError(f"{path}: cannot read known deviations: {exc}") from exc
    if not isinstance(data, list):
        raise AllowlistError(f"{path}: expected a list of entries (check, reason, expires)")
    entries = []
    for index, item in enumerate(data):
        missing = [k for k in ("check", "reason", "expires") if not isinstance(item, dict) or k not in item]
        if missing:
            raise AllowlistError(f"{path}: entry {index}: missing {', '.join(missing)}")
        expires = item["expires"]
        if not isinstance(expires, datetime.date):
            raise AllowlistError(f"{path}: entry {index}: expires must be a date like 2027-01-31, got {expires!r}")
        unknown = set(item) - {"check", "reason", "expires", "api", "operation"}
        if unknown:
            raise AllowlistError(f"{path}: entry {index}: unknown keys {', '.join(sorted(unknown))}")
        entries.append(Entry(str(item["check"]), str(item["reason"]), expires, item.get("api"), item.get("operation")))
    return entries


def apply(entries: list[Entry], findings: list[Finding], today: datetime.date) -> tuple[list[Finding], list[str]]:
    """Mark findings accepted by a live entry; return them and one error per expired entry."""
    live = [e for e in entries if e.expires >= today]
    errors = [f"known deviation expired on {e.expires}: {e.describe()}" for e in entries if e.expires < today]
    marked = []
    for finding in findings:
        entry = next((e for e in live if e.matches(finding)), None)
        marked.append(replace(finding, allowed_by=entry.describe()) if entry else finding)
    return marked, errors


REASON_PLACEHOLDER = "TODO: say why this deviation is accepted"
ADOPTION_DAYS = 90


def dump(findings: list[Finding], today: datetime.date) -> str:
    """Known-deviations YAML accepting `findings` (one entry per check, API and operation) for 90 days."""
    expires = today + datetime.timedelta(days=ADOPTION_DAYS)
    keys = sorted({(f.check, f.api, f.operation) for f in findings})
    entries = [
        {"check": check, "api": api, "operation": operation, "reason": REASON_PLACEHOLDER, "expires": expires}
        for check, api, operation in keys
    ]
    header = f"# Known deviations written by `conformance run --write-allowlist` on {today}: give each a reason.\n"
    return header + (yaml.safe_dump(entries, sort_keys=False, allow_unicode=True) if entries else "[]\n")
