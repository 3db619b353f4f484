"""Stoplight Spectral's `spectral:oas` ruleset, the linter spec authors already run, beside the house rules.

Spectral is a Node program: `make validate` installs a pinned copy with npm into `.node/spectral/` (as
`make bench` installs Prism) and passes its path here. Without it the run says so in one line and goes
on: the house rules and openapi-spec-validator do not need Node.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

RULESET = Path(__file__).resolve().parent / "spectral.yaml"
"""The project's ruleset: `spectral:oas` with the exceptions it explains."""
TIMEOUT_S = 120


@dataclass(frozen=True)
class SpectralFinding:
    file: str
    line: int
    rule: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.rule}: {self.message}"


class SpectralUnavailable(Exception):
    """Spectral could not run; the message is the one line the user sees."""


def run_spectral(executable: Path, paths: Sequence[Path], files: Sequence[str]) -> list[SpectralFinding]:
    """Every Spectral result for `paths`, named as in `files`; raises SpectralUnavailable if it cannot run."""
    if not executable.is_file():
        raise SpectralUnavailable(f"Spectral skipped: {executable} not found (make validate installs it with npm)")
    command = [str(executable), "lint", "--quiet", "--ruleset", str(RULESET), "--format", "json", *map(str, paths)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_S, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise SpectralUnavailable(f"Spectral skipped: {exc}") from exc
    try:
        results = json.loads(done.stdout or "[]")
    except json.JSONDecodeError as exc:
        detail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        raise SpectralUnavailable(f"Spectral failed (exit {done.returncode}): {detail[0]}") from exc
    names = {os.path.realpath(path): name for path, name in zip(paths, files, strict=True)}
    return [
        SpectralFinding(
            file=names.get(os.path.realpath(result["source"]), result["source"]),
            line=result["range"]["start"]["line"] + 1,
            rule=result["code"],
            message=result["message"],
        )
        for result in results
    ]
