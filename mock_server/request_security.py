"""Connexion's security layer with its checks given a `DirectRequest`; the checks, their order and their
errors stay Connexion's (`SecurityOperation.verification_fn`, built once per operation by Connexion)."""

from __future__ import annotations

from connexion.middleware.security import SecurityAPI, SecurityMiddleware, SecurityOperation
from connexion.operations import AbstractOperation
from connexion.spec import Specification
from starlette.types import Receive, Scope, Send

from mock_server.direct_request import DirectRequest


class DirectSecurityOperation(SecurityOperation):
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.security:
            await self.verification_fn(DirectRequest(scope))
        await self.next_app(scope, receive, send)


class DirectSecurityAPI(SecurityAPI):
    def make_operation(self, operation: AbstractOperation | Specification) -> SecurityOperation:
        return DirectSecurityOperation.from_operation(
            operation, next_app=self.next_app, security_handler_factory=self.security_handler_factory
        )


class DirectSecurity(SecurityMiddleware):
    api_cls = DirectSecurityAPI
