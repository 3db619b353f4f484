"""Live reload (`--reload`): edit a spec, a fixture file or the faults file and keep serving.

A changed spec is read, its API's state checked against it (`runtime.carry_state`: kept when it
still validates, else reset to the fixtures), and a new Connexion app built and started; only
when all of that worked is the new version swapped in, between two requests (everything runs on
the server's event loop, and a request in flight finishes on the version it started on). Anything
that fails leaves the last good version served and logs the error with its file; nothing here
ever stops the server. One log line per reload says what changed and how long the swap took.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import replace
from pathlib import Path
from typing import Any, Literal, Protocol

from starlette.types import ASGIApp, Message, Receive, Scope, Send
from watchfiles import awatch

from mock_server.faults import FaultError
from mock_server.fixtures import FixtureError, load_fixtures
from mock_server.gc_pauses import refreeze
from mock_server.routing import PathTable
from mock_server.runtime import Runtime, Slot, build_state, carry_state
from mock_server.specs import SpecError, line_of, read_spec, spec_file

logger = logging.getLogger(__name__)

DEBOUNCE_MS = 200
"""Editors write a file in several steps; changes this close together make one reload."""
STOP_TIMEOUT_S = 2.0

Kind = Literal["spec", "fixtures", "faults"]
Build = Callable[[Runtime, Slot, PathTable], ASGIApp]


class Apps(Protocol):
    """Where the served apps live (the dispatcher): the one place a swap writes."""

    apps: dict[str, ASGIApp]


class BuildError(ValueError):
    """The new spec parsed but Connexion refused it (an invalid OpenAPI document)."""


class Reloader:
    def __init__(self, runtime: Runtime, served: Apps, table: PathTable, build: Build) -> None:
        self.runtime = runtime
        self.served = served
        self.table = table
        self.build = build

    def watched(self) -> dict[Path, tuple[Kind, str]]:
        """Every file whose change triggers a reload: each served spec, each fixture file in use, the faults file."""
        settings = self.runtime.settings
        files: dict[Path, tuple[Kind, str]] = {}
        for name, slot in self.runtime.slots.items():
            files[Path(slot.source).resolve()] = ("fixtures", slot.source)
            files[spec_file(settings, name).resolve()] = ("spec", name)
        if settings.fixtures is not None:
            files[settings.fixtures.resolve()] = ("fixtures", str(settings.fixtures))
        if settings.faults is not None:
            files[settings.faults.resolve()] = ("faults", str(settings.faults))
        return files

    async def watch(self, stop: asyncio.Event) -> None:
        """Reload each watched file as it changes, until `stop` is set. Watches folders, not files:
        an editor that saves by replacing the file would end a watch on the file itself."""
        files = self.watched()
        folders = sorted({path.parent for path in files})

        def wanted(_change: Any, path: str) -> bool:
            return Path(path).resolve() in files

        async for changes in awatch(*folders, watch_filter=wanted, debounce=DEBOUNCE_MS, step=50, stop_event=stop):
            for path in sorted({Path(p).resolve() for _, p in changes}):
                await self.reload(path)

    async def reload(self, path: Path) -> str:
        """Reload what `path` holds; the log line (also returned) says what happened."""
        started = time.perf_counter()
        kind, name = self.watched()[path]
        try:
            if kind == "spec":
                what = await self._spec(name)
            elif kind == "fixtures":
                what = self._fixtures(path)
            else:
                what = self._faults()
        except (SpecError, FixtureError, FaultError, BuildError) as exc:
            line = f"reload of {path.name} failed, still serving the last good version: {exc}"
            logger.error(line)
            return line
        except Exception as exc:  # a bug of ours must not end the watch either
            line = f"reload of {path.name} failed, still serving the last good version: {type(exc).__name__}: {exc}"
            logger.exception(line)
            return line
        line = f"reloaded {path.name}: {what} (swap took {(time.perf_counter() - started) * 1000:.0f} ms)"
        refreeze()
        logger.warning(line)
        return line

    async def _spec(self, name: str) -> str:
        spec = read_spec(self.runtime.settings, name)
        slot = self.runtime.slots[name]
        carried = {
            session.name: carry_state(slot, spec, session.states[name], session.ctx)
            for session in self.runtime.sessions
        }
        candidate = replace(slot, spec=spec)
        source = spec_file(self.runtime.settings, name)
        try:
            app = self.build(self.runtime, candidate, self.table)
            await _start(app)
        except Exception as exc:  # Connexion's spec check, a handler the new spec names but the API lacks
            raise BuildError(f"{_where(source, exc)}: not a spec the mock can serve: {_first_line(exc)}") from exc
        self.runtime.slots[name] = candidate
        for session in self.runtime.sessions:
            if session.name in carried:  # a session created during the swap already has the new fixtures' state
                session.states[name] = carried[session.name][0]
        self.table.set_spec(name, spec)
        self.runtime.faults.set_spec(name, spec)
        self.served.apps[name] = app
        return f"{name} rebuilt, {_why(carried)}"

    def _fixtures(self, path: Path) -> str:
        slots = self.runtime.slots
        specs = {name: slot.spec for name, slot in slots.items()}
        chosen = load_fixtures([slot.api for slot in slots.values()], specs, self.runtime.settings.fixtures)
        affected = [
            name
            for name, slot in slots.items()
            if path in (Path(slot.source).resolve(), Path(chosen[name][0]).resolve())
        ]
        sessions = list(self.runtime.sessions)
        states = {  # all built before any is swapped in: a fixture the API refuses changes nothing
            (session.name, name): build_state(slots[name].api, chosen[name][1], session.ctx, chosen[name][0])
            for session in sessions
            for name in affected
        }
        for name in affected:
            source, fixture = chosen[name]
            slots[name] = replace(slots[name], source=source, fixture=fixture)
        for session in sessions:
            for name in affected:
                session.states[name] = states[session.name, name]
        return f"{', '.join(affected) or 'no API'} reset to the new fixtures in every session"

    def _faults(self) -> str:
        faults = self.runtime.settings.faults
        assert faults is not None  # only watched when given
        rules = self.runtime.faults.load(faults)
        return f"{len(rules)} fault rule(s) in force"


def _why(carried: dict[str, tuple[object, str]]) -> str:
    """`state kept` when every session kept it, else which sessions were reset and why."""
    reset = {name: why for name, (_, why) in carried.items() if why != "state kept"}
    if not reset:
        return "state kept"
    first = next(iter(reset.values()))
    return f"{first} in {len(reset)} of {len(carried)} session(s): {', '.join(sorted(reset))}"


async def _start(app: ASGIApp) -> None:
    """Run the new app's lifespan start-up and shut-down: Connexion builds its stack and checks the spec."""
    inbox: asyncio.Queue[Message] = asyncio.Queue()
    replies: list[Message] = []
    inbox.put_nowait({"type": "lifespan.startup"})
    inbox.put_nowait({"type": "lifespan.shutdown"})

    async def reply(message: Message) -> None:
        replies.append(message)

    await app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}, inbox.get, reply)
    failed = [message for message in replies if message["type"].endswith(".failed")]
    if failed:
        raise BuildError(failed[0].get("message", "start-up failed"))


def _where(source: Path, exc: Exception) -> str:
    """`file:line` of what a spec validator points at (jsonschema errors carry the path), else the file."""
    line = line_of(source, getattr(exc, "absolute_path", ()))
    return f"{source}:{line}" if line else str(source)


def _first_line(exc: Exception) -> str:
    """The validator's message without the whole offending object it quotes."""
    message = getattr(exc, "message", None) or str(exc)
    text = str(message).strip().split("\n", 1)[0]
    return f"{type(exc).__name__}: {text[:300]}"


class Reloading:
    """Watch for changes while the server runs: from its lifespan start-up to its shut-down."""

    def __init__(self, app: ASGIApp, reloader: Reloader) -> None:
        self.app = app
        self.reloader = reloader

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "lifespan":
            await self.app(scope, receive, send)
            return
        stop = asyncio.Event()
        task = asyncio.create_task(self.reloader.watch(stop))
        try:
            await self.app(scope, receive, send)
        finally:
            stop.set()
            with suppress(asyncio.TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(task, STOP_TIMEOUT_S)
