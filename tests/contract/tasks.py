"""Tasks as a store keeps them, for the contract tests."""

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

from adapters.memory import InMemoryTaskStore
from adapters.sql.store import SqlTaskStore
from domain.task import Priority, Task

Store = InMemoryTaskStore | SqlTaskStore

T0 = datetime(2026, 5, 17, 8, 30, 15, 123456, tzinfo=UTC)
LATER = T0 + timedelta(minutes=3, microseconds=1)
HOSTILE = "Robert'); DROP TABLE tasks;-- <b>&amp;</b> %s %(owner)s \\ 🙂👩‍👩‍👧 \u202eעברית\n\ttab  "


_SAME_AS_UPDATED: Any = object()


def make_task(
    owner: str,
    title: str = "a task",
    description: str | None = None,
    completed: bool = False,
    created_at: datetime = T0,
    updated_at: datetime | None = None,
    priority: Priority = Priority.NONE,
    due_at: datetime | None = None,
    tags: list[str] | None = None,
    completed_at: datetime | None = _SAME_AS_UPDATED,
    version: int = 1,
) -> Task:
    """A task as a store keeps it; a completed one was completed when last updated unless said otherwise."""
    updated_at = updated_at or created_at
    if completed_at is _SAME_AS_UPDATED:
        completed_at = updated_at if completed else None
    return Task(
        uuid4(),
        owner,
        title,
        description,
        completed,
        created_at,
        updated_at,
        priority,
        due_at,
        list(tags or []),
        completed_at,
        version,
    )


async def added(store: Store, task: Task) -> Task:
    assert await store.add(task) == task
    return task


def is_utc(moment: datetime) -> bool:
    return moment.tzinfo is not None and moment.utcoffset() == timedelta(0)


DUE = datetime(2026, 7, 4, 16, 45, 30, 654321, tzinfo=UTC)
EVEN_LATER = LATER + timedelta(hours=2, microseconds=5)
