"""A request path that differs from a documented one only by its trailing slash, answered as each real
server's framework answers it (a per-API `MockApi.trailing_slash` policy).

Without this, Connexion's Starlette router sends an empty 307 to the other spelling for every API,
which none of the real servers does:
- `append` (Django's `APPEND_SLASH`, Esper): a path missing its slash gets a 301 to the path with it,
  query kept, for every method (Django refuses POST/PUT/PATCH only when `DEBUG` is on).
- `ignore` (Rails' router, GoCD): the trailing slash is dropped and the request served as without it.
- `not_found` (the default): a 404 in the API's format, for every method.
- `get_catch_all` (FastAPI with a `GET /api/{path:path}` catch-all route, ZenML's `invalid_api`): the
  catch-all takes the path, so a GET is its 404 and any other method the 405 Starlette answers for a
  route matched by path only, with that route's `Allow: GET`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from mock_server.api import ApiError, MockApi
from mock_server.errors import asgi_error
from mock_server.routing import PathTable

Policy = Literal["append", "ignore", "not_found", "get_catch_all"]


class TrailingSlashes:
    def __init__(self, table: PathTable, apis: Mapping[str, MockApi]) -> None:
        self.table = table
        self.apis = apis

    async def answered(self, scope: Scope, receive: Receive, send: Send) -> bool:
        """Answer (True) or rewrite `scope` in place (False) when only the trailing slash is off."""
        path: str = scope["path"]
        if scope["type"] != "http" or path == "/":
            return False
        if "\n" in path:
            # Starlette's mount pattern (`.*$`) cannot match a newline but its slash redirect can, so it
            # would bounce such a path between its two spellings forever. No id or name holds one: 404.
            owner = self.table.owner(path)
            if owner is None:
                return False
            await self._not_found(owner, f"No operation at {path!r}: no path or id holds a newline.")(
                scope, receive, send
            )
            return True
        if self.table.match(path) is not None:
            return False
        other = path.rstrip("/") if path.endswith("/") else f"{path}/"
        template = self.table.match(other)
        if template is None:
            return False
        policy = self.apis[template.api].trailing_slash
        if policy == "ignore" and path.endswith("/"):
            scope["path"], scope["raw_path"] = other, other.encode()
            return False
        if policy == "append" and not path.endswith("/"):
            query = scope.get("query_string", b"").decode("latin-1")
            location = f"{other}?{query}" if query else other
            response = Response(status_code=301, headers={"Location": location}, media_type="text/html")
        elif policy == "get_catch_all" and scope["method"] != "GET":
            hint = f"{scope['method']} is not allowed at {path}; did you mean {other}? Paths are matched exactly."
            response = asgi_error(self.apis[template.api].render_error, ApiError(405, hint, kind="method_not_allowed"))
            response.headers["Allow"] = "GET"
        else:
            hint = f"No operation at {path}; did you mean {other}? Paths are matched exactly."
            response = self._not_found(template.api, hint)
        await response(scope, receive, send)
        return True

    def _not_found(self, api: str, message: str) -> Response:
        """The API's own 404 for a path it does not serve."""
        return asgi_error(self.apis[api].render_error, ApiError(404, message, kind="no_route"))
