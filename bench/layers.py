"""CPU per request of the mock's ASGI app in-process, and where it goes layer by layer.

`python -m bench.layers [--requests N] [--apis A,B]`: no sockets and no load generator, so the figures
are the app's own CPU time (`time.process_time`), which the other processes on a busy machine do not
inflate as they do a throughput figure. Each workload's request is sent N times, 3 rounds, best round.
Then one more round under cProfile: a layer's cost is its call's cumulative time less that of the
layer it calls, scaled from the profiled total to the unprofiled CPU per request (cProfile's overhead
is spread evenly enough over Python calls for the shares to hold).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import pstats
import time
from typing import Any

from starlette.types import ASGIApp, Message

from bench.workloads import TARGETS, Target
from mock_server.app import create_app
from mock_server.settings import Settings

LAYERS: tuple[tuple[str, str, str], ...] = (
    ("Front (notes, session, journal, log line)", "mock_server/front.py", "__call__"),
    ("AdminGuard", "mock_server/guard.py", "__call__"),
    ("CorsWhenOrigin", "mock_server/middleware.py", "__call__"),
    ("Dispatcher (+ TrailingSlashes)", "mock_server/app.py", "__call__"),
    ("FaultLayer (no rules)", "mock_server/faults.py", "__call__"),
    ("Connexion entry (ConnexionMiddleware)", "connexion/middleware/main.py", "__call__"),
    ("ServerErrorMiddleware", "starlette/middleware/errors.py", "__call__"),
    ("ExceptionMiddleware", "connexion/middleware/exceptions.py", "__call__"),
    ("DocsUnder (Swagger UI, passed by)", "mock_server/stack.py", "__call__"),
    ("RequestBody (body door)", "mock_server/body.py", "__call__"),
    ("OneRegexRouting (+ Connexion's RoutingOperation)", "connexion/middleware/routing.py", "__call__"),
    ("CheckedSecurity (the API's checks, Connexion's rules)", "mock_server/request_security.py", "__call__"),
    ("PlannedRequestValidation (Connexion's checks)", "mock_server/request_validation.py", "__call__"),
    ("LifespanMiddleware", "connexion/middleware/lifespan.py", "__call__"),
    ("ContextMiddleware", "connexion/middleware/context.py", "__call__"),
    ("Endpoints (arguments, Prefer, the handler, serialise)", "mock_server/endpoints.py", "__call__"),
)
"""Outermost first. A layer missing from a request's path (ReadAsJson, ResponseValidation) is skipped."""


async def call(app: ASGIApp, method: str, path: str, headers: dict[str, str], body: bytes = b"") -> tuple[int, bytes]:
    """One request straight into the ASGI app: (status, body)."""
    raw = [(k.lower().encode(), v.encode()) for k, v in headers.items()] + [(b"host", b"127.0.0.1")]
    if body:
        raw += [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    path, _, query = path.partition("?")
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": raw,
        "server": ("127.0.0.1", 80),
        "client": ("127.0.0.1", 1),
    }
    messages = [{"type": "http.request", "body": body, "more_body": False}]
    status: list[int] = []
    chunks: list[bytes] = []

    async def receive() -> Message:
        if messages:
            return messages.pop()
        await asyncio.Event().wait()  # never: the app reads the body once
        raise AssertionError

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            status.append(message["status"])
        else:
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    return status[0], b"".join(chunks)


async def _start(app: ASGIApp) -> asyncio.Task[None]:
    inbox: asyncio.Queue[Message] = asyncio.Queue()
    started = asyncio.Event()
    inbox.put_nowait({"type": "lifespan.startup"})

    async def send(message: Message) -> None:
        started.set()

    async def run() -> None:
        await app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}, inbox.get, send)

    task = asyncio.create_task(run())
    await started.wait()
    return task


async def _prepared(target: Target) -> tuple[ASGIApp, asyncio.Task[None]]:
    app: ASGIApp = create_app(Settings(apis=(target.api,)))
    lifespan = await _start(app)
    status, exported = await call(app, "GET", "/__admin/state", {})
    state = {target.api: target.prepare(json.loads(exported)[target.api])}
    status, _ = await call(app, "PUT", "/__admin/state", {}, json.dumps(state).encode())
    assert status < 300, status
    return app, lifespan


async def measure(target: Target, kind: str, n: int) -> tuple[float, dict[str, float]]:
    """(best CPU µs per request of 3 rounds, µs per layer from a profiled round)."""
    app, lifespan = await _prepared(target)
    request = target.workloads[kind][0]

    async def rounds(salt: str) -> float:
        start = time.process_time()
        for i in range(n):
            body = request.body.replace("{n}", f"{salt}{i}").encode()
            status, answer = await call(app, request.method, request.path, target.headers, body)
            assert status < 300, (target.api, kind, status, answer[:200])
        return (time.process_time() - start) / n * 1e6

    best = min([await rounds(f"r{r}_") for r in range(3)])
    profile = cProfile.Profile()
    profile.enable()
    await rounds("p_")
    profile.disable()
    lifespan.cancel()
    return best, _layers(pstats.Stats(profile), best, n)


def _layers(stats: pstats.Stats, cpu_us: float, n: int) -> dict[str, float]:
    cumulative: dict[str, float] = {}
    table: dict[tuple[str, int, str], tuple[Any, ...]] = stats.stats  # type: ignore[attr-defined]
    for (filename, _, function), (_, _, _, cum, _) in table.items():
        for label, where, name in LAYERS:
            if function == name and filename.endswith(where):
                cumulative[label] = max(cumulative.get(label, 0.0), cum)
    present = [label for label, _, _ in LAYERS if label in cumulative]
    total = cumulative[present[0]]
    scale = cpu_us / (total / n * 1e6)
    costs: dict[str, float] = {}
    for outer, inner in zip(present, [*present[1:], None], strict=True):
        own = cumulative[outer] - (cumulative[inner] if inner else 0.0)
        costs[outer] = own / n * 1e6 * scale
    return costs


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.layers", description=__doc__.split("\n", 1)[0])
    p.add_argument("--requests", type=int, default=400, help="requests per round (default 400)")
    p.add_argument("--apis", default="esper-stages,zenml-pipelines", help="comma-separated")
    args = p.parse_args(argv)
    columns: dict[str, tuple[float, dict[str, float]]] = {}
    for api in args.apis.split(","):
        for kind in ("list", "get", "create"):
            columns[f"{api.split('-')[0]} {kind}"] = asyncio.run(measure(TARGETS[api], kind, args.requests))
    names = list(columns)
    print("| CPU µs per request | " + " | ".join(names) + " |")
    print("|---|" + "---:|" * len(names))
    print("| **total (unprofiled)** | " + " | ".join(f"**{columns[c][0]:.0f}**" for c in names) + " |")
    for label, _, _ in LAYERS:
        if any(label in columns[c][1] for c in names):
            cells = [f"{columns[c][1][label]:.0f}" if label in columns[c][1] else "-" for c in names]
            print(f"| {label} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
