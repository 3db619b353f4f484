"""Request and response validation with the mock's own format checker, each validator compiled once.

Two reasons for replacing Connexion 3.3's validators through its public `validator_map`:
- Formats. Connexion validates with jsonschema's Draft 4 checker, which skips `uuid` and `date`; a
  strict real server rejects bad ones (ZenML answers 422 for a non-UUID id), so the mock must too.
  The checks live in `FORMAT_CHECKER`, the project's own, instead of being added to jsonschema's
  global Draft 4 checker, which every other user of jsonschema in the process would see changed.
- Cost. Connexion builds a validator for every parameter and every body of every request (and
  deep-copies parameter schemas); the schemas never change, so the mock compiles each once
  (docs/benchmarks.md). What is valid is unchanged: same validator classes, same messages.
"""

from __future__ import annotations

import datetime
import re
import uuid
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from connexion.json_schema import Draft4RequestValidator, Draft4ResponseValidator
from connexion.utils import is_null, is_nullable
from connexion.validators import VALIDATOR_MAP, MediaTypeDict
from connexion.validators.form_data import FormDataValidator
from connexion.validators.json import JSONRequestBodyValidator, JSONResponseBodyValidator
from connexion.validators.parameter import ParameterValidator
from jsonschema import Draft4Validator, FormatChecker, ValidationError

FORMAT_CHECKER = FormatChecker(Draft4Validator.FORMAT_CHECKER.checkers)
"""Draft 4's formats plus `uuid` and `date`, as the real servers check them."""


@FORMAT_CHECKER.checks("uuid", raises=ValueError)
def _is_uuid(value: object) -> bool:
    return not isinstance(value, str) or bool(uuid.UUID(value))


@FORMAT_CHECKER.checks("date", raises=ValueError)
def _is_date(value: object) -> bool:
    if isinstance(value, str):
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):  # fromisoformat alone accepts 20200229
            raise ValueError(value)
        datetime.date.fromisoformat(value)
    return True


class _Compiled:
    """Validators by schema object. An entry keeps its schema alive, so an id is never reused while cached;
    the bound keeps a test run that builds hundreds of apps from holding every one of their specs."""

    def __init__(self, size: int = 1024) -> None:
        self._size = size
        self._entries: OrderedDict[int, tuple[object, Draft4Validator]] = OrderedDict()

    def get(self, schema: dict[str, Any], build: Callable[[dict[str, Any]], Draft4Validator]) -> Draft4Validator:
        entry = self._entries.get(id(schema))
        if entry is not None and entry[0] is schema:
            self._entries.move_to_end(id(schema))
            return entry[1]
        validator = build(schema)
        self._entries[id(schema)] = (schema, validator)
        if len(self._entries) > self._size:
            self._entries.popitem(last=False)
        return validator


_COMPILED = _Compiled()


def _plain(schema: dict[str, Any]) -> Draft4Validator:
    return Draft4Validator(schema, format_checker=FORMAT_CHECKER)


def _request(schema: dict[str, Any]) -> Draft4Validator:
    validator: Draft4Validator = Draft4RequestValidator(schema, format_checker=FORMAT_CHECKER)
    return validator


def _response(schema: dict[str, Any]) -> Draft4Validator:
    validator: Draft4Validator = Draft4ResponseValidator(schema, format_checker=FORMAT_CHECKER)
    return validator


class CompiledParameterValidator(ParameterValidator):
    def validate_parameter(
        self, parameter_type: str, value: Any, param: dict[str, Any], param_name: str | None = None
    ) -> str | None:
        if value is None or (is_nullable(param) and is_null(value)):
            message: str | None = ParameterValidator.validate_parameter(parameter_type, value, param, param_name)
            return message
        try:
            _COMPILED.get(param.get("schema", param), _plain).validate(value)
        except ValidationError as exception:
            return str(exception)
        return None


class CompiledJSONBodyValidator(JSONRequestBodyValidator):
    @property
    def _validator(self) -> Draft4Validator:
        return _COMPILED.get(self._schema, _request)


class CompiledFormBodyValidator(FormDataValidator):
    @property
    def _validator(self) -> Draft4Validator:
        return _COMPILED.get(self._schema, _request)


class CompiledJSONResponseValidator(JSONResponseBodyValidator):
    @property
    def validator(self) -> Draft4Validator:
        return _COMPILED.get(self._schema, _response)


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
