"""Render a `RunResult`: the console report and the JUnit XML file for CI."""

from __future__ import annotations

import textwrap
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

from conformance.findings import ApiResult, Finding, RunResult


def console(run: RunResult) -> str:
    lines: list[str] = []
    for result in run.results:
        lines += _api_section(result)
    failures = run.failures
    accepted = [f for r in run.results for f in r.findings if f.allowed_by]
    if failures:
        lines += ["", "FAILURES"]
        for number, finding in enumerate(failures, 1):
            lines += _finding(number, finding)
    if accepted:
        lines += ["", f"Accepted as known deviations ({len(accepted)}):"]
        lines += [f"  - [{f.api}] {f.check} {f.operation}: {f.allowed_by}" for f in accepted]
    for error in run.errors:
        lines.append(f"ERROR: {error}")
    if run.stopped:
        # The failures above say more than the budget does; without any, the budget is the verdict.
        lines.append(f"{'NOTE' if failures else 'ERROR'}: {run.stopped}: the run stopped early (see --max-time)")
    requests = sum(r.requests for r in run.results)
    checks = sum(r.checks for r in run.results)
    verdict = "conforms" if run.ok else "DOES NOT CONFORM"
    if run.stopped and not failures and not run.errors:
        verdict = "was not fully checked: time budget exceeded"
    lines += [
        "",
        f"{len(run.results)} API(s), {requests} requests, {checks} checks, {len(failures)} failure(s), "
        f"{len(accepted)} accepted, {len(run.errors)} error(s): the server {verdict}.",
    ]
    return "\n".join(lines)


def _api_section(result: ApiResult) -> list[str]:
    rows = table(result)
    width = max([len(name) for name in rows] + [30])
    lines = ["", f"{result.api}  ({result.seconds:.1f} s)", f"  {'operation':<{width}}  requests  checks  failures"]
    for name, (requests, checks, failures) in rows.items():
        lines.append(f"  {name:<{width}}  {requests:>8}  {checks:>6}  {failures:>8}")
    failed = {f.check for f in result.findings}
    props = ", ".join(
        f"{name}{' FAILED' if name in failed else ' SKIPPED' if name in result.properties_skipped else ''}"
        for name in result.properties_run
    )
    lines.append(f"  properties: {props or 'none run'}")
    for name, why in result.properties_skipped.items():
        lines.append(f"  skipped {name}: {why}")
    lines.append(f"  {coverage_line(result)}")
    return lines


Row = tuple[int | str, int, int | str]


def table(result: ApiResult) -> dict[str, Row]:
    """Rows of (requests, checks, failures) that add up to the `total` row: per operation its requests (the
    properties' too) and Schemathesis checks, and the findings that fail the run naming it (accepted ones are
    listed apart); then one check per property run, whose requests and findings are in the rows above."""
    failing = Counter(f.operation for f in result.findings if f.allowed_by is None)
    rows: dict[str, Row] = {}
    for operation in sorted(result.per_operation.keys() | failing.keys()):
        stats = result.per_operation.get(operation, {})
        rows[operation] = (stats.get("requests", 0), stats.get("checks", 0), failing[operation])
    if result.properties_run:
        rows["properties"] = ("-", len(result.properties_run), "-")
    rows["total"] = (result.requests, result.checks, failing.total())
    return rows


def coverage_line(result: ApiResult) -> str:
    documented_ops = {label for label, _ in result.statuses_documented}
    exercised = documented_ops & set(result.per_operation)
    seen = result.statuses_documented & result.statuses_seen
    missing = sorted(result.statuses_documented - result.statuses_seen)
    text = (
        f"coverage: {len(exercised)}/{result.operations_total} operations exercised, "
        f"{len(seen)}/{len(result.statuses_documented)} documented status codes seen"
    )
    if missing:
        text += " (not seen: " + ", ".join(f"{op} {code}" for op, code in missing) + ")"
    return text


def _finding(number: int, finding: Finding) -> list[str]:
    def block(label: str, text: str) -> list[str]:
        body = textwrap.indent(text.strip() or "-", " " * 13).lstrip()
        return [f"   {label:<10}{body}"]

    lines = ["", f"{number}. [{finding.api}] {finding.check}  {finding.operation}"]
    lines += block("spec:", finding.spec_location)
    lines += block("expected:", finding.expected)
    lines += block("received:", finding.received)
    if finding.curl:
        lines += block("reproduce:", finding.curl)
    return lines


def junit(run: RunResult, path: Path) -> None:
    """One testsuite per API, one testcase per operation and per property, failures attached."""
    root = ET.Element("testsuites", name="conformance")
    for result in run.results:
        cases = sorted(set(result.per_operation) | set(result.properties_run))
        findings = [f for f in result.findings if f.allowed_by is None]
        suite = ET.SubElement(
            root,
            "testsuite",
            name=result.api,
            tests=str(len(cases)),
            failures=str(len(findings)),
            time=f"{result.seconds:.3f}",
        )
        for case in cases:
            element = ET.SubElement(suite, "testcase", classname=result.api, name=case)
            for finding in findings:
                if case in (finding.operation, finding.check):
                    failure = ET.SubElement(element, "failure", type=finding.check, message=finding.expected)
                    failure.text = "\n".join([finding.spec_location, finding.received, finding.curl])
    for error in run.errors:
        suite = ET.SubElement(root, "testsuite", name="known-deviations", tests="1", failures="1")
        ET.SubElement(ET.SubElement(suite, "testcase", name="expired"), "failure", message=error)
    path.parent.mkdir(parents=True, exist_ok=True)
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)
