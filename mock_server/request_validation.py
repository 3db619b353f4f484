"""Connexion's request validation with each operation's URI parser, validators and media types built once.

Connexion 3.3's `RequestValidationOperation` builds a URI parser, a parameter validator, a media-type
table and a body validator for every request, and looks the body validator up by fnmatch. The checks,
their order and their errors stay Connexion's (its validators, through `validator_map`); only the
building moves to start-up, through Connexion's public `middlewares=` list and `RoutedMiddleware`.
"""

from __future__ import annotations

from typing import Any

from connexion import utils
from connexion.datastructures import MediaTypeDict
from connexion.middleware.request_validation import (
    RequestValidationAPI,
    RequestValidationMiddleware,
    RequestValidationOperation,
)
from connexion.operations import AbstractOperation
from connexion.validators import AbstractRequestBodyValidator
from starlette.types import ASGIApp, Receive, Scope, Send

MEMO_SIZE = 16
"""Distinct Content-Types remembered per operation; a client cycling through more is served unmemoised."""


class PlannedValidation(RequestValidationOperation):
    """`RequestValidationOperation.__call__` in the same order, with the same validators and errors.

    Connexion's validators keep nothing of a request on themselves (`wrap_receive` holds its messages in
    locals), so one of each serves every request of the operation.
    """

    def __init__(
        self,
        next_app: ASGIApp,
        *,
        operation: AbstractOperation,
        strict_validation: bool = False,
        validator_map: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(
            next_app, operation=operation, strict_validation=strict_validation, validator_map=validator_map
        )
        self.operation = operation
        self.uri_parser = operation.uri_parser_class(operation.parameters, operation.body_definition())
        """One for the parameters and every body validator, as Connexion builds them alike per request."""
        self.parameters = self._validator_map["parameter"](
            operation.parameters,
            uri_parser=self.uri_parser,
            strict_validation=strict_validation,
            security_query_params=self.security_query_params,
        )
        self.consumes = MediaTypeDict([(media_type.lower(), None) for media_type in operation.consumes])
        self.bodies: dict[tuple[str, str], AbstractRequestBodyValidator | None] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.parameters.validate(scope)
        mime_type, encoding = self.extract_content_type(scope["headers"])
        key = (mime_type, encoding)
        if key in self.bodies:
            validator = self.bodies[key]
        else:
            self.validate_mime_type(mime_type)
            validator = self._body_validator(mime_type, encoding)
            if len(self.bodies) < MEMO_SIZE:
                self.bodies[key] = validator
        if validator is not None:
            receive, scope = await validator.wrap_receive(receive, scope=scope)
        await self.next_app(scope, receive, send)

    def extract_content_type(self, headers: list[tuple[bytes, bytes]]) -> tuple[str, str]:
        """As Connexion's, reading the header by its lower-case name (ASGI's own spelling of names)."""
        raw = next((value for name, value in headers if name == b"content-type"), None)
        mime_type, encoding = utils.split_content_type(None if raw is None else raw.decode("latin-1"))
        if mime_type is None:
            mime_type = self.operation.consumes[0] if self.operation.consumes else "application/octet-stream"
        return mime_type, encoding or "utf-8"

    def validate_mime_type(self, mime_type: str) -> None:
        if self.consumes and mime_type.lower() not in self.consumes:
            super().validate_mime_type(mime_type)  # Connexion's own 415 and message

    def _body_validator(self, mime_type: str, encoding: str) -> AbstractRequestBodyValidator | None:
        schema = self.operation.body_schema(mime_type)
        body_validator = self._validator_map["body"].get(mime_type) if schema else None
        if body_validator is None:
            return None
        validator: AbstractRequestBodyValidator = body_validator(
            schema=schema,
            required=self.operation.request_body.get("required", False),
            nullable=utils.is_nullable(self.operation.body_definition(mime_type)),
            encoding=encoding,
            strict_validation=self.strict_validation,
            uri_parser=self.uri_parser,
        )
        return validator


class PlannedValidationAPI(RequestValidationAPI):
    def make_operation(self, operation: AbstractOperation) -> RequestValidationOperation:
        return PlannedValidation(
            self.next_app,
            operation=operation,
            strict_validation=self.strict_validation,
            validator_map=self.validator_map,
        )


class PlannedRequestValidation(RequestValidationMiddleware):
    api_cls = PlannedValidationAPI
