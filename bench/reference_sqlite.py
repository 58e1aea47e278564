"""The bare reference on SQLite: what Python's sqlite3 allows with the service's file, SQL and JSON.

A plain ASGI callable with one sqlite3 connection (WAL, `synchronous=FULL`: the service's
durability), msgspec, and the same SQL as the service's SQLite adapter. It serves just the four
routes the benchmark drives, with the same JSON, and nothing else: every statement runs on the
event loop, each write commits on its own. Run: uvicorn bench.reference_sqlite:app

Its statements live in `SqliteTasks`, which the Litestar floor (bench/reference_litestar.py) serves
too.
"""

import json
import os
import sqlite3
import uuid
from datetime import UTC, datetime

from bench.reference import PAGE, PRIORITIES, TaskIn, TaskOut, bare_app

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


class SqliteTasks:
    """The four statements on one sqlite3 connection, run on the event loop; what the bare reference
    and the Litestar floor (bench/reference_litestar.py) serve on SQLite."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.connection: sqlite3.Connection | None = None

    async def open(self) -> None:
        self.connection = sqlite3.connect(self.path, isolation_level=None)
        self.connection.execute("PRAGMA journal_mode=WAL")
        self.connection.execute("PRAGMA synchronous=FULL")
        self.connection.execute("PRAGMA busy_timeout=10000")

    async def close(self) -> None:
        if self.connection is not None:
            self.connection.close()

    def _run(self, statement: str, parameters: tuple) -> sqlite3.Cursor:
        assert self.connection is not None
        return self.connection.execute(statement, parameters)

    async def list(self, user: str) -> list[tuple]:
        return self._run(LIST, (user, PAGE)).fetchall()

    async def get(self, user: str, task_id: uuid.UUID) -> tuple | None:
        return self._run(GET, (user, task_id.hex)).fetchone()

    async def toggle(self, user: str, task_id: uuid.UUID) -> tuple | None:
        now = datetime.now(UTC).strftime(STORED)
        return self._run(TOGGLE, (now, now, user, task_id.hex)).fetchone()

    async def create(self, user: str, task: TaskIn) -> tuple:
        now = datetime.now(UTC).strftime(STORED)
        due = None if task.due_at is None else task.due_at.astimezone(UTC).strftime(STORED)
        done_at = now if task.completed else None
        first = (uuid.uuid4().hex, user, task.title.strip(), task.description, int(task.completed), now, now)
        row = (*first, PRIORITIES.index(task.priority), due, json.dumps(task.tags), done_at, 1)
        self._run(INSERT, row)
        return row


app = bare_app(SqliteTasks(os.environ["DATABASE_URL"].removeprefix("sqlite:///")), task_out)
