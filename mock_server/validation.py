"""Request and response validation with the mock's own format checker, each validator compiled once.

Two reasons for replacing Connexion 3.3's validators through its public `validator_map`:
- Formats. Connexion validates with jsonschema's Draft 4 checker, which skips `uuid` and `date`; a
  strict real server rejects bad ones (ZenML answers 422 for a non-UUID id), so the mock must too.
  The checks live in `FORMAT_CHECKER`, the project's own, instead of being added to jsonschema's
  global Draft 4 checker, which every other user of jsonschema in the process would see changed.
- Cost. Connexion builds a validator for every parameter and every body of every request (and
  deep-copies parameter schemas); the schemas never change, so the mock compiles each once
  (docs/benchmarks.md). What is valid is unchanged: same validator classes, same messages.
- Speed. Each request schema is also compiled with jsonschema-rs, which answers "valid?" several times
  faster; only a value it does not pass goes to jsonschema, which gives the error (so every message is
  jsonschema's) or, where the two disagree, the final word. Formats are checked by FORMAT_CHECKER's own
  functions in both, OpenAPI's `nullable` becomes JSON Schema's `null` type for jsonschema-rs.
"""

from __future__ import annotations

import codecs
import datetime
import re
import uuid
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Generic, TypeVar

import jsonschema_rs
from connexion.json_schema import Draft4RequestValidator, Draft4ResponseValidator
from connexion.utils import is_null, is_nullable
from connexion.validators import VALIDATOR_MAP, MediaTypeDict
from connexion.validators.form_data import FormDataValidator
from connexion.validators.json import JSONRequestBodyValidator, JSONResponseBodyValidator
from connexion.validators.parameter import ParameterValidator
from jsonschema import Draft4Validator, FormatChecker, ValidationError
from starlette.types import Receive, Scope

from mock_server.body import unread
from mock_server.direct_request import DirectRequest
from mock_server.ids_and_clocks import CANONICAL_UUID

FORMAT_CHECKER = FormatChecker(Draft4Validator.FORMAT_CHECKER.checkers)
"""Draft 4's formats plus `uuid` and `date`, as the real servers check them."""


@FORMAT_CHECKER.checks("uuid", raises=ValueError)
def _is_uuid(value: object) -> bool:
    """What `uuid.UUID` parses (as the real servers do), with the usual spelling answered by a regex first."""
    return not isinstance(value, str) or bool(CANONICAL_UUID.fullmatch(value)) or bool(uuid.UUID(value))


@FORMAT_CHECKER.checks("date", raises=ValueError)
def _is_date(value: object) -> bool:
    if isinstance(value, str):
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):  # fromisoformat alone accepts 20200229
            raise ValueError(value)
        datetime.date.fromisoformat(value)
    return True


Compiled = TypeVar("Compiled")


class _Compiled(Generic[Compiled]):
    """Validators by schema object. An entry keeps its schema alive, so an id is never reused while cached;
    the bound keeps a test run that builds hundreds of apps from holding every one of their specs."""

    def __init__(self, size: int = 1024) -> None:
        self._size = size
        self._entries: OrderedDict[int, tuple[object, Any]] = OrderedDict()

    def get(self, schema: dict[str, Any], build: Callable[[dict[str, Any]], Compiled]) -> Compiled:
        entry = self._entries.get(id(schema))
        if entry is not None and entry[0] is schema:
            self._entries.move_to_end(id(schema))
            cached: Compiled = entry[1]
            return cached
        validator = build(schema)
        self._entries[id(schema)] = (schema, validator)
        if len(self._entries) > self._size:
            self._entries.popitem(last=False)
        return validator


_CHECKS: _Compiled[FastFirst] = _Compiled()
_RESPONSES: _Compiled[Draft4Validator] = _Compiled()


def _conforms(
    check: Callable[[object], object], raises: type[Exception] | tuple[type[Exception], ...]
) -> Callable[[object], bool]:
    """`FORMAT_CHECKER.conforms` for one format, without its lookup of the format on every value."""

    def conforms(value: object) -> bool:
        try:
            return bool(check(value))
        except raises:
            return False

    return conforms


RUST_FORMATS: dict[str, Callable[[object], bool]] = {
    name: _conforms(check, raises) for name, (check, raises) in FORMAT_CHECKER.checkers.items()
}


