"""The spec linter behind `make validate`: `python -m conformance.speclint [SPEC ...]`.

Owns the lint run and its command line: load every spec (default: the project's contracts/specs/*.yaml),
run every rule of `rules.RULES` on each (openapi-spec-validator first), and print every finding at
once as `file: JSON pointer: message [rule]`, then a summary line. Exit status: 0 clean, 1 findings,
2 usage error (one line on stderr). The rules themselves live in `rules.py`, the spec model in `model.py`.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

from conformance.speclint.model import LoadError, Spec, to_pointer
from conformance.speclint.rules import RULES
from conformance.speclint.spectral import SpectralFinding, SpectralUnavailable, run_spectral
from contracts import NAMES, spec_path

__all__ = ["Finding", "UsageError", "default_specs", "lint", "main"]

_MAX_MESSAGE = 300


@dataclass(frozen=True)
class Finding:
    file: str
    pointer: str
    rule: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.pointer}: {self.message} [{self.rule}]"


class UsageError(Exception):
    """Bad command line or missing file: exit 2 with one line, never a traceback."""


def _one_line(message: str) -> str:
    """One finding per output line, and no multi-kilobyte instance dumps from jsonschema."""
    text = " ".join(message.split())
    return text if len(text) <= _MAX_MESSAGE else text[: _MAX_MESSAGE - 1] + "…"


def default_specs() -> list[Path]:
    """The project's own contracts (`contracts/specs/*.yaml`), wherever the package is installed."""
    return [spec_path(name) for name in NAMES]


def lint(paths: Sequence[Path], files: Sequence[str] | None = None) -> tuple[list[Finding], int]:
    """Every finding for the specs at `paths` (named `files` in the output), and how many specs had any.

    The specs are linted together so that rules can compare them (operationIds are global)."""
    names = list(files) if files is not None else [str(path) for path in paths]
    findings: list[Finding] = []
    specs: list[Spec] = []
    for path, name in zip(paths, names, strict=True):
        try:
            specs.append(Spec.load(path, name))
        except LoadError as exc:
            findings.append(Finding(name, "", "load", _one_line(str(exc))))
    for spec in specs:
        spec.run = specs
        for rule_name, check in RULES.items():
            try:
                for where, message in check(spec):
                    findings.append(Finding(spec.file, to_pointer(where), rule_name, _one_line(message)))
            except Exception as exc:  # a malformed spec must give a finding, not a traceback
                findings.append(Finding(spec.file, "", rule_name, _one_line(f"rule crashed: {exc!r}")))
    unique = list(dict.fromkeys(findings))  # a shared component reached from many places reports once
    return unique, len({finding.file for finding in unique})


class _Parser(argparse.ArgumentParser):
    """argparse prints usage and exits; the linter wants one line and a return value instead."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def main(argv: list[str] | None = None) -> int:
    parser = _Parser(
        prog="python -m conformance.speclint",
        description="Validate and lint OpenAPI specs; print every finding as `file: JSON pointer: message [rule]`.",
    )
    parser.add_argument("specs", nargs="*", type=Path, metavar="SPEC", help="spec files (default: the five contracts)")
    parser.add_argument(
        "--spectral", type=Path, metavar="PATH", help="also run this Spectral executable (spectral:oas)"
    )
    try:
        args = parser.parse_args(argv)
        paths: list[Path] = args.specs or default_specs()
        for path in paths:
            if not path.is_file():
                raise UsageError(f"{path}: no such file")
    except UsageError as exc:
        print(f"speclint: {exc}", file=sys.stderr)
        return 2
    files = [str(path) for path in args.specs] if args.specs else [os.path.relpath(path) for path in paths]
    findings, failing = lint(paths, files)
    for finding in findings:
        print(finding)
    spectral: list[SpectralFinding] = []
    checked = ""
    if args.spectral is not None:
        try:
            spectral = run_spectral(args.spectral, paths, files)
            checked = " (house rules and Spectral)"
        except SpectralUnavailable as exc:
            print(f"speclint: {exc}", file=sys.stderr)
        for item in spectral:
            print(item)
    if findings or spectral:
        failing = len({f.file for f in findings} | {s.file for s in spectral})
        print(f"{_plural(len(findings) + len(spectral), 'finding')} in {_plural(failing, 'spec')}")
        return 1
    print(f"{_plural(len(paths), 'spec')} OK{checked}")
    return 0
