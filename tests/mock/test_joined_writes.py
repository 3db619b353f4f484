"""What the server's protocol hands the connection: each answer in one write, a stream as it comes, and
nothing held back when the connection closes. Driven through uvicorn's protocol with a recording transport."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import uvicorn
from uvicorn.server import ServerState

from mock_server import server as bounded
from mock_server.faults import CLOSE

App = Callable[[dict[str, Any], Any, Any], Awaitable[None]]
GET = b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"


class Recording(asyncio.Transport):
    """What a socket would have been given, write by write."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[bytes] = []
        self.closed = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        assert not self.closed, "written after close"
        self.writes.append(bytes(data))

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"sockname": ("127.0.0.1", 8000), "peername": ("127.0.0.1", 50000)}.get(name, default)

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


def serve(app: App, data: bytes, transport: Recording | None = None) -> Recording:
    """Feed `data` to a fresh connection and run the loop until the app's tasks are done."""
    transport = transport or Recording()

    async def go() -> Recording:
        config = uvicorn.Config(app, http=bounded.BoundedProtocol, log_level="warning", lifespan="off")
        state = ServerState()
        protocol = bounded.BoundedProtocol(config=config, server_state=state, app_state={})
        protocol.connection_made(transport)
        protocol.data_received(data)
        while state.tasks:
            await asyncio.gather(*state.tasks)
        await asyncio.sleep(0)  # one more turn of the loop: what is held is due
        protocol.connection_lost(None)
        return transport

    return asyncio.run(go())


async def answer(scope: dict[str, Any], receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]})
    await send({"type": "http.response.body", "body": b"ok"})


def test_an_answer_leaves_in_one_write() -> None:
    writes = serve(answer, GET).writes
    assert len(writes) == 1
    assert writes[0].startswith(b"HTTP/1.1 200 OK\r\n") and writes[0].endswith(b"\r\n\r\nok")


def test_pipelined_answers_leave_in_order_one_write_each() -> None:
    writes = serve(answer, GET * 3).writes
    assert len(writes) == 3 and all(w.endswith(b"\r\n\r\nok") for w in writes)


def test_a_stream_leaves_as_it_comes_not_at_its_end() -> None:
    transport = Recording()
    sent_before_the_second_part: list[bytes] = []

    async def stream(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"first", "more_body": True})
        await asyncio.sleep(0.01)  # as a proxy waits for its upstream
        sent_before_the_second_part.extend(transport.writes)
        await send({"type": "http.response.body", "body": b"second"})

    serve(stream, GET, transport)
    (head_and_first,) = sent_before_the_second_part
    assert head_and_first.startswith(b"HTTP/1.1 200") and head_and_first.endswith(b"first\r\n")
    assert b"".join(transport.writes).endswith(b"second\r\n0\r\n\r\n")


def test_what_was_written_goes_out_before_the_connection_is_dropped() -> None:
    """A truncation fault: the head and half a body, then the connection closed by the app."""

    async def truncated(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"4")]})
        await send({"type": "http.response.body", "body": b"ha", "more_body": True})
        scope["extensions"][CLOSE]["close"]()

    transport = serve(truncated, GET)
    assert transport.closed
    assert len(transport.writes) == 1 and transport.writes[0].endswith(b"\r\n\r\nha")
