"""Fault rules that stay inside the contract: a documented error status, a delay, a reset, a truncation.

A rule names an API (and optionally an operationId and a session), a rate and one fault. A status
fault is checked against the spec when the rule is set: only a code the operation documents is
accepted, and it is answered with the body the spec documents for it, in the API's own error
format, so a client's error handling is tested against answers the real service may give.

Faults apply at the ASGI level, before authentication, validation and the handler: a failing server
fails whatever the request says, and a status fault or a reset runs no handler, so it changes no
state. A delay then serves the request as usual; a truncation serves it and cuts its answer, as a
connection that breaks while the response is on the wire (the work was done; the client cannot
tell). `Prefer: code=` wins over every rule. Draws come from one `random.Random(--seed)`, reseeded
whenever the rules are set, so a fault sequence repeats run to run.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeGuard

import yaml
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from contracts import operations, parse_yaml, pointer_parts
from mock_server.api import ApiError, Reply
from mock_server.errors import asgi_response
from mock_server.middleware import MAX_DELAY_MS
from mock_server.notes import notes
from mock_server.prefer import FittingErrors, documented, fits
from mock_server.routing import PathTable

ANY_ERROR = "any-documented-error"
CLOSE = "mock.close"
"""ASGI scope extension (set by `mock_server.server.BoundedProtocol`): `{"close": fn}` drops the connection."""
MAX_RULES = 1000
RULE_KEYS = frozenset({"name", "api", "operation", "session", "rate", "fault", "times", "fired"})
"""`fired` is what `GET /__admin/faults` adds; accepted and ignored, so its answer can be PUT back."""

Kind = Literal["status", "delay", "reset", "truncate"]


class FaultError(ValueError):
    """A rule the spec does not allow, or a malformed one: the message names the rule and what to send."""


class ConnectionDropped(ConnectionError):
    """A reset or truncate fault under a server that cannot drop a connection (an in-process client)."""


@dataclass(frozen=True)
class Op:
    operation_id: str
    responses: Mapping[str, Any]
    """Status code -> response object, `$ref`s resolved."""
    errors: tuple[int, ...]
    """The error codes (4xx, 5xx) the operation documents."""
    components: Mapping[str, Any]
    """The spec's components, to check a rendered body against the documented schema."""

    def fits(self, status: int, body: Any) -> bool:
        """The body matches a schema documented for `status` (or none is documented)."""
        return fits(self.responses[str(status)], body, self.components)


@dataclass(frozen=True)
class Catalog:
    """The operations of one spec, by operationId and by (path template, method)."""

    by_id: Mapping[str, Op]
    by_route: Mapping[tuple[str, str], Op]

    @classmethod
    def of(cls, spec: Mapping[str, Any]) -> Catalog:
        by_id: dict[str, Op] = {}
        by_route: dict[tuple[str, str], Op] = {}
        components = spec.get("components", {})
        for operation in operations(dict(spec)):
            responses = {code: _resolved(spec, r) for code, r in operation.spec.get("responses", {}).items()}
            errors = tuple(sorted(int(code) for code in responses if code.isdigit() and int(code) >= 400))
            op = Op(operation.operation_id or operation.label, responses, errors, components)
            by_id[op.operation_id] = by_route[(operation.template, operation.method)] = op
        return cls(by_id, by_route)


def _resolved(spec: Mapping[str, Any], node: Any) -> Any:
    """A response object with its local `$ref` followed (`#/components/responses/...`)."""
    while isinstance(node, Mapping) and isinstance(node.get("$ref"), str) and node["$ref"].startswith("#/"):
        target: Any = spec
        for key in pointer_parts(node["$ref"][1:]):
            target = target[key]
        node = target
    return node


@dataclass
class Rule:
    name: str
    api: str
    operation: str | None
    session: str | None
    rate: float
    kind: Kind
    status: int | None
    """For a status fault: the code, or None for any documented error."""
    delay_ms: tuple[int, int]
    times: int | None
    source: Mapping[str, Any]
    """The rule as it was given, shown back by `GET /__admin/faults`."""
    fired: int = 0

    def matches(self, op: Op, session: str) -> bool:
        if self.operation is not None and self.operation != op.operation_id:
            return False
        if self.session is not None and self.session != session:
            return False
        if self.times is not None and self.fired >= self.times:
            return False
        return self.kind != "status" or bool(op.errors if self.status is None else self.status in op.errors)

    def describe(self) -> dict[str, Any]:
        return {**self.source, "name": self.name, "fired": self.fired}


@dataclass(frozen=True)
class Firing:
    """A fault drawn for one request: the rule, and the status or delay it came out as."""

    rule: Rule
    op: Op
    status: int = 0
    delay_ms: int = 0


