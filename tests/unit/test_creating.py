"""Creating a task through the service: what it stores, what it refuses, and creating again under an idempotency key."""

from datetime import datetime
from typing import Any

import pytest

from application.tasks import TaskService
from domain.errors import IdempotencyKeyReused, InvalidInput
from domain.task import Priority, TaskDraft
from tests.unit.doubles import DUE, OTHER, OWNER, START, Clock, RecordingStore

pytestmark = pytest.mark.anyio


async def test_create_stamps_the_clock_and_defaults_to_not_completed(service: TaskService) -> None:
    task = await service.create(OWNER, draft=TaskDraft("  write tests  ", "all of them"))
    assert (task.user_id, task.title, task.description, task.completed) == (OWNER, "write tests", "all of them", False)
    assert task.created_at == task.updated_at == START
    assert await service.get(OWNER, task_id=str(task.id)) == task


async def test_create_may_start_completed(service: TaskService) -> None:
    assert (await service.create(OWNER, draft=TaskDraft("t", completed=True))).completed is True


async def test_create_takes_priority_due_date_and_tags_and_starts_at_version_1(service: TaskService) -> None:
    task = await service.create(OWNER, draft=TaskDraft("t", "d", True, "high", DUE, [" b ", "a", "b"]))

    assert (task.priority, task.due_at, task.tags) == (Priority.HIGH, DUE, ["b", "a"])
    assert (task.completed_at, task.version) == (START, 1)
    assert await service.get(OWNER, task_id=str(task.id)) == task


async def test_ids_are_unique_across_users(service: TaskService) -> None:
    ids = {(await service.create(user, draft=TaskDraft("t"))).id for user in ["a", "b", "c"] for _ in range(5)}
    assert len(ids) == 15


# --- invalid input --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("user_id", "title", "description", "bad_fields"),
    [
        (OWNER, "   ", None, {"title"}),
        (OWNER, "x" * 201, None, {"title"}),
        (OWNER, "t", "d" * 1001, {"description"}),
        (OWNER, "\x00", "\ud800", {"title", "description"}),
        ("", "t", None, {"user_id"}),
        ("u" * 129, "t", None, {"user_id"}),
    ],
)
async def test_invalid_create_stores_nothing(
    service: TaskService, store: RecordingStore, user_id: str, title: str, description: str | None, bad_fields: set[str]
) -> None:
    with pytest.raises(InvalidInput) as error:
        await service.create(user_id, draft=TaskDraft(title, description))
    assert {e.field for e in error.value.errors} == bad_fields
    assert store.added == []


@pytest.mark.parametrize(
    ("fields", "bad"),
    [
        ({"priority": "urgent"}, {"priority"}),
        ({"due_at": datetime(2026, 1, 1)}, {"due_at"}),
        ({"tags": ["x", *(str(n) for n in range(20))]}, {"tags"}),
        ({"tags": ["x" * 41]}, {"tags"}),
    ],
)
async def test_invalid_priority_due_date_or_tags_store_nothing(
    service: TaskService, store: RecordingStore, fields: dict[str, Any], bad: set[str]
) -> None:
    with pytest.raises(InvalidInput) as error:
        await service.create(OWNER, draft=TaskDraft("t", **fields))

    assert {e.field for e in error.value.errors} == bad
    assert store.added == []


# --- idempotency keys -----------------------------------------------------------------------


async def test_create_passes_the_key_and_the_contents_fingerprint_to_the_store(
    service: TaskService, store: RecordingStore
) -> None:
    await service.create(OWNER, draft=TaskDraft("t", priority="low"))
    await service.create(OWNER, draft=TaskDraft("t", priority="low"), idempotency_key="key-1")

    expected = TaskDraft("t", priority="low").checked().fingerprint()
    assert store.keys == [(None, ""), ("key-1", expected)]


async def test_create_with_a_used_key_and_the_same_content_returns_the_first_task(
    service: TaskService, store: RecordingStore, clock: Clock
) -> None:
    first = await service.create(OWNER, draft=TaskDraft("t", tags=["a"]), idempotency_key="k")
    clock.advance()

    again = await service.create(OWNER, draft=TaskDraft("  t ", tags=["a", "a"]), idempotency_key="k")

    assert again == first
    assert (await service.list(OWNER)).tasks == [first]


async def test_create_with_a_used_key_and_other_content_raises_and_stores_nothing(
    service: TaskService, clock: Clock
) -> None:
    first = await service.create(OWNER, draft=TaskDraft("t"), idempotency_key="k")
    clock.advance()

    with pytest.raises(IdempotencyKeyReused):
        await service.create(OWNER, draft=TaskDraft("t", priority="high"), idempotency_key="k")

    assert (await service.list(OWNER)).tasks == [first]


async def test_a_key_is_per_owner(service: TaskService) -> None:
    mine = await service.create(OWNER, draft=TaskDraft("mine"), idempotency_key="k")
    theirs = await service.create(OTHER, draft=TaskDraft("theirs"), idempotency_key="k")

    assert mine.id != theirs.id
    assert (await service.list(OTHER)).tasks == [theirs]


@pytest.mark.parametrize("key", ["", "x" * 256, "clé", "new\nline"], ids=["empty", "256", "non-ascii", "newline"])
async def test_a_malformed_key_is_rejected_before_anything_is_stored(
    service: TaskService, store: RecordingStore, key: str
) -> None:
    with pytest.raises(InvalidInput) as error:
        await service.create(OWNER, draft=TaskDraft("t"), idempotency_key=key)

    assert {e.field for e in error.value.errors} == {"Idempotency-Key"}
    assert store.added == []
