"""The request journal: what arrived, what matched, and what the mock answered, per session.

Entries are recorded raw and cheaply on the request path (a deque per session bounds them) and
turned into JSON only when `GET /__admin/requests` asks. Secrets never enter it: the Authorization
value keeps only its scheme, and cookie values other than the session's are masked.
"""

from __future__ import annotations

import heapq
import itertools
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

BODY_LIMIT = 64 * 1024
REASON_LIMIT = 1024
"""Characters of a reason kept: a validation message may quote a whole oversized value."""
MASK = "***"


@dataclass(slots=True)
class Entry:
    time: float
    session: str
    method: str
    path: str
    query: str
    headers: list[tuple[bytes, bytes]]
    body: bytes
    body_bytes: int
    api: str | None = None
    operation: str | None = None
    status: int = 0
    ms: float = 0.0
    reason: str | None = None
    fault: str | None = None
    violations: list[dict[str, Any]] = field(default_factory=list)
    """Contract violations the validating proxy found in this exchange (`--proxy`)."""

    def to_json(self) -> dict[str, Any]:
        headers: dict[str, str] = {}
        for name, value in self.headers:
            key, text = name.decode("latin-1"), value.decode("latin-1")
            headers[key] = f"{headers[key]}, {text}" if key in headers else text
        return {
            "time": iso(self.time),
            "session": self.session,
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "api": self.api,
            "operation": self.operation,
            "headers": headers,
            "body": self.body.decode("utf-8", "replace"),
            "body_bytes": self.body_bytes,
            "body_truncated": self.body_bytes > len(self.body),
            "status": self.status,
            "ms": round(self.ms, 1),
            "reason": self.reason,
            "fault": self.fault,
            "violations": self.violations,
        }


def iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def redact(name: bytes, value: bytes) -> bytes:
    """The header value as the journal keeps it: no credential, the session cookie readable."""
    if name == b"authorization":
        scheme, sep, _ = value.partition(b" ")
        return scheme + b" " + MASK.encode() if sep else MASK.encode()
    if name == b"cookie":
        parts = []
        for part in value.split(b";"):
            key, sep, _ = part.strip().partition(b"=")
            parts.append(part.strip() if key == b"mock_session" or not sep else key + b"=" + MASK.encode())
        return b"; ".join(parts)
    return value


def reason_of(body: Any) -> str:
    """The text of an error body on one line: the body itself when it is text, else its longest string
    (Esper's `message`, ZenML's `detail`, Instabase's `msg`, a problem's `detail`)."""
    if isinstance(body, str):
        text = body
    else:
        text = max(_strings(body), key=len, default="")
    text = " ".join(text.split())
    return text if len(text) <= REASON_LIMIT else text[: REASON_LIMIT - 3] + "..."


def reason_of_bytes(data: bytes, content_type: str) -> str:
    text = data.decode("utf-8", "replace")
    if "json" in content_type:
        try:
            return reason_of(json.loads(text))
        except ValueError:
            pass
    return reason_of(text)


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


@dataclass(frozen=True)
class Filter:
    """What `GET /__admin/requests` asked for; every field None means any."""

    api: str | None = None
    operation: str | None = None
    method: str | None = None
    status: str | None = None
    """`404` exactly, or a class such as `4xx`."""
    since: float | None = None

    def __call__(self, entry: Entry) -> bool:
        if self.api is not None and entry.api != self.api:
            return False
        if self.operation is not None and entry.operation != self.operation:
            return False
        if self.method is not None and entry.method != self.method.upper():
            return False
        if self.since is not None and entry.time < self.since:
            return False
        if self.status is not None:
            code = str(entry.status)
            return code[0] == self.status[0] if self.status.endswith("xx") else code == self.status
        return True


def newest_first(journals: Iterable[Iterable[Entry]], keep: Filter) -> Iterator[Entry]:
    """The entries of several journals (each oldest first), merged newest first, filtered."""
    merged = heapq.merge(*(reversed(list(j)) for j in journals), key=lambda e: -e.time)
    return (entry for entry in merged if keep(entry))


def page(entries: Iterator[Entry], offset: int, limit: int) -> list[dict[str, Any]]:
    return [entry.to_json() for entry in itertools.islice(entries, offset, offset + limit)]
