"""Drive a server with a workload: `wrk` (with replay.lua) when installed, else the Python load generator.

Either runs in its own process, keeps its connections alive, and prints one `BENCH_JSON {...}` line
with the request count, the duration and the latency percentiles; `run` turns that into a `Load`.
"""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

from bench.workloads import Request

HERE = Path(__file__).resolve().parent
MARK = "BENCH_JSON "


@dataclass(frozen=True)
class Load:
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    mean_ms: float
    max_ms: float
    bytes: int
    status_errors: int
    """Responses with a status of 400 or more: a round with any is reported, not silently counted."""
    socket_errors: int

    def as_dict(self) -> dict[str, float | int]:
        return asdict(self)


def generator(choice: str = "auto") -> str:
    """`wrk` if asked for or found on PATH, else `python`."""
    if choice == "auto":
        return "wrk" if shutil.which("wrk") else "python"
    if choice == "wrk" and not shutil.which("wrk"):
        raise SystemExit("bench: --loadgen wrk, but wrk is not installed (apt-get install wrk)")
    return choice


def write_requests(path: Path, headers: Mapping[str, str], requests: Iterable[Request]) -> None:
    """The workload file both generators read (format: see replay.lua)."""
    lines = [f"H\t{name}\t{value}" for name, value in headers.items()]
    for r in requests:
        lines.append("\t".join(("R", r.method, r.path, r.content_type if r.body else "", r.body)))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def run(
    kind: str,
    port: int,
    headers: Mapping[str, str],
    requests: Iterable[Request],
    seconds: float,
    connections: int,
    salt: str,
) -> Load:
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        workload = Path(tmp) / "workload.tsv"
        write_requests(workload, headers, requests)
        if kind == "wrk":
            # One thread: the server under test gets the machine's other core.
            cmd = ["wrk", "-t1", f"-c{connections}", f"-d{max(1, math.ceil(seconds))}s", "--timeout", "30s"]
            cmd += ["-s", str(HERE / "replay.lua"), f"http://127.0.0.1:{port}", "--", str(workload), salt]
        else:
            cmd = [sys.executable, "-m", "bench.pyload", str(workload), "--port", str(port)]
            cmd += ["--connections", str(connections), "--seconds", str(seconds), "--salt", salt]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60, cwd=HERE.parent)
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith(MARK)), None)
    if line is None:
        raise RuntimeError(f"load generator printed no figures: {done.stdout[-500:]} {done.stderr[-500:]}")
    raw = json.loads(line[len(MARK) :])
    secs = raw["duration_us"] / 1e6
    return Load(
        requests=raw["requests"],
        seconds=round(secs, 3),
        rps=round(raw["requests"] / secs, 1) if secs else 0.0,
        p50_ms=raw["p50_us"] / 1000,
        p90_ms=raw["p90_us"] / 1000,
        p99_ms=raw["p99_us"] / 1000,
        mean_ms=round(raw["mean_us"] / 1000, 3),
        max_ms=raw["max_us"] / 1000,
        bytes=raw["bytes"],
        status_errors=raw["status_errors"],
        socket_errors=raw["socket_errors"],
    )
