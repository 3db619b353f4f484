"""The ceiling: a bare Starlette app answering an API's routes with a constant body, under the same uvicorn.

`python -m bench.ceiling NAME --port N`. Each documented operation answers its first success
response's example (what Prism sends), serialised once at start-up: no auth, no validation, no state.
It is what one Python ASGI server process can do on this machine; the mock cannot beat it.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Awaitable, Callable
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from contracts import load_spec, operations


def first_example(operation: dict[str, Any]) -> tuple[int, bytes]:
    for code, response in sorted(operation.get("responses", {}).items()):
        if not code.startswith("2"):
            continue
        for media in response.get("content", {}).values():
            if "example" in media:
                return int(code), json.dumps(media["example"]).encode()
            for example in media.get("examples", {}).values():
                return int(code), json.dumps(example.get("value")).encode()
        return int(code), b"null"
    return 200, b"null"


def constant(status: int, body: bytes) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        await request.body()  # read what was sent, as any real handler would
        return Response(body, status_code=status, media_type="application/json")

    return endpoint


def build(name: str) -> Starlette:
    routes = [
        Route(op.template, constant(*first_example(op.spec)), methods=[op.method.upper()])
        for op in operations(load_spec(name))
    ]
    return Starlette(routes=routes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("api")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    # The mock's own uvicorn settings (mock_server/cli.py).
    uvicorn.run(build(args.api), host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
