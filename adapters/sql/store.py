"""The TaskStore on SQL: each operation is one statement (idempotent creation, one transaction),
run by whichever `Database` drives the server."""

import builtins  # `list` names the store's listing method inside the class
import operator
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

import msgspec
from sqlalchemy.sql import Executable

from adapters.sql import statements as sql
from adapters.sql.schema import tasks
from domain.errors import IdempotencyKeyReused
from domain.events import ChangeKind, FeedBounds, FeedPage, TaskEvent
from domain.query import FIRST_PAGE, TaskFilter, TaskQuery
from domain.task import EDITABLE_FIELDS, IDEMPOTENCY_KEY_LIFETIME, Priority, Task, TaskContent

Row = Sequence[Any]
NO_FILTER = TaskFilter()
FILTER_NAMES = frozenset(sql.FILTERS)


class Database(Protocol):
    """Runs statements, each in its own transaction unless said otherwise.

    Rows come back as tuples in the statement's column order, timestamps as aware UTC datetimes.
    """

    async def fetch_all(self, statement: Executable, params: dict[str, Any]) -> list[Row]: ...

    async def fetch_one(self, statement: Executable, params: dict[str, Any]) -> Row | None: ...

    async def execute(self, statement: Executable, params: dict[str, Any]) -> None: ...

    async def fetch_all_after(self, steps: Sequence[tuple[Executable, dict[str, Any]]]) -> list[Row]:
        """Run the statements in order in one transaction; the rows of the last one."""
        ...

    async def fetch_each(self, steps: Sequence[tuple[Executable, dict[str, Any]]]) -> list[list[Row]]:
        """Run the statements in order in one transaction; the rows of each."""
        ...

    async def open(self) -> None: ...

    async def close(self) -> None: ...


_PRIORITIES = tuple(Priority)  # by number


def _task(row: Row) -> Task:
    # A Task is a value (domain/task.py): this is the one place that changes one, the moment it is
    # built, before anyone else can see it.
    task = Task(*row)
    # The column holds the number; an index is cheaper than a driver-level loader or an enum call
    # per row (`bash bench/run.sh`, get; docs/performance.md).
    task.priority = _PRIORITIES[task.priority]
    return task


def _task_or_none(row: Row | None) -> Task | None:
    return None if row is None else _task(row)


_VERSION = list(Task.__dataclass_fields__).index("version")


def event_from_row(row: Row) -> TaskEvent:
    position, kind, time, *task = row
    kind = ChangeKind(kind)
    snapshot = None if kind is ChangeKind.DELETED else _task(task)
    return TaskEvent(position, kind, task[1], task[0], task[_VERSION], time, snapshot)


def _feed_page(rows: Sequence[Row]) -> FeedPage:
    """A page of `CHANGES`: each row holds the feed's bounds, then an event (NULL when there is none)."""
    if not rows:
        return FeedPage([], FeedBounds())
    return FeedPage([event_from_row(row[2:]) for row in rows if row[2] is not None], FeedBounds(*rows[0][:2]))


def _columns(task: Task, prefix: str = "") -> dict[str, Any]:
    """The task's values by column name (the columns are named after the Task's fields)."""
    names = _TASK_COLUMNS if not prefix else [prefix + name for name in _TASK_COLUMNS]
    return dict(zip(names, _column_values(task), strict=True))


_TASK_COLUMNS = [column.name for column in tasks.c]
_column_values = operator.attrgetter(*_TASK_COLUMNS)  # one call for all of them


def _content_params(
    owner: str, task_id: UUID, content: TaskContent, now: datetime, expected_version: int | None
) -> dict[str, Any]:
    """The parameters of a write of the editable fields (`new_title`...)."""
    params = {"owner": owner, "task_id": task_id, "expected_version": expected_version, "now": now}
    params |= {f"new_{name}": getattr(content, name) for name in EDITABLE_FIELDS}
    params["new_tags"] = list(content.tags)
    return params


