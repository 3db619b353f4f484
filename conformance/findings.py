"""What a run found: typed findings that carry their evidence, and the run's totals."""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field

import httpx


@dataclass(frozen=True)
class Finding:
    """One way the server breaks its contract, with what is needed to reproduce it."""

    api: str
    check: str
    operation: str
    spec_location: str
    """`specs/<api>.yaml#<JSON pointer>` of what was checked."""
    expected: str
    received: str
    curl: str = ""
    allowed_by: str | None = None
    """The known-deviations entry that accepts this finding, if any."""

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.api, self.check, self.operation, self.expected.split("\n", 1)[0])


@dataclass
class ApiResult:
    api: str
    findings: list[Finding] = field(default_factory=list)
    requests: int = 0
    checks: int = 0
    per_operation: dict[str, dict[str, int]] = field(default_factory=dict)
    """operation -> {"requests": n, "checks": n, "failures": n}."""
    operations_total: int = 0
    statuses_documented: set[tuple[str, str]] = field(default_factory=set)
    statuses_seen: set[tuple[str, str]] = field(default_factory=set)
    properties_run: list[str] = field(default_factory=list)
    properties_skipped: dict[str, str] = field(default_factory=dict)
    """property -> why it did not run to the end (an operation outside the selection, the time budget)."""
    phases_run: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def count(self, operation: str, key: str, n: int = 1) -> None:
        stats = self.per_operation.setdefault(operation, {"requests": 0, "checks": 0, "failures": 0})
        stats[key] += n


@dataclass
class RunResult:
    results: list[ApiResult]
    errors: list[str] = field(default_factory=list)
    """Allowlist problems (expired entries): they fail the run like findings do."""
    stopped: str | None = None
    """Why the run ended before it was done (`time budget of 30 s exceeded`); it fails the run."""

    @property
    def failures(self) -> list[Finding]:
        return [f for r in self.results for f in r.findings if f.allowed_by is None]

    @property
    def ok(self) -> bool:
        return not self.failures and not self.errors and self.stopped is None


def curl_for(request: httpx.Request) -> str:
    """A copy-pasteable curl command for an httpx request (credentials kept: the user owns them)."""
    parts = ["curl", "-X", request.method]
    for name, value in request.headers.items():
        if name.lower() not in {"host", "content-length", "accept-encoding", "connection", "user-agent"}:
            parts += ["-H", f"{name}: {value}"]
    if request.content:
        parts += ["-d", request.content.decode("utf-8", "replace")]
    parts.append(str(request.url))
    return shlex.join(parts)
