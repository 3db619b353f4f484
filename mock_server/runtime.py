"""The mock's live data: each API's state, the shared id and time sources, and how to reset them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mock_server.api import Context, MockApi
from mock_server.contract_check import ViolationSummary
from mock_server.faults import Faults
from mock_server.fixtures import FixtureError, validate_fixture
from mock_server.recorder import Recorder
from mock_server.settings import Settings
from mock_server.store import Clock, Ids


@dataclass
class Slot:
    """One API and its current state; handlers read `state` at call time, so reset swaps it."""

    api: MockApi
    fixture: Mapping[str, Any]
    source: str
    """Where the fixture came from, for error messages."""
    spec: Mapping[str, Any]
    """The spec served now (live reload replaces it); fixtures and imports are checked against it."""
    state: Any = None


class Runtime:
    """All served APIs. Reset rebuilds everything from fixtures through the same code as start-up."""

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
        self.ctx = Context(ids=Ids(settings.seed), clock=Clock(seeded=settings.seed is not None))
        self.faults = Faults.of({name: slot.spec for name, slot in slots.items()}, settings.seed)
        self.reset()

    def reset(self) -> None:
        self.ctx.ids = Ids(self.settings.seed)
        self.ctx.clock = Clock(seeded=self.settings.seed is not None)
        for slot in self.slots.values():
            slot.state = build_state(slot.api, slot.fixture, self.ctx, slot.source)

    def export(self) -> dict[str, Any]:
        return {name: slot.state.export() for name, slot in self.slots.items()}

    def load(self, data: Mapping[str, Any]) -> list[str]:
        """Replace the state of the APIs named in `data` (validated first: all or nothing)."""
        unknown = sorted(set(data) - set(self.slots))
        if unknown:
            raise KeyError(f"not served here: {', '.join(unknown)}; served: {', '.join(self.slots)}")
        for name, value in data.items():
            validate_fixture(self.slots[name].api, self.slots[name].spec, value, "imported state")
        states = {
            name: build_state(self.slots[name].api, value, self.ctx, "imported state") for name, value in data.items()
        }
        for name, state in states.items():
            self.slots[name].state = state
        return sorted(states)


def build_state(api: MockApi, data: Mapping[str, Any], ctx: Context, source: str) -> Any:
    """The API's state from fixture data; data the schema check let through but the API refuses
    (a dangling reference, a wrong shape) is reported naming the source, never as a traceback."""
    try:
        return api.state.from_fixture(data, ctx)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise FixtureError(f"{source}: {api.name}: {type(exc).__name__}: {exc}") from exc


def carry_state(slot: Slot, spec: Mapping[str, Any], ctx: Context) -> tuple[Any, str]:
    """The state an API keeps under a new spec, and why: its current state when that still passes the
    start-up fixture check against `spec`, else a fresh one from its fixtures. Changes nothing; a
    fixture that no longer validates either raises FixtureError (the caller keeps the old version).
    Sessions loop this over each session's state."""
    try:
        validate_fixture(slot.api, spec, slot.state.export(), "current state")
    except FixtureError as exc:
        validate_fixture(slot.api, spec, slot.fixture, slot.source)
        return build_state(slot.api, slot.fixture, ctx, slot.source), f"state reset to fixtures ({exc})"
    return slot.state, "state kept"
