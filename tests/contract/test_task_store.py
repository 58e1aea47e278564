"""Every TaskStore keeps, reads, changes and removes an owner's tasks alike."""

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import anyio
import pytest

from domain.task import Priority, Task, TaskContent

from .tasks import DUE, EVEN_LATER, HOSTILE, LATER, T0, Store, added, is_utc, make_task

pytestmark = pytest.mark.anyio


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
    got = await store.get(owner, task_id=task.id)
    assert got == task
    assert (got.created_at.microsecond, got.updated_at.microsecond) == (123456, 123457)
    assert is_utc(got.created_at)
    assert is_utc(got.updated_at)


async def test_priority_comes_back_as_a_priority_from_every_operation(store: Store, owner: str) -> None:
    task = await added(store, make_task(owner, priority=Priority.HIGH))
    replaced = await store.replace(owner, task_id=task.id, content=TaskContent("t", priority=Priority.LOW), now=LATER)
    toggled = await store.toggle_completion(owner, task_id=task.id, now=LATER)
    listed = await store.list(owner)
    got = await store.get(owner, task_id=task.id)
    assert replaced is not None
    assert toggled is not None
    assert got is not None
    for loaded in [replaced, toggled, got, *listed]:
        assert type(loaded.priority) is Priority, loaded
    assert (replaced.priority, got.priority) == (Priority.LOW, Priority.LOW)


async def test_round_trip_keeps_a_128_character_owner(store: Store, owner: str) -> None:
    long_owner = owner.ljust(128, "x")
    task = await added(store, make_task(long_owner))
    assert await store.get(long_owner, task_id=task.id) == task
    assert await store.get(owner, task_id=task.id) is None


@pytest.mark.parametrize("microsecond", [0, 1, 999999])
async def test_round_trip_keeps_microsecond_edges(store: Store, owner: str, microsecond: int) -> None:
    task = await added(store, make_task(owner, created_at=T0.replace(microsecond=microsecond)))
    got = await store.get(owner, task_id=task.id)
    assert got == task
    assert got.created_at.microsecond == microsecond
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
    assert is_utc(task.created_at)
    assert is_utc(task.updated_at)


Operation = Callable[[Store, str, UUID], Awaitable[object]]
OPERATIONS: dict[str, tuple[Operation, object]] = {
    "get": (lambda store, user, tid: store.get(user, task_id=tid), None),
    "replace": (
        lambda store, user, tid: store.replace(user, task_id=tid, content=TaskContent("x", "y", True), now=LATER),
        None,
    ),
    "delete": (lambda store, user, tid: store.delete(user, task_id=tid), False),
    "toggle_completion": (lambda store, user, tid: store.toggle_completion(user, task_id=tid, now=LATER), None),
    "set_completion": (
        lambda store, user, tid: store.set_completion(user, task_id=tid, completed=True, now=LATER),
        None,
    ),
}


@pytest.mark.parametrize(("operation", "miss"), OPERATIONS.values(), ids=OPERATIONS.keys())
async def test_another_owner_cannot_reach_the_task(
    store: Store, owner: str, other: str, operation: Operation, miss: object
) -> None:
    task = await added(store, make_task(owner, "mine", "private"))
    assert await operation(store, other, task.id) is miss
    assert await store.get(owner, task_id=task.id) == task
    assert await store.list(other) == []


@pytest.mark.parametrize(("operation", "miss"), OPERATIONS.values(), ids=OPERATIONS.keys())
async def test_an_unknown_id_is_a_miss(store: Store, owner: str, operation: Operation, miss: object) -> None:
    task = await added(store, make_task(owner))
    assert await operation(store, owner, uuid4()) is miss
    assert await store.list(owner) == [task]


async def test_replace_sets_the_fields_and_updated_at_and_keeps_created_at(store: Store, owner: str) -> None:
    task = await added(store, make_task(owner, "old", "old description", completed=True))
    replaced = await store.replace(owner, task_id=task.id, content=TaskContent("new", None, False), now=LATER)
    assert replaced == Task(task.id, owner, "new", None, False, T0, LATER, completed_at=None, version=2)
    assert await store.get(owner, task_id=task.id) == replaced


async def test_replace_can_set_every_field(store: Store, owner: str) -> None:
    task = await added(store, make_task(owner))
    replaced = await store.replace(owner, task_id=task.id, content=TaskContent(HOSTILE, "d" * 1000, True), now=LATER)
    assert replaced == Task(task.id, owner, HOSTILE, "d" * 1000, True, T0, LATER, completed_at=LATER, version=2)
    assert await store.get(owner, task_id=task.id) == replaced


async def test_toggle_flips_completion_and_moves_updated_at(store: Store, owner: str) -> None:
    task = await added(store, make_task(owner))
    first = await store.toggle_completion(owner, task_id=task.id, now=LATER)
    assert (first.completed, first.created_at, first.updated_at) == (True, T0, LATER)
    even_later = LATER + timedelta(seconds=1)
    second = await store.toggle_completion(owner, task_id=task.id, now=even_later)
    assert (second.completed, second.updated_at) == (False, even_later)
    assert await store.get(owner, task_id=task.id) == second


