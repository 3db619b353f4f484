"""What the layers of one request learn about it, for the journal and the log line to report.

The layer that knows a fact writes it here (the endpoint the operation, the error renderer the
reason, a fault rule its name, the proxy its violations); the journal reads the whole record once
the response is sent. A context variable rather than an ASGI scope key, because Connexion and
Starlette hand inner layers copies of the scope.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

DEFAULT_SESSION = "default"


@dataclass
class RequestNotes:
    session: str = DEFAULT_SESSION
    api: str | None = None
    operation: str | None = None
    """The operationId that matched, None when no operation did."""
    reason: str | None = None
    """For an error answer: the text the mock gave (the same words as in the error body)."""
    fault: str | None = None
    """The fault rule that fired, by name, if any."""
    violations: list[dict[str, Any]] = field(default_factory=list)
    """Contract violations the validating proxy found in this exchange."""


_NOTES: ContextVar[RequestNotes | None] = ContextVar("mock_request_notes", default=None)


def begin(notes: RequestNotes | None = None) -> RequestNotes:
    """Start the record of a request; the outermost layer calls this once per request."""
    record = notes or RequestNotes()
    _NOTES.set(record)
    return record


def notes() -> RequestNotes:
    """The current request's record; outside a request (tests calling code directly) a throwaway one."""
    record = _NOTES.get()
    return record if record is not None else RequestNotes()
