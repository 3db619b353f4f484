"""Connexion security handlers that ask the API's own `verify` instead of `x-*InfoFunc` hooks.

Keeping the hooks out of the YAML keeps the specs clean: a real deployment never sees them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from connexion.security import (
    ApiKeySecurityHandler,
    BasicSecurityHandler,
    BearerSecurityHandler,
    OAuthSecurityHandler,
)

from mock_server.api import BasicAuth, Credential, Principal, Token

Verify = Callable[[Credential], Principal | None]


class _KnownSignature:
    """Our check functions take **kwargs, so Connexion need not inspect their signature per request."""

    @staticmethod
    def _accepts_kwarg(func: Callable[..., Any], keyword: str) -> bool:
        return True


def security_map(verify: Verify) -> dict[str, type]:
    """Handler classes for every scheme type, all answering through `verify`."""

    def token(value: str, *_: Any, **__: Any) -> Principal | None:
        return verify(Token(value))

    def basic(username: str, password: str, *_: Any, **__: Any) -> Principal | None:
        return verify(BasicAuth(username, password))

    class Bearer(_KnownSignature, BearerSecurityHandler):
        def _resolve_func(self, security_scheme: dict[str, Any]) -> Callable[..., Any]:
            return token

    class ApiKey(_KnownSignature, ApiKeySecurityHandler):
        def _resolve_func(self, security_scheme: dict[str, Any]) -> Callable[..., Any]:
            return token

    class Basic(_KnownSignature, BasicSecurityHandler):
        def _resolve_func(self, security_scheme: dict[str, Any]) -> Callable[..., Any]:
            return basic

    class OAuth(_KnownSignature, OAuthSecurityHandler):
        def get_tokeninfo_func(self, security_definition: dict[str, Any]) -> Callable[..., Any]:
            def info(value: str, *_: Any, **__: Any) -> Principal | None:
                principal = verify(Token(value))
                # Connexion checks scopes against "scope"; the mock grants whatever is required.
                return None if principal is None else {"scope": [], **principal}

            return info

        @classmethod
        def get_scope_validate_func(cls, security_definition: dict[str, Any]) -> Callable[..., Any]:
            return lambda required, granted: True

    return {"bearer": Bearer, "apiKey": ApiKey, "basic": Basic, "oauth2": OAuth}


def accepting_any(verify: Verify, principal: Principal) -> Verify:
    """`--any-token`: any non-empty credential is accepted as `principal` (for quick frontend work)."""

    def any_token(credential: Credential) -> Principal | None:
        known = verify(credential)
        if known is not None:
            return known
        value = credential.value if isinstance(credential, Token) else credential.username
        return dict(principal) if value.strip() else None

    return any_token
