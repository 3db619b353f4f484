"""Helpers shared by the property modules. Properties speak HTTP only, through an httpx.Client.

They never import `mock_server`: a property cannot tell the mock from production, so the mock and
the suite cannot agree by construction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any, ClassVar

import httpx
from hypothesis.stateful import RuleBasedStateMachine


class ApiMachine(RuleBasedStateMachine):
    """A state machine bound to a target: the runner sets `client` on a subclass before running it."""

    client: ClassVar[httpx.Client]


def bind(machine: type[ApiMachine], client: httpx.Client) -> type[ApiMachine]:
    """A subclass of `machine` that talks to `client` (the class itself stays unbound)."""
    return type(machine.__name__, (machine,), {"client": client})


def expect(response: httpx.Response, status: int | Sequence[int], what: str) -> Any:
    """The JSON body of `response`, after asserting its status; the message shows what came back."""
    wanted = (status,) if isinstance(status, int) else tuple(status)
    assert response.status_code in wanted, (
        f"{what}: expected HTTP {' or '.join(map(str, wanted))}, got {response.status_code} "
        f"from {response.request.method} {response.request.url}: {response.text[:300]}"
    )
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        return response.text


def fetch_all_pages(fetch: Callable[[int], tuple[list[Any], bool]], limit: int = 1000) -> list[Any]:
    """Concatenate pages: `fetch(page_number)` returns (items, has_more); page numbers start at 0.

    Stops after `limit` pages so a server whose paging never ends fails instead of hanging.
    """
    items: list[Any] = []
    for number in range(limit):
        page, more = fetch(number)
        items.extend(page)
        if not more:
            return items
    raise AssertionError(f"paging did not end after {limit} pages")


def assert_sorted(values: Sequence[Any], descending: bool, what: str) -> None:
    """`values` are in order (ties allowed); the message shows the first pair out of order."""
    for index, (a, b) in enumerate(pairs(values)):
        ok = a >= b if descending else a <= b
        assert ok, (
            f"{what}: expected {'descending' if descending else 'ascending'} order, "
            f"but item {index} ({a!r}) comes before item {index + 1} ({b!r})"
        )


def pairs(values: Sequence[Any]) -> Iterator[tuple[Any, Any]]:
    return zip(values, values[1:], strict=False)
