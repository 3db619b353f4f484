"""Reports for CI: JSON, HTML (rendered in headless Chromium), GitHub annotations, a written allowlist."""

from __future__ import annotations

import datetime
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from conformance import allowlist
from conformance.annotations import line_of
from conformance.apis import SUITES
from conformance.cli import main
from tests.conformance.mutants import MUTANTS

pytestmark = pytest.mark.slow  # whole conformance runs or real servers: left out of make test-fast

QUICK = ["--max-examples", "5", "--seed", "1", "--token", "mock-token", "--quiet"]
BROKEN = next(m for m in MUTANTS if m.name == "undocumented status code")  # GET /api/v1/flow/pipeline -> 418
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def broken_run(served, *extra: str) -> int:
    with served("instabase-flow", wrap=BROKEN.wrap) as base_url:
        return main(["run", "--api", "instabase-flow", "--base-url", base_url, *QUICK, *extra])


def test_line_of_a_json_pointer_is_the_line_of_its_key() -> None:
    path = SUITES["instabase-flow"].spec_path
    lines = path.read_text().splitlines()
    expected = lines.index("  /api/v1/flow/pipeline:") + 2  # the `get:` under it, 1-based
    assert lines[expected - 1].strip() == "get:"
    assert line_of(path, "/paths/~1api~1v1~1flow~1pipeline/get") == expected
    assert line_of(path, "/paths/~1api~1v1~1flow~1pipeline/get/nothing-here") == expected


def test_report_json_is_the_versioned_run_result(served, tmp_path: Path, capsys) -> None:
    report = tmp_path / "run.json"
    assert broken_run(served, "--report-json", str(report)) == 1
    data = json.loads(report.read_text())
    assert data["format"] == "pipeline-contracts/conformance-run" and data["version"] == 1
    assert data["ok"] is False and data["totals"]["failures"] >= 1
    (api,) = data["apis"]
    assert api["api"] == "instabase-flow"
    assert {op["operation"] for op in api["operations"]} >= {"GET /api/v1/flow/pipeline"}
    finding = next(f for f in api["findings"] if f["check"] == "status_code_conformance")
    assert finding["spec_file"] == "contracts/specs/instabase-flow.yaml" and finding["spec_line"] > 1
    assert finding["curl"].startswith("curl")


def test_github_annotations_point_at_the_spec_line(served, monkeypatch, capsys) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    assert broken_run(served) == 1
    out = capsys.readouterr().out
    path = SUITES["instabase-flow"].spec_path
    line = line_of(path, "/paths/~1api~1v1~1flow~1pipeline/get")
    annotations = [a for a in out.splitlines() if a.startswith("::error ")]
    assert any(a.startswith(f"::error file=contracts/specs/instabase-flow.yaml,line={line},") for a in annotations), out
    assert all("\n" not in a for a in annotations)


def test_no_annotations_outside_github_actions(served, monkeypatch, capsys) -> None:
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    assert broken_run(served) == 1
    assert "::error" not in capsys.readouterr().out


def test_written_allowlist_accepts_the_findings_for_90_days(served, tmp_path: Path, capsys) -> None:
    known = tmp_path / "known.yaml"
    assert broken_run(served, "--write-allowlist", str(known)) == 1
    entries = allowlist.load(known)
    assert entries and all(e.reason == allowlist.REASON_PLACEHOLDER for e in entries)
    assert {e.expires for e in entries} == {datetime.date.today() + datetime.timedelta(days=90)}
    assert any(e.check == "status_code_conformance" and e.operation == "GET /api/v1/flow/pipeline" for e in entries)
    # adopting the file makes the same server pass
    assert broken_run(served, "--allow", str(known)) == 0, capsys.readouterr().out


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium (apt-get install chromium)")
def test_html_report_renders_its_table_in_headless_chromium(served, tmp_path: Path) -> None:
    report = tmp_path / "report.html"
    assert broken_run(served, "--report-html", str(report)) == 1
    html = report.read_text()
    assert "<table>" in html and "GET /api/v1/flow/pipeline" in html and "curl" in html
    assert "<script" not in html and "http-equiv" not in html and "<link" not in html  # self-contained
    png = tmp_path / "report.png"
    subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={tmp_path / 'profile'}",
            f"--screenshot={png}",
            "--window-size=1200,900",
            report.as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    assert png.exists() and png.stat().st_size > 10_000
