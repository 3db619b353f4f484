"""The mock's own format checker: strict `uuid` and `date`, without changing jsonschema's global one."""

from __future__ import annotations

from jsonschema import Draft4Validator

import mock_server.app  # noqa: F401  (importing the app must leave jsonschema's checker alone)
from mock_server.validation import FORMAT_CHECKER


def test_the_mock_checks_uuid_and_date_formats() -> None:
    assert not FORMAT_CHECKER.conforms("not-a-uuid", "uuid")
    assert FORMAT_CHECKER.conforms("9a5e3c52-0a51-4b8e-9d55-0c6e4de0b7a8", "uuid")
    assert not FORMAT_CHECKER.conforms("20200229", "date")
    assert not FORMAT_CHECKER.conforms("2021-02-29", "date")
    assert FORMAT_CHECKER.conforms("2024-02-29", "date")


def test_jsonschemas_own_draft4_checker_is_unchanged() -> None:
    assert "uuid" not in Draft4Validator.FORMAT_CHECKER.checkers
    assert "date" not in Draft4Validator.FORMAT_CHECKER.checkers