async def test_set_completion_changes_the_value_and_moves_updated_at(store: Store, owner: str) -> None:
    task = await added(store, make_task(owner))
    done = await store.set_completion(owner, task_id=task.id, completed=True, now=LATER)
    assert (done.completed, done.created_at, done.updated_at) == (True, T0, LATER)
    assert await store.get(owner, task_id=task.id) == done


@pytest.mark.parametrize("completed", [False, True])
async def test_set_completion_to_the_same_value_keeps_updated_at(store: Store, owner: str, completed: bool) -> None:
    task = await added(store, make_task(owner, completed=completed))
    assert await store.set_completion(owner, task_id=task.id, completed=completed, now=LATER) == task
    assert (
        await store.set_completion(owner, task_id=task.id, completed=completed, now=LATER + timedelta(hours=1)) == task
    )
    assert await store.get(owner, task_id=task.id) == task


async def test_delete_removes_only_that_task(store: Store, owner: str) -> None:
    doomed, kept = await added(store, make_task(owner)), await added(store, make_task(owner))
    assert await store.delete(owner, task_id=doomed.id) is True
    assert await store.get(owner, task_id=doomed.id) is None
    assert await store.delete(owner, task_id=doomed.id) is False
    assert await store.list(owner) == [kept]


async def test_ping_answers(store: Store) -> None:
    assert await store.ping() is None


async def test_concurrent_toggles_are_never_lost(store: Store, owner: str) -> None:
    task = await added(store, make_task(owner))
    results: list[bool] = []

    async def toggle(n: int) -> None:
        toggled = await store.toggle_completion(owner, task_id=task.id, now=LATER + timedelta(microseconds=n))
        results.append(toggled.completed)

    async with anyio.create_task_group() as group:
        for n in range(41):
            group.start_soon(toggle, n)
    assert (await store.get(owner, task_id=task.id)).completed is True
    assert (results.count(True), results.count(False)) == (21, 20)


async def test_concurrent_adds_all_land(store: Store, owner: str) -> None:
    tasks = [make_task(owner, f"task {n}", created_at=T0 + timedelta(microseconds=n)) for n in range(64)]
    async with anyio.create_task_group() as group:
        for task in tasks:
            group.start_soon(store.add, task)
    assert await store.list(owner) == tasks


# --- priority, due date, tags, completion time, version ----------------------------------------


FIELD_VALUES = {
    "defaults": {},
    "high-due-tagged": {"priority": Priority.HIGH, "due_at": DUE, "tags": ["work", "urgent"]},
    "each-priority-low": {"priority": Priority.LOW},
    "each-priority-medium": {"priority": Priority.MEDIUM, "due_at": DUE.replace(microsecond=0)},
    "twenty-long-tags": {"tags": [f"{n:02d}" + "t" * 38 for n in range(20)]},
    "hostile-tags": {"tags": ["Robert'); DROP TABLE tasks;--", '{"a": [1]}', "a,b", "🙂👩‍👩‍👧", "{}", "NULL", "'"]},
    "case-distinct-tags": {"tags": ["Home", "home", "HOME"]},
    "completed-earlier": {"completed": True, "completed_at": T0 + timedelta(seconds=1), "updated_at": LATER},
    "later-version": {"version": 41, "updated_at": LATER},
    "far-due": {"due_at": datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)},
    "early-due": {"due_at": datetime(1970, 1, 1, tzinfo=UTC)},
}


@pytest.mark.parametrize("fields", FIELD_VALUES.values(), ids=FIELD_VALUES.keys())
async def test_add_then_get_and_list_round_trip_every_field_value(
    store: Store, owner: str, fields: dict[str, Any]
) -> None:
    task = await added(store, make_task(owner, "rich", "described", **fields))

    got = await store.get(owner, task_id=task.id)

    assert got == task
    assert await store.list(owner) == [task]
    assert got.priority == task.priority
    assert Priority(got.priority) is Priority(task.priority)
    assert type(got.tags) is list
    assert got.tags == task.tags
    for moment in (got.due_at, got.completed_at):
        assert moment is None or is_utc(moment)


async def test_replace_sets_priority_due_and_tags_and_bumps_the_version(store: Store, owner: str) -> None:
    task = await added(store, make_task(owner, version=3))
    content = TaskContent("new", "d", False, Priority.HIGH, DUE, ("b", "a"))

    replaced = await store.replace(owner, task_id=task.id, content=content, now=LATER)

    assert replaced == Task(task.id, owner, "new", "d", False, T0, LATER, Priority.HIGH, DUE, ["b", "a"], None, 4)
    assert await store.get(owner, task_id=task.id) == replaced


async def test_replace_clears_due_tags_and_priority(store: Store, owner: str) -> None:
    task = await added(store, make_task(owner, priority=Priority.HIGH, due_at=DUE, tags=["x"]))

    replaced = await store.replace(owner, task_id=task.id, content=TaskContent("t"), now=LATER)

    assert (replaced.priority, replaced.due_at, replaced.tags, replaced.version) == (Priority.NONE, None, [], 2)
    assert await store.get(owner, task_id=task.id) == replaced


