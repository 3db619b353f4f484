"""Filtering, sorting and paging as ZenML's `BaseFilter` does them (models/v2/base/filter.py, scoped.py).

A filter value is `[<operator>:]<operand>`; the operator defaults to `equals`, and a prefix that is no
operator is part of the operand. Each value of each field is one condition; conditions combine with
`logical_operator`. How a condition matches follows the SQL the server runs on SQLite: `=` is exact,
`contains`/`startswith`/`endswith` are `LIKE` (ASCII case-insensitive, `%` and `_` are wildcards),
`gt`/`gte`/`lt`/`lte` on text compare `CAST(column AS REAL)` and need a numeric operand, and a UUID
column compares as a UUID for `equals`/`notequals` and as 32 hex digits otherwise.
"""

from __future__ import annotations

import json
import math
import operator
import re
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from mock_server.apis.zenml_pipelines.errors import (
    DATETIME_FORMAT,
    ServerError,
    datetime_error,
    filter_error,
    sort_error,
)

STR_OPS = ("equals", "notequals", "contains", "startswith", "endswith", "oneof", "gte", "gt", "lte", "lt")
DATETIME_OPS = ("equals", "notequals", "gt", "gte", "lt", "lte", "in")
OPERATORS = (*STR_OPS, "in")
COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "equals": operator.eq,
    "notequals": operator.ne,
    "gt": operator.gt,
    "gte": operator.ge,
    "lt": operator.lt,
    "lte": operator.le,
}
ONEOF_ERROR = "When you are using the 'oneof:' filtering make sure that the provided value is a json formatted list."
SQLITE_NUMBER = re.compile(r"\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")

Item = dict[str, Any]
Value = tuple[str, Any]
"""(kind, stored value) a condition is tested against: kind is "str", "uuid" or "datetime"."""


@dataclass(frozen=True)
class Field:
    """A filterable field: text or datetime operators, and the values a condition on it may match (any)."""

    kind: Literal["text", "datetime"]
    values: Callable[[Item], list[Value]]


@dataclass(frozen=True)
class Condition:
    field: Field
    op: str
    operand: Any

    def __call__(self, item: Item) -> bool:
        return any(_matches(kind, self.op, self.operand, value) for kind, value in self.field.values(item))


def resolve(model: str, raw: str) -> tuple[str, Any]:
    """`BaseFilter._resolve_operator`: the operator and operand of one filter value."""
    head, sep, rest = raw.partition(":")
    if not sep or head not in OPERATORS:
        return "equals", raw
    if head == "oneof":
        try:
            items = json.loads(rest)
        except ValueError:
            items = None
        if not isinstance(items, list):
            raise filter_error(model, ONEOF_ERROR)
        return head, items
    return head, rest


def condition(model: str, name: str, field: Field, raw: str) -> Condition:
    """Parse and check one value, raising what the server raises for it."""
    op, operand = resolve(model, raw)
    allowed = DATETIME_OPS if field.kind == "datetime" else STR_OPS
    if op not in allowed:
        reason = f"This datatype can not be filtered using this operation: '{op}'."
        raise filter_error(model, f"{reason} The allowed operations are: {list(allowed)}")
    if field.kind == "datetime":
        return Condition(field, op, _parse_datetimes(model, op, operand))
    if op in ("gt", "gte", "lt", "lte"):
        try:
            operand = float(operand)
        except ValueError:
            message = (
                f"Failed to compare the column '{name}' to the value '{operand}' (must be numeric): "
                f"could not convert string to float: '{operand}'"
            )
            raise ServerError(400, "ValueError", message) from None
    return Condition(field, op, operand)


def _parse_datetimes(model: str, op: str, operand: str) -> datetime | tuple[datetime, datetime]:
    """One moment, or the two bounds of `in:<from>,<to>` (`FilterGenerator._define_datetime_filter`)."""
    try:
        moments = [datetime.strptime(part, DATETIME_FORMAT) for part in operand.split(",", 1)]
    except ValueError:
        raise datetime_error(model) from None
    if op == "in" and len(moments) == 1:
        raise filter_error(model, "Two comma separated datetime values are required for the `in` operator.")
    if op != "in" and len(moments) == 2:
        raise filter_error(model, f"Only a single datetime value is allowed for operator {op}.")
    return (moments[0], moments[1]) if op == "in" else moments[0]


