"""Medians of the rounds, the targets of the benchmark issue, and the Markdown tables `make bench` prints."""

from __future__ import annotations

import statistics
from typing import Any

THROUGHPUT_RATIOS = {"prism": 2.0, "prism-quiet": 1.0}
"""Issue 15: at least 2x Prism as its docs run it, and never slower than Prism with logging off."""
CEILING_RATIO = 0.25
SUITE_LIMIT_S = 45.0
STARTUP_LIMIT_S = 1.0
SCALE_SLOWDOWN = 2.0
MEMORY_LIMIT_MB = 300.0


def medians(rounds: list[dict[str, Any]]) -> dict[str, float]:
    keys = [key for key in ("rps", "p50_ms", "p90_ms", "p99_ms", "mean_ms", "cpu_us") if all(key in r for r in rounds)]
    return {key: round(statistics.median(r[key] for r in rounds), 3) for key in keys}


def _ratio(a: float, b: float) -> float | None:
    return round(a / b, 2) if b else None


def _fmt(value: float | None, digits: int = 2) -> str:
    return "n/a" if value is None else f"{value:,.{digits}f}"


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Each target of the issue: met or not, and by how much."""
    out = []
    for row in results.get("throughput", []):
        mock = row["servers"].get("mock")
        for kind in ("prism", "prism-quiet"):
            prism = row["servers"].get(kind)
            if not mock or not prism:
                continue
            name = "Prism" if kind == "prism" else "Prism quiet"
            ratio = _ratio(mock["median"]["rps"], prism["median"]["rps"])
            mock_p99, prism_p99 = mock["median"]["p99_ms"], prism["median"]["p99_ms"]
            wanted = THROUGHPUT_RATIOS[kind]
            out.append(
                {
                    "target": f"{row['api']} {row['workload']}: >= {wanted:g}x {name} rps, p99 <= its p99",
                    "met": ratio is not None and ratio >= wanted and mock_p99 <= prism_p99,
                    "detail": f"{ratio}x; p99 {mock_p99} ms vs {prism_p99} ms",
                }
            )
        ceiling = row["servers"].get("ceiling")
        if mock and ceiling:
            ratio = _ratio(mock["median"]["rps"], ceiling["median"]["rps"])
            out.append(
                {
                    "target": f"{row['api']} {row['workload']}: mock / bare Starlette >= {CEILING_RATIO:g}",
                    "met": ratio is not None and ratio >= CEILING_RATIO,
                    "detail": f"{ratio}",
                }
            )
    for row in results.get("startup", []):
        value = row["mock"]["median_s"]
        out.append(
            {
                "target": f"{row['api']}: start-up < {STARTUP_LIMIT_S:g} s",
                "met": value < STARTUP_LIMIT_S,
                "detail": f"{value} s",
            }
        )
    if results.get("suite"):
        value = results["suite"]["seconds"]
        out.append(
            {
                "target": f"conformance run --api all: < {SUITE_LIMIT_S:g} s",
                "met": value < SUITE_LIMIT_S,
                "detail": f"{value} s, {results['suite']['requests']} requests, {results['suite']['checks']} checks",
            }
        )
    for api, sizes in _scale_by_api(results).items():
        small, big = sizes[min(sizes)], sizes[max(sizes)]
        for op in ("list", "get"):
            slowdown = _ratio(big[op]["median"]["p50_ms"], small[op]["median"]["p50_ms"])
            out.append(
                {
                    "target": f"{api} {op} at {max(sizes):,} objects: <= {SCALE_SLOWDOWN:g}x time at {min(sizes):,}",
                    "met": slowdown is not None and slowdown <= SCALE_SLOWDOWN,
                    "detail": f"{slowdown}x (p50 {big[op]['median']['p50_ms']} vs {small[op]['median']['p50_ms']} ms)",
                }
            )
        out.append(
            {
                "target": f"{api}: resident memory < {MEMORY_LIMIT_MB:g} MB at {max(sizes):,} objects",
                "met": big["rss_mb"] < MEMORY_LIMIT_MB,
                "detail": f"{big['rss_mb']} MB",
            }
        )
    return out


def _scale_by_api(results: dict[str, Any]) -> dict[str, dict[int, dict[str, Any]]]:
    by_api: dict[str, dict[int, dict[str, Any]]] = {}
    for row in results.get("scale", []):
        by_api.setdefault(row["api"], {})[row["objects"]] = row
    return by_api


def markdown(results: dict[str, Any]) -> str:
    lines = [f"Command: `{results['command']}`  ", f"Machine: {machine_line(results['machine'])}  "]
    lines.append(
        f"Load: {results['settings']['loadgen']}, {results['settings']['connections']} keep-alive connections, "
        f"{results['settings']['warmup_s']} s warm-up, {results['settings']['rounds']} rounds of "
        f"{results['settings']['seconds']} s per cell (medians); one server process each."
    )
    if results.get("throughput"):
        lines += ["", "### Throughput (requests/s, medians of the rounds) and latency (ms)", ""]
        lines.append(
            "| API | workload | mock | Prism | Prism quiet | ceiling | mock / Prism | mock / Prism quiet "
            "| mock / ceiling | p50 mock / Prism / quiet / ceiling | p99 mock / Prism / quiet / ceiling | errors |"
        )
        lines.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---|---|---:|")
        for row in results["throughput"]:
            lines.append(_throughput_line(row))
        lines += ["", "### Server CPU per request (µs: the process's CPU time over the requests it answered)", ""]
        lines.append("| API | workload | mock | Prism | Prism quiet | ceiling | mock / ceiling (CPU) |")
        lines.append("|---|---|---:|---:|---:|---:|---:|")
        for row in results["throughput"]:
            lines.append(_cpu_line(row))
        if any("candidate" in row["servers"] for row in results["throughput"]):
            lines += ["", "### Candidate (a second mock, side by side)", ""]
            lines.append(
                "| API | workload | mock | candidate | candidate / mock | candidate / Prism "
                "| candidate / Prism quiet | p50 mock / candidate | p99 mock / candidate |"
            )
            lines.append("|---|---|---:|---:|---:|---:|---:|---|---|")
            for row in results["throughput"]:
                lines.append(_candidate_line(row))
    if results.get("startup"):
        lines += ["", "### Start-up (process start to first 2xx answer, seconds)", ""]
        lines.append("| API | mock (median) | mock samples | mock CPU time (median) | Prism | Prism CPU time |")
        lines.append("|---|---:|---|---:|---:|---:|")
        for row in results["startup"]:
            mock, prism = row["mock"], row.get("prism", {})
            samples = ", ".join(f"{v:.2f}" for v in mock["samples"])
            lines.append(
                f"| {row['api']} | {mock['median_s']:.2f} | {samples} | {mock['median_cpu_s']:.2f} "
                f"| {_fmt(prism.get('median_s'))} | {_fmt(prism.get('median_cpu_s'))} |"
            )
    if results.get("scale"):
        lines += ["", "### Scale (one connection: latency is the service time; ms)", ""]
        lines.append(
            "| API | objects | import s | RSS MB | list p50 / p99 | get p50 / p99 | list vs fewest | get vs fewest |"
        )
        lines.append("|---|---:|---:|---:|---|---|---:|---:|")
        for api, sizes in _scale_by_api(results).items():
            base = sizes[min(sizes)]
            for n in sorted(sizes):
                row = sizes[n]
                lm, gm = row["list"]["median"], row["get"]["median"]
                lines.append(
                    f"| {api} | {n:,} | {row['import_s']:.1f} | {row['rss_mb']:.0f} "
                    f"| {_fmt(lm['p50_ms'])} / {_fmt(lm['p99_ms'])} | {_fmt(gm['p50_ms'])} / {_fmt(gm['p99_ms'])} "
                    f"| {_fmt(_ratio(lm['p50_ms'], base['list']['median']['p50_ms']))}x "
                    f"| {_fmt(_ratio(gm['p50_ms'], base['get']['median']['p50_ms']))}x |"
                )
    if results.get("suite"):
        row = results["suite"]
        lines += ["", "### The suite's own speed (`conformance run --api all`, in-process mock)", ""]
        lines.append("| command | wall s | CPU s | requests | checks | failures | per API (s) |")
        lines.append("|---|---:|---:|---:|---:|---:|---|")
        per_api = ", ".join(f"{api} {s:g}" for api, s in row["per_api_s"].items())
        lines.append(
            f"| `{row['command']}` | {row['seconds']:.1f} | {row['cpu_s']:.1f} | {row['requests']:,} "
            f"| {row['checks']:,} | {row['failures']} | {per_api} |"
        )
    if results.get("targets"):
        met = sum(t["met"] for t in results["targets"])
        lines += ["", f"### Targets: {met} of {len(results['targets'])} met", ""]
        lines.append("| target | met | measured |")
        lines.append("|---|---|---|")
        for t in results["targets"]:
            lines.append(f"| {t['target']} | {'yes' if t['met'] else '**no**'} | {t['detail']} |")
    return "\n".join(lines) + "\n"


SERVER_KINDS = ("mock", "prism", "prism-quiet", "ceiling")


def _throughput_line(row: dict[str, Any]) -> str:
    servers = row["servers"]

    def med(kind: str, key: str) -> float | None:
        return servers[kind]["median"][key] if kind in servers else None

    def ratio(kind: str) -> str:
        mock, other = med("mock", "rps"), med(kind, "rps")
        return _fmt(_ratio(mock, other)) if mock and other else "n/a"

    rps = " | ".join(_fmt(med(kind, "rps"), 0) for kind in SERVER_KINDS)
    p50 = " / ".join(_fmt(med(kind, "p50_ms")) for kind in SERVER_KINDS)
    p99 = " / ".join(_fmt(med(kind, "p99_ms")) for kind in SERVER_KINDS)
    errors = sum(r["status_errors"] + r["socket_errors"] for cell in servers.values() for r in cell["rounds"])
    ratios = " | ".join(ratio(kind) for kind in SERVER_KINDS[1:])
    return f"| {row['api']} | {row['workload']} | {rps} | {ratios} | {p50} | {p99} | {errors} |"


def _cpu_line(row: dict[str, Any]) -> str:
    """CPU per request: the ceiling's is the share uvicorn and the sockets take, the rest is the app's."""
    servers = row["servers"]
    cpu = {kind: servers[kind]["median"].get("cpu_us") if kind in servers else None for kind in SERVER_KINDS}
    mock, ceiling = cpu["mock"], cpu["ceiling"]
    ratio = _fmt(_ratio(ceiling, mock)) if mock and ceiling else "n/a"
    return (
        f"| {row['api']} | {row['workload']} | " + " | ".join(_fmt(cpu[k], 0) for k in SERVER_KINDS) + f" | {ratio} |"
    )


def _candidate_line(row: dict[str, Any]) -> str:
    servers = row["servers"]

    def med(kind: str, key: str) -> float | None:
        return servers[kind]["median"][key] if kind in servers else None

    def ratio(kind: str) -> str:
        cand, other = med("candidate", "rps"), med(kind, "rps")
        return _fmt(_ratio(cand, other)) if cand and other else "n/a"

    return (
        f"| {row['api']} | {row['workload']} | {_fmt(med('mock', 'rps'), 0)} | {_fmt(med('candidate', 'rps'), 0)} "
        f"| {ratio('mock')} | {ratio('prism')} | {ratio('prism-quiet')} "
        f"| {_fmt(med('mock', 'p50_ms'))} / {_fmt(med('candidate', 'p50_ms'))} "
        f"| {_fmt(med('mock', 'p99_ms'))} / {_fmt(med('candidate', 'p99_ms'))} |"
    )


def machine_line(m: dict[str, Any]) -> str:
    return (
        f"{m['cpu']} ({m['cores']} cores), {m['memory_gb']} GB, Linux {m['kernel']}, Python {m['python']}, "
        f"{m['versions']}; load average at start {m['loadavg_start']}"
    )
