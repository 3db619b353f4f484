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

from mock_server.api import BasicAuth, CookieToken, Credential, Principal, Token

Verify = Callable[[Credential], Principal | None]
CookieName = Callable[[], str | None]
CSRF_HEADER = "X-CSRF-Token"


class _KnownSignature:
    """Our check functions take **kwargs, so Connexion need not inspect their signature per request."""

    @staticmethod
    def _accepts_kwarg(func: Callable[..., Any], keyword: str) -> bool:
        return True


def security_map(verify: Verify, cookie_name: CookieName = lambda: None) -> dict[str, type]:
    """Handler classes for every scheme type, all answering through `verify`.

    With `cookie_name` (the API's `session_cookie`), the bearer and OAuth2 schemes read that cookie first,
    as a browser session sends it: a request carrying it is judged by it alone (a bad cookie is refused even
    beside a good header), and only a request without it falls back to the Authorization header."""

    def token(value: str, *_: Any, **__: Any) -> Principal | None:
        return verify(Token(value))

    def basic(username: str, password: str, *_: Any, **__: Any) -> Principal | None:
        return verify(BasicAuth(username, password))

    def from_cookie(request: Any) -> CookieToken | None:
        name = cookie_name()
        value = request.cookies.get(name) if name else None
        return CookieToken(value, request.headers.get(CSRF_HEADER)) if value else None

    def cookie_first(check: Callable[..., Any], header_check: Callable[..., Any]) -> Callable[[Any], Any]:
        """Wrap a scheme's header check: the cookie, when sent, decides."""

        def wrapper(request: Any) -> Any:
            cookie = from_cookie(request)
            return header_check(request) if cookie is None else check(request, cookie)

        return wrapper

    class Bearer(_KnownSignature, BearerSecurityHandler):
        def _resolve_func(self, security_scheme: dict[str, Any]) -> Callable[..., Any]:
            return token

        def _get_verify_func(self, function: Callable[..., Any]) -> Callable[..., Any]:
            check = self._generic_check(lambda cookie, *_, **__: verify(cookie), "Provided token is not valid")
            return cookie_first(check, super()._get_verify_func(function))

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

        def _get_verify_func(self, token_info_func: Any, scope_validate_func: Any, required_scopes: Any) -> Any:
            def cookie_info(cookie: CookieToken, *_: Any, **__: Any) -> Principal | None:
                principal = verify(cookie)
                return None if principal is None else {"scope": [], **principal}

            check = self._generic_check(cookie_info, "Provided token is not valid")
            header_check = super()._get_verify_func(token_info_func, scope_validate_func, required_scopes)
            return cookie_first(check, header_check)

    return {"bearer": Bearer, "apiKey": ApiKey, "basic": Basic, "oauth2": OAuth}


def accepting_any(verify: Verify, principal: Principal) -> Verify:
    """`--any-token`: any non-empty credential is accepted as `principal` (for quick frontend work)."""

    def any_token(credential: Credential) -> Principal | None:
        known = verify(credential)
        if known is not None:
            return known
        value = credential.username if isinstance(credential, BasicAuth) else credential.value
        return dict(principal) if value.strip() else None

    return any_token
