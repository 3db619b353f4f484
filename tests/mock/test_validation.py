"""The mock's own format checker: strict `uuid` and `date`, without changing jsonschema's global one."""

from __future__ import annotations

from jsonschema import Draft4Validator

import mock_server.app  # noqa: F401  (importing the app must leave jsonschema's checker alone)
from mock_server.validation import FORMAT_CHECKER, RUST_FORMATS


def test_the_mock_checks_uuid_and_date_formats() -> None:
    assert not FORMAT_CHECKER.conforms("not-a-uuid", "uuid")
    assert FORMAT_CHECKER.conforms("9a5e3c52-0a51-4b8e-9d55-0c6e4de0b7a8", "uuid")
    assert not FORMAT_CHECKER.conforms("20200229", "date")
    assert not FORMAT_CHECKER.conforms("2021-02-29", "date")
    assert FORMAT_CHECKER.conforms("2024-02-29", "date")


def test_jsonschemas_own_draft4_checker_is_unchanged() -> None:
    assert "uuid" not in Draft4Validator.FORMAT_CHECKER.checkers
    assert "date" not in Draft4Validator.FORMAT_CHECKER.checkers


SAMPLES = (
    "9a5e3c52-0a51-4b8e-9d55-0c6e4de0b7a8",
    "9A5E3C52-0A51-4B8E-9D55-0C6E4DE0B7A8",
    "{9a5e3c52-0a51-4b8e-9d55-0c6e4de0b7a8}",
    "urn:uuid:9a5e3c52-0a51-4b8e-9d55-0c6e4de0b7a8",
    "9a5e3c520a514b8e9d550c6e4de0b7a8",
    "9a5e3c52-0a51-4b8e-9d55-0c6e4de0b7a",
    "9a5e3c52-0a51-4b8e-9d55-0c6e4de0b7a8\n",
    "not-a-uuid",
    "2024-02-29",
    "2021-02-29",
    "20200229",
    "2024-02-29T10:00:00Z",
    "a@b.c",
    "10.0.0.1",
    "::1",
    "(",
    "",
    7,
    None,
)


def test_the_compiled_validators_formats_answer_as_the_format_checker() -> None:
    for name, conforms in RUST_FORMATS.items():
        for value in SAMPLES:
            assert conforms(value) is FORMAT_CHECKER.conforms(value, name), (name, value)