def _nullable_as_null(schema: Any) -> Any:
    """Connexion's request validator lets None through `type` and `enum` where `nullable` (or `x-nullable`)
    is true; plain JSON Schema says the same with a "null" type and a None member."""
    if isinstance(schema, list):
        return [_nullable_as_null(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out = {key: _nullable_as_null(value) for key, value in schema.items()}
    if schema.get("nullable") is True or schema.get("x-nullable") is True:
        if "type" in out:
            types = out["type"] if isinstance(out["type"], list) else [out["type"]]
            out["type"] = [*types, "null"] if "null" not in types else types
        if "enum" in out and None not in out["enum"]:
            out["enum"] = [*out["enum"], None]
    return out


class FastFirst:
    """`validate` as jsonschema's validator does it, with jsonschema-rs passing the valid values first."""

    def __init__(self, schema: dict[str, Any], slow: Draft4Validator, nullable: bool) -> None:
        self.slow = slow
        try:
            translated = _nullable_as_null(schema) if nullable else schema
            self.fast: Any = jsonschema_rs.Draft4Validator(translated, validate_formats=True, formats=RUST_FORMATS)
        except (ValueError, RecursionError):  # a schema it cannot take (a recursive one): jsonschema alone
            self.fast = None

    def validate(self, instance: Any) -> None:
        if self.fast is None or not self.fast.is_valid(instance):
            self.slow.validate(instance)


def _plain(schema: dict[str, Any]) -> FastFirst:
    return FastFirst(schema, Draft4Validator(schema, format_checker=FORMAT_CHECKER), nullable=False)


def _request(schema: dict[str, Any]) -> FastFirst:
    return FastFirst(schema, Draft4RequestValidator(schema, format_checker=FORMAT_CHECKER), nullable=True)


def _response(schema: dict[str, Any]) -> Draft4Validator:
    validator: Draft4Validator = Draft4ResponseValidator(schema, format_checker=FORMAT_CHECKER)
    return validator


LOCATIONS = {"query": "query_params", "path": "path_params", "header": "headers", "cookie": "cookies"}
"""Each parameter location, in the order Connexion checks them, and where a request holds its values."""


class CompiledParameterValidator(ParameterValidator):
    """Connexion's parameter checks, answered first by one jsonschema-rs check per location.

    A request whose values all pass goes on at once; any other is walked parameter by parameter as
    Connexion does, so its first error and its message are Connexion's.
    """

    def __init__(
        self,
        parameters: list[dict[str, Any]],
        uri_parser: Any,
        strict_validation: bool = False,
        security_query_params: list[str] | None = None,
    ) -> None:
        super().__init__(parameters, uri_parser, strict_validation, security_query_params)
        self.at_once = None if strict_validation else one_check_per_location(self.parameters)

    def validate(self, scope: Scope) -> None:
        self.validate_request(DirectRequest(scope, uri_parser=self.uri_parser))

    def validate_request(self, request: Any) -> None:
        if self.at_once is None or not all(self._passes(request, *location) for location in self.at_once):
            super().validate_request(request)

    @staticmethod
    def _passes(request: Any, source: str, keys: list[tuple[str, str]], check: Any) -> bool:
        values = getattr(request, source)
        return bool(check.is_valid({name: value for name, key in keys if (value := values.get(key)) is not None}))

    def validate_parameter(
        self, parameter_type: str, value: Any, param: dict[str, Any], param_name: str | None = None
    ) -> str | None:
        if value is None or (is_nullable(param) and is_null(value)):
            message: str | None = ParameterValidator.validate_parameter(parameter_type, value, param, param_name)
            return message
        try:
            _CHECKS.get(param.get("schema", param), _plain).validate(value)
        except ValidationError as exception:
            return str(exception)
        return None


def one_check_per_location(
    parameters: dict[str, list[dict[str, Any]]],
) -> list[tuple[str, list[tuple[str, str]], Any]] | None:
    """Per location: (request attribute, [(name, key)], one validator of them all); None: walk them always."""
    plan = []
    for location, source in LOCATIONS.items():
        params = parameters.get(location, [])
        if not params:
            continue
        # Connexion's operation lists a path-level parameter again after its own (operations/openapi.py
        # extends the spec's list), and its walk checks every copy: a value must pass each of them.
        schemas: dict[str, list[Any]] = {}
        for p in params:
            schemas.setdefault(p["name"], []).append(p.get("schema", p))
        properties = {
            name: same[0] if all(s == same[0] for s in same) else {"allOf": same} for name, same in schemas.items()
        }
        schema: dict[str, Any] = {"type": "object", "properties": properties}
        required = list(dict.fromkeys(p["name"] for p in params if p.get("required")))
        if required:
            schema["required"] = required
        try:
            check = jsonschema_rs.Draft4Validator(schema, validate_formats=True, formats=RUST_FORMATS)
        except (ValueError, RecursionError):
            return None
        keys = [(name, name.replace("-", "_") if location == "path" else name) for name in schemas]
        plan.append((source, keys, check))
    return plan


class CompiledJSONBodyValidator(JSONRequestBodyValidator):
    def __init__(self, *, encoding: str, **kwargs: Any) -> None:
        super().__init__(encoding=encoding, **kwargs)
        try:
            self._utf8 = codecs.lookup(encoding).name == "utf-8"
        except LookupError:
            self._utf8 = False

    @property
    def _validator(self) -> FastFirst:
        return _CHECKS.get(self._schema, _request)

    async def wrap_receive(self, receive: Receive, *, scope: Scope) -> tuple[Receive, Scope]:
        """Connexion's, but a body the door parsed and has not yet handed on is checked without being read
        and replayed again: its value is the door's, and `receive` goes on untouched."""
        door_parsed, value = unread(receive, scope) if self._utf8 else (False, None)
        if not door_parsed:
            wrapped: tuple[Receive, Scope] = await super().wrap_receive(receive, scope=scope)
            return wrapped
        if not (value is None and self._nullable):
            self._validate(value)
        return receive, scope


class CompiledFormBodyValidator(FormDataValidator):
    @property
    def _validator(self) -> FastFirst:
        return _CHECKS.get(self._schema, _request)


class CompiledJSONResponseValidator(JSONResponseBodyValidator):
    @property
    def validator(self) -> Draft4Validator:
        return _RESPONSES.get(self._schema, _response)


def validator_map() -> dict[str, Any]:
    """Connexion's map with the compiled validators in place of its own (`add_api(validator_map=...)`)."""
    return {
        "parameter": CompiledParameterValidator,
        "body": MediaTypeDict(
            {
                **VALIDATOR_MAP["body"],
                "*/*json": CompiledJSONBodyValidator,
                "application/x-www-form-urlencoded": CompiledFormBodyValidator,
            }
        ),
        "response": MediaTypeDict({**VALIDATOR_MAP["response"], "*/*json": CompiledJSONResponseValidator}),
    }
