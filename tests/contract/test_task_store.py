from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import anyio
import pytest

from domain.task import Task, TaskContent

from .conftest import Store

pytestmark = pytest.mark.anyio

T0 = datetime(2026, 5, 17, 8, 30, 15, 123456, tzinfo=UTC)
LATER = T0 + timedelta(minutes=3, microseconds=1)
HOSTILE = "Robert'); DROP TABLE tasks;-- <b>&amp;</b> %s %(owner)s \\ 🙂👩‍👩‍👧 \u202eעברית\n\ttab  "


def make_task(
    owner: str,
    title: str = "a task",
    description: str | None = None,
    completed: bool = False,
    created_at: datetime = T0,
    updated_at: datetime | None = None,
) -> Task:
    return Task(uuid4(), owner, title, description, completed, created_at, updated_at or created_at)


async def added(store: Store, task: Task) -> Task:
    await store.add(task)
    return task


def is_utc(moment: datetime) -> bool:
    return moment.tzinfo is not None and moment.utcoffset() == timedelta(0)


ROUND_TRIPS = {
    "plain": {"title": "plain", "description": "described", "completed": False},
    "none-description": {"title": "no description", "description": None, "completed": True},
    "hostile": {"title": HOSTILE.strip(), "description": HOSTILE, "completed": True},
    "long": {"title": "t" * 200, "description": "d" * 1000, "completed": False},
    "long-emoji": {"title": "🙂" * 200, "description": "ü" * 1000, "completed": False},
}


@pytest.mark.parametrize("fields", ROUND_TRIPS.values(), ids=ROUND_TRIPS.keys())
async def test_add_then_get_round_trips_every_field(store: Store, owner: str, fields: dict[str, Any]) -> None:
    task = await added(store, make_task(owner, **fields, created_at=T0, updated_at=LATER))
    got = await store.get(owner, task.id)
    assert got == task
    assert (got.created_at.microsecond, got.updated_at.microsecond) == (123456, 123457)
    assert is_utc(got.created_at) and is_utc(got.updated_at)


async def test_round_trip_keeps_a_128_character_owner(store: Store, owner: str) -> None:
    long_owner = owner.ljust(128, "x")
    task = await added(store, make_task(long_owner))
    assert await store.get(long_owner, task.id) == task
    assert await store.get(owner, task.id) is None


@pytest.mark.parametrize("microsecond", [0, 1, 999999])
async def test_round_trip_keeps_microsecond_edges(store: Store, owner: str, microsecond: int) -> None:
    task = await added(store, make_task(owner, created_at=T0.replace(microsecond=microsecond)))
    got = await store.get(owner, task.id)
    assert got == task and got.created_at.microsecond == microsecond
    assert is_utc(got.created_at)


async def test_list_returns_only_the_owners_tasks_by_created_at_then_id(store: Store, owner: str, other: str) -> None:
    moments = [T0 + timedelta(microseconds=1), T0, T0 - timedelta(days=400), T0, T0 + timedelta(hours=1), T0]
    tasks = [await added(store, make_task(owner, f"task {n}", created_at=moment)) for n, moment in enumerate(moments)]
    await store.add(make_task(other, created_at=T0))
    assert await store.list(owner) == sorted(tasks, key=lambda task: (task.created_at, task.id))


async def test_list_of_an_owner_without_tasks_is_empty(store: Store, owner: str, other: str) -> None:
    await store.add(make_task(other))
    assert await store.list(owner) == []


async def test_list_returns_utc_timestamps(store: Store, owner: str) -> None:
    await store.add(make_task(owner))
    [task] = await store.list(owner)
    assert is_utc(task.created_at) and is_utc(task.updated_at)


Operation = Callable[[Store, str, UUID], Awaitable[object]]
OPERATIONS: dict[str, tuple[Operation, object]] = {
    "get": (lambda store, user, tid: store.get(user, tid), None),
    "replace": (lambda store, user, tid: store.replace(user, tid, TaskContent("x", "y", True), LATER), None),
    "delete": (lambda store, user, tid: store.delete(user, tid), False),
    "toggle_completion": (lambda store, user, tid: store.toggle_completion(user, tid, LATER), None),
    "set_completion": (lambda store, user, tid: store.set_completion(user, tid, True, LATER), None),
}


