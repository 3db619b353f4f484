"""Known deviations: which findings an entry accepts, and expiry."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from conformance import allowlist
from conformance.findings import Finding

TODAY = datetime.date(2026, 11, 22)


def finding(check: str = "response_schema_conformance", api: str = "zenml-pipelines", op: str = "GET /x") -> Finding:
    return Finding(api, check, op, "specs/x.yaml#/paths", "expected", "received")


def entries(tmp_path: Path, text: str) -> list[allowlist.Entry]:
    path = tmp_path / "known.yaml"
    path.write_text(text)
    return allowlist.load(path)


def test_entry_accepts_its_check_on_any_operation(tmp_path: Path) -> None:
    known = entries(tmp_path, "- {check: response_schema_conformance, reason: naive dates, expires: 2027-01-01}\n")
    marked, errors = allowlist.apply(known, [finding(op="GET /a"), finding(op="GET /b")], TODAY)
    assert all(f.allowed_by for f in marked)
    assert errors == []


def test_entry_scoped_to_an_operation_accepts_only_that_one(tmp_path: Path) -> None:
    known = entries(
        tmp_path, "- {check: response_schema_conformance, operation: GET /a, reason: r, expires: 2027-01-01}\n"
    )
    marked, _ = allowlist.apply(known, [finding(op="GET /a"), finding(op="GET /b")], TODAY)
    assert [bool(f.allowed_by) for f in marked] == [True, False]


def test_entry_scoped_to_an_api_leaves_other_apis_failing(tmp_path: Path) -> None:
    known = entries(
        tmp_path, "- {check: response_schema_conformance, api: gocd-stages, reason: r, expires: 2027-01-01}\n"
    )
    marked, _ = allowlist.apply(known, [finding(api="zenml-pipelines")], TODAY)
    assert marked[0].allowed_by is None


def test_other_checks_are_not_accepted(tmp_path: Path) -> None:
    known = entries(tmp_path, "- {check: ignored_auth, reason: r, expires: 2027-01-01}\n")
    marked, _ = allowlist.apply(known, [finding()], TODAY)
    assert marked[0].allowed_by is None


def test_expired_entry_is_an_error_and_accepts_nothing(tmp_path: Path) -> None:
    known = entries(tmp_path, "- {check: response_schema_conformance, reason: old, expires: 2026-11-21}\n")
    marked, errors = allowlist.apply(known, [finding()], TODAY)
    assert marked[0].allowed_by is None
    assert errors == ["known deviation expired on 2026-11-21: response_schema_conformance (until 2026-11-21: old)"]


def test_entry_expiring_today_still_holds(tmp_path: Path) -> None:
    known = entries(tmp_path, "- {check: response_schema_conformance, reason: r, expires: 2026-11-22}\n")
    marked, errors = allowlist.apply(known, [finding()], TODAY)
    assert marked[0].allowed_by and errors == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("check: x\n", "expected a list of entries"),
        ("- {check: x, reason: r}\n", "entry 0: missing expires"),
        ("- {check: x, reason: r, expires: soon}\n", "expires must be a date"),
        ("- {check: x, reason: r, expires: 2027-01-01, owner: me}\n", "unknown keys owner"),
        ("- [unclosed\n", "cannot read known deviations"),
    ],
)
def test_malformed_file_names_the_problem(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(allowlist.AllowlistError, match=message):
        entries(tmp_path, text)