async def test_replace_with_the_same_content_still_bumps_version_and_updated_at(store: Store, owner: str) -> None:
    task = await added(store, make_task(owner, "same", "same", priority=Priority.LOW, tags=["a"]))

    replaced = await store.replace(owner, task_id=task.id, content=task.content, now=LATER)

    assert replaced.content == task.content
    assert (replaced.updated_at, replaced.version) == (LATER, 2)


COMPLETION_BY_REPLACE = {
    # (completed before, completed_at before, completed after): completed_at after
    "open to completed: now": (False, None, True, LATER),
    "completed stays completed: kept": (True, T0 + timedelta(seconds=1), True, T0 + timedelta(seconds=1)),
    "completed to open: cleared": (True, T0 + timedelta(seconds=1), False, None),
    "open stays open: none": (False, None, False, None),
}


@pytest.mark.parametrize(
    ("before", "completed_at", "after", "expected"), COMPLETION_BY_REPLACE.values(), ids=COMPLETION_BY_REPLACE.keys()
)
async def test_replace_keeps_sets_or_clears_completed_at(
    store: Store, owner: str, before: bool, completed_at: datetime | None, after: bool, expected: datetime | None
) -> None:
    task = await added(store, make_task(owner, completed=before, completed_at=completed_at, updated_at=T0))

    replaced = await store.replace(owner, task_id=task.id, content=TaskContent("t", completed=after), now=LATER)

    assert (replaced.completed, replaced.completed_at, replaced.updated_at) == (after, expected, LATER)
    assert (await store.get(owner, task_id=task.id)).completed_at == expected


async def test_toggle_sets_completed_at_then_clears_it_and_bumps_the_version_each_time(
    store: Store, owner: str
) -> None:
    task = await added(store, make_task(owner, priority=Priority.MEDIUM, due_at=DUE, tags=["k"]))

    done = await store.toggle_completion(owner, task_id=task.id, now=LATER)
    reopened = await store.toggle_completion(owner, task_id=task.id, now=EVEN_LATER)

    assert (done.completed, done.completed_at, done.updated_at, done.version) == (True, LATER, LATER, 2)
    assert (reopened.completed, reopened.completed_at, reopened.updated_at, reopened.version) == (
        False,
        None,
        EVEN_LATER,
        3,
    )
    assert (reopened.priority, reopened.due_at, reopened.tags) == (Priority.MEDIUM, DUE, ["k"])
    assert await store.get(owner, task_id=task.id) == reopened


async def test_set_completion_sets_then_clears_completed_at_and_bumps_the_version(store: Store, owner: str) -> None:
    task = await added(store, make_task(owner, version=5))

    done = await store.set_completion(owner, task_id=task.id, completed=True, now=LATER)
    reopened = await store.set_completion(owner, task_id=task.id, completed=False, now=EVEN_LATER)

    assert (done.completed, done.completed_at, done.version) == (True, LATER, 6)
    assert (reopened.completed, reopened.completed_at, reopened.updated_at, reopened.version) == (
        False,
        None,
        EVEN_LATER,
        7,
    )


@pytest.mark.parametrize("completed", [False, True])
async def test_a_no_op_set_completion_keeps_version_completed_at_and_updated_at(
    store: Store, owner: str, completed: bool
) -> None:
    task = await added(
        store,
        make_task(owner, completed=completed, completed_at=T0 if completed else None, updated_at=LATER, version=4),
    )

    assert await store.set_completion(owner, task_id=task.id, completed=completed, now=EVEN_LATER) == task
    assert (
        await store.set_completion(owner, task_id=task.id, completed=completed, now=EVEN_LATER, expected_version=4)
        == task
    )
    assert await store.get(owner, task_id=task.id) == task


async def test_every_changing_write_adds_one_to_the_version(store: Store, owner: str) -> None:
    task = await added(store, make_task(owner))
    moments = iter(LATER + timedelta(seconds=n) for n in range(10))
    writes: list[Callable[[], Awaitable[Task | None]]] = [
        lambda: store.replace(owner, task_id=task.id, content=TaskContent("a"), now=next(moments)),
        lambda: store.toggle_completion(owner, task_id=task.id, now=next(moments)),
        lambda: store.set_completion(
            owner, task_id=task.id, completed=True, now=next(moments)
        ),  # no change: no new version
        lambda: store.set_completion(owner, task_id=task.id, completed=False, now=next(moments)),
        lambda: store.replace(owner, task_id=task.id, content=TaskContent("a", completed=True), now=next(moments)),
        lambda: store.toggle_completion(owner, task_id=task.id, now=next(moments)),
    ]

    versions = [(await write()).version for write in writes]

    assert versions == [2, 3, 3, 4, 5, 6]
    assert (await store.get(owner, task_id=task.id)).version == 6
