"""The Connexion middleware list of each API's app: only the layers its requests need.

Connexion's default stack puts nine layers on every request (`ConnexionMiddleware.default_middlewares`);
its `middlewares=` argument is the public way to choose them. What an API app leaves out, and why:
- response validation, unless `--validate-responses`: off, its layer only looks up the operation;
- Swagger UI on API paths: its layer routes every request through four Starlette routers to find that
  it is not `/<name>/ui` or `/<name>/openapi.json`; here only paths under `/<name>/` go to it, so the
  docs keep working and an API request skips the routers (docs/benchmarks.md has the costs).
And three it replaces with the same behaviour, cheaper: routing (`OneRegexRouting`), security
(`CheckedSecurity`, which asks the API's `Verifier`) and request validation (`PlannedRequestValidation`).
"""

from __future__ import annotations

from functools import partial
from typing import Any

from connexion.middleware.context import ContextMiddleware
from connexion.middleware.exceptions import ExceptionMiddleware
from connexion.middleware.lifespan import LifespanMiddleware
from connexion.middleware.response_validation import ResponseValidationMiddleware
from connexion.middleware.server_error import ServerErrorMiddleware
from connexion.middleware.swagger_ui import SwaggerUIMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from mock_server.auth import Verifier
from mock_server.body import ReadAsJson, RequestBody
from mock_server.request_routing import OneRegexRouting
from mock_server.request_security import CheckedSecurity
from mock_server.request_validation import PlannedRequestValidation


class DocsUnder(SwaggerUIMiddleware):
    """Connexion's Swagger UI layer, entered only by paths under `prefix` (`/<name>/`)."""

    def __init__(self, app: ASGIApp, prefix: str) -> None:
        super().__init__(app)
        self.prefix = prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not scope["path"].startswith(self.prefix):
            await self.app(scope, receive, send)
            return
        await super().__call__(scope, receive, send)


def api_middlewares(
    docs_prefix: str,
    validate_responses: bool,
    max_body_bytes: int,
    json_media_types: frozenset[str],
    verifier: Verifier,
) -> list[Any]:
    """Connexion's default layers in its order, less those the API's requests never need, and the body
    door (with, for an API that reads other media types as JSON, their relabelling) just before routing."""
    return [
        ServerErrorMiddleware,
        ExceptionMiddleware,
        partial(DocsUnder, prefix=docs_prefix),
        partial(RequestBody, max_bytes=max_body_bytes),
        *([partial(ReadAsJson, media_types=json_media_types)] if json_media_types else []),
        OneRegexRouting,
        partial(CheckedSecurity, verifier=verifier),
        PlannedRequestValidation,
        *([ResponseValidationMiddleware] if validate_responses else []),
        LifespanMiddleware,
        ContextMiddleware,
    ]
