"""The HTML report: one self-contained file (inline CSS, no script, no network) to open from CI artefacts.

Per API a table of operations (requests, checks, failures), then each failure with its spec
location (file and line), what was expected and received, and a curl line to reproduce it.
"""

from __future__ import annotations

from html import escape
from pathlib import Path

from conformance.annotations import spec_line
from conformance.findings import ApiResult, Finding, RunResult
from conformance.report import coverage_line, table

STYLE = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 70em; color: #1d1d1f; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 2em; border-bottom: 1px solid #ccc; }
.verdict { padding: .6em 1em; border-radius: 4px; font-weight: 600; }
.ok { background: #e3f6e5; color: #14591d; } .bad { background: #fde8e8; color: #8a1c1c; }
table { border-collapse: collapse; width: 100%; margin: .5em 0; }
th, td { border: 1px solid #d0d0d0; padding: .3em .6em; text-align: left; }
th { background: #f2f2f2; } td.n { text-align: right; font-variant-numeric: tabular-nums; }
tr.failed td { background: #fff3f3; }
pre { background: #f6f6f6; padding: .6em; overflow-x: auto; white-space: pre-wrap; word-break: break-all; }
.finding { border-left: 4px solid #c62828; padding-left: 1em; margin: 1.2em 0; }
.accepted { border-left-color: #9e9e9e; } .meta { color: #555; }
"""


def render(run: RunResult) -> str:
    failures = run.failures
    requests = sum(r.requests for r in run.results)
    verdict = "The server conforms" if run.ok else "The server does not conform"
    summary = (
        f"{len(run.results)} API(s), {requests} requests, {len(failures)} failure(s), "
        f"{len(run.errors)} error(s)" + (f"; {run.stopped}" if run.stopped else "")
    )
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        "<title>Conformance report</title>",
        f"<style>{STYLE}</style></head><body>",
        "<h1>Conformance report</h1>",
        f'<p class="verdict {"ok" if run.ok else "bad"}">{escape(verdict)}: {escape(summary)}</p>',
    ]
    parts += [f'<p class="verdict bad">{escape(error)}</p>' for error in run.errors]
    for result in run.results:
        parts += _api(result)
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _api(result: ApiResult) -> list[str]:
    failed_ops = {f.operation for f in result.findings if f.allowed_by is None}
    rows = [
        f'<tr class="{"failed" if name in failed_ops else ""}"><td>{escape(name)}</td>'
        f'<td class="n">{requests}</td><td class="n">{checks}</td><td class="n">{failures}</td></tr>'
        for name, (requests, checks, failures) in table(result).items()
    ]
    skipped = "".join(
        f"<li>{escape(name)} skipped: {escape(why)}</li>" for name, why in result.properties_skipped.items()
    )
    lines = [
        f"<h2>{escape(result.api)} <span class='meta'>({result.seconds:.1f} s, {result.requests} requests)</span></h2>",
        "<table><thead><tr><th>operation</th><th>requests</th><th>checks</th><th>failures</th></tr></thead>",
        "<tbody>" + "".join(rows) + "</tbody></table>",
        f"<p class='meta'>properties: {escape(', '.join(result.properties_run) or 'none run')}</p>",
        f"<ul class='meta'>{skipped}</ul>" if skipped else "",
        f"<p class='meta'>{escape(coverage_line(result))}</p>",
    ]
    for number, finding in enumerate(result.findings, 1):
        lines += _finding(number, finding)
    return lines


def _finding(number: int, finding: Finding) -> list[str]:
    file, line = spec_line(finding.spec_location)
    accepted = f"<p class='meta'>accepted: {escape(finding.allowed_by)}</p>" if finding.allowed_by else ""
    return [
        f'<div class="finding{" accepted" if finding.allowed_by else ""}">',
        f"<h3>{number}. {escape(finding.check)} &mdash; {escape(finding.operation)}</h3>",
        f"<p>spec: <code>{escape(finding.spec_location)}</code> ({escape(file)}, line {line})</p>",
        accepted,
        f"<p>expected:</p><pre>{escape(finding.expected)}</pre>",
        f"<p>received:</p><pre>{escape(finding.received)}</pre>",
        f"<p>reproduce:</p><pre>{escape(finding.curl)}</pre>" if finding.curl else "",
        "</div>",
    ]


def write_html(run: RunResult, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(run), encoding="utf-8")
