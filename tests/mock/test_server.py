"""The real server's connection bounds (uvicorn with mock_server.server's protocol), over sockets."""

from __future__ import annotations

import asyncio
import gc
import json
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn

from mock_server import Settings, create_app
from mock_server import server as bounded
from mock_server.gc_pauses import FrozenAfterStartup, refreeze

pytestmark = pytest.mark.slow  # whole conformance runs or real servers: left out of make test-fast


@pytest.fixture
def port(monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    monkeypatch.setattr(bounded, "HEAD_TIMEOUT_S", 0.5)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        free = s.getsockname()[1]
    srv = uvicorn.Server(bounded.config(create_app(Settings(apis=("esper-stages",))), "127.0.0.1", free))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    while not srv.started:
        time.sleep(0.02)
    yield free
    srv.should_exit = True
    thread.join(5)


def exchange(port: int, data: bytes, wait: float = 5) -> bytes:
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.sendall(data)
        s.settimeout(wait)
        out = b""
        while chunk := s.recv(65536):
            out += chunk
        return out


def test_a_100_kb_url_is_a_json_414(port: int) -> None:
    reply = exchange(port, b"GET /v0/" + b"a" * 100_000 + b" HTTP/1.1\r\nHost: localhost\r\n\r\n")
    assert reply.startswith(b"HTTP/1.1 414")
    assert "send long input" in json.loads(reply.split(b"\r\n\r\n", 1)[1])["detail"]


def test_100_kb_of_headers_is_a_json_431(port: int) -> None:
    reply = exchange(port, b"GET /v0/ HTTP/1.1\r\nHost: localhost\r\nX-Big: " + b"a" * 100_000 + b"\r\n\r\n")
    assert reply.startswith(b"HTTP/1.1 431")
    assert json.loads(reply.split(b"\r\n\r\n", 1)[1])["status"] == 431


def test_served_requests_leave_no_reference_cycles_to_the_collector(port: int) -> None:
    """Each request's objects are freed when it ends: a cycle per request made the collector run every
    few dozen requests under load."""
    request = b"GET /v0/pipelines/x/stages/ HTTP/1.1\r\nHost: localhost\r\n\r\n"
    gc.collect()
    gc.disable()
    try:
        exchange(port, request * 19 + request.replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n"))
        gc.set_debug(gc.DEBUG_SAVEALL)
        gc.collect()
        cycles = [type(o).__name__ for o in gc.garbage if type(o).__name__ == "RequestResponseCycle"]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
    assert cycles == []


def test_a_silent_connection_is_closed(port: int) -> None:
    started = time.perf_counter()
    assert exchange(port, b"") == b""
    assert time.perf_counter() - started < 3


def test_headers_sent_too_slowly_are_cut_off(port: int) -> None:
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.settimeout(3)
        started = time.perf_counter()
        s.sendall(b"GET /v0/ HTTP/1.1\r\n")
        closed = False
        for _ in range(20):
            try:
                s.sendall(b"X-Slow: 1\r\n")
            except OSError:
                closed = True
                break
            time.sleep(0.2)
        closed = closed or s.recv(10) == b""
        assert closed and time.perf_counter() - started < 3


def test_a_kept_connection_lives_past_the_head_deadline_and_each_head_gets_its_own(port: int) -> None:
    """The head deadline (0.5 s here) runs from each request's first byte: quick requests are served on one
    connection for longer than it lasts, and a later head that dawdles is cut off all the same."""
    request = b"GET /v0/pipelines/x/stages/ HTTP/1.1\r\nHost: localhost\r\n\r\n"
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.settimeout(3)
        for _ in range(8):  # 1.6 s in all
            s.sendall(request)
            assert s.recv(65536).startswith(b"HTTP/1.1 401")
            time.sleep(0.2)
        s.sendall(b"GET /v0/ HTTP/1.1\r\n")  # and then nothing more
        started = time.perf_counter()
        assert s.recv(10) == b""
        assert 0.3 < time.perf_counter() - started < 2


def test_sigterm_ends_a_sleeping_request() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        free = s.getsockname()[1]
    command = [sys.executable, "-m", "mock_server", "--api", "esper-stages", "--port", str(free)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", free)).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "the mock did not start"
                time.sleep(0.1)
        sleeper = socket.create_connection(("127.0.0.1", free))
        sleeper.sendall(
            b"GET /v0/pipelines/ba6d91f0-3d61-4f40-8b26-43d9f7559df9/stages/ HTTP/1.1\r\n"
            b"Host: localhost\r\nAuthorization: Bearer mock-token\r\n"
            b"Prefer: delay=60000\r\n\r\n"
        )
        sleeper.settimeout(1)
        with pytest.raises(TimeoutError):  # it is sleeping, not answered
            sleeper.recv(1)
        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=bounded.SHUTDOWN_GRACE_S + 5)
        assert time.monotonic() - started < bounded.SHUTDOWN_GRACE_S + 5
        sleeper.close()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_the_served_process_freezes_its_start_up_objects_once_started() -> None:
    """Full collections must not walk the specs and validators (a 46 ms p99 under load): `mock-server`
    freezes what exists when its lifespan start-up completes, and live reload freezes again."""

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await receive()
        await send({"type": "lifespan.startup.complete"})

    async def start() -> int:
        before = gc.get_freeze_count()
        inbox: asyncio.Queue[Any] = asyncio.Queue()
        inbox.put_nowait({"type": "lifespan.startup"})
        sent: list[Any] = []

        async def send(message: Any) -> None:
            sent.append(message)

        await FrozenAfterStartup(app)({"type": "lifespan"}, inbox.get, send)
        assert sent == [{"type": "lifespan.startup.complete"}]
        return before

    gc.unfreeze()
    try:
        refreeze()
        assert gc.get_freeze_count() == 0  # nothing frozen (an embedded app): reload leaves the collector alone
        assert asyncio.run(start()) == 0
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
