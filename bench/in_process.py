"""CPU per request through the real application, in-process: no network, no uvicorn, no database.

python -m bench.in_process   (about 20 s)

Calls the Litestar app's ASGI entry directly on the memory store, one request at a time, and prints
the best of 5 timings per route: what the HTTP edge, the use cases and the domain cost without the
round trip and the server around them. Useful to see what a change to those layers saves.

Then the same requests as HTTP/1.1 bytes through the server's connection protocol (no socket: the
bytes go straight to `data_received`), once with uvicorn's own httptools protocol and once with
`LimitedHttpProtocol`, which `todo serve` runs: the `protocol` rows show what its limits cost each
request.
"""

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from entrypoints.app import create_app
from entrypoints.server.protocol import ConnectionLimits, LimitedHttpProtocol
from entrypoints.settings import Settings

Call = Callable[[str, str, bytes], Awaitable[list[dict[str, Any]]]]
JSON_BODY = [(b"content-type", b"application/json")]


def _scope(method: str, target: str, body: bytes) -> dict[str, Any]:
    path, _, query = target.partition("?")
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1:8000"), *(JSON_BODY if body else [])],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }


def _caller(app: Any) -> Call:
    async def call(method: str, path: str, body: bytes = b"") -> list[dict[str, Any]]:
        sent: list[dict[str, Any]] = []

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        await app(_scope(method, path, body), receive, send)
        return sent

    return call


class _Transport(asyncio.Transport):
    """Keeps what the protocol writes; the connection never closes."""

    def __init__(self) -> None:
        super().__init__()
        self.written: list[bytes] = []

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"sockname": ("127.0.0.1", 8000), "peername": ("127.0.0.1", 50000)}.get(name, default)

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.written.append(bytes(data))

    def is_closing(self) -> bool:
        return False

    def close(self) -> None:
        pass  # the keep-alive timeout of a connection no longer used

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


def _protocol_caller(app: Any, protocol: Callable[..., HttpToolsProtocol]) -> Call:
    """Each request as the bytes a client sends, through one kept-alive connection of `protocol`."""
    config = uvicorn.Config(app, lifespan="off", access_log=False, log_level="warning")
    config.load()
    transport = _Transport()
    connection = protocol(config=config, server_state=ServerState(), app_state={}, _loop=asyncio.get_running_loop())
    connection.connection_made(transport)

    async def call(method: str, target: str, body: bytes = b"") -> list[dict[str, Any]]:
        head = f"{method} {target} HTTP/1.1\r\nHost: 127.0.0.1:8000\r\n"
        if body:
            head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        transport.written.clear()
        connection.data_received(head.encode() + b"\r\n" + body)
        while not connection.cycle.response_complete:
            await asyncio.sleep(0)
        return [{"body": b"".join(transport.written).partition(b"\r\n\r\n")[2]}]

    return call


async def _best_microseconds(call: Call, method: str, path: str, body: bytes, count: int) -> float:
    for _ in range(300):  # warm-up
        await call(method, path, body)
    best = float("inf")
    for _ in range(5):
        started = time.process_time()
        for _ in range(count):
            await call(method, path, body)
        best = min(best, (time.process_time() - started) / count * 1e6)
    return best


async def main() -> None:
    settings = Settings.from_env({"DATABASE_URL": "memory://", "TODO_ACCESS_LOG": "false"})
    app = create_app(settings)
    limits = ConnectionLimits(
        settings.max_header_bytes, settings.max_headers, settings.header_timeout, settings.body_timeout
    )
    async with app.lifespan():
        routes = await _routes(_caller(app))
        for name, (method, path, body) in routes.items():
            await _report(name, _caller(app), method, path, body)
        protocols: dict[str, Callable[..., HttpToolsProtocol]] = {
            "uvicorn's own": HttpToolsProtocol,
            "LimitedHttpProtocol": lambda **kwargs: LimitedHttpProtocol(limits=limits, **kwargs),
        }
        for name in ("list (20 tasks)", "get", "create"):
            for protocol_name, protocol in protocols.items():
                await _report(f"protocol: {name}, {protocol_name}", _protocol_caller(app, protocol), *routes[name])


async def _routes(call: Call) -> dict[str, tuple[str, str, bytes]]:
    """The routes measured, with 20 tasks of user-1 in the store."""
    ids = []
    for number in range(20):
        sent = await call("POST", "/api/user-1/tasks", b'{"title": "task %d", "description": "seeded"}' % number)
        ids.append(json.loads(sent[1]["body"])["id"])
    return {
        "GET /health": ("GET", "/health", b""),
        "list (20 tasks)": ("GET", "/api/user-1/tasks", b""),
        "list ?sort=created": ("GET", "/api/user-1/tasks?sort=created", b""),
        "get": ("GET", f"/api/user-1/tasks/{ids[3]}", b""),
        "toggle": ("PATCH", f"/api/user-1/tasks/{ids[4]}/complete", b""),
        "create": ("POST", "/api/writer-1/tasks", b'{"title": "benchmark task", "description": "created under load"}'),
    }


async def _report(name: str, call: Call, method: str, path: str, body: bytes) -> None:
    print(f"{name:46} {await _best_microseconds(call, method, path, body, 3000):6.1f} us per request")


if __name__ == "__main__":
    asyncio.run(main())
