"""What sessions, the journal and the request log cost: `python -m bench.sessions [--seconds S]`.

Separate from `make bench` (which compares whole servers over HTTP): this drives the app in-process
with bare ASGI calls, one request after another, so the figures are the app's own cost per request
without the network or a load generator in the way. Rows:

- `log text`:     the CLI's default, a line per request written to stdout (here: /dev/null);
- `quiet`:        `--quiet`, the journal still on (the library default);
- `no journal`:   `--quiet --journal-size 0`, the floor the two above are compared with;
- `session 50`:   quiet, 50 named sessions live, the request in the 50th;

and the memory one more session takes with the default fixtures of all five APIs (tracemalloc).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import os
import sys
import time
import tracemalloc
from typing import Any

from starlette.types import ASGIApp, Message

from mock_server import Settings, create_app

PATH = "/v0/pipelines/ba6d91f0-3d61-4f40-8b26-43d9f7559df9/stages/"
AUTH = (b"authorization", b"Bearer mock-token")


async def call(app: ASGIApp, session: str | None = None) -> int:
    headers = [(b"host", b"localhost"), AUTH]
    if session is not None:
        headers.append((b"x-mock-session", session.encode()))
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": PATH,
        "raw_path": PATH.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 8000),
    }
    status = 0

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)
    return status


LIFESPANS: list[asyncio.Future[None]] = []
FIRST_MS: list[float] = []
"""The mean time of a session's first request (which creates it), in ms."""


async def started(app: ASGIApp) -> None:
    """Run the lifespan start-up so Connexion builds its stacks (the tasks are cancelled at the end)."""
    queue: asyncio.Queue[Message] = asyncio.Queue()
    await queue.put({"type": "lifespan.startup"})
    done = asyncio.Event()

    async def send(message: Message) -> None:
        done.set()

    LIFESPANS.append(
        asyncio.ensure_future(app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}, queue.get, send))
    )
    await done.wait()


async def measured(seconds: float, rounds: int) -> tuple[dict[str, float], int]:
    try:
        return await throughput(seconds, rounds), await session_memory()
    finally:
        for task in LIFESPANS:
            task.cancel()
        await asyncio.gather(*LIFESPANS, return_exceptions=True)


async def rate(app: ASGIApp, seconds: float, session: str | None = None) -> float:
    for _ in range(50):  # warm-up
        assert await call(app, session) == 200
    count, deadline = 0, time.perf_counter() + seconds
    began = time.perf_counter()
    while time.perf_counter() < deadline:
        await call(app, session)
        count += 1
    return count / (time.perf_counter() - began)


async def throughput(seconds: float, rounds: int) -> dict[str, float]:
    """Best of `rounds` per row, the rows interleaved so a busy moment of the machine hits them all."""
    apps: dict[str, tuple[ASGIApp, str | None]] = {}
    for name, settings in (
        ("log text", Settings(log_format="text")),
        ("quiet", Settings()),
        ("no journal", Settings(journal_size=0)),
        ("session 50", Settings()),
    ):
        apps[name] = (create_app(settings), "s50" if name == "session 50" else None)
        await started(apps[name][0])
    began = time.perf_counter()
    for n in range(1, 51):
        await call(apps["session 50"][0], f"s{n}")
    FIRST_MS.append((time.perf_counter() - began) * 1000 / 50)
    rows = dict.fromkeys(apps, 0.0)
    for _ in range(rounds):
        for name, (app, session) in apps.items():
            rows[name] = max(rows[name], await rate(app, seconds, session))
    return rows


async def session_memory() -> int:
    """Bytes one more session holds: its five states, ids, clock and one journal entry."""
    app = create_app(Settings())
    await started(app)
    await call(app, "warm")
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    await call(app, "extra")
    gc.collect()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    return after - before


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.sessions", description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="per row and round (default %(default)s)")
    parser.add_argument(
        "--rounds", type=int, default=3, help="rounds; the best of each row counts (default %(default)s)"
    )
    args = parser.parse_args()
    with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
        rows, memory = asyncio.run(measured(args.seconds, args.rounds))
    floor = rows["no journal"]
    print(f"{'row':<12} {'req/s':>8}  vs no journal")
    for name, value in rows.items():
        print(f"{name:<12} {value:8.0f}  {100 * (value / floor - 1):+.1f}%")
    print(f"one extra session, default fixtures of {len(Settings().apis)} APIs: {memory / 1024:.0f} KiB")
    print(f"a session's first request, which creates it: {FIRST_MS[0]:.1f} ms")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
