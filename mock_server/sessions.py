"""Isolated sessions: each caller's own state of every API, ids and clock, and its request journal.

A request names its session with the `X-Mock-Session` header (or the `mock_session` cookie, for a
browser that cannot set headers); none means the default session, which always exists and is never
dropped. Named sessions are created on first use through the same function as start-up and reset,
and at most `--max-sessions` of them live at once: the least recently used one goes first.
"""

from __future__ import annotations

import logging
import re
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from mock_server.api import Context
from mock_server.notes import DEFAULT_SESSION

logger = logging.getLogger(__name__)

NAME = re.compile(r"[A-Za-z0-9._-]{1,64}")
HEADER = b"x-mock-session"
COOKIE = "mock_session"
PROBLEM = "mock.session_problem"
"""Scope key: why the request's session name is refused, for the dispatcher to answer in the API's format."""


def name_problem(name: str) -> str | None:
    """Why `name` is not a session name, or None when it is one."""
    if NAME.fullmatch(name):
        return None
    shown = name if len(name) <= 70 else f"{name[:64]}..."
    return (
        f"X-Mock-Session {shown!r} is not a session name: use 1-64 characters of A-Z a-z 0-9 . _ - "
        "(or send no header for the default session)."
    )


@dataclass
class Session:
    """One caller's world: the state per API name, the ids and clock they share, and its journal."""

    name: str
    ctx: Context
    journal: deque[Any]
    states: dict[str, Any] = field(default_factory=dict)
    created_at: float = field(default_factory=time.time)
    last_used: float = field(default_factory=time.time)
    requests: int = 0


_CURRENT: ContextVar[Session | None] = ContextVar("mock_session", default=None)


def bind(session: Session) -> None:
    """Make `session` the one this request's handlers and credential checks read (the outer layer calls it)."""
    _CURRENT.set(session)


class Sessions:
    """The default session plus at most `limit` named ones, least recently used first."""

    def __init__(self, create: Callable[[str], Session], limit: int) -> None:
        self._create = create
        self.limit = limit
        self.default = create(DEFAULT_SESSION)
        self._named: OrderedDict[str, Session] = OrderedDict()

    def current(self) -> Session:
        """The session bound to the running request; the default outside a request."""
        return _CURRENT.get() or self.default

    def get(self, name: str) -> Session | None:
        return self.default if name == DEFAULT_SESSION else self._named.get(name)

    def use(self, name: str) -> Session:
        """The session `name`, created if new; it becomes the most recently used."""
        session = self.get(name)
        if session is None:
            session = self._create(name)
            self._named[name] = session
            while len(self._named) > self.limit:
                _, dropped = self._named.popitem(last=False)
                logger.warning(
                    "session %r dropped: it was the least recently used and --max-sessions is %d",
                    dropped.name,
                    self.limit,
                )
        elif session is not self.default:
            self._named.move_to_end(name)
        session.last_used = time.time()
        return session

    def drop(self, name: str) -> bool:
        return self._named.pop(name, None) is not None

    def __iter__(self) -> Iterator[Session]:
        yield self.default
        yield from list(self._named.values())