@pytest.mark.parametrize(("operation", "miss"), OPERATIONS.values(), ids=OPERATIONS.keys())
async def test_another_owner_cannot_reach_the_task(
    store: Store, owner: str, other: str, operation: Operation, miss: object
) -> None:
    task = await added(store, make_task(owner, "mine", "private"))
    assert await operation(store, other, task.id) is miss
    assert await store.get(owner, task.id) == task
    assert await store.list(other) == []


@pytest.mark.parametrize(("operation", "miss"), OPERATIONS.values(), ids=OPERATIONS.keys())
async def test_an_unknown_id_is_a_miss(store: Store, owner: str, operation: Operation, miss: object) -> None:
    task = await added(store, make_task(owner))
    assert await operation(store, owner, uuid4()) is miss
    assert await store.list(owner) == [task]


async def test_replace_sets_the_fields_and_updated_at_and_keeps_created_at(store: Store, owner: str) -> None:
    task = await added(store, make_task(owner, "old", "old description", completed=True))
    replaced = await store.replace(owner, task.id, TaskContent("new", None, False), LATER)
    assert replaced == Task(task.id, owner, "new", None, False, T0, LATER)
    assert await store.get(owner, task.id) == replaced


async def test_replace_can_set_every_field(store: Store, owner: str) -> None:
    task = await added(store, make_task(owner))
    replaced = await store.replace(owner, task.id, TaskContent(HOSTILE, "d" * 1000, True), LATER)
    assert replaced == Task(task.id, owner, HOSTILE, "d" * 1000, True, T0, LATER)
    assert await store.get(owner, task.id) == replaced


async def test_toggle_flips_completion_and_moves_updated_at(store: Store, owner: str) -> None:
    task = await added(store, make_task(owner))
    first = await store.toggle_completion(owner, task.id, LATER)
    assert (first.completed, first.created_at, first.updated_at) == (True, T0, LATER)
    even_later = LATER + timedelta(seconds=1)
    second = await store.toggle_completion(owner, task.id, even_later)
    assert (second.completed, second.updated_at) == (False, even_later)
    assert await store.get(owner, task.id) == second


async def test_set_completion_changes_the_value_and_moves_updated_at(store: Store, owner: str) -> None:
    task = await added(store, make_task(owner))
    done = await store.set_completion(owner, task.id, True, LATER)
    assert (done.completed, done.created_at, done.updated_at) == (True, T0, LATER)
    assert await store.get(owner, task.id) == done


@pytest.mark.parametrize("completed", [False, True])
async def test_set_completion_to_the_same_value_keeps_updated_at(store: Store, owner: str, completed: bool) -> None:
    task = await added(store, make_task(owner, completed=completed))
    assert await store.set_completion(owner, task.id, completed, LATER) == task
    assert await store.set_completion(owner, task.id, completed, LATER + timedelta(hours=1)) == task
    assert await store.get(owner, task.id) == task


async def test_delete_removes_only_that_task(store: Store, owner: str) -> None:
    doomed, kept = await added(store, make_task(owner)), await added(store, make_task(owner))
    assert await store.delete(owner, doomed.id) is True
    assert await store.get(owner, doomed.id) is None
    assert await store.delete(owner, doomed.id) is False
    assert await store.list(owner) == [kept]


async def test_ping_answers(store: Store) -> None:
    assert await store.ping() is None


async def test_concurrent_toggles_are_never_lost(store: Store, owner: str) -> None:
    task = await added(store, make_task(owner))
    results: list[bool] = []

    async def toggle(n: int) -> None:
        toggled = await store.toggle_completion(owner, task.id, LATER + timedelta(microseconds=n))
        results.append(toggled.completed)

    async with anyio.create_task_group() as group:
        for n in range(41):
            group.start_soon(toggle, n)
    assert (await store.get(owner, task.id)).completed is True
    assert (results.count(True), results.count(False)) == (21, 20)


async def test_concurrent_adds_all_land(store: Store, owner: str) -> None:
    tasks = [make_task(owner, f"task {n}", created_at=T0 + timedelta(microseconds=n)) for n in range(64)]
    async with anyio.create_task_group() as group:
        for task in tasks:
            group.start_soon(store.add, task)
    assert await store.list(owner) == tasks