def _like_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class SqlTaskStore:
    def __init__(self, database: Database, dialect: str) -> None:
        self.database = database
        self.dialect = dialect

    async def add(self, task: Task, *, idempotency_key: str | None = None, fingerprint: str = "") -> Task:
        if idempotency_key is None:
            await self.database.execute(sql.INSERT, _columns(task))
            return task
        key = {"owner": task.user_id, "key": idempotency_key}
        recorded = await self.database.fetch_all_after(
            [
                (
                    sql.PURGE_EXPIRED_KEYS,
                    {"owner": task.user_id, "expired_before": task.created_at - IDEMPOTENCY_KEY_LIFETIME},
                ),
                (
                    sql.record_key(self.dialect),
                    {
                        "user_id": task.user_id,
                        "key": idempotency_key,
                        "fingerprint": fingerprint,
                        "task_id": task.id,
                        "task": msgspec.json.encode(task).decode(),
                        "created_at": task.created_at,
                    },
                ),
                (sql.INSERT_IF_KEY_IS_OURS, key | _columns(task, "new_")),
                (sql.RECORDED_KEY, key),
            ]
        )
        recorded_fingerprint, recorded_task = recorded[0]  # the key row is there, ours or the first request's
        if recorded_fingerprint != fingerprint:
            raise IdempotencyKeyReused(idempotency_key)
        return msgspec.json.decode(recorded_task, type=Task)

    async def list(self, owner: str, *, query: TaskQuery = FIRST_PAGE) -> list[Task]:
        params: dict[str, Any] = {"owner": owner, "limit": query.limit}
        filters: frozenset[str] = frozenset()
        if query.filter != NO_FILTER:
            params |= {name: value for name in sql.FILTERS if (value := getattr(query.filter, name)) is not None}
            filters = frozenset(params) & FILTER_NAMES
            if "text" in params:
                params["pattern"] = _like_pattern(params.pop("text"))
        after = None
        if query.after is not None:
            after = "value" if query.after.value is not None else "null"
            params |= {"after_value": query.after.value, "after_id": query.after.id}
        statement = sql.list_tasks(self.dialect, filters, query.sort, query.descending, after)
        return [_task(row) for row in await self.database.fetch_all(statement, params)]

    async def get(self, owner: str, *, task_id: UUID) -> Task | None:
        return _task_or_none(await self.database.fetch_one(sql.GET, {"owner": owner, "task_id": task_id}))

    async def replace(
        self, owner: str, *, task_id: UUID, content: TaskContent, now: datetime, expected_version: int | None = None
    ) -> Task | None:
        params = _content_params(owner, task_id, content, now, expected_version)
        return _task_or_none(await self.database.fetch_one(sql.REPLACE, params))

    async def complete_in_series(
        self,
        owner: str,
        *,
        task_id: UUID,
        content: TaskContent,
        now: datetime,
        expected_version: int,
        successor: Task | None,
    ) -> Task | None:
        params = _content_params(owner, task_id, content, now, expected_version)
        steps: builtins.list[tuple[Executable, dict[str, Any]]] = [(sql.COMPLETE_IN_SERIES, params)]
        if successor is not None:
            steps.append(
                (sql.add_successor(self.dialect), {"owner": owner, "task_id": task_id} | _columns(successor, "new_"))
            )
        completed, *_ = await self.database.fetch_each(steps)
        return _task(completed[0]) if completed else None

    async def successor_id(self, owner: str, *, task_id: UUID) -> UUID | None:
        row = await self.database.fetch_one(sql.SUCCESSOR, {"owner": owner, "task_id": task_id})
        return None if row is None else row[0]

    async def fire_reminders(self, *, now: datetime, limit: int) -> builtins.list[Task]:
        return [_task(row) for row in await self.database.fetch_all(sql.FIRE_REMINDERS, {"now": now, "limit": limit})]

    async def next_reminder(self) -> datetime | None:
        row = await self.database.fetch_one(sql.NEXT_REMINDER, {})
        return None if row is None else row[0]

    async def delete(self, owner: str, *, task_id: UUID, expected_version: int | None = None) -> bool:
        params = {"owner": owner, "task_id": task_id, "expected_version": expected_version}
        return await self.database.fetch_one(sql.DELETE, params) is not None

    async def toggle_completion(
        self, owner: str, *, task_id: UUID, now: datetime, expected_version: int | None = None
    ) -> Task | None:
        params = {"owner": owner, "task_id": task_id, "expected_version": expected_version, "now": now}
        return _task_or_none(await self.database.fetch_one(sql.TOGGLE, params))

    async def set_completion(
        self, owner: str, *, task_id: UUID, completed: bool, now: datetime, expected_version: int | None = None
    ) -> Task | None:
        params = {
            "owner": owner,
            "task_id": task_id,
            "expected_version": expected_version,
            "new_completed": completed,
            "now": now,
        }
        return _task_or_none(await self.database.fetch_one(sql.SET_COMPLETION, params))

    async def changes(self, owner: str, *, after: int, limit: int) -> FeedPage:
        return _feed_page(await self.database.fetch_all(sql.CHANGES, {"owner": owner, "after": after, "limit": limit}))

    async def history(self, owner: str, *, task_id: UUID, after: int, limit: int) -> builtins.list[TaskEvent]:
        params = {"owner": owner, "task_id": task_id, "after": after, "limit": limit}
        return [event_from_row(row) for row in await self.database.fetch_all(sql.HISTORY, params)]

    async def latest_positions(self, owners: Collection[str]) -> dict[str, int]:
        rows = await self.database.fetch_all(sql.latest_positions(self.dialect), {"owners": list(owners)})
        return dict(rows)  # type: ignore[arg-type]

    async def feed_owners(self, *, after: str, limit: int) -> builtins.list[str]:
        return [owner for (owner,) in await self.database.fetch_all(sql.FEED_OWNERS, {"after": after, "limit": limit})]

    async def prune_events(self, owner: str, *, recorded_before: datetime, limit: int) -> int:
        expired = {"owner": owner, "before": recorded_before}
        row = await self.database.fetch_one(sql.LAST_OF_EXPIRED_BATCH, expired | {"limit": limit})
        if row is None or row[0] is None:
            return 0
        through = expired | {"through": row[0]}
        removed = await self.database.fetch_all_after(
            [(sql.RAISE_PRUNED_THROUGH, through), (sql.DELETE_EXPIRED, through)]
        )
        return len(removed)

    async def ping(self) -> None:
        await self.database.fetch_one(sql.PING, {})

    async def open(self) -> None:
        await self.database.open()

    async def close(self) -> None:
        await self.database.close()
