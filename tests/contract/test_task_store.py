import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import replace as replace_task
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import anyio
import pytest

from domain.errors import IdempotencyKeyReused
from domain.task import Priority, Task, TaskContent

from .conftest import Store

pytestmark = pytest.mark.anyio

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


async def test_priority_comes_back_as_a_priority_from_every_operation(store: Store, owner: str) -> None:
    task = await added(store, make_task(owner, priority=Priority.HIGH))
    replaced = await store.replace(owner, task.id, TaskContent("t", priority=Priority.LOW), LATER)
    toggled = await store.toggle_completion(owner, task.id, LATER)
    listed = await store.list(owner)
    got = await store.get(owner, task.id)
    assert replaced is not None and toggled is not None and got is not None
    for loaded in [replaced, toggled, got, *listed]:
        assert type(loaded.priority) is Priority, loaded
    assert (replaced.priority, got.priority) == (Priority.LOW, Priority.LOW)


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
    assert replaced == Task(task.id, owner, "new", None, False, T0, LATER, completed_at=None, version=2)
    assert await store.get(owner, task.id) == replaced


async def test_replace_can_set_every_field(store: Store, owner: str) -> None:
    task = await added(store, make_task(owner))
    replaced = await store.replace(owner, task.id, TaskContent(HOSTILE, "d" * 1000, True), LATER)
    assert replaced == Task(task.id, owner, HOSTILE, "d" * 1000, True, T0, LATER, completed_at=LATER, version=2)
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


# --- the richer task: priority, due date, tags, completion time, version -------------------------

DUE = datetime(2026, 7, 4, 16, 45, 30, 654321, tzinfo=UTC)
EVEN_LATER = LATER + timedelta(hours=2, microseconds=5)

