"""The load generator used when wrk is not installed: `python -m bench.pyload FILE --port N ...`.

Like wrk: N keep-alive HTTP/1.1 connections, each sending its next request as soon as the previous
answer is complete, for a fixed time; it prints the same `BENCH_JSON` line as replay.lua. It runs in
its own process (asyncio, uvloop when installed) and is slower than wrk, so its ceiling figures are
lower: compare figures from one generator only (the results name the one used).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Template:
    method: str
    path: str
    content_type: str
    body: str
    fixed: bytes = b""

    def render(self, host: str, headers: list[tuple[str, str]], n: str) -> bytes:
        if self.fixed:
            return self.fixed
        body = self.body.replace("{n}", n).encode()
        lines = [f"{self.method} {self.path} HTTP/1.1", f"Host: {host}", *(f"{k}: {v}" for k, v in headers)]
        if body:
            lines += [f"Content-Type: {self.content_type}", f"Content-Length: {len(body)}"]
        raw = ("\r\n".join(lines) + "\r\n\r\n").encode() + body
        if "{n}" not in self.body:
            self.fixed = raw
        return raw


@dataclass
class Stats:
    latencies_us: list[int] = field(default_factory=list)
    status_errors: int = 0
    server_errors: int = 0
    """Of the status errors, those of 500 or more."""
    socket_errors: int = 0
    bytes: int = 0


def read_workload(path: Path) -> tuple[list[tuple[str, str]], list[Template]]:
    headers, templates = [], []
    for line in path.read_text(encoding="utf-8").splitlines():
        fields = line.split("\t")
        if fields[0] == "H":
            headers.append((fields[1], fields[2]))
        elif fields[0] == "R":
            templates.append(Template(fields[1], fields[2], fields[3], fields[4]))
    return headers, templates


def response_length(buffer: bytes | bytearray) -> int | None:
    """Bytes of the first complete response in `buffer`, or None while it is incomplete."""
    end = buffer.find(b"\r\n\r\n")
    if end < 0:
        return None
    head = bytes(buffer[:end]).lower()
    start = end + 4
    at = head.find(b"\r\ncontent-length:")
    if at >= 0:
        value = head[at + 17 :].split(b"\r\n", 1)[0]
        total = start + int(value)
        return total if len(buffer) >= total else None
    if b"transfer-encoding: chunked" in head:
        pos = start
        while True:
            line_end = buffer.find(b"\r\n", pos)
            if line_end < 0:
                return None
            size = int(bytes(buffer[pos:line_end]).split(b";")[0], 16)
            pos = line_end + 2 + size + 2
            if len(buffer) < pos:
                return None
            if size == 0:
                return pos
    return start


def percentile(ordered: list[int], q: float) -> int:
    """The q-th percentile of an already sorted, non-empty list (nearest rank)."""
    return ordered[min(len(ordered) - 1, int(len(ordered) * q / 100))]


async def connection(host: str, port: int, next_request: Callable[[], bytes], deadline: float, stats: Stats) -> None:
    try:
        reader, writer = await asyncio.open_connection(host, port)
    except OSError:
        stats.socket_errors += 1
        return
    buffer = bytearray()
    try:
        while time.perf_counter() < deadline:
            started = time.perf_counter_ns()
            writer.write(next_request())
            while (size := response_length(buffer)) is None:
                chunk = await reader.read(65536)
                if not chunk:
                    raise ConnectionError("closed by the server")
                buffer += chunk
            stats.latencies_us.append((time.perf_counter_ns() - started) // 1000)
            stats.bytes += size
            status = int(buffer[9:12])
            if status >= 400:
                stats.status_errors += 1
                stats.server_errors += status >= 500
            del buffer[:size]
    except (OSError, ConnectionError, ValueError):
        stats.socket_errors += 1
    finally:
        writer.close()


async def main_async(args: argparse.Namespace) -> dict[str, float | int]:
    headers, templates = read_workload(args.workload)
    host = f"127.0.0.1:{args.port}"
    cycle = itertools.cycle(templates)
    counter = itertools.count(1)

    def next_request() -> bytes:
        return next(cycle).render(host, headers, f"{args.salt}p{next(counter)}")

    stats = Stats()
    started = time.perf_counter()
    deadline = started + args.seconds
    await asyncio.gather(
        *(connection("127.0.0.1", args.port, next_request, deadline, stats) for _ in range(args.connections))
    )
    elapsed = time.perf_counter() - started
    lat = sorted(stats.latencies_us) or [0]
    return {
        "requests": len(stats.latencies_us),
        "duration_us": int(elapsed * 1e6),
        "bytes": stats.bytes,
        "status_errors": stats.status_errors,
        "socket_errors": stats.socket_errors,
        "p50_us": percentile(lat, 50),
        "p90_us": percentile(lat, 90),
        "p99_us": percentile(lat, 99),
        "mean_us": sum(lat) / len(lat),
        "max_us": lat[-1],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workload", type=Path)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--connections", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--salt", default="")
    args = parser.parse_args()
    try:
        import uvloop

        result = uvloop.run(main_async(args))
    except ImportError:
        result = asyncio.run(main_async(args))
    print("BENCH_JSON " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