@dataclass
class Faults:
    """The rules in force and the draws among them; `by_api` is empty when no rule is set (the fast path)."""

    catalogs: dict[str, Catalog]
    seed: int | None = None
    rules: list[Rule] = field(default_factory=list)
    by_api: dict[str, list[Rule]] = field(default_factory=dict)
    random: random.Random = field(default_factory=random.Random)

    @classmethod
    def of(cls, specs: Mapping[str, Mapping[str, Any]], seed: int | None) -> Faults:
        return cls({name: Catalog.of(spec) for name, spec in specs.items()}, seed, random=random.Random(seed))

    def set(self, data: Any) -> list[Rule]:
        """Replace every rule with `data` (`{"rules": [...]}`), all or nothing, and reseed the draws."""
        raw = data.get("rules") if isinstance(data, Mapping) else None
        if not isinstance(raw, list) or (isinstance(data, Mapping) and set(data) - {"rules"}):
            raise FaultError('Fault rules come as {"rules": [{"api": ..., "rate": ..., "fault": ...}, ...]}.')
        if len(raw) > MAX_RULES:
            raise FaultError(f"{len(raw)} rules is over the limit of {MAX_RULES}.")
        rules = [self.parse(item, index) for index, item in enumerate(raw)]
        by_api: dict[str, list[Rule]] = {}
        for rule in rules:
            by_api.setdefault(rule.api, []).append(rule)
        self.rules, self.by_api, self.random = rules, by_api, random.Random(self.seed)
        return rules

    def load(self, path: Path) -> list[Rule]:
        """The rules of a YAML file (`--faults`); a problem names the file."""
        try:
            data = parse_yaml(path.read_text(encoding="utf-8"))
            return self.set(data)
        except OSError as exc:
            raise FaultError(f"{path}: cannot read the faults file: {exc.strerror}") from exc
        except yaml.YAMLError as exc:
            raise FaultError(f"{path}: not valid YAML: {exc}") from exc
        except FaultError as exc:
            raise FaultError(f"{path}: {exc}") from exc

    def clear(self) -> None:
        self.set({"rules": []})

    def set_spec(self, api: str, spec: Mapping[str, Any]) -> None:
        """A reloaded spec: rules stay, and fire only where the new spec still documents their status."""
        self.catalogs[api] = Catalog.of(spec)

    def parse(self, item: Any, index: int) -> Rule:
        where = f"rule {index + 1}"
        if not isinstance(item, Mapping):
            raise FaultError(f"{where}: a rule is a mapping with api, rate and fault; got {item!r}.")
        unknown = sorted(set(item) - RULE_KEYS)
        if unknown:
            keys = ", ".join(sorted(RULE_KEYS - {"fired"}))
            raise FaultError(f"{where}: unknown keys {', '.join(unknown)}; a rule has {keys}.")
        api = item.get("api")
        if not isinstance(api, str) or api not in self.catalogs:
            raise FaultError(f"{where}: api {api!r} is not served here; served: {', '.join(self.catalogs)}.")
        catalog = self.catalogs[api]
        operation = item.get("operation")
        if operation is not None and operation not in catalog.by_id:
            known = ", ".join(catalog.by_id)
            raise FaultError(f"{where}: {api} has no operation {operation!r}; its operationIds: {known}.")
        ops = [catalog.by_id[operation]] if operation is not None else list(catalog.by_id.values())
        rate = item.get("rate", 1)
        if isinstance(rate, bool) or not isinstance(rate, int | float) or not 0 <= rate <= 1:
            raise FaultError(f"{where}: rate must be a number from 0 to 1; got {rate!r}.")
        times = item.get("times")
        if times is not None and not (_whole(times) and times >= 1):
            raise FaultError(f"{where}: times must be a whole number of at least 1; got {times!r}.")
        session = item.get("session")
        if session is not None and not isinstance(session, str):
            raise FaultError(f"{where}: session must be a session name; got {session!r}.")
        kind, status, delay = _fault(item.get("fault"), where, ops, f"{api} {operation or '(every operation)'}")
        label = f"{kind} {status or ANY_ERROR}" if kind == "status" else kind
        name = item.get("name") or f"#{index + 1} {api} {operation or '*'} {label}"
        source = {key: value for key, value in item.items() if key != "fired"}
        return Rule(str(name), api, operation, session, float(rate), kind, status, delay, times, source)

    def draw(self, api: str, template: str, method: str) -> Firing | None:
        """The fault this request gets, if any: the first matching rule whose draw comes under its rate."""
        op = self.catalogs[api].by_route.get((template, method))
        if op is None:
            return None
        session = notes().session
        for rule in self.by_api.get(api, ()):
            if not rule.matches(op, session) or self.random.random() >= rule.rate:
                continue
            rule.fired += 1
            if rule.kind == "status":
                status = rule.status or self.random.choice(op.errors)
                return Firing(rule, op, status=status)
            if rule.kind == "delay":
                return Firing(rule, op, delay_ms=self.random.randint(*rule.delay_ms))
            return Firing(rule, op)
        return None


