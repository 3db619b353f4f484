"""The three servers under test, each in its own process on 127.0.0.1, and how to wait for them.

1. the mock, started as a user starts it (`python -m mock_server --api NAME --port N`);
2. Stoplight Prism (`prism mock contracts/specs/NAME.yaml`), pinned and installed by npm into bench/.node/, run as
   its docs show (logging at its default level, info: one line per request) and, as `prism-quiet`,
   with `--verboseLevel warn`, its fastest single-process setting;
3. the ceiling (bench/ceiling.py).
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.workloads import Request
from contracts import spec_path

ROOT = Path(__file__).resolve().parent.parent
NODE_DIR = ROOT / "bench" / ".node"
PRISM_VERSION = "5.16.0"
PRISM = NODE_DIR / "node_modules" / ".bin" / "prism"
HOST = "127.0.0.1"
KINDS = ("mock", "prism", "prism-quiet", "ceiling")
CANDIDATE = "candidate"
"""A second mock run beside the first (`--candidate-root`, `--candidate-env`): an A/B of a change."""


def ensure_prism() -> str:
    """Install the pinned Prism into bench/.node/ unless it is there; return its version."""
    package = NODE_DIR / "node_modules" / "@stoplight" / "prism-cli" / "package.json"
    installed = json.loads(package.read_text())["version"] if package.exists() else None
    if installed != PRISM_VERSION:
        if shutil.which("npm") is None:
            raise SystemExit(
                "bench: npm is needed to install Prism (apt-get install npm), or pass --servers mock,ceiling"
            )
        print(f"bench: installing @stoplight/prism-cli@{PRISM_VERSION} into {NODE_DIR} (npm) ...", flush=True)
        NODE_DIR.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                "npm",
                "install",
                "--prefix",
                str(NODE_DIR),
                "--no-audit",
                "--no-fund",
                "--loglevel=error",
                f"@stoplight/prism-cli@{PRISM_VERSION}",
            ],
            check=True,
        )
    return PRISM_VERSION


ALL = "all"
"""As the API of a mock: serve every API (the soak)."""


def command(kind: str, api: str, port: int) -> list[str]:
    if kind in ("mock", CANDIDATE):
        only = [] if api == ALL else ["--api", api]
        return [sys.executable, "-m", "mock_server", *only, "--port", str(port)]
    if kind in ("prism", "prism-quiet"):
        quiet = ["--verboseLevel", "warn"] if kind == "prism-quiet" else []
        return [str(PRISM), "mock", *quiet, "-h", HOST, "-p", str(port), str(spec_path(api))]
    if kind == "ceiling":
        return [sys.executable, "-m", "bench.ceiling", api, "--port", str(port)]
    raise ValueError(kind)


def send(port: int, request: Request, headers: Mapping[str, str], timeout: float = 30.0) -> tuple[int, bytes]:
    """One request on a fresh connection: (status, body)."""
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        all_headers = dict(headers)
        if request.body:
            all_headers["Content-Type"] = request.content_type
        conn.request(request.method, request.path, body=request.body.encode() or None, headers=all_headers)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def admin(port: int, method: str, path: str, body: Any = None, timeout: float = 300.0) -> Any:
    """The mock's admin API (JSON in, JSON out)."""
    data = json.dumps(body) if body is not None else ""
    status, raw = send(port, Request(method, path, data), {}, timeout=timeout)
    if status >= 300:
        raise RuntimeError(f"admin {method} {path}: {status} {raw[:300]!r}")
    return json.loads(raw)


def port_in_use(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex((HOST, port)) == 0


@dataclass
class Server:
    kind: str
    api: str
    port: int
    process: subprocess.Popen[bytes] | None = None
    started_in: float = 0.0
    """Seconds from process start to the first 2xx answer to the probe."""
    startup_cpu: float = 0.0
    notes: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    cwd: Path = ROOT
    args: list[str] = field(default_factory=list)
    """More command-line flags (the soak's `--mock-args`)."""

    def start(self, probe: Request, headers: Mapping[str, str], limit: float = 60.0) -> Server:
        if port_in_use(self.port):
            raise RuntimeError(f"port {self.port} is already in use: pass another --base-port")
        began = time.perf_counter()
        self.process = subprocess.Popen(
            [*command(self.kind, self.api, self.port), *self.args],
            cwd=self.cwd,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1", **self.env},
        )
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.kind} for {self.api} exited with {self.process.returncode} at start-up")
            try:
                status, _ = send(self.port, probe, headers, timeout=2)
                if 200 <= status < 300:
                    break
            except OSError:
                pass
            if time.perf_counter() - began > limit:
                self.stop()
                raise RuntimeError(f"{self.kind} for {self.api} did not answer 2xx within {limit}s")
            time.sleep(0.005)
        self.started_in = time.perf_counter() - began
        self.startup_cpu = self.cpu_seconds()
        return self

    def cpu_seconds(self) -> float:
        """CPU time (user + system) the server process has used: unlike wall time, not inflated when
        other processes compete for the machine's two cores."""
        assert self.process is not None
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return round((int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK"), 3)

    def rss_mb(self) -> float:
        """Resident memory of the server process (Prism: of its node process only)."""
        assert self.process is not None
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
        return 0.0

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
