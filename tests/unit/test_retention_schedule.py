"""The retention schedule runs passes in the background and survives a failing one."""

import asyncio
from datetime import timedelta

import pytest

from adapters.memory import InMemoryTaskStore
from application.events import TaskEvents
from application.tasks import TaskService
from domain.task import TaskDraft, utc_now
from entrypoints.retention import RetentionSchedule

pytestmark = pytest.mark.anyio


async def test_passes_remove_expired_events_in_the_background() -> None:
    store = InMemoryTaskStore()
    tasks = TaskService(store)
    task = await tasks.create("ann", draft=TaskDraft("t"))
    await tasks.toggle_completion("ann", task_id=str(task.id))
    events = TaskEvents(store, clock=lambda: utc_now() + timedelta(days=31))
    schedule = RetentionSchedule(events, interval=0.01)
    await schedule.start()
    await asyncio.sleep(0.1)
    await schedule.stop()
    assert [e.version for e in (await store.changes("ann", after=0, limit=10)).events] == [2]


async def test_a_failing_pass_is_logged_and_the_next_one_runs(caplog: pytest.LogCaptureFixture) -> None:
    calls = 0

    class Failing(TaskEvents):
        async def prune(self) -> int:
            nonlocal calls
            calls += 1
            raise RuntimeError("the store fell over")

    schedule = RetentionSchedule(Failing(InMemoryTaskStore()), interval=0.01)
    await schedule.start()
    await asyncio.sleep(0.1)
    await schedule.stop()
    assert calls >= 2
    assert "event retention pass failed" in caplog.text
