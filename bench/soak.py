"""The soak: one mock serving all five APIs under a steady mixed load for a bounded time (`make soak`).

`python -m bench.soak [--seconds 60] [--connections 10] [--window 10]` starts the mock as users start it,
keeps `--connections` keep-alive connections busy (spread over the five APIs, each sending its mixed
workload of `bench/workloads.py`, 80 % reads, 20 % writes) and prints the requests, the errors (any 5xx
or connection error), the mock's RSS before and after, and p50/p99 per window, so the first and the
last window show the drift. It exits 1 when there was any error. The load is `bench/pyload.py`'s
connections, run in this process; they reconnect at each window boundary.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from bench.pyload import Stats, Template, connection, percentile
from bench.run import machine
from bench.servers import ALL, HOST, Server, admin, send
from bench.workloads import SOAK, STARTUP_PROBES, TARGETS


@dataclass(frozen=True)
class Window:
    """The figures of one window: all APIs together, and p99 per API."""

    start_s: float
    seconds: float
    requests: int
    server_errors: int
    client_errors: int
    socket_errors: int
    p50_ms: float
    p99_ms: float
    p99_ms_by_api: dict[str, float]

    @property
    def errors(self) -> int:
        return self.server_errors + self.socket_errors


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__.splitlines()[0])
    p.add_argument("--seconds", type=float, default=60.0, help="length of the soak (default %(default)s)")
    p.add_argument("--window", type=float, default=10.0, help="figures per window of this many seconds")
    p.add_argument("--connections", type=int, default=10, help="keep-alive connections, spread over the APIs")
    p.add_argument("--apis", default=",".join(SOAK), help="comma-separated APIs to load (default: all five)")
    p.add_argument("--port", type=int, default=19150)
    p.add_argument("--mock-args", default="", help='more flags for the mock, e.g. "--state-file /tmp/s.json"')
    args = p.parse_args(argv)
    args.apis = args.apis.split(",")
    if not set(args.apis) <= set(SOAK):
        p.error(f"--apis: unknown {', '.join(sorted(set(args.apis) - set(SOAK)))}; known: {', '.join(SOAK)}")
    if not 0 < args.window <= args.seconds:
        p.error("--window must be over 0 and at most --seconds")
    if args.connections < len(args.apis):
        p.error(f"--connections must be at least {len(args.apis)}: one per API")
    return args


def start_mock(args: argparse.Namespace) -> Server:
    """The mock with every API, the ZenML token imported, and every soak request answered 200 once."""
    probe, probe_headers = STARTUP_PROBES["esper-stages"]
    server = Server("mock", ALL, args.port, args=args.mock_args.split()).start(probe, probe_headers)
    zenml = TARGETS["zenml-pipelines"]
    state = admin(args.port, "GET", "/__admin/state")
    admin(args.port, "PUT", "/__admin/state", {zenml.api: zenml.prepare(state[zenml.api])})
    for api in args.apis:
        headers, requests = SOAK[api]
        for request in dict.fromkeys(requests):
            status, body = send(args.port, replace(request, body=request.body.replace("{n}", "check")), headers)
            if status >= 300:
                server.stop()
                raise SystemExit(f"soak: {api} {request.method} {request.path} answered {status}: {body[:300]!r}")
    return server


def senders(port: int, apis: list[str]) -> dict[str, Callable[[], bytes]]:
    """Per API, the next request of its workload, each with a body number of its own."""
    counter = itertools.count(1)
    out: dict[str, Callable[[], bytes]] = {}
    for api in apis:
        headers, requests = SOAK[api]
        cycle = itertools.cycle([Template(r.method, r.path, r.content_type, r.body) for r in requests])
        pairs = list(headers.items())

        def next_request(cycle: itertools.cycle[Template] = cycle, pairs: list[tuple[str, str]] = pairs) -> bytes:
            return next(cycle).render(f"{HOST}:{port}", pairs, f"soak{next(counter)}")

        out[api] = next_request
    return out


async def soak(args: argparse.Namespace, report: Callable[[Window], None]) -> list[Window]:
    apis = args.apis
    send_next = senders(args.port, apis)
    began = time.perf_counter()
    windows = []
    while (elapsed := time.perf_counter() - began) < args.seconds - 0.05:
        seconds = min(args.window, args.seconds - elapsed)
        deadline = time.perf_counter() + seconds
        stats = {api: Stats() for api in apis}
        spread = [apis[i % len(apis)] for i in range(args.connections)]
        await asyncio.gather(*(connection(HOST, args.port, send_next[a], deadline, stats[a]) for a in spread))
        window = summarise(elapsed, time.perf_counter() - began - elapsed, stats)
        report(window)
        windows.append(window)
    return windows


def summarise(start_s: float, seconds: float, stats: dict[str, Stats]) -> Window:
    every = sorted(itertools.chain.from_iterable(s.latencies_us for s in stats.values())) or [0]
    return Window(
        start_s=round(start_s, 1),
        seconds=round(seconds, 2),
        requests=sum(len(s.latencies_us) for s in stats.values()),
        server_errors=sum(s.server_errors for s in stats.values()),
        client_errors=sum(s.status_errors - s.server_errors for s in stats.values()),
        socket_errors=sum(s.socket_errors for s in stats.values()),
        p50_ms=percentile(every, 50) / 1000,
        p99_ms=percentile(every, 99) / 1000,
        p99_ms_by_api={api: percentile(sorted(s.latencies_us) or [0], 99) / 1000 for api, s in stats.items()},
    )


def line(w: Window) -> str:
    per_api = ", ".join(f"{api} {ms:.1f}" for api, ms in w.p99_ms_by_api.items())
    return (
        f"  {w.start_s:5.1f} s +{w.seconds:4.1f} s: {w.requests:6d} requests ({w.requests / w.seconds:6.0f}/s), "
        f"p50 {w.p50_ms:6.1f} ms, p99 {w.p99_ms:6.1f} ms, errors {w.errors}, 4xx {w.client_errors}"
        f"  | p99 ms by API: {per_api}"
    )


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    host = machine()
    spread = f"{args.connections} connections over {len(args.apis)} APIs"
    print(f"soak: {args.seconds:g} s, {spread}, windows of {args.window:g} s")
    print(f"machine: {host['cpu']}, {host['cores']} cores, load average {host['loadavg_start']}", flush=True)
    server = start_mock(args)
    try:
        rss_before = server.rss_mb()
        cpu_before = server.cpu_seconds()
        windows = asyncio.run(soak(args, lambda w: print(line(w), flush=True)))
        rss_after = server.rss_mb()
        cpu = round(server.cpu_seconds() - cpu_before, 1)
        state = admin(args.port, "GET", "/__admin/state")
    finally:
        server.stop()
    total = sum(w.requests for w in windows)
    errors = sum(w.errors for w in windows)
    seconds = sum(w.seconds for w in windows)
    first, last = windows[0], windows[-1]
    sizes = {api: sum(len(v) for v in data.values() if isinstance(v, list)) for api, data in state.items()}
    summary = {
        "requests": total,
        "rps": round(total / seconds, 1),
        "errors": errors,
        "server_errors": sum(w.server_errors for w in windows),
        "socket_errors": sum(w.socket_errors for w in windows),
        "client_errors": sum(w.client_errors for w in windows),
        "rss_mb_before": rss_before,
        "rss_mb_after": rss_after,
        "mock_cpu_s": cpu,
        "p50_ms_first_last": [first.p50_ms, last.p50_ms],
        "p99_ms_first_last": [first.p99_ms, last.p99_ms],
        "stored_items_after": sizes,
        "loadavg_end": ", ".join(f"{v:.2f}" for v in os.getloadavg()),
    }
    print(
        f"requests {total} ({summary['rps']}/s), errors {errors} (5xx {summary['server_errors']}, "
        f"connection {summary['socket_errors']}), 4xx {summary['client_errors']}\n"
        f"RSS {rss_before} MB -> {rss_after} MB, mock CPU {cpu} s\n"
        f"drift: p50 {first.p50_ms} -> {last.p50_ms} ms, p99 {first.p99_ms} -> {last.p99_ms} ms "
        f"(first and last window)\nstored list items after: {sizes}"
    )
    print("SOAK_JSON " + json.dumps(summary), flush=True)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
