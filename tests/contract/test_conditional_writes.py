"""Writes given an expected version happen only at that version, on every store."""

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
from uuid import UUID, uuid4

import pytest

from domain.task import Priority, TaskContent

from .tasks import EVEN_LATER, LATER, Store, added, make_task

pytestmark = pytest.mark.anyio


CONDITIONAL: dict[str, tuple[Callable[[Store, str, UUID, int | None], Awaitable[object]], object]] = {
    "replace": (
        lambda store, user, tid, v: store.replace(
            user, task_id=tid, content=TaskContent("x", "y", True, Priority.LOW), now=LATER, expected_version=v
        ),
        None,
    ),
    "delete": (lambda store, user, tid, v: store.delete(user, task_id=tid, expected_version=v), False),
    "toggle_completion": (
        lambda store, user, tid, v: store.toggle_completion(user, task_id=tid, now=LATER, expected_version=v),
        None,
    ),
    "set_completion": (
        lambda store, user, tid, v: store.set_completion(
            user, task_id=tid, completed=True, now=LATER, expected_version=v
        ),
        None,
    ),
}


@pytest.mark.parametrize(("operation", "miss"), CONDITIONAL.values(), ids=CONDITIONAL.keys())
async def test_a_conditional_write_at_the_current_version_happens(
    store: Store, owner: str, operation: Callable[..., Awaitable[object]], miss: object
) -> None:
    task = await added(store, make_task(owner, "mine", version=7))

    result = await operation(store, owner, task.id, 7)

    assert result is not miss
    after = await store.get(owner, task_id=task.id)
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

    assert await store.get(owner, task_id=task.id) == task
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

    assert await store.get(owner, task_id=task.id) == task
    assert await store.get(other, task_id=task.id) is None


async def test_the_second_of_two_writes_at_the_same_version_misses(store: Store, owner: str) -> None:
    task = await added(store, make_task(owner))

    first = await store.replace(owner, task_id=task.id, content=TaskContent("first"), now=LATER, expected_version=1)
    second = await store.replace(
        owner, task_id=task.id, content=TaskContent("second"), now=EVEN_LATER, expected_version=1
    )

    assert (first.title, first.version, second) == ("first", 2, None)
    assert await store.get(owner, task_id=task.id) == first


async def test_concurrent_conditional_writes_at_one_version_let_exactly_one_through(store: Store, owner: str) -> None:
    task = await added(store, make_task(owner))

    results = await asyncio.gather(
        *(
            store.replace(
                owner,
                task_id=task.id,
                content=TaskContent(f"writer {n}"),
                now=LATER + timedelta(seconds=n),
                expected_version=1,
            )
            for n in range(8)
        )
    )

    winners = [result for result in results if result is not None]
    assert len(winners) == 1
    assert winners[0].version == 2
    assert await store.get(owner, task_id=task.id) == winners[0]
