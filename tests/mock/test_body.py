"""The body door's JSON parse: orjson where no bound can refuse the body, the bounded parse elsewhere,
and the two never disagree on a value, its types or the error a client reads."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st

from mock_server.api import ApiError
from mock_server.body import _decode_bounded, decode_json


class Literal(str):
    """Text put into the JSON as written: a number literal (or not quite one)."""


LITERALS = ["1e400", "-1e400", "1.5e-400", "NaN", "Infinity", "-0", "1E5", "9" * 19, "9" * 20, "0.1" + "0" * 40]
NUMBERS = st.one_of(
    st.integers(min_value=-(10**45), max_value=10**45),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([Literal(text) for text in LITERALS]),
)
SCALARS = st.one_of(st.none(), st.booleans(), st.text(max_size=30), NUMBERS)
VALUES = st.recursive(
    SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4)
)


def _text(value: Any) -> str:
    if isinstance(value, Literal):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(_text(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k)}: {_text(v)}" for k, v in value.items()) + "}"
    return json.dumps(value)


def _answer(decode: Any, data: bytes) -> tuple[str, Any]:
    try:
        value = decode(data, 8)
    except ApiError as error:
        return "error", (error.status, error.message)
    return "value", repr(value)  # repr: 1 and 1.0, and -0.0 and 0.0, are told apart


@settings(max_examples=400, deadline=None, database=None)
@given(VALUES, st.sampled_from(["", " ", "\n", "x", "]", "\ud800", "\xff"]))
@example([Literal("9" * 20)], "")
@example([[[[[[[[[[1]]]]]]]]]], "")
def test_the_fast_parse_answers_as_the_bounded_one(value: Any, suffix: str) -> None:
    data = (_text(value) + suffix).encode("utf-8", "surrogatepass")
    assert _answer(decode_json, data) == _answer(_decode_bounded, data)


def test_bodies_at_the_bounds_keep_their_own_errors() -> None:
    assert _answer(decode_json, b"[" * 9 + b"]" * 9)[1][1].endswith("levels deep.")
    assert "digits" in _answer(decode_json, b"[" + b"1" * 41 + b"]")[1][1]
    assert _answer(decode_json, b'{"n": ' + b"1" * 30 + b"}") == ("value", repr({"n": int("1" * 30)}))
    assert "not valid UTF-8" in _answer(decode_json, b'"\xff"')[1][1]
