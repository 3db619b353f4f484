"""A request's credentials read scheme by scheme, as Connexion reads them, and judged by the API's `verify`.

Each check reads what Connexion 3.3's security handler of its scheme type reads (`connexion.security`),
fails with that handler's error class and message, and returns what it returns: the principal (the
token info), or `NOT_SENT` when the scheme's credential is not in the request. No `x-*InfoFunc` hooks
in the YAML: the specs stay as a real deployment has them.

With an API's session cookie (`MockApi.session_cookie`), the bearer and OAuth2 schemes read that cookie
first, as a browser session sends it: a request carrying it is judged by it alone (a bad cookie is
refused even beside a good header), and only a request without it falls back to the Authorization header.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from connexion.exceptions import OAuthProblem, OAuthResponseProblem
from starlette.requests import cookie_parser
from starlette.types import Scope

from mock_server.api import BasicAuth, CookieToken, Credential, Principal, Token

Verify = Callable[[Credential], Principal | None]
CookieName = Callable[[], str | None]
CSRF_HEADER = "X-CSRF-Token"
NOT_SENT = None
"""What a check returns when the request does not carry its scheme's credential (Connexion's NO_VALUE)."""


@dataclass(frozen=True)
class Verifier:
    """What an API's checks ask: `verify` for a credential, and the name of its session cookie if any."""

    verify: Verify
    cookie_name: CookieName = lambda: None


class Sent:
    """A request's credentials as the checks read them: a header's first value, a cookie, a query parameter."""

    __slots__ = ("scope",)

    def __init__(self, scope: Scope) -> None:
        self.scope = scope

    def header(self, name: bytes) -> str | None:
        """By its lower-case name (ASGI's spelling of names), decoded as Starlette's `Headers` decodes it."""
        raw: list[tuple[bytes, bytes]] = self.scope["headers"]
        for key, value in raw:
            if key == name:
                return value.decode("latin-1")
        return None

    def cookie(self, name: str) -> str | None:
        raw = self.header(b"cookie")
        return cookie_parser(raw).get(name) if raw else None

    def query(self, name: str) -> str | None:
        raw = self.scope.get("query_string", b"").decode("latin-1")
        return next((value for key, value in parse_qsl(raw, keep_blank_values=True) if key == name), None)


Check = Callable[[Sent], Any]
"""A scheme's check: the token info, or `NOT_SENT`; raises Connexion's 401 problems."""


def scheme_check(scheme: Mapping[str, Any], verifier: Verifier) -> Check | None:
    """The check of one security scheme, or None where Connexion has no handler for it (it then drops the
    requirement that names the scheme)."""
    kind = scheme["type"]
    if kind == "http":
        kind = str(scheme.get("scheme", "")).lower()
    elif kind == "apiKey" and str(scheme.get("x-authentication-scheme", "")).lower() == "bearer":
        kind = "bearer"
    verify = verifier.verify

    def bearer(sent: Sent) -> Any:
        token = _authorization(sent, "bearer")
        return NOT_SENT if token is None else _judged(verify(Token(token)), "Provided token is not valid")

    def oauth2(sent: Sent) -> Any:
        return _with_scope(bearer(sent))

    def basic(sent: Sent) -> Any:
        user_pass = _authorization(sent, "basic")
        if user_pass is None:
            return NOT_SENT
        try:
            username, password = base64.b64decode(user_pass).decode("latin1").split(":", 1)
        except Exception:  # as Connexion: whatever fails in decoding is a malformed header
            raise OAuthProblem(detail="Invalid authorization header") from None
        return _judged(verify(BasicAuth(username, password)), "Provided authorization is not valid")

    where, name = scheme.get("in"), str(scheme.get("name", ""))
    header_name = name.lower().encode("latin-1")

    def api_key(sent: Sent) -> Any:
        if where == "header":
            key = sent.header(header_name)
        elif where == "query":
            key = sent.query(name)
        else:
            key = sent.cookie(name) if where == "cookie" else None
        return NOT_SENT if key is None else _judged(verify(Token(key)), "Provided apikey is not valid")

    def cookie_first(header_check: Check, shaped: Callable[[Any], Any]) -> Check:
        def check(sent: Sent) -> Any:
            name = verifier.cookie_name()
            value = sent.cookie(name) if name else None
            if not value:
                return header_check(sent)
            cookie = CookieToken(value, sent.header(CSRF_HEADER.lower().encode()))
            return shaped(_judged(verify(cookie), "Provided token is not valid"))

        return check

    checks: dict[str, Check] = {
        "basic": basic,
        "apiKey": api_key,
        "bearer": cookie_first(bearer, lambda info: info),
        "oauth2": cookie_first(oauth2, _with_scope),
    }
    return checks.get(kind)


def _authorization(sent: Sent, kind: str) -> str | None:
    """The Authorization header's value after `kind` (as Connexion compares it, in any case), or None."""
    header = sent.header(b"authorization")
    if not header:
        return None
    try:
        sent_kind, value = header.split(maxsplit=1)
    except ValueError:
        raise OAuthProblem(detail="Invalid authorization header") from None
    return value if sent_kind.lower() == kind else None


def _judged(principal: Principal | None, refusal: str) -> Principal:
    if principal is None:
        raise OAuthResponseProblem(detail=refusal)
    return principal


def _with_scope(info: Any) -> Any:
    """OAuth2 token info has a `scope`, checked by Connexion against the required scopes; the mock grants all."""
    return info if info is NOT_SENT else {"scope": [], **info}


def accepting_any(verify: Verify, principal: Principal) -> Verify:
    """`--any-token`: any non-empty credential is accepted as `principal` (for quick frontend work)."""

    def any_token(credential: Credential) -> Principal | None:
        known = verify(credential)
        if known is not None:
            return known
        value = credential.username if isinstance(credential, BasicAuth) else credential.value
        return dict(principal) if value.strip() else None

    return any_token
