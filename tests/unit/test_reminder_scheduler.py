"""The reminder scheduler on the memory store: each reminder fires once, soon after its time."""

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from adapters.memory import InMemoryTaskStore
from application.reminders import ReminderScheduler
from application.tasks import TaskService
from domain.events import REMINDER_PROMISE, ChangeKind
from domain.task import TaskDraft

pytestmark = pytest.mark.anyio


async def test_two_schedulers_fire_each_reminder_once_soon_after_its_time() -> None:
    store = InMemoryTaskStore()
    tasks = TaskService(store)
    due = datetime.now(UTC) + timedelta(milliseconds=300)
    made = [await tasks.create("ann", draft=TaskDraft(f"t{n}", remind_at=due)) for n in range(20)]
    overdue = await tasks.create("ann", draft=TaskDraft("late", remind_at=due - timedelta(hours=1)))
    schedulers = [ReminderScheduler(store, poll_interval=0.05) for _ in range(2)]

    for scheduler in schedulers:
        await scheduler.start()
    await asyncio.sleep(0.3 + REMINDER_PROMISE.total_seconds())
    for scheduler in schedulers:
        await scheduler.stop()

    reminders = [e for e in (await store.changes("ann", after=0, limit=100)).events if e.kind is ChangeKind.REMINDER]
    assert sorted(e.task_id for e in reminders) == sorted(t.id for t in [*made, overdue])
    on_time = [e for e in reminders if e.task_id != overdue.id]
    assert all(timedelta(0) <= e.time - due < REMINDER_PROMISE for e in on_time)
    assert [e.late for e in reminders if e.task_id == overdue.id] == [True]
    assert not any(e.late for e in on_time)
    assert await store.next_reminder() is None
