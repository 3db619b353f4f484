"""`make validate`'s Spectral step: its results printed as `file:line: rule: message`, a missing Spectral skipped."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from conformance.speclint import main


def fake_spectral(folder: Path, results: list[dict[str, object]]) -> Path:
    """An executable that answers like `spectral lint --format json`."""
    script = folder / "spectral"
    script.write_text(f"#!/bin/sh\ncat <<'JSON'\n{json.dumps(results)}\nJSON\n", encoding="utf-8")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return script


def test_spectral_results_are_findings_with_file_and_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = Path(__file__).resolve().parents[1] / "contracts" / "specs" / "gocd-stages.yaml"
    result = {"code": "info-contact", "message": "Info object must have a contact.", "source": str(spec)}
    spectral = fake_spectral(tmp_path, [{**result, "range": {"start": {"line": 1, "character": 5}}}])

    assert main([str(spec), "--spectral", str(spectral)]) == 1

    out = capsys.readouterr().out.splitlines()
    assert f"{spec}:2: info-contact: Info object must have a contact." in out
    assert out[-1] == "1 finding in 1 spec"


def test_without_spectral_the_run_says_it_skipped_and_lints_the_rest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = Path(__file__).resolve().parents[1] / "contracts" / "specs" / "gocd-stages.yaml"

    assert main([str(spec), "--spectral", str(tmp_path / "absent")]) == 0

    captured = capsys.readouterr()
    assert "Spectral skipped" in captured.err and "npm" in captured.err
    assert captured.out.strip() == "1 spec OK"
