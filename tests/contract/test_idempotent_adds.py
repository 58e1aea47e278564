"""Adds with an idempotency key store one task per key and owner, on every store."""

import asyncio
from dataclasses import replace as replace_task
from datetime import timedelta
from uuid import uuid4

import pytest

from domain.errors import IdempotencyKeyReused
from domain.task import Priority, Task

from .tasks import DUE, LATER, T0, Store, make_task

pytestmark = pytest.mark.anyio


KEY = "create-7f3a9c"


def fresh(task: Task, later: timedelta = timedelta(seconds=1)) -> Task:
    """The same request arriving again: the same content, a new id, a later clock."""
    return replace_task(task, id=uuid4(), created_at=task.created_at + later, updated_at=task.updated_at + later)


async def test_the_first_add_with_a_key_stores_and_returns_the_task(store: Store, owner: str) -> None:
    task = make_task(owner, "keyed", "d", priority=Priority.HIGH, due_at=DUE, tags=["a", "b"])

    assert await store.add(task, idempotency_key=KEY, fingerprint="print") == task
    assert await store.get(owner, task_id=task.id) == task


async def test_the_same_key_and_fingerprint_returns_the_first_task_and_stores_no_other(
    store: Store, owner: str
) -> None:
    first = make_task(owner, "keyed", priority=Priority.LOW, due_at=DUE, tags=["x"])
    await store.add(first, idempotency_key=KEY, fingerprint="print")

    replays = [
        await store.add(fresh(first, timedelta(minutes=n)), idempotency_key=KEY, fingerprint="print")
        for n in (1, 60, 23 * 60)
    ]

    assert replays == [first] * 3
    assert await store.list(owner) == [first]


async def test_a_replay_returns_the_task_as_first_created_even_after_it_changed(store: Store, owner: str) -> None:
    first = make_task(owner, "keyed")
    await store.add(first, idempotency_key=KEY, fingerprint="print")
    changed = await store.toggle_completion(owner, task_id=first.id, now=LATER)

    replay = await store.add(fresh(first), idempotency_key=KEY, fingerprint="print")

    assert replay == first
    assert await store.list(owner) == [changed]


async def test_a_replay_after_the_task_was_deleted_creates_nothing(store: Store, owner: str) -> None:
    first = make_task(owner, "keyed")
    await store.add(first, idempotency_key=KEY, fingerprint="print")
    assert await store.delete(owner, task_id=first.id) is True

    assert await store.add(fresh(first), idempotency_key=KEY, fingerprint="print") == first
    assert await store.list(owner) == []


async def test_the_same_key_with_another_fingerprint_raises_and_stores_nothing(store: Store, owner: str) -> None:
    first = make_task(owner, "keyed")
    await store.add(first, idempotency_key=KEY, fingerprint="print")
    different = make_task(owner, "something else", created_at=LATER)

    with pytest.raises(IdempotencyKeyReused):
        await store.add(different, idempotency_key=KEY, fingerprint="another print")

    assert await store.get(owner, task_id=different.id) is None
    assert await store.list(owner) == [first]
    assert (
        await store.add(fresh(first), idempotency_key=KEY, fingerprint="print") == first
    )  # the key still belongs to the first request


async def test_a_key_is_scoped_to_its_owner(store: Store, owner: str, other: str) -> None:
    mine = make_task(owner, "mine")
    theirs = make_task(other, "theirs")

    assert await store.add(mine, idempotency_key=KEY, fingerprint="print") == mine
    assert await store.add(theirs, idempotency_key=KEY, fingerprint="another print") == theirs
    assert await store.add(fresh(theirs), idempotency_key=KEY, fingerprint="another print") == theirs

    assert await store.list(owner) == [mine]
    assert await store.list(other) == [theirs]


async def test_different_keys_create_different_tasks(store: Store, owner: str) -> None:
    first = make_task(owner, "same content")
    second = fresh(first)

    assert await store.add(first, idempotency_key="key-1", fingerprint="print") == first
    assert await store.add(second, idempotency_key="key-2", fingerprint="print") == second
    assert await store.list(owner) == [first, second]


async def test_an_add_without_a_key_ignores_earlier_keys(store: Store, owner: str) -> None:
    first = make_task(owner, "same content")
    await store.add(first, idempotency_key=KEY, fingerprint="print")
    second = fresh(first)

    assert await store.add(second) == second
    assert await store.list(owner) == [first, second]


async def test_a_key_is_kept_24_hours(store: Store, owner: str) -> None:
    first = make_task(owner, "keyed")
    await store.add(first, idempotency_key=KEY, fingerprint="print")

    almost_a_day = fresh(first, timedelta(hours=24) - timedelta(microseconds=1))
    assert await store.add(almost_a_day, idempotency_key=KEY, fingerprint="print") == first
    assert await store.list(owner) == [first]


async def test_a_key_more_than_24_hours_old_can_be_used_again(store: Store, owner: str) -> None:
    first = make_task(owner, "keyed")
    await store.add(first, idempotency_key=KEY, fingerprint="print")

    next_day = make_task(owner, "other content", created_at=T0 + timedelta(hours=24, microseconds=1))
    assert await store.add(next_day, idempotency_key=KEY, fingerprint="another print") == next_day
    again = fresh(next_day)
    assert (
        await store.add(again, idempotency_key=KEY, fingerprint="another print") == next_day
    )  # and the key now names the new task
    assert await store.list(owner) == [first, next_day]


async def test_a_key_expires_exactly_24_hours_after_its_first_use(store: Store, owner: str) -> None:
    """Every store must draw the line at the same instant: the key lives for [t, t + 24 h)."""
    first = make_task(owner, "keyed")
    await store.add(first, idempotency_key=KEY, fingerprint="print")

    a_day_later = fresh(first, timedelta(hours=24))
    assert await store.add(a_day_later, idempotency_key=KEY, fingerprint="print") == a_day_later
    assert await store.list(owner) == [first, a_day_later]


async def test_concurrent_adds_with_one_key_store_exactly_one_task(store: Store, owner: str) -> None:
    attempts = [make_task(owner, "once", created_at=T0 + timedelta(microseconds=n)) for n in range(10)]

    results = await asyncio.gather(*(store.add(task, idempotency_key=KEY, fingerprint="print") for task in attempts))

    stored = await store.list(owner)
    assert len(stored) == 1
    assert stored[0] in attempts
    assert results == stored * 10


async def test_concurrent_adds_with_one_key_for_different_owners_each_store_one(store: Store) -> None:
    owners = [f"owner-{uuid4()}" for _ in range(5)]
    attempts = [make_task(user, "once") for user in owners for _ in range(3)]

    results = await asyncio.gather(*(store.add(task, idempotency_key=KEY, fingerprint="print") for task in attempts))

    for user in owners:
        stored = await store.list(user)
        assert len(stored) == 1
        assert [result for result in results if result.user_id == user] == stored * 3
