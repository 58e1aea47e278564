"""Recurring tasks and reminders on every store: a successor made with the completion, never two; each
reminder fired once, however many schedulers ask."""

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from application.tasks import TaskService
from domain.events import ChangeKind
from domain.query import TaskFilter, TaskQuery
from domain.task import Task, TaskDraft

from .tasks import Store

pytestmark = pytest.mark.anyio

DUE = datetime(2026, 3, 23, 8, 0, tzinfo=UTC)  # 09:00 in Berlin, a Monday


def weekly(title: str = "stand-up", **fields: object) -> TaskDraft:
    return TaskDraft(title, due_at=DUE, recurrence="weekly", time_zone="Europe/Berlin", **fields)  # type: ignore[arg-type]


async def series_of(tasks: TaskService, owner: str) -> list[Task]:
    return (await tasks.list(owner, query=TaskQuery(TaskFilter(recurring=True), limit=500))).tasks


async def test_completing_a_recurring_task_adds_the_next_one_and_records_both_in_that_order(
    store: Store, owner: str
) -> None:
    tasks = TaskService(store)
    first = await tasks.create(owner, draft=weekly())

    completed = await tasks.toggle_completion(owner, task_id=str(first.id))

    successor_id = await tasks.next_occurrence(completed)
    assert completed.completed
    assert successor_id is not None
    successor = await tasks.get(owner, task_id=str(successor_id))
    # 09:00 in Berlin again, on summer time since 29 March.
    following = datetime(2026, 3, 30, 7, 0, tzinfo=UTC)
    assert (successor.previous_id, successor.completed, successor.due_at) == (first.id, False, following)
    assert (successor.recurrence, successor.time_zone, successor.title) == ("FREQ=WEEKLY", "Europe/Berlin", "stand-up")
    feed = (await store.changes(owner, after=0, limit=10)).events
    assert [(e.kind, e.task_id) for e in feed] == [
        (ChangeKind.CREATED, first.id),
        (ChangeKind.COMPLETED, first.id),
        (ChangeKind.CREATED, successor.id),
    ]


async def test_41_concurrent_completions_make_one_successor(store: Store, owner: str) -> None:
    tasks = TaskService(store)
    first = await tasks.create(owner, draft=weekly())

    async def complete(n: int) -> Task:
        if n % 2:
            return await tasks.set_completion(owner, task_id=str(first.id), completed=True)
        return await tasks.update(owner, task_id=str(first.id), changes={"completed": True})

    answers = await asyncio.gather(*(complete(n) for n in range(41)))

    assert {(a.completed, a.version) for a in answers} == {(True, 2)}
    assert [t.previous_id for t in await series_of(tasks, owner)] == [None, first.id]


async def test_reopening_and_completing_again_adds_no_second_successor(store: Store, owner: str) -> None:
    tasks = TaskService(store)
    first = await tasks.create(owner, draft=weekly())

    for _ in range(3):
        await tasks.toggle_completion(owner, task_id=str(first.id))  # completes
        await tasks.toggle_completion(owner, task_id=str(first.id))  # reopens
    await tasks.replace(owner, task_id=str(first.id), draft=weekly(completed=True))

    assert [t.previous_id for t in await series_of(tasks, owner)] == [None, first.id]


@pytest.mark.parametrize("rule", ["FREQ=WEEKLY;COUNT=1", "FREQ=WEEKLY;UNTIL=20260329T000000Z"])
async def test_a_series_that_has_ended_adds_no_successor(store: Store, owner: str, rule: str) -> None:
    tasks = TaskService(store)
    last = await tasks.create(owner, draft=TaskDraft("last", due_at=DUE, recurrence=rule))

    completed = await tasks.toggle_completion(owner, task_id=str(last.id))

    assert completed.completed
    assert await tasks.next_occurrence(completed) is None
    assert [t.id for t in await series_of(tasks, owner)] == [last.id]


async def test_the_recurring_filter_tells_the_series_from_the_rest(store: Store, owner: str) -> None:
    tasks = TaskService(store)
    once = await tasks.create(owner, draft=TaskDraft("once"))
    again = await tasks.create(owner, draft=weekly())

    found = {
        wanted: [t.id for t in (await tasks.list(owner, query=TaskQuery(TaskFilter(recurring=wanted)))).tasks]
        for wanted in (True, False)
    }

    assert found == {True: [again.id], False: [once.id]}


async def test_two_schedulers_fire_each_reminder_once(
    make_store: Callable[[], Store], store: Store, owner: str
) -> None:
    second = store if make_store().__class__.__name__ == "InMemoryTaskStore" else make_store()
    if second is not store:
        await second.open()
    tasks = TaskService(store)
    past = datetime.now(UTC) - timedelta(seconds=5)
    made = [
        await tasks.create(owner, draft=TaskDraft(f"t{n}", remind_at=past + timedelta(milliseconds=n)))
        for n in range(30)
    ]

    async def fire(on: Store) -> list[Task]:
        fired = []
        for _ in range(10):
            fired += [t for t in await on.fire_reminders(now=datetime.now(UTC), limit=4) if t.user_id == owner]
        return fired

    try:
        first_fired, second_fired = await asyncio.gather(fire(store), fire(second))
    finally:
        if second is not store:
            await second.close()

    ids = [t.id for t in first_fired + second_fired]
    assert sorted(ids) == sorted(t.id for t in made)
    assert all(t.reminded_at is not None for t in first_fired + second_fired)
    reminders = [e for e in (await store.changes(owner, after=0, limit=100)).events if e.kind is ChangeKind.REMINDER]
    assert sorted(e.task_id for e in reminders) == sorted(ids)
    assert {e.version for e in reminders} == {1}  # firing is not a change: the version stays


async def test_completing_or_deleting_cancels_a_reminder_and_moving_it_arms_it_again(store: Store, owner: str) -> None:
    tasks = TaskService(store)
    past = datetime.now(UTC) - timedelta(minutes=1)
    completed = await tasks.create(owner, draft=TaskDraft("done", remind_at=past))
    deleted = await tasks.create(owner, draft=TaskDraft("gone", remind_at=past))
    moved = await tasks.create(owner, draft=TaskDraft("moved", remind_at=past))
    await tasks.set_completion(owner, task_id=str(completed.id), completed=True)
    await tasks.delete(owner, task_id=str(deleted.id))

    first = [t.id for t in await store.fire_reminders(now=datetime.now(UTC), limit=500) if t.user_id == owner]
    await tasks.update(owner, task_id=str(moved.id), changes={"title": "retitled"})
    unmoved = [t.id for t in await store.fire_reminders(now=datetime.now(UTC), limit=500) if t.user_id == owner]
    await tasks.update(owner, task_id=str(moved.id), changes={"remind_at": past + timedelta(seconds=1)})
    again = [t.id for t in await store.fire_reminders(now=datetime.now(UTC), limit=500) if t.user_id == owner]

    assert (first, unmoved, again) == ([moved.id], [], [moved.id])


async def test_the_next_reminder_is_the_soonest_still_to_fire(store: Store, owner: str) -> None:
    tasks = TaskService(store)
    soon = datetime.now(UTC) + timedelta(days=3650)
    await tasks.create(owner, draft=TaskDraft("later", remind_at=soon + timedelta(hours=1)))
    await tasks.create(owner, draft=TaskDraft("sooner", remind_at=soon))

    following = await store.next_reminder()

    assert following is not None
    assert following <= soon
