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

COLUMNS = (
    "id, user_id, title, description, completed, created_at, updated_at, priority, due_at, tags, completed_at, version"
)
LIST = f"SELECT {COLUMNS} FROM tasks WHERE user_id = %s ORDER BY created_at, id LIMIT %s"
GET = f"SELECT {COLUMNS} FROM tasks WHERE user_id = %s AND id = %s"
TOGGLE = (
    "UPDATE tasks SET completed = NOT completed, completed_at = CASE WHEN completed THEN NULL ELSE %s END, "
    f"updated_at = %s, version = version + 1 WHERE user_id = %s AND id = %s RETURNING {COLUMNS}"
)
INSERT = f"INSERT INTO tasks ({COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
PRIORITIES = ("none", "low", "medium", "high")
POOL_SIZE = int(os.environ.get("TODO_DB_POOL_SIZE", "10"))  # the service's setting, so both pool alike
PAGE = 101  # the service asks for one more task than its default page of 100, to know if more follow


class TaskIn(msgspec.Struct):
    title: str
    description: str | None = None
    completed: bool = False
    priority: str = "none"
    due_at: datetime | None = None
    tags: list[str] = []


class TaskOut(msgspec.Struct):
    id: uuid.UUID
    user_id: str
    title: str
    description: str | None
    completed: bool
    priority: str
    due_at: datetime | None
    tags: list[str]
    completed_at: datetime | None
    created_at: datetime
    updated_at: datetime


def task_out(row: tuple) -> TaskOut:
    id_, user, title, description, completed, created, updated, priority, due, tags, completed_at, _ = row
    return TaskOut(
        id_, user, title, description, completed, PRIORITIES[priority], due, tags, completed_at, created, updated
    )


def one_task(row: tuple) -> tuple[bytes, list[tuple[bytes, bytes]]]:
    return encode(task_out(row)), [*JSON, (b"etag", b'"%d"' % row[-1])]


async def in_utc(connection) -> None:  # type: ignore[no-untyped-def]
    await connection.execute("SET TIME ZONE 'UTC'")


pool = AsyncConnectionPool(
    os.environ["DATABASE_URL"],
    min_size=POOL_SIZE,
    max_size=POOL_SIZE,
    open=False,
    kwargs={"autocommit": True},
    configure=in_utc,
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
            cursor = await connection.execute(LIST, (user, PAGE))
            await respond(send, 200, encode([task_out(row) for row in await cursor.fetchall()]))
        elif len(parts) == 4 and method == "POST":
            task = decode_task(await read_body(receive))
            now = datetime.now(UTC)
            priority = PRIORITIES.index(task.priority)
            done_at = now if task.completed else None
            row = (
                uuid.uuid4(),
                user,
                task.title.strip(),
                task.description,
                task.completed,
                now,
                now,
                priority,
                task.due_at,
                task.tags,
                done_at,
                1,
            )
            await connection.execute(INSERT, row)
            body, headers = one_task(row)
            await respond(send, 201, body, [*headers, (b"location", f"/api/{user}/tasks/{row[0]}".encode())])
        elif len(parts) == 5 and method == "GET":
            cursor = await connection.execute(GET, (user, uuid.UUID(parts[4])))
            row = await cursor.fetchone()
            await respond(send, 200, *one_task(row)) if row else await respond(send, 404)
        elif len(parts) == 6 and method == "PATCH":
            now = datetime.now(UTC)
            cursor = await connection.execute(TOGGLE, (now, now, user, uuid.UUID(parts[4])))
            row = await cursor.fetchone()
            await respond(send, 200, *one_task(row)) if row else await respond(send, 404)
        else:
            await respond(send, 404)
