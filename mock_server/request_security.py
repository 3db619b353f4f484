"""Connexion's security layer, each operation's requirements planned at start-up into the API's own checks.

Connexion 3.3's `SecurityOperation` wraps each scheme's function in three or four coroutines and builds a
request object to read two headers. Here an operation's requirements become, once, a list of plain
checks (`mock_server.auth`); a request runs them in Connexion's order with Connexion's rules: the first
alternative whose credentials are all sent decides, a refused one is remembered, and when none decides,
the most specific refusal (403, then 401, then the lowest status) is raised, or, with nothing sent, 401
"No authorization token provided". What passes lands where Connexion puts it (`connexion_context`).
tests/mock/test_connexion_layers.py holds it to Connexion's own layer, answer for answer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from connexion.exceptions import OAuthProblem
from connexion.middleware.abstract import RoutedAPI, RoutedMiddleware
from connexion.operations import AbstractOperation
from starlette.types import ASGIApp, Receive, Scope, Send

from mock_server.auth import NOT_SENT, Check, Sent, Verifier, scheme_check


def requirement_check(requirement: Mapping[str, Any], schemes: Mapping[str, Any], verifier: Verifier) -> Check | None:
    """All of a requirement's schemes (None if one has no check, or two are OAuth2, as Connexion drops it)."""
    checks: dict[str, Check] = {}
    for name in requirement:
        scheme = schemes[name]
        check = scheme_check(scheme, verifier)
        oauth_twice = scheme["type"] == "oauth2" and any(schemes[n]["type"] == "oauth2" for n in checks)
        if check is None or oauth_twice:
            return None
        checks[name] = check
    if not checks:
        return lambda sent: {}  # `- {}`: anonymous access allowed
    if len(checks) == 1:
        (only,) = checks.values()
        return only

    def all_of(sent: Sent) -> Any:
        infos = {}
        for name, check in checks.items():
            info = check(sent)
            if info is NOT_SENT:
                return NOT_SENT
            infos[name] = info
        return infos

    return all_of


def most_specific(errors: Sequence[Exception]) -> Exception:
    by_status = {getattr(e, "status_code", getattr(e, "status", 600)): e for e in errors}
    for status in (403, 401):
        if status in by_status:
            return by_status[status]
    return by_status[min(by_status)]


class CheckedOperation:
    def __init__(self, next_app: ASGIApp, operation: AbstractOperation, verifier: Verifier) -> None:
        self.next_app = next_app
        self.secured = bool(operation.security)
        schemes = operation.security_schemes
        planned = (requirement_check(r, schemes, verifier) for r in operation.security or ())
        self.alternatives = [check for check in planned if check is not None]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.secured:
            self.verify(scope)
        await self.next_app(scope, receive, send)

    def verify(self, scope: Scope) -> None:
        sent, errors = Sent(scope), []
        for check in self.alternatives:
            try:
                info = check(sent)
            except Exception as error:  # as Connexion: the next alternative may still let the request in
                errors.append(error)
                continue
            if info is not NOT_SENT:
                break
        else:
            raise most_specific(errors) if errors else OAuthProblem(detail="No authorization token provided")
        context = scope.setdefault("extensions", {}).setdefault("connexion_context", {})
        context.update({"user": info.get("sub", info.get("uid")), "token_info": info})


class CheckedAPI(RoutedAPI[CheckedOperation]):
    def __init__(self, *args: Any, verifier: Verifier, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.verifier = verifier
        self.add_paths()

    def make_operation(self, operation: AbstractOperation) -> CheckedOperation:
        return CheckedOperation(self.next_app, operation, self.verifier)


class CheckedSecurity(RoutedMiddleware[CheckedAPI]):
    """In `SecurityMiddleware`'s place in the stack, with the API's `Verifier` (`stack.api_middlewares`)."""

    api_cls = CheckedAPI

    def __init__(self, app: ASGIApp, verifier: Verifier) -> None:
        super().__init__(app)
        self.verifier = verifier

    def add_api(self, specification: Any, **kwargs: Any) -> CheckedAPI:
        api: CheckedAPI = super().add_api(specification, verifier=self.verifier, **kwargs)
        return api
