"""The security rules no shipped spec uses (the five are held to Connexion's layer in test_connexion_layers):
optional access, schemes required together, API keys in the query or a cookie, unknown schemes."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from connexion.exceptions import OAuthProblem, OAuthResponseProblem, OAuthScopeProblem

from mock_server.api import BasicAuth, Credential, Token
from mock_server.auth import Verifier
from mock_server.request_security import CheckedOperation, most_specific

SCHEMES = {
    "key": {"type": "apiKey", "in": "header", "name": "X-Key"},
    "query_key": {"type": "apiKey", "in": "query", "name": "key"},
    "cookie_key": {"type": "apiKey", "in": "cookie", "name": "key"},
    "basic": {"type": "http", "scheme": "basic"},
    "oidc": {"type": "openIdConnect", "openIdConnectUrl": "https://example.com/.well-known"},
}


def verify(credential: Credential) -> dict[str, Any] | None:
    if isinstance(credential, Token):
        return {"sub": "key-user"} if credential.value == "good" else None
    assert isinstance(credential, BasicAuth)
    return {"sub": credential.username} if credential.password == "pw" else None


def checked(*security: dict[str, list[str]]) -> CheckedOperation:
    async def app(scope: Any, receive: Any, send: Any) -> None: ...

    operation: Any = SimpleNamespace(security=list(security), security_schemes=SCHEMES)
    return CheckedOperation(app, operation, Verifier(verify))


def principal_of(operation: CheckedOperation, headers: dict[str, str] | None = None, query: str = "") -> Any:
    raw = [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    scope: dict[str, Any] = {"headers": raw, "query_string": query.encode()}
    operation.verify(scope)
    return scope["extensions"]["connexion_context"]["token_info"]


BASIC_PW = {"Authorization": "Basic dTpwdw=="}  # u:pw


def test_optional_security_lets_anyone_in_even_with_a_refused_key() -> None:
    operation = checked({"key": []}, {})
    assert principal_of(operation) == {}
    assert principal_of(operation, {"X-Key": "bad"}) == {}  # Connexion's rule: the next alternative decides
    assert principal_of(operation, {"X-Key": "good"}) == {"sub": "key-user"}


def test_schemes_required_together_need_every_credential() -> None:
    operation = checked({"key": [], "basic": []})
    assert principal_of(operation, {"X-Key": "good", **BASIC_PW}) == {"key": {"sub": "key-user"}, "basic": {"sub": "u"}}
    with pytest.raises(OAuthProblem, match="No authorization token provided"):
        principal_of(operation, {"X-Key": "good"})


def test_api_keys_are_read_from_the_query_and_from_cookies() -> None:
    assert principal_of(checked({"query_key": []}), query="a=1&key=good") == {"sub": "key-user"}
    assert principal_of(checked({"cookie_key": []}), {"Cookie": "other=1; key=good"}) == {"sub": "key-user"}
    with pytest.raises(OAuthResponseProblem, match="Provided apikey is not valid"):
        principal_of(checked({"query_key": []}), query="key=")


def test_a_scheme_without_a_check_drops_its_requirement() -> None:
    with pytest.raises(OAuthProblem, match="No authorization token provided"):
        principal_of(checked({"oidc": []}), {"Authorization": "Bearer good"})
    assert principal_of(checked({"oidc": []}, {"basic": []}), BASIC_PW) == {"sub": "u"}


def test_a_refusal_names_what_was_wrong() -> None:
    with pytest.raises(OAuthProblem, match="Invalid authorization header"):
        principal_of(checked({"basic": []}), {"Authorization": "Basic"})
    with pytest.raises(OAuthResponseProblem, match="Provided authorization is not valid"):
        principal_of(checked({"basic": []}), {"Authorization": "Basic dTp4"})  # u:x


def test_the_most_specific_refusal_wins() -> None:
    forbidden = OAuthScopeProblem(token_scopes=[], required_scopes=["write"])
    unauthorized = OAuthProblem(detail="no")
    assert most_specific([unauthorized, forbidden]) is forbidden
    assert most_specific([ValueError("?"), unauthorized]) is unauthorized
