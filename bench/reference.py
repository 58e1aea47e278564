"""The bare reference the benchmark measures the service against: the practical ceiling for Python.

A plain ASGI callable, a psycopg async pool, msgspec, and the same SQL as the service's Postgres
adapter. It serves just the four routes the benchmark drives, with the same JSON, and nothing else:
no framework, no layers, no error handling beyond 404. Run: uvicorn bench.reference:app
"""

import os
import uuid
from datetime import UTC, datetime

import msgspec
from psycopg_pool import AsyncConnectionPool

COLUMNS = "id, user_id, title, description, completed, created_at, updated_at"
LIST = f"SELECT {COLUMNS} FROM tasks WHERE user_id = %s ORDER BY created_at, id"
GET = f"SELECT {COLUMNS} FROM tasks WHERE user_id = %s AND id = %s"
TOGGLE = (
    f"UPDATE tasks SET completed = NOT completed, updated_at = %s WHERE user_id = %s AND id = %s RETURNING {COLUMNS}"
)
INSERT = f"INSERT INTO tasks ({COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s, %s)"


class TaskIn(msgspec.Struct):
    title: str
    description: str | None = None
    completed: bool = False


class TaskOut(msgspec.Struct):
    id: uuid.UUID
    user_id: str
    title: str
    description: str | None
    completed: bool
    created_at: datetime
    updated_at: datetime


pool = AsyncConnectionPool(
    os.environ["DATABASE_URL"], min_size=10, max_size=10, open=False, kwargs={"autocommit": True}
)
encode = msgspec.json.Encoder().encode
decode_task = msgspec.json.Decoder(TaskIn).decode
JSON = [(b"content-type", b"application/json")]


async def respond(send, status: int, body: bytes = b"", headers=JSON) -> None:  # type: ignore[no-untyped-def]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def read_body(receive) -> bytes:  # type: ignore[no-untyped-def]
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            return body


async def app(scope, receive, send) -> None:  # type: ignore[no-untyped-def]
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await pool.open()
                await send({"type": "lifespan.startup.complete"})
            else:
                await pool.close()
                await send({"type": "lifespan.shutdown.complete"})
                return
    parts = scope["path"].split("/")  # '', 'api', user, 'tasks'[, id[, 'complete']]
    method = scope["method"]
    user = parts[2]
    async with pool.connection() as connection:
        if len(parts) == 4 and method == "GET":
            cursor = await connection.execute(LIST, (user,))
            await respond(send, 200, encode([TaskOut(*row) for row in await cursor.fetchall()]))
        elif len(parts) == 4 and method == "POST":
            task = decode_task(await read_body(receive))
            now = datetime.now(UTC)
            row = (uuid.uuid4(), user, task.title.strip(), task.description, task.completed, now, now)
            await connection.execute(INSERT, row)
            location = f"/api/{user}/tasks/{row[0]}".encode()
            await respond(send, 201, encode(TaskOut(*row)), [*JSON, (b"location", location)])
        elif len(parts) == 5 and method == "GET":
            cursor = await connection.execute(GET, (user, uuid.UUID(parts[4])))
            row = await cursor.fetchone()
            await respond(send, 200, encode(TaskOut(*row))) if row else await respond(send, 404)
        elif len(parts) == 6 and method == "PATCH":
            cursor = await connection.execute(TOGGLE, (datetime.now(UTC), user, uuid.UUID(parts[4])))
            row = await cursor.fetchone()
            await respond(send, 200, encode(TaskOut(*row))) if row else await respond(send, 404)
        else:
            await respond(send, 404)
