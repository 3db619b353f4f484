"""The benchmark: throughput against Prism and the ceiling, start-up of the five APIs, behaviour at scale.

`python -m bench [--quick] [--only throughput,startup,scale] ...` (see --help). Prints the Markdown
tables and writes every raw figure (each round of each cell) to bench/results.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import statistics
import subprocess
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

from bench import load, report, scale, servers, suite
from bench.servers import CANDIDATE, KINDS, Server, admin, send
from bench.workloads import STARTUP_PROBES, TARGETS, Request, Target
from mock_server.settings import ALL_APIS

RESULTS = servers.ROOT / "bench" / "results.json"


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="1 round of 2 s, scale up to 10,000: a smoke run")
    p.add_argument("--only", default="throughput,startup,scale,suite", help="comma-separated parts to run")
    p.add_argument("--apis", default=",".join(TARGETS), help="APIs for throughput and scale")
    p.add_argument("--servers", default=",".join(KINDS), help="servers compared in the throughput part")
    p.add_argument(
        "--candidate-root", type=Path, help="A/B: also run the mock of this checkout (e.g. a git worktree) side by side"
    )
    p.add_argument(
        "--candidate-env", default="", help="A/B: KEY=VALUE ... set for a second mock run side by side with the first"
    )
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--seconds", type=float, default=2.0, help="length of one round (wrk: whole seconds)")
    p.add_argument("--warmup", type=float, default=1.0, help="warm-up before the rounds of a cell")
    p.add_argument("--connections", type=int, default=10)
    p.add_argument("--startup-samples", type=int, default=3)
    p.add_argument("--sizes", default="100,10000,100000", help="stored objects for the scale part")
    p.add_argument("--loadgen", choices=("auto", "wrk", "python"), default="auto")
    p.add_argument("--base-port", type=int, default=19100)
    p.add_argument("--out", type=Path, default=RESULTS)
    args = p.parse_args(argv)
    if args.quick:
        args.rounds, args.seconds, args.warmup, args.startup_samples, args.sizes = 1, 2.0, 1.0, 1, "100,10000"
    return args


def machine() -> dict[str, Any]:
    cpu = next(
        (ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines() if "model name" in ln),
        platform.processor(),
    )
    mem_kb = int(
        next(ln for ln in Path("/proc/meminfo").read_text().splitlines() if ln.startswith("MemTotal")).split()[1]
    )

    def tool(cmd: list[str]) -> str:
        try:
            out = subprocess.run(cmd, capture_output=True, text=True, timeout=20)
            return (out.stdout or out.stderr).strip().splitlines()[0]
        except (OSError, IndexError, subprocess.TimeoutExpired):
            return "absent"

    versions = ", ".join(
        [f"{name} {version(name)}" for name in ("connexion", "starlette", "uvicorn", "uvloop", "httptools")]
        + [f"node {tool(['node', '--version'])}", f"wrk {tool(['wrk', '--version']).split(' [')[0]}"]
    )
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": round(mem_kb / 1024 / 1024, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "versions": versions,
        "loadavg_start": ", ".join(f"{v:.2f}" for v in os.getloadavg()),
    }


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# Throughput


def _sanity(server: Server, target: Target) -> dict[str, Any]:
    """Each distinct request once: its status and size (a non-2xx here would make the figures meaningless)."""
    seen = {}
    for requests in target.workloads.values():
        for r in requests:
            key = f"{r.method} {r.path}"
            if key not in seen:
                status, body = send(server.port, replace(r, body=r.body.replace("{n}", "sanity")), target.headers)
                seen[key] = {"status": status, "bytes": len(body)}
                if status >= 300:
                    server.notes.append(f"{key} answered {status}: {body[:200]!r}")
    return seen


def run_throughput(args: argparse.Namespace, target: Target) -> list[dict[str, Any]]:
    probe, probe_headers = STARTUP_PROBES[target.api]
    kinds = [k for k in KINDS if k in args.servers.split(",")]
    if args.candidate_root or args.candidate_env:
        kinds.insert(1, CANDIDATE)
    running: dict[str, Server] = {}
    try:
        for i, kind in enumerate(kinds):
            server = Server(kind, target.api, args.base_port + i)
            if kind == CANDIDATE:
                server.cwd = (args.candidate_root or servers.ROOT).resolve()
                server.env = dict(pair.split("=", 1) for pair in args.candidate_env.split())
            running[kind] = server.start(probe, probe_headers)
        mock = running.get("mock") or running.get(CANDIDATE)
        state = target.prepare(admin(mock.port, "GET", "/__admin/state")[target.api]) if mock else None

        def prepare(kind: str) -> None:
            if kind in ("mock", CANDIDATE):
                admin(running[kind].port, "PUT", "/__admin/state", {target.api: state})

        checks = {}
        for kind, server in running.items():
            prepare(kind)
            checks[kind] = _sanity(server, target)
        rows = []
        for workload, requests in target.workloads.items():
            cell: dict[str, dict[str, Any]] = {kind: {"rounds": []} for kind in running}

            def once(kind: str, seconds: float, salt: str, requests: tuple[Request, ...] = requests) -> dict[str, Any]:
                """One round's figures, with the server's CPU time per request answered (not inflated, as
                throughput is, when the load generator or a neighbour takes the core)."""
                prepare(kind)
                before = running[kind].cpu_seconds()
                result = load.run(
                    args.loadgen, running[kind].port, target.headers, requests, seconds, args.connections, salt
                )
                used = running[kind].cpu_seconds() - before
                return {
                    **result.as_dict(),
                    "cpu_us": round(used / result.requests * 1e6, 1) if result.requests else 0.0,
                }

            for kind in running:
                once(kind, args.warmup, f"w{kind}")
            # Rounds interleave the servers, so a noisy moment on the machine hits all of them alike.
            for rnd in range(args.rounds):
                for kind in running:
                    cell[kind]["rounds"].append(once(kind, args.seconds, f"r{rnd}{kind}"))
            for kind in running:
                cell[kind]["median"] = report.medians(cell[kind]["rounds"])
                cell[kind]["responses"] = {
                    f"{r.method} {r.path}": checks[kind][f"{r.method} {r.path}"] for r in requests
                }
            log(
                f"  {target.api} {workload}: " + ", ".join(f"{k} {c['median']['rps']:.0f} rps" for k, c in cell.items())
            )
            rows.append({"api": target.api, "workload": workload, "servers": cell})
        for kind, server in running.items():
            for note in server.notes:
                log(f"  WARNING {kind}: {note}")
        return rows
    finally:
        for server in running.values():
            server.stop()


# Start-up


def run_startup(args: argparse.Namespace) -> list[dict[str, Any]]:
    rows = []
    port = args.base_port + 5
    for api in ALL_APIS:
        probe, headers = STARTUP_PROBES[api]
        row: dict[str, Any] = {"api": api}
        kinds = [("mock", args.startup_samples)]
        if "prism" in args.servers.split(","):
            kinds.append(("prism", 1))
        for kind, samples in kinds:
            times, cpu = [], []
            for _ in range(samples):
                server = Server(kind, api, port).start(probe, headers)
                times.append(round(server.started_in, 3))
                cpu.append(server.startup_cpu)
                server.stop()
            row[kind] = {
                "samples": times,
                "median_s": round(statistics.median(times), 3),
                "cpu_samples": cpu,
                "median_cpu_s": round(statistics.median(cpu), 3),
            }
        log(
            f"  {api}: mock {row['mock']['median_s']} s ({row['mock']['median_cpu_s']} s CPU)"
            + (f", Prism {row['prism']['median_s']} s" if "prism" in row else "")
        )
        rows.append(row)
    return rows


# Scale


def run_scale(args: argparse.Namespace, target: Target) -> list[dict[str, Any]]:
    rows = []
    port = args.base_port + 6
    probe, probe_headers = STARTUP_PROBES[target.api]
    for size in sorted(int(s) for s in args.sizes.split(",")):
        server = Server("mock", target.api, port).start(probe, probe_headers)
        try:
            default = target.prepare(admin(port, "GET", "/__admin/state")[target.api])
            state = scale.BUILDERS[target.api](default, size)
            began = time.perf_counter()
            admin(port, "PUT", "/__admin/state", {target.api: state})
            import_s = round(time.perf_counter() - began, 2)
            del state
            row: dict[str, Any] = {"api": target.api, "objects": size, "import_s": import_s}
            row["rss_mb_after_import"] = server.rss_mb()
            for op, request in (("list", target.list_request), ("get", target.get_request)):
                status, body = send(port, request, target.headers)
                if status >= 300:
                    raise RuntimeError(f"{target.api} {op} at {size}: {status} {body[:200]!r}")
                load.run(args.loadgen, port, target.headers, [request], 1.0, 1, "w")
                rounds = [
                    load.run(args.loadgen, port, target.headers, [request], args.seconds, 1, f"s{i}").as_dict()
                    for i in range(max(1, args.rounds - 1))
                ]
                row[op] = {"rounds": rounds, "median": report.medians(rounds), "bytes": len(body)}
            row["rss_mb"] = server.rss_mb()
            log(
                f"  {target.api} {size:,}: import {import_s} s, RSS {row['rss_mb']} MB, list p50 "
                f"{row['list']['median']['p50_ms']} ms, get p50 {row['get']['median']['p50_ms']} ms"
            )
            rows.append(row)
        finally:
            server.stop()
    return rows


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    args.loadgen = load.generator(args.loadgen)
    if args.loadgen == "python":
        log("wrk is not installed: using the Python load generator (slower; apt-get install wrk for wrk)")
    parts = set(args.only.split(","))
    targets = [TARGETS[name] for name in args.apis.split(",")]
    if any(k.startswith("prism") for k in args.servers.split(",")) and parts & {"throughput", "startup"}:
        servers.ensure_prism()
    results: dict[str, Any] = {
        "command": "make bench" + (f" ARGS={shlex.quote(' '.join(argv))}" if argv else ""),
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "settings": {
            "loadgen": args.loadgen,
            "connections": args.connections,
            "rounds": args.rounds,
            "seconds": args.seconds,
            "warmup_s": args.warmup,
            "prism": servers.PRISM_VERSION,
        },
    }
    began = time.perf_counter()
    if "throughput" in parts:
        log(f"throughput ({args.loadgen}, {args.connections} connections)")
        results["throughput"] = [row for t in targets for row in run_throughput(args, t)]
    if "startup" in parts:
        log("start-up")
        results["startup"] = run_startup(args)
    if "scale" in parts:
        log("scale")
        results["scale"] = [row for t in targets if t.api in scale.BUILDERS for row in run_scale(args, t)]
    if "suite" in parts:
        log("suite (conformance run --api all, in-process mock)")
        results["suite"] = suite.run_suite(servers.ROOT)
        log(f"  {results['suite']['seconds']} s, {results['suite']['requests']} requests")
    results["targets"] = report.targets(results)
    results["machine"]["loadavg_end"] = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    results["elapsed_s"] = round(time.perf_counter() - began, 1)
    args.out.write_text(json.dumps(results, indent=1) + "\n")
    print(report.markdown(results))
    log(f"done in {results['elapsed_s']} s; raw figures in {args.out}")
    return 0
