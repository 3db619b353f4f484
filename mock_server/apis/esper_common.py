"""What the two Esper services share: the `{code, message, content}` envelope, DRF-style pages, API keys.

Truth: the seed pages (000, 001) show the envelope on every response; Esper's sibling Redocly pages
document errors as `{code, message, content}`; the esper-cli `feature/pipelines` branch reads
`content.results/next/count` and pages with limit/offset (research/seed-apis.md §1-2).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

from connexion import context

from mock_server.api import ApiError, Credential, Principal, Reply, Token


def envelope(content: Any, code: int = 200, message: str = "Success") -> dict[str, Any]:
    return {"code": code, "message": message, "content": content}


def render_error(err: ApiError) -> Reply:
    """Esper errors carry the HTTP status as `code` and an empty `content`."""
    return envelope({}, code=err.status, message=err.message), err.status, {}


# DRF's LimitOffsetPagination as Esper configures it: default 20 (Esper's global docs); the cap is the
# mock's decision (DRF's own default has none), documented in both specs.
DEFAULT_LIMIT = 20
MAX_LIMIT = 100


def positive_int(text: str | None, *, strict: bool = False, cutoff: int | None = None) -> int:
    """DRF's `_positive_int`: Python's `int()` of the text, refusing negatives (and 0 when strict),
    capped at `cutoff`. Raises ValueError for those and for an absent value (DRF's KeyError)."""
    if text is None:
        raise ValueError("absent")
    value = int(text)
    if value < 0 or (value == 0 and strict):
        raise ValueError(text)
    return min(value, cutoff) if cutoff else value


def limit_offset(limit: str | None, offset: str | None) -> tuple[int, int]:
    """What DRF makes of the query's `limit`/`offset`: anything unusable falls back to the default."""
    try:
        size = positive_int(limit, strict=True, cutoff=MAX_LIMIT)
    except ValueError:
        size = DEFAULT_LIMIT
    try:
        start = positive_int(offset)
    except ValueError:
        start = 0
    return size, start


def with_query(url: str, **values: int | None) -> str:
    """DRF's `replace_query_param`/`remove_query_param`: set (or drop, for None) keys of the URL's own
    query, keep everything else the client sent (blank values too), sort by key."""
    parts = urlsplit(url)
    query = parse_qs(parts.query, keep_blank_values=True)
    for key, value in values.items():
        if value is None:
            query.pop(key, None)
        else:
            query[key] = [str(value)]
    return urlunsplit(parts._replace(query=urlencode(sorted(query.items()), doseq=True)))


def page(items: Sequence[Any], limit: str | None, offset: str | None) -> dict[str, Any]:
    """A DRF limit/offset page of the raw `limit`/`offset` query values; `next`/`previous` are the
    request's own absolute URL with only limit/offset changed (as DRF builds them), or null."""
    size, start = limit_offset(limit, offset)
    more = start + size < len(items)
    url = str(context.request.url) if start > 0 or more else ""  # a first and only page needs no link
    return {
        "count": len(items),
        "next": with_query(url, limit=size, offset=start + size) if more else None,
        "previous": with_query(url, limit=size, offset=start - size if start - size > 0 else None) if start else None,
        "results": list(items[start : start + size]),
    }


def verify(state: Any, credential: Credential) -> Principal | None:
    """`Authorization: Bearer <key>` with a key in `state.api_keys` (the apiKey header holds the whole value)."""
    if not isinstance(credential, Token):
        return None
    scheme, _, key = credential.value.partition(" ")
    if scheme.lower() != "bearer" or key.strip() not in state.api_keys:
        return None
    return {"sub": "esper-api-key"}