def _fault(value: Any, where: str, ops: list[Op], scope: str) -> tuple[Kind, int | None, tuple[int, int]]:
    """(kind, status, delay range) of a rule's `fault`, checked against the operations it covers."""
    if value == "reset":
        return "reset", None, (0, 0)
    if value == "truncate":
        return "truncate", None, (0, 0)
    if not isinstance(value, Mapping) or len(value) != 1:
        raise FaultError(
            f"{where}: fault is one of {{status: CODE}}, {{status: {ANY_ERROR}}}, {{delay_ms: N}}, "
            f"{{delay_ms: {{min: A, max: B}}}}, reset, truncate; got {value!r}."
        )
    ((key, arg),) = value.items()
    documented_codes = sorted({code for op in ops for code in op.errors})
    if key == "status":
        shown = ", ".join(map(str, documented_codes)) or "none"
        if arg == ANY_ERROR:
            if not documented_codes:
                raise FaultError(f"{where}: {scope} documents no error status to answer.")
            return "status", None, (0, 0)
        if isinstance(arg, bool) or not isinstance(arg, int) or arg not in documented_codes:
            raise FaultError(
                f"{where}: status {arg!r} is not documented by {scope}; documented error codes: {shown} "
                f"(or {ANY_ERROR})."
            )
        return "status", arg, (0, 0)
    if key == "delay_ms":
        low, high = (
            (arg.get("min"), arg.get("max")) if isinstance(arg, Mapping) and set(arg) == {"min", "max"} else (arg, arg)
        )
        if _whole(low) and _whole(high) and 0 <= low <= high <= MAX_DELAY_MS:
            return "delay", None, (low, high)
        raise FaultError(f"{where}: delay_ms is N or {{min: A, max: B}} with 0 <= A <= B <= {MAX_DELAY_MS}.")
    raise FaultError(f"{where}: unknown fault {key!r}; use status, delay_ms, reset or truncate.")


def _whole(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


class FaultLayer:
    """Apply the fault rules of one API in front of its app; with no rule for it, one dict lookup."""

    def __init__(
        self, app: ASGIApp, api: str, faults: Faults, table: PathTable, render_error: Callable[[ApiError], Reply]
    ) -> None:
        self.app = app
        self.api = api
        self.faults = faults
        self.table = table
        self.render_error = render_error
        self.errors = FittingErrors(render_error)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.api not in self.faults.by_api:
            await self.app(scope, receive, send)
            return
        firing = self._draw(scope)
        if firing is None:
            await self.app(scope, receive, send)
            return
        notes().fault = firing.rule.name
        kind = firing.rule.kind
        if kind == "status":
            why = f"sent by fault rule {firing.rule.name!r} (documented for {firing.op.operation_id})"
            response = dict(firing.op.responses[str(firing.status)])
            reply = documented(firing.status, response, lambda err: self._render(firing.op, err), why)
            await asgi_response(reply)(scope, receive, send)
        elif kind == "delay":
            await asyncio.sleep(firing.delay_ms / 1000)
            await self.app(scope, receive, send)
        elif kind == "reset":
            _close(scope)
        else:
            await self.app(scope, receive, _Truncating(scope, send))

    def _render(self, op: Op, err: ApiError) -> Reply:
        return self.errors.render((op.operation_id, err.status), err, lambda body: op.fits(err.status, body))

    def _draw(self, scope: Scope) -> Firing | None:
        for name, value in scope["headers"]:
            if name == b"prefer" and b"code=" in value:
                return None  # an explicit Prefer: code= wins over every rule
        route = self.table.match(scope["path"])
        if route is None or route.api != self.api:
            return None
        return self.faults.draw(self.api, route.path.template, scope["method"].lower())


def _close(scope: Scope) -> None:
    close = scope.get("extensions", {}).get(CLOSE, {}).get("close")
    if close is None:
        raise ConnectionDropped("fault rule: connection dropped (this server cannot close it, so the request fails)")
    close()


class _Truncating:
    """Hold the response back, then send its headers and half of its body, and drop the connection."""

    def __init__(self, scope: Scope, send: Send) -> None:
        self.scope = scope
        self.send = send
        self.body = b""

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            await self.send(message)
            return
        if message["type"] != "http.response.body":
            await self.send(message)
            return
        self.body += message.get("body", b"")
        if not message.get("more_body", False):
            await self.send({"type": "http.response.body", "body": self.body[: len(self.body) // 2], "more_body": True})
            _close(self.scope)
