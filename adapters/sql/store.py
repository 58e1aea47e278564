"""The TaskStore on SQL: each operation is one statement, run by whichever `Database` drives the server."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from sqlalchemy.sql import Executable

from adapters.sql import statements as sql
from domain.task import Task, TaskContent

Row = Sequence[Any]


class Database(Protocol):
    """Runs one statement in its own transaction.

    Rows come back as tuples in the statement's column order, timestamps as aware UTC datetimes.
    """

    async def fetch_all(self, statement: Executable, params: dict[str, Any]) -> list[Row]: ...

    async def fetch_one(self, statement: Executable, params: dict[str, Any]) -> Row | None: ...

    async def execute(self, statement: Executable, params: dict[str, Any]) -> None: ...

    async def fetch_one_after(self, steps: Sequence[tuple[Executable, dict[str, Any]]]) -> Row | None:
        """Run the statements in order in one transaction; the first row of the last one."""
        ...

    async def open(self) -> None: ...

    async def close(self) -> None: ...


def _task(row: Row) -> Task:
    return Task(*row)


def _task_or_none(row: Row | None) -> Task | None:
    return None if row is None else _task(row)


class SqlTaskStore:
    def __init__(self, database: Database) -> None:
        self.database = database

    async def add(self, task: Task) -> None:
        await self.database.execute(
            sql.INSERT,
            {
                "id": task.id,
                "user_id": task.user_id,
                "title": task.title,
                "description": task.description,
                "completed": task.completed,
                "created_at": task.created_at,
                "updated_at": task.updated_at,
            },
        )

    async def list(self, user_id: str) -> list[Task]:
        rows = await self.database.fetch_all(sql.LIST, {"owner": user_id})
        return [_task(row) for row in rows]

    async def get(self, user_id: str, task_id: UUID) -> Task | None:
        return _task_or_none(await self.database.fetch_one(sql.GET, {"owner": user_id, "task_id": task_id}))

    async def replace(self, user_id: str, task_id: UUID, content: TaskContent, now: datetime) -> Task | None:
        params = {
            "owner": user_id,
            "task_id": task_id,
            "new_title": content.title,
            "new_description": content.description,
            "new_completed": content.completed,
            "now": now,
        }
        return _task_or_none(await self.database.fetch_one(sql.REPLACE, params))

    async def delete(self, user_id: str, task_id: UUID) -> bool:
        return await self.database.fetch_one(sql.DELETE, {"owner": user_id, "task_id": task_id}) is not None

    async def toggle_completion(self, user_id: str, task_id: UUID, now: datetime) -> Task | None:
        return _task_or_none(
            await self.database.fetch_one(sql.TOGGLE, {"owner": user_id, "task_id": task_id, "now": now})
        )

    async def set_completion(self, user_id: str, task_id: UUID, completed: bool, now: datetime) -> Task | None:
        params = {"owner": user_id, "task_id": task_id, "new_completed": completed, "now": now}
        return _task_or_none(await self.database.fetch_one(sql.SET_COMPLETION, params))

    async def ping(self) -> None:
        await self.database.fetch_one(sql.PING, {})

    async def open(self) -> None:
        await self.database.open()

    async def close(self) -> None:
        await self.database.close()
