"""What the two Esper services share: the `{code, message, content}` envelope, DRF-style pages, API keys.

Truth: the seed pages (000, 001) show the envelope on every response; Esper's sibling Redocly pages
document errors as `{code, message, content}`; the esper-cli `feature/pipelines` branch reads
`content.results/next/count` and pages with limit/offset (research/seed-apis.md §1-2).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

from connexion import context

from mock_server.api import ApiError, Credential, Principal, Reply, Token


def envelope(content: Any, code: int = 200, message: str = "Success") -> dict[str, Any]:
    return {"code": code, "message": message, "content": content}


def render_error(err: ApiError) -> Reply:
    """Esper errors carry the HTTP status as `code` and an empty `content`."""
    return envelope({}, code=err.status, message=err.message), err.status, {}


def page(items: Sequence[Any], limit: int, offset: int, extra_query: dict[str, Any] | None = None) -> dict[str, Any]:
    """A DRF limit/offset page; `next`/`previous` are absolute URLs of the same request, or null."""
    window = list(items[offset : offset + limit])
    base = str(context.request.url.replace(query=""))
    query = {k: v for k, v in (extra_query or {}).items() if v is not None}

    def link(at: int) -> str:
        return f"{base}?{urlencode({**query, 'limit': limit, 'offset': at})}"

    return {
        "count": len(items),
        "next": link(offset + limit) if offset + limit < len(items) else None,
        "previous": link(max(offset - limit, 0)) if offset > 0 else None,
        "results": window,
    }


def verify(state: Any, credential: Credential) -> Principal | None:
    """`Authorization: Bearer <key>` with a key in `state.api_keys` (the apiKey header holds the whole value)."""
    if not isinstance(credential, Token):
        return None
    scheme, _, key = credential.value.partition(" ")
    if scheme.lower() != "bearer" or key.strip() not in state.api_keys:
        return None
    return {"sub": "esper-api-key"}
