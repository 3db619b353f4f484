"""Connexion's request as its parameter checks read it, with no `__getattr__` detour.

Connexion 3.3's `ConnexionRequest` reaches a Starlette request's `headers`, `cookies` and `scope` through
`__getattr__`, which Python calls only after an ordinary lookup has failed: about half a microsecond
each time, and a request's checks ask several times. Here they are properties; the values are the same.
And a request without a query string skips parsing one.
"""

from __future__ import annotations

from typing import Any

from connexion.lifecycle import ConnexionRequest
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.types import Scope


class DirectRequest(ConnexionRequest):
    _starlette_request: Request
    _query_params: dict[str, Any] | None

    @property
    def headers(self) -> Headers:
        return self._starlette_request.headers

    @property
    def cookies(self) -> dict[str, str]:
        return self._starlette_request.cookies

    @property
    def scope(self) -> Scope:
        return self._starlette_request.scope

    @property
    def query_params(self) -> dict[str, Any]:
        """Connexion's, but an empty query string is {} at once (what its URI parser makes of one)."""
        if self._query_params is None and not self._starlette_request.scope["query_string"]:
            self._query_params = {}
        params: dict[str, Any] = super().query_params
        return params
