"""The bare reference on SQLite: what Python's sqlite3 allows with the service's file, SQL and JSON.

A plain ASGI callable with one sqlite3 connection (WAL, `synchronous=FULL`: the service's
durability), msgspec, and the same SQL as the service's SQLite adapter. It serves just the four
routes the benchmark drives, with the same JSON, and nothing else: every statement runs on the
event loop, each write commits on its own. Run: uvicorn bench.reference_sqlite:app
"""

import json
import os
import sqlite3
import uuid
from datetime import UTC, datetime

import msgspec

from bench.reference import JSON, PAGE, PRIORITIES, TaskIn, TaskOut, read_body, respond

COLUMNS = (
    "id, user_id, title, description, completed, created_at, updated_at, priority, due_at, tags, completed_at, version"
)
LIST = f"SELECT {COLUMNS} FROM tasks WHERE user_id = ? ORDER BY created_at, id LIMIT ?"
GET = f"SELECT {COLUMNS} FROM tasks WHERE user_id = ? AND id = ?"
TOGGLE = (
    "UPDATE tasks SET completed = NOT completed, completed_at = CASE WHEN completed THEN NULL ELSE ? END, "
    f"updated_at = ?, version = version + 1 WHERE user_id = ? AND id = ? RETURNING {COLUMNS}"
)
INSERT = f"INSERT INTO tasks ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
STORED = "%Y-%m-%d %H:%M:%S.%f"  # how the service's SQLite adapter keeps a time (SQLAlchemy's format)

encode = msgspec.json.Encoder().encode
decode_task = msgspec.json.Decoder(TaskIn).decode
connection: sqlite3.Connection | None = None


def moment(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text).replace(tzinfo=UTC)


def task_out(row: tuple) -> TaskOut:
    id_, user, title, description, completed, created, updated, priority, due, tags, completed_at, _ = row
    return TaskOut(
        uuid.UUID(hex=id_),
        user,
        title,
        description,
        bool(completed),
        PRIORITIES[priority],
        moment(due),
        json.loads(tags),
        moment(completed_at),
        moment(created),  # type: ignore[arg-type]
        moment(updated),  # type: ignore[arg-type]
    )


def one_task(row: tuple) -> tuple[bytes, list[tuple[bytes, bytes]]]:
    return encode(task_out(row)), [*JSON, (b"etag", b'"%d"' % row[-1])]


def open_database() -> sqlite3.Connection:
    opened = sqlite3.connect(os.environ["DATABASE_URL"].removeprefix("sqlite:///"), isolation_level=None)
    opened.execute("PRAGMA journal_mode=WAL")
    opened.execute("PRAGMA synchronous=FULL")
    opened.execute("PRAGMA busy_timeout=10000")
    return opened


async def app(scope, receive, send) -> None:  # type: ignore[no-untyped-def]
    global connection
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                connection = open_database()
                await send({"type": "lifespan.startup.complete"})
            else:
                await send({"type": "lifespan.shutdown.complete"})
                return
    assert connection is not None
    parts = scope["path"].split("/")  # '', 'api', user, 'tasks'[, id[, 'complete']]
    method = scope["method"]
    user = parts[2]
    if len(parts) == 4 and method == "GET":
        rows = connection.execute(LIST, (user, PAGE)).fetchall()
        await respond(send, 200, encode([task_out(row) for row in rows]))
    elif len(parts) == 4 and method == "POST":
        task = decode_task(await read_body(receive))
        now = datetime.now(UTC).strftime(STORED)
        row = (
            uuid.uuid4().hex,
            user,
            task.title.strip(),
            task.description,
            int(task.completed),
            now,
            now,
            PRIORITIES.index(task.priority),
            None if task.due_at is None else task.due_at.astimezone(UTC).strftime(STORED),
            json.dumps(task.tags),
            now if task.completed else None,
            1,
        )
        connection.execute(INSERT, row)
        body, headers = one_task(row)
        location = f"/api/{user}/tasks/{uuid.UUID(hex=row[0])}".encode()
        await respond(send, 201, body, [*headers, (b"location", location)])
    elif len(parts) == 5 and method == "GET":
        row = connection.execute(GET, (user, uuid.UUID(parts[4]).hex)).fetchone()
        await respond(send, 200, *one_task(row)) if row else await respond(send, 404)
    elif len(parts) == 6 and method == "PATCH":
        now = datetime.now(UTC).strftime(STORED)
        row = connection.execute(TOGGLE, (now, now, user, uuid.UUID(parts[4]).hex)).fetchone()
        await respond(send, 200, *one_task(row)) if row else await respond(send, 404)
    else:
        await respond(send, 404)