def _matches(kind: str, op: str, operand: Any, value: Any) -> bool:
    if value is None:  # SQL NULL matches no condition
        return False
    if kind == "datetime":
        moment = datetime.fromisoformat(value)
        return operand[0] <= moment <= operand[1] if op == "in" else COMPARE[op](moment, operand)
    if kind == "uuid":
        if op in ("equals", "notequals"):
            try:
                return COMPARE[op](uuid.UUID(value), uuid.UUID(str(operand)))
            except ValueError:
                return op == "notequals"  # no UUID: equal to nothing
        value = uuid.UUID(value).hex
        operand = [str(v).replace("-", "") for v in operand] if op == "oneof" else _dehyphen(operand)
    return _text_matches(op, operand, value)


def _dehyphen(operand: Any) -> Any:
    return operand.replace("-", "") if isinstance(operand, str) else operand


def _text_matches(op: str, operand: Any, value: str) -> bool:
    if op in ("equals", "notequals"):
        return COMPARE[op](value, operand)
    if op == "oneof":
        return value in [v if isinstance(v, str) else json.dumps(v) for v in operand]
    if op in ("gt", "gte", "lt", "lte"):
        number = _sqlite_real(value)
        return number != 0 and COMPARE[op](number, operand)  # `and_(col, col > x)`: 0 is false
    pattern = {"contains": f"%{operand}%", "startswith": f"{operand}%", "endswith": f"%{operand}"}[op]
    return like(pattern, value)


ASCII_FOLD = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
"""SQLite's LIKE folds the case of ASCII letters only."""


def like(pattern: str, value: str) -> bool:
    """SQLite's `value LIKE pattern` (no ESCAPE): `%` is any run of characters, `_` any one.

    The greedy two-pointer wildcard match: on a mismatch after a `%`, resume one character further than
    that `%` last matched, never earlier. A later `%` makes an earlier one's choice final, so nothing is
    tried twice: at most len(pattern) * len(value) steps, whatever the user sends (a regex built from
    the pattern backtracks exponentially in the number of `%`)."""
    pattern, value = pattern.translate(ASCII_FOLD), value.translate(ASCII_FOLD)
    p = v = 0
    star, resume = -1, 0  # the last `%` seen, and where in `value` its run ends now
    while v < len(value):
        if p < len(pattern) and pattern[p] == "%":
            star, resume = p, v
            p += 1
        elif p < len(pattern) and pattern[p] in ("_", value[v]):
            p += 1
            v += 1
        elif star >= 0:
            resume += 1
            p, v = star + 1, resume
        else:
            return False
    return all(c == "%" for c in pattern[p:])


def _sqlite_real(text: str) -> float:
    """`CAST(text AS REAL)` in SQLite: the longest numeric prefix, else 0."""
    match = SQLITE_NUMBER.match(text)
    return float(match.group(0)) if match else 0.0


def select(
    model: str, fields: Mapping[str, Field], filters: Mapping[str, Iterable[str] | None], logical_operator: str
) -> Callable[[Item], bool]:
    """One predicate for all given filter values; every value is checked before anything is matched."""
    conditions = [condition(model, name, fields[name], raw) for name, raws in filters.items() if raws for raw in raws]
    if not conditions:
        return lambda item: True
    combine = any if logical_operator == "or" else all
    return lambda item: combine(c(item) for c in conditions)


def order(model: str, items: list[Item], sort_by: str, keys: Mapping[str, Callable[[Item], Any]]) -> list[Item]:
    """Sort by one key (`asc:`/`desc:` prefix; another prefix means asc), then by id. NULLs sort first
    ascending and last descending, as in SQLite."""
    prefix, sep, column = sort_by.partition(":")
    if not sep:
        prefix, column = "asc", sort_by
    if column not in keys:
        raise sort_error(model, sort_by)
    key = keys[column]

    def null_first(item: Item) -> tuple[int, Any]:
        value = key(item)
        return (0, 0) if value is None else (1, value)

    by_id = sorted(items, key=lambda item: item["id"])
    return sorted(by_id, key=null_first, reverse=prefix == "desc")


def paginate(items: list[Item], page: int, size: int, render: Callable[[Item], Item]) -> dict[str, Any]:
    """ZenML's `Page`; a page past the last one is the store's ValueError (400)."""
    total = len(items)
    total_pages = max(1, math.ceil(total / size))
    if page > total_pages:
        raise ServerError(
            400,
            "ValueError",
            f"Invalid page {page}. The requested page size is {size} and there are a total of {total} items for "
            f"this query. The maximum page value therefore is {total_pages}.",
        )
    window = [render(item) for item in items[(page - 1) * size : page * size]]
    return {"index": page, "max_size": size, "total_pages": total_pages, "total": total, "items": window}