NEW_FIELDS = {
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


@pytest.mark.parametrize("fields", NEW_FIELDS.values(), ids=NEW_FIELDS.keys())
async def test_add_then_get_and_list_round_trip_the_new_fields(
    store: Store, owner: str, fields: dict[str, Any]
) -> None:
    task = await added(store, make_task(owner, "rich", "described", **fields))

    got = await store.get(owner, task.id)

    assert got == task
    assert await store.list(owner) == [task]
    assert got.priority == task.priority and Priority(got.priority) is Priority(task.priority)
    assert type(got.tags) is list and got.tags == task.tags
    for moment in (got.due_at, got.completed_at):
        assert moment is None or is_utc(moment)


async def test_replace_sets_priority_due_and_tags_and_bumps_the_version(store: Store, owner: str) -> None:
    task = await added(store, make_task(owner, version=3))
    content = TaskContent("new", "d", False, Priority.HIGH, DUE, ("b", "a"))

    replaced = await store.replace(owner, task.id, content, LATER)

    assert replaced == Task(task.id, owner, "new", "d", False, T0, LATER, Priority.HIGH, DUE, ["b", "a"], None, 4)
    assert await store.get(owner, task.id) == replaced


async def test_replace_clears_due_tags_and_priority(store: Store, owner: str) -> None:
    task = await added(store, make_task(owner, priority=Priority.HIGH, due_at=DUE, tags=["x"]))

    replaced = await store.replace(owner, task.id, TaskContent("t"), LATER)

    assert (replaced.priority, replaced.due_at, replaced.tags, replaced.version) == (Priority.NONE, None, [], 2)
    assert await store.get(owner, task.id) == replaced


async def test_replace_with_the_same_content_still_bumps_version_and_updated_at(store: Store, owner: str) -> None:
    task = await added(store, make_task(owner, "same", "same", priority=Priority.LOW, tags=["a"]))

    replaced = await store.replace(owner, task.id, task.content, LATER)

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

    replaced = await store.replace(owner, task.id, TaskContent("t", completed=after), LATER)

    assert (replaced.completed, replaced.completed_at, replaced.updated_at) == (after, expected, LATER)
    assert (await store.get(owner, task.id)).completed_at == expected


async def test_toggle_sets_completed_at_then_clears_it_and_bumps_the_version_each_time(
    store: Store, owner: str
) -> None:
    task = await added(store, make_task(owner, priority=Priority.MEDIUM, due_at=DUE, tags=["k"]))

    done = await store.toggle_completion(owner, task.id, LATER)
    reopened = await store.toggle_completion(owner, task.id, EVEN_LATER)

    assert (done.completed, done.completed_at, done.updated_at, done.version) == (True, LATER, LATER, 2)
    assert (reopened.completed, reopened.completed_at, reopened.updated_at, reopened.version) == (
        False,
        None,
        EVEN_LATER,
        3,
    )
    assert (reopened.priority, reopened.due_at, reopened.tags) == (Priority.MEDIUM, DUE, ["k"])
    assert await store.get(owner, task.id) == reopened


async def test_set_completion_sets_then_clears_completed_at_and_bumps_the_version(store: Store, owner: str) -> None:
    task = await added(store, make_task(owner, version=5))

    done = await store.set_completion(owner, task.id, True, LATER)
    reopened = await store.set_completion(owner, task.id, False, EVEN_LATER)

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

    assert await store.set_completion(owner, task.id, completed, EVEN_LATER) == task
    assert await store.set_completion(owner, task.id, completed, EVEN_LATER, expected_version=4) == task
    assert await store.get(owner, task.id) == task


async def test_every_changing_write_adds_one_to_the_version(store: Store, owner: str) -> None:
    task = await added(store, make_task(owner))
    moments = iter(LATER + timedelta(seconds=n) for n in range(10))
    writes = [
        lambda: store.replace(owner, task.id, TaskContent("a"), next(moments)),
        lambda: store.toggle_completion(owner, task.id, next(moments)),
        lambda: store.set_completion(owner, task.id, True, next(moments)),  # no change: no new version
        lambda: store.set_completion(owner, task.id, False, next(moments)),
        lambda: store.replace(owner, task.id, TaskContent("a", completed=True), next(moments)),
        lambda: store.toggle_completion(owner, task.id, next(moments)),
    ]

    versions = [(await write()).version for write in writes]

    assert versions == [2, 3, 3, 4, 5, 6]
    assert (await store.get(owner, task.id)).version == 6


# --- conditional writes: expected_version ----------------------------------------------------

CONDITIONAL: dict[str, tuple[Callable[[Store, str, UUID, int | None], Awaitable[object]], object]] = {
    "replace": (
        lambda store, user, tid, v: store.replace(user, tid, TaskContent("x", "y", True, Priority.LOW), LATER, v),
        None,
    ),
    "delete": (lambda store, user, tid, v: store.delete(user, tid, v), False),
    "toggle_completion": (lambda store, user, tid, v: store.toggle_completion(user, tid, LATER, v), None),
    "set_completion": (lambda store, user, tid, v: store.set_completion(user, tid, True, LATER, v), None),
}


@pytest.mark.parametrize(("operation", "miss"), CONDITIONAL.values(), ids=CONDITIONAL.keys())
async def test_a_conditional_write_at_the_current_version_happens(
    store: Store, owner: str, operation: Callable[..., Awaitable[object]], miss: object
) -> None:
    task = await added(store, make_task(owner, "mine", version=7))

    result = await operation(store, owner, task.id, 7)

    assert result is not miss
    after = await store.get(owner, task.id)
    if result is True:  # delete
        assert after is None
    else:
        assert result == after
        assert (after.version, after.updated_at, after.completed) == (8, LATER, True)


@pytest.mark.parametrize("wrong", [6, 8, 1, 0, -1], ids=["older", "newer", "first", "zero", "negative"])
@pytest.mark.parametrize(("operation", "miss"), CONDITIONAL.values(), ids=CONDITIONAL.keys())
async def test_a_conditional_write_at_another_version_misses_and_changes_nothing(
    store: Store, owner: str, operation: Callable[..., Awaitable[object]], miss: object, wrong: int
) -> None:
    task = await added(store, make_task(owner, "mine", version=7))

    assert await operation(store, owner, task.id, wrong) is miss

    assert await store.get(owner, task.id) == task
    assert await store.list(owner) == [task]


@pytest.mark.parametrize(("operation", "miss"), CONDITIONAL.values(), ids=CONDITIONAL.keys())
async def test_a_conditional_write_on_a_missing_task_misses(
    store: Store, owner: str, operation: Callable[..., Awaitable[object]], miss: object
) -> None:
    task = await added(store, make_task(owner))

    assert await operation(store, owner, uuid4(), 1) is miss
    assert await store.list(owner) == [task]


@pytest.mark.parametrize(("operation", "miss"), CONDITIONAL.values(), ids=CONDITIONAL.keys())
async def test_another_owner_misses_even_at_the_right_version(
    store: Store, owner: str, other: str, operation: Callable[..., Awaitable[object]], miss: object
) -> None:
    task = await added(store, make_task(owner, "mine", "private", priority=Priority.HIGH, tags=["t"], version=3))

    assert await operation(store, other, task.id, 3) is miss
    assert await operation(store, other, task.id, None) is miss

    assert await store.get(owner, task.id) == task
    assert await store.get(other, task.id) is None


async def test_the_second_of_two_writes_at_the_same_version_misses(store: Store, owner: str) -> None:
    task = await added(store, make_task(owner))

    first = await store.replace(owner, task.id, TaskContent("first"), LATER, 1)
    second = await store.replace(owner, task.id, TaskContent("second"), EVEN_LATER, 1)

    assert (first.title, first.version, second) == ("first", 2, None)
    assert await store.get(owner, task.id) == first


async def test_concurrent_conditional_writes_at_one_version_let_exactly_one_through(store: Store, owner: str) -> None:
    task = await added(store, make_task(owner))

    results = await asyncio.gather(
        *(store.replace(owner, task.id, TaskContent(f"writer {n}"), LATER + timedelta(seconds=n), 1) for n in range(8))
    )

    winners = [result for result in results if result is not None]
    assert len(winners) == 1
    assert winners[0].version == 2
    assert await store.get(owner, task.id) == winners[0]


# --- idempotent creation --------------------------------------------------------------------

KEY = "create-7f3a9c"


def fresh(task: Task, later: timedelta = timedelta(seconds=1)) -> Task:
    """The same request arriving again: the same content, a new id, a later clock."""
    return replace_task(task, id=uuid4(), created_at=task.created_at + later, updated_at=task.updated_at + later)


async def test_the_first_add_with_a_key_stores_and_returns_the_task(store: Store, owner: str) -> None:
    task = make_task(owner, "keyed", "d", priority=Priority.HIGH, due_at=DUE, tags=["a", "b"])

    assert await store.add(task, KEY, "print") == task
    assert await store.get(owner, task.id) == task


async def test_the_same_key_and_fingerprint_returns_the_first_task_and_stores_no_other(
    store: Store, owner: str
) -> None:
    first = make_task(owner, "keyed", priority=Priority.LOW, due_at=DUE, tags=["x"])
    await store.add(first, KEY, "print")

    replays = [await store.add(fresh(first, timedelta(minutes=n)), KEY, "print") for n in (1, 60, 23 * 60)]

    assert replays == [first] * 3
    assert await store.list(owner) == [first]


async def test_a_replay_returns_the_task_as_first_created_even_after_it_changed(store: Store, owner: str) -> None:
    first = make_task(owner, "keyed")
    await store.add(first, KEY, "print")
    changed = await store.toggle_completion(owner, first.id, LATER)

    replay = await store.add(fresh(first), KEY, "print")

    assert replay == first
    assert await store.list(owner) == [changed]


async def test_a_replay_after_the_task_was_deleted_creates_nothing(store: Store, owner: str) -> None:
    first = make_task(owner, "keyed")
    await store.add(first, KEY, "print")
    assert await store.delete(owner, first.id) is True

    assert await store.add(fresh(first), KEY, "print") == first
    assert await store.list(owner) == []


async def test_the_same_key_with_another_fingerprint_raises_and_stores_nothing(store: Store, owner: str) -> None:
    first = make_task(owner, "keyed")
    await store.add(first, KEY, "print")
    different = make_task(owner, "something else", created_at=LATER)

    with pytest.raises(IdempotencyKeyReused):
        await store.add(different, KEY, "another print")

    assert await store.get(owner, different.id) is None
    assert await store.list(owner) == [first]
    assert await store.add(fresh(first), KEY, "print") == first  # the key still belongs to the first request


async def test_a_key_is_scoped_to_its_owner(store: Store, owner: str, other: str) -> None:
    mine = make_task(owner, "mine")
    theirs = make_task(other, "theirs")

    assert await store.add(mine, KEY, "print") == mine
    assert await store.add(theirs, KEY, "another print") == theirs
    assert await store.add(fresh(theirs), KEY, "another print") == theirs

    assert await store.list(owner) == [mine]
    assert await store.list(other) == [theirs]


async def test_different_keys_create_different_tasks(store: Store, owner: str) -> None:
    first = make_task(owner, "same content")
    second = fresh(first)

    assert await store.add(first, "key-1", "print") == first
    assert await store.add(second, "key-2", "print") == second
    assert await store.list(owner) == [first, second]


async def test_an_add_without_a_key_ignores_earlier_keys(store: Store, owner: str) -> None:
    first = make_task(owner, "same content")
    await store.add(first, KEY, "print")
    second = fresh(first)

    assert await store.add(second) == second
    assert await store.list(owner) == [first, second]


async def test_a_key_is_kept_24_hours(store: Store, owner: str) -> None:
    first = make_task(owner, "keyed")
    await store.add(first, KEY, "print")

    almost_a_day = fresh(first, timedelta(hours=24) - timedelta(microseconds=1))
    assert await store.add(almost_a_day, KEY, "print") == first
    assert await store.list(owner) == [first]


async def test_a_key_more_than_24_hours_old_can_be_used_again(store: Store, owner: str) -> None:
    first = make_task(owner, "keyed")
    await store.add(first, KEY, "print")

    next_day = make_task(owner, "other content", created_at=T0 + timedelta(hours=24, microseconds=1))
    assert await store.add(next_day, KEY, "another print") == next_day
    again = fresh(next_day)
    assert await store.add(again, KEY, "another print") == next_day  # and the key now names the new task
    assert await store.list(owner) == [first, next_day]


async def test_a_key_expires_exactly_24_hours_after_its_first_use(store: Store, owner: str) -> None:
    """Every store must draw the line at the same instant: the key lives for [t, t + 24 h)."""
    first = make_task(owner, "keyed")
    await store.add(first, KEY, "print")

    a_day_later = fresh(first, timedelta(hours=24))
    assert await store.add(a_day_later, KEY, "print") == a_day_later
    assert await store.list(owner) == [first, a_day_later]


async def test_concurrent_adds_with_one_key_store_exactly_one_task(store: Store, owner: str) -> None:
    attempts = [make_task(owner, "once", created_at=T0 + timedelta(microseconds=n)) for n in range(10)]

    results = await asyncio.gather(*(store.add(task, KEY, "print") for task in attempts))

    stored = await store.list(owner)
    assert len(stored) == 1
    assert stored[0] in attempts
    assert results == stored * 10


async def test_concurrent_adds_with_one_key_for_different_owners_each_store_one(store: Store) -> None:
    owners = [f"owner-{uuid4()}" for _ in range(5)]
    attempts = [make_task(user, "once") for user in owners for _ in range(3)]

    results = await asyncio.gather(*(store.add(task, KEY, "print") for task in attempts))

    for user in owners:
        stored = await store.list(user)
        assert len(stored) == 1
        assert [result for result in results if result.user_id == user] == stored * 3
