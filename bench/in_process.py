"""CPU per request through the real application, in-process: no network, no uvicorn, no database.

python -m bench.in_process   (about 20 s)

Calls the Litestar app's ASGI entry directly on the memory store, one request at a time, and prints
the best of 5 timings per route: what the HTTP edge, the use cases and the domain cost without the
round trip and the server around them. Useful to see what a change to those layers saves.
"""

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

from entrypoints.app import create_app
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
    app = create_app(Settings.from_env({"DATABASE_URL": "memory://", "TODO_ACCESS_LOG": "false"}))
    async with app.lifespan():
        await _measure(_caller(app))


async def _measure(call: Call) -> None:
    ids = []
    for number in range(20):
        sent = await call("POST", "/api/user-1/tasks", b'{"title": "task %d", "description": "seeded"}' % number)
        ids.append(json.loads(sent[1]["body"])["id"])
    routes = {
        "GET /health": ("GET", "/health", b""),
        "list (20 tasks)": ("GET", "/api/user-1/tasks", b""),
        "list ?sort=created": ("GET", "/api/user-1/tasks?sort=created", b""),
        "get": ("GET", f"/api/user-1/tasks/{ids[3]}", b""),
        "toggle": ("PATCH", f"/api/user-1/tasks/{ids[4]}/complete", b""),
        "create": ("POST", "/api/writer-1/tasks", b'{"title": "benchmark task", "description": "created under load"}'),
    }
    for name, (method, path, body) in routes.items():
        print(f"{name:18} {await _best_microseconds(call, method, path, body, 3000):6.1f} us per request")


if __name__ == "__main__":
    asyncio.run(main())
