"""The suite's own speed: `conformance run --api all` against the in-process mock, timed as a user runs it.

A fixed `--seed` makes the generated requests repeat run to run, so two runs (or two checkouts) send
the same requests and count the same checks; the row records both counts next to the time, and the CPU
time the run used (children included), which the other processes on a busy machine do not inflate.
"""

from __future__ import annotations

import re
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

SUMMARY = re.compile(r"(\d+) API\(s\), (\d+) requests, (\d+) checks, (\d+) failure")
SEED = 1


def run_suite(root: Path, seed: int = SEED) -> dict[str, Any]:
    command = [sys.executable, "-m", "conformance", "run", "--api", "all", "--quiet", "--seed", str(seed)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.perf_counter()
    done = subprocess.run(command, cwd=root, capture_output=True, text=True, timeout=900, check=False)
    wall = time.perf_counter() - began
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    match = SUMMARY.search(done.stdout)
    if match is None:
        raise RuntimeError(f"conformance run gave no summary (exit {done.returncode}): {done.stderr[-500:]}")
    apis, requests, checks, failures = (int(g) for g in match.groups())
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    per_api = {name: float(s) for name, s in re.findall(r"^(\S+)  \((\d+(?:\.\d+)?) s\)$", done.stdout, re.M)}
    return {
        "command": " ".join(["conformance", *command[3:]]),
        "seconds": round(wall, 1),
        "cpu_s": round(cpu, 1),
        "apis": apis,
        "requests": requests,
        "checks": checks,
        "failures": failures,
        "per_api_s": per_api,
    }
