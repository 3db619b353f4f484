"""The mock's live data: every session's state of each API, and how to build, reset, export and load it."""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mock_server.api import Context, MockApi
from mock_server.contract_check import ViolationSummary
from mock_server.faults import Faults
from mock_server.fixtures import FixtureError, validate_fixture
from mock_server.ids_and_clocks import Clock, Ids
from mock_server.notes import DEFAULT_SESSION
from mock_server.recorder import Recorder
from mock_server.sessions import Session, Sessions
from mock_server.settings import Settings


@dataclass(frozen=True)
class Slot:
    """One API and the fixture every session's state of it starts from."""

    api: MockApi
    fixture: Mapping[str, Any]
    source: str
    """Where the fixture came from, for error messages."""
    spec: Mapping[str, Any]
    """The spec served now (live reload replaces the slot); fixtures and imports are checked against it."""


class Runtime:
    """All served APIs in all sessions. A session is built, and reset, by `reset` alone."""

    def __init__(self, settings: Settings, slots: dict[str, Slot]) -> None:
        self.settings = settings
        self.slots = slots
        self.violations = ViolationSummary()
        """What the validating proxy found, per operation (`GET /__admin/violations`)."""
        self.recorder = (
            Recorder(settings.record, {n: s.api for n, s in slots.items()}, {n: s.spec for n, s in slots.items()})
            if settings.record
            else None
        )
        self.faults = Faults.of({name: slot.spec for name, slot in slots.items()}, settings.seed)
        self.sessions = Sessions(self._new_session, settings.max_sessions)

    def _new_session(self, name: str) -> Session:
        session = Session(name, self._context(), deque(maxlen=self.settings.journal_size))
        self.reset(session)
        return session

    def _context(self) -> Context:
        return Context(ids=Ids(self.settings.seed), clock=Clock(seeded=self.settings.seed is not None))

    def state(self, api: str) -> Any:
        """`api`'s state in the current request's session: what handlers and credential checks read."""
        return self.sessions.current().states[api]

    def reset(self, session: Session | None = None) -> None:
        """Back to the fixtures, ids and clock at their start: the same code as start-up."""
        session = session or self.sessions.default
        fresh = self._context()
        session.ctx.ids, session.ctx.clock = fresh.ids, fresh.clock
        session.states = {
            name: build_state(slot.api, slot.fixture, session.ctx, slot.source) for name, slot in self.slots.items()
        }

    def export(self, session: Session | None = None) -> dict[str, Any]:
        """One session's state per API name, in the shape fixtures have."""
        session = session or self.sessions.default
        return {name: state.export() for name, state in session.states.items()}

    def load(self, data: Mapping[str, Any], session: Session | None = None) -> list[str]:
        """Replace the state of the APIs named in `data` in one session (validated first: all or nothing)."""
        session = session or self.sessions.default
        unknown = sorted(set(data) - set(self.slots))
        if unknown:
            raise KeyError(f"not served here: {', '.join(unknown)}; served: {', '.join(self.slots)}")
        for name, value in data.items():
            validate_fixture(self.slots[name].api, self.slots[name].spec, value, "imported state")
        states = {
            name: build_state(self.slots[name].api, value, session.ctx, "imported state")
            for name, value in data.items()
        }
        session.states.update(states)
        return sorted(states)

    def export_all(self) -> dict[str, dict[str, Any]]:
        """Every live session's state: {session name: {api name: state}} (for a state file)."""
        return {session.name: self.export(session) for session in self.sessions}

    def load_all(self, data: Mapping[str, Mapping[str, Any]]) -> None:
        """Load `export_all()` output: each named session is created if needed, then loaded."""
        for name, states in data.items():
            session = self.sessions.default if name == DEFAULT_SESSION else self.sessions.use(name)
            self.load(states, session)


def build_state(api: MockApi, data: Mapping[str, Any], ctx: Context, source: str) -> Any:
    """The API's state from fixture data; data the schema check let through but the API refuses
    (a dangling reference, a wrong shape) is reported naming the source, never as a traceback."""
    try:
        return api.state.from_fixture(data, ctx)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise FixtureError(f"{source}: {api.name}: {type(exc).__name__}: {exc}") from exc


def carry_state(slot: Slot, spec: Mapping[str, Any], state: Any, ctx: Context) -> tuple[Any, str]:
    """The state one session keeps of an API under a new spec, and why: `state` when it still passes the
    start-up fixture check against `spec`, else a fresh one from the fixtures. Changes nothing; a
    fixture that no longer validates either raises FixtureError (the caller keeps the old version)."""
    try:
        validate_fixture(slot.api, spec, state.export(), "current state")
    except FixtureError as exc:
        validate_fixture(slot.api, spec, slot.fixture, slot.source)
        return build_state(slot.api, slot.fixture, ctx, slot.source), f"state reset to fixtures ({exc})"
    return state, "state kept"


class EverySession:
    """The runtime as a state file holds it (`persist.Persistable`): every live session, by name."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def export(self) -> dict[str, Any]:
        return self.runtime.export_all()

    def load(self, data: Mapping[str, Any]) -> None:
        self.runtime.load_all(data)
