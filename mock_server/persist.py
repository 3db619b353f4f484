"""`--state-file`: the mock's state survives a restart (and a kill -9, minus the last interval).

At start the file is read and loaded through the source's `load` (for the runtime: the code of
`PUT /__admin/state`, which validates like a fixture); a file that cannot be read or loaded stops the
start and is left as it is. While serving, a request that may change state (anything but
GET/HEAD/OPTIONS) bumps a counter when it ends; a timer saves when the counter moved, and shutdown
saves once more. Saving exports and encodes on the event loop (a consistent snapshot between
requests) and writes in a thread: a temp file in the same folder, fsync, `os.replace`, so a crash
mid-write leaves the previous file whole. The file is created 0600: it holds every password and token.

The file is `{"version": 2, "state": {<session name>: <what GET /__admin/state?session= returns>}}`:
every live session is saved. `read` is the one place that turns older versions into the current
shape (version 1 held the default session alone).
"""

from __future__ import annotations

import asyncio
import contextlib
import glob
import json
import logging
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mock_server.fixtures import FixtureError
from mock_server.notes import DEFAULT_SESSION

VERSION = 2
MAX_STATE_INTERVAL_S = 24 * 3600
READS = frozenset({"GET", "HEAD", "OPTIONS"})
"""Methods that never change state: they do not count as a change."""

log = logging.getLogger(__name__)


class StateFileError(FixtureError):
    """The state file cannot be loaded; the message names it and says what to do."""


class Persistable(Protocol):
    """What is saved: the runtime today, all sessions later."""

    def export(self) -> dict[str, Any]: ...

    def load(self, data: Mapping[str, Any]) -> object: ...


def read(path: Path) -> Mapping[str, Any] | None:
    """The saved state in `path`, or None when there is no file yet; anything else wrong raises."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise _error(path, f"cannot be read: {exc.strerror}") from exc
    try:
        doc = json.loads(raw)
    except UnicodeDecodeError as exc:
        raise _error(path, f"is not UTF-8 text: {exc.reason} at byte {exc.start}") from exc
    except json.JSONDecodeError as exc:
        raise _error(path, f"is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})") from exc
    expected = f'expected {{"version": {VERSION}, "state": {{<session name>: {{<API name>: ...}}}}}}'
    if not isinstance(doc, dict) or "version" not in doc:
        raise _error(path, f"is not a mock state file: {expected}")
    if doc["version"] not in (1, VERSION):
        raise _error(path, f"has version {doc['version']!r}, which this mock does not read: {expected}")
    state = doc.get("state")
    if not isinstance(state, dict):
        raise _error(path, f"has no state mapping: {expected}")
    if doc["version"] == 1:
        return {DEFAULT_SESSION: state}
    if not all(isinstance(states, dict) for states in state.values()):
        raise _error(path, f"holds a session whose state is not a mapping: {expected}")
    return state


def encode(state: Mapping[str, Any]) -> bytes:
    """Compact on purpose: with `indent` json.dumps falls back to pure Python, 4-5x slower, and this runs
    on the event loop (about 90 ms for 7,000 stored objects)."""
    return json.dumps({"version": VERSION, "state": state}, separators=(",", ":"), allow_nan=False).encode()


def write(path: Path, data: bytes) -> None:
    """Replace `path` atomically with `data`; on any failure the previous file is untouched."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)  # the rename itself survives a power cut
    finally:
        os.close(folder)


def restore(source: Persistable, path: Path) -> None:
    """Load `path` into `source` before serving; also make sure the folder takes the file later."""
    state = read(path)
    if state is not None:
        try:
            source.load(state)
        except KeyError as exc:  # APIs this run does not serve: loading part of it would drop the rest
            advice = "serve those APIs too (--api), or pass another --state-file (it was left as it is)"
            raise _error(path, f"does not load: {exc.args[0] if exc.args else exc}", advice) from exc
        except (ValueError, TypeError) as exc:  # FixtureError is a ValueError
            raise _error(path, f"does not load: {exc}") from exc
    folder = path.parent
    if not folder.is_dir() or not os.access(folder, os.W_OK | os.X_OK):
        raise _error(path, f"cannot be written: {folder} is not a folder this process may write to", "choose another")
    for stale in folder.glob(glob.escape(f".{path.name}.") + "*.tmp"):  # a save cut short by a kill -9
        stale.unlink(missing_ok=True)


class Persisted:
    """ASGI wrapper: counts requests that may change state, saves on a timer and at shutdown."""

    def __init__(self, app: ASGIApp, source: Persistable, path: Path, interval_s: float) -> None:
        self.app = app
        self.source = source
        self.path = path
        self.interval_s = interval_s
        self.changes = 0
        self.saved = 0
        self._stop = asyncio.Event()
        self._timer: asyncio.Task[None] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] not in READS:
            try:
                await self.app(scope, receive, send)
            finally:  # counted when done, so a save that sees the count also sees the change
                self.changes += 1
        elif scope["type"] == "lifespan":
            await self.app(scope, receive, self._lifespan_send(send))
        else:
            await self.app(scope, receive, send)

    def _lifespan_send(self, send: Send) -> Send:
        async def forward(message: Message) -> None:
            if message["type"] == "lifespan.startup.complete":
                self._stop = asyncio.Event()
                self._timer = asyncio.create_task(self._every_interval())
            elif message["type"] == "lifespan.shutdown.complete":
                await self._shut_down()
            await send(message)

        return forward

    async def _every_interval(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), self.interval_s)
                return
            await self.save()

    async def _shut_down(self) -> None:
        if self._timer is not None:
            self._stop.set()
            await self._timer  # a save in progress ends first: two writers never race
            self._timer = None
        await self.save()

    async def save(self) -> None:
        """Write the state if it may have changed since the last save; a failed write is retried next time."""
        seen = self.changes
        if seen == self.saved:
            return
        try:
            data = encode(self.source.export())  # on the loop: the export may share objects with the live state
            await asyncio.to_thread(write, self.path, data)
        except (OSError, ValueError, TypeError) as exc:
            log.warning("mock-server: state not saved to %s: %s; will retry", self.path, exc)
            return
        self.saved = seen


def _error(path: Path, problem: str, advice: str = "fix or remove it (it was left as it is)") -> StateFileError:
    one_line = " ".join(problem.split())
    return StateFileError(f"state file {path} {one_line}; {advice}")
