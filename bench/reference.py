"""The bare reference the benchmark measures the service against: the practical ceiling for Python.

A plain ASGI callable, a psycopg async pool, msgspec, and the same SQL as the service's Postgres
adapter. It serves just the four routes the benchmark drives, with the same JSON, and nothing else:
no framework, no layers, no error handling beyond 404. Run: uvicorn bench.reference:app

Its statements live in `PostgresTasks`, which the Litestar floor (bench/reference_litestar.py)
serves too, so that the two differ only in what carries the requests.
"""

import os
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Protocol

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


async def in_utc(connection) -> None:  # type: ignore[no-untyped-def]
    await connection.execute("SET TIME ZONE 'UTC'")


encode = msgspec.json.Encoder().encode
decode_task = msgspec.json.Decoder(TaskIn).decode
JSON = [(b"content-type", b"application/json")]
Row = tuple


class PostgresTasks:
    """The reference's four statements on a psycopg async pool, each row as the database gives it;
    the bare reference and the Litestar floor (bench/reference_litestar.py) both serve them."""

    def __init__(self, url: str) -> None:
        self.pool = AsyncConnectionPool(
            url, min_size=POOL_SIZE, max_size=POOL_SIZE, open=False, kwargs={"autocommit": True}, configure=in_utc
        )

    async def open(self) -> None:
        await self.pool.open()

    async def close(self) -> None:
        await self.pool.close()

    async def list(self, user: str) -> list[Row]:
        async with self.pool.connection() as connection:
            return await (await connection.execute(LIST, (user, PAGE))).fetchall()

    async def get(self, user: str, task_id: uuid.UUID) -> Row | None:
        async with self.pool.connection() as connection:
            return await (await connection.execute(GET, (user, task_id))).fetchone()

    async def toggle(self, user: str, task_id: uuid.UUID) -> Row | None:
        now = datetime.now(UTC)
        async with self.pool.connection() as connection:
            return await (await connection.execute(TOGGLE, (now, now, user, task_id))).fetchone()

    async def create(self, user: str, task: TaskIn) -> Row:
        now = datetime.now(UTC)
        done_at = now if task.completed else None
        first = (uuid.uuid4(), user, task.title.strip(), task.description, task.completed, now, now)
        row = (*first, PRIORITIES.index(task.priority), task.due_at, task.tags, done_at, 1)
        async with self.pool.connection() as connection:
            await connection.execute(INSERT, row)
        return row


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


class Tasks(Protocol):
    async def open(self) -> None: ...
    async def close(self) -> None: ...
    async def list(self, user: str) -> list[Row]: ...
    async def get(self, user: str, task_id: uuid.UUID) -> Row | None: ...
    async def toggle(self, user: str, task_id: uuid.UUID) -> Row | None: ...
    async def create(self, user: str, task: TaskIn) -> Row: ...


def bare_app(tasks: Tasks, task_out: Callable[[Row], TaskOut]):  # type: ignore[no-untyped-def]
    """The four routes as a plain ASGI callable."""

    def one_task(row: Row) -> tuple[bytes, list[tuple[bytes, bytes]]]:
        return encode(task_out(row)), [*JSON, (b"etag", b'"%d"' % row[-1])]

    async def app(scope, receive, send) -> None:  # type: ignore[no-untyped-def]
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await tasks.open()
                    await send({"type": "lifespan.startup.complete"})
                else:
                    await tasks.close()
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        parts = scope["path"].split("/")  # '', 'api', user, 'tasks'[, id[, 'complete']]
        method = scope["method"]
        user = parts[2]
        if len(parts) == 4 and method == "GET":
            await respond(send, 200, encode([task_out(row) for row in await tasks.list(user)]))
        elif len(parts) == 4 and method == "POST":
            row = await tasks.create(user, decode_task(await read_body(receive)))
            body, headers = one_task(row)
            location = f"/api/{user}/tasks/{task_out(row).id}".encode()
            await respond(send, 201, body, [*headers, (b"location", location)])
        elif len(parts) == 5 and method == "GET":
            found = await tasks.get(user, uuid.UUID(parts[4]))
            await respond(send, 200, *one_task(found)) if found else await respond(send, 404)
        elif len(parts) == 6 and method == "PATCH":
            toggled = await tasks.toggle(user, uuid.UUID(parts[4]))
            await respond(send, 200, *one_task(toggled)) if toggled else await respond(send, 404)
        else:
            await respond(send, 404)

    return app


app = bare_app(PostgresTasks(os.environ["DATABASE_URL"]), task_out)
