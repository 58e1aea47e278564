from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest

from adapters.memory import InMemoryTaskStore
from application.tasks import TaskService
from domain.errors import EditConflict, IdempotencyKeyReused, InvalidInput, TaskNotFound, VersionMismatch
from domain.query import Page, Position, SortKey, TaskFilter, TaskQuery
from domain.task import Priority, Task, TaskContent, TaskDraft

pytestmark = pytest.mark.anyio

START = datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)
OWNER, OTHER = "alice", "bob"


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float = 1) -> datetime:
        self.now += timedelta(seconds=seconds)
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


class RecordingStore(InMemoryTaskStore):
    def __init__(self) -> None:
        super().__init__()
        self.added: list[Task] = []
        self.keys: list[tuple[str | None, str]] = []

    async def add(self, task: Task, idempotency_key: str | None = None, fingerprint: str = "") -> Task:
        self.added.append(task)
        self.keys.append((idempotency_key, fingerprint))
        return await super().add(task, idempotency_key, fingerprint)


@pytest.fixture
def store() -> RecordingStore:
    return RecordingStore()


def every_operation(service: TaskService, user_id: str, task_id: str) -> list[Callable[[], Awaitable[object]]]:
    return [
        lambda: service.get(user_id, task_id),
        lambda: service.replace(user_id, task_id, TaskDraft("replaced", "replaced", True)),
        lambda: service.update(user_id, task_id, {"title": "updated", "tags": None}),
        lambda: service.delete(user_id, task_id),
        lambda: service.toggle_completion(user_id, task_id),
        lambda: service.set_completion(user_id, task_id, True),
    ]


@pytest.fixture
def service(store: RecordingStore, clock: Clock) -> TaskService:
    return TaskService(store, clock)


async def test_create_stamps_the_clock_and_defaults_to_not_completed(service: TaskService) -> None:
    task = await service.create(OWNER, TaskDraft("  write tests  ", "all of them"))
    assert (task.user_id, task.title, task.description, task.completed) == (OWNER, "write tests", "all of them", False)
    assert task.created_at == task.updated_at == START
    assert await service.get(OWNER, str(task.id)) == task


async def test_create_may_start_completed(service: TaskService) -> None:
    assert (await service.create(OWNER, TaskDraft("t", completed=True))).completed is True


async def test_list_is_in_creation_order(service: TaskService, clock: Clock) -> None:
    created = []
    for title in ["c", "a", "b"]:
        created.append(await service.create(OWNER, TaskDraft(title)))
        clock.advance()
    await service.create(OTHER, TaskDraft("not mine"))
    assert await service.list(OWNER) == Page(created, None)


async def test_list_breaks_timestamp_ties_by_id(service: TaskService) -> None:
    created = [await service.create(OWNER, TaskDraft(str(n))) for n in range(10)]
    assert (await service.list(OWNER)).tasks == sorted(created, key=lambda task: task.id)


async def test_list_of_a_user_without_tasks_is_empty(service: TaskService) -> None:
    assert await service.list("nobody") == Page([], None)


async def test_get_accepts_the_id_in_upper_case(service: TaskService) -> None:
    task = await service.create(OWNER, TaskDraft("t"))
    assert await service.get(OWNER, str(task.id).upper()) == task


async def test_replace_overwrites_fields_and_moves_updated_at(service: TaskService, clock: Clock) -> None:
    task = await service.create(OWNER, TaskDraft("old", "old description", completed=True))
    later = clock.advance()
    replaced = await service.replace(OWNER, str(task.id), TaskDraft(" new "))
    assert (replaced.title, replaced.description, replaced.completed) == ("new", None, False)
    assert (replaced.created_at, replaced.updated_at) == (START, later)
    assert await service.get(OWNER, str(task.id)) == replaced


async def test_replace_sets_every_given_field(service: TaskService) -> None:
    task = await service.create(OWNER, TaskDraft("old"))
    replaced = await service.replace(OWNER, str(task.id), TaskDraft("new", "described", True))
    assert (replaced.title, replaced.description, replaced.completed) == ("new", "described", True)


async def test_delete_removes_the_task(service: TaskService) -> None:
    task = await service.create(OWNER, TaskDraft("t"))
    await service.delete(OWNER, str(task.id))
    with pytest.raises(TaskNotFound):
        await service.get(OWNER, str(task.id))
    assert (await service.list(OWNER)).tasks == []


async def test_delete_twice_raises_the_second_time(service: TaskService) -> None:
    task = await service.create(OWNER, TaskDraft("t"))
    await service.delete(OWNER, str(task.id))
    with pytest.raises(TaskNotFound):
        await service.delete(OWNER, str(task.id))


async def test_toggle_flips_and_moves_updated_at_each_time(service: TaskService, clock: Clock) -> None:
    task = await service.create(OWNER, TaskDraft("t"))
    first = clock.advance()
    assert ((t := await service.toggle_completion(OWNER, str(task.id))).completed, t.updated_at) == (True, first)
    second = clock.advance()
    assert ((t := await service.toggle_completion(OWNER, str(task.id))).completed, t.updated_at) == (False, second)
    assert (await service.get(OWNER, str(task.id))).completed is False


async def test_set_completion_moves_updated_at_only_on_change(service: TaskService, clock: Clock) -> None:
    task = await service.create(OWNER, TaskDraft("t"))
    changed_at = clock.advance()
    done = await service.set_completion(OWNER, str(task.id), True)
    assert (done.completed, done.updated_at) == (True, changed_at)
    clock.advance()
    again = await service.set_completion(OWNER, str(task.id), True)
    assert again == done
    assert await service.get(OWNER, str(task.id)) == done


async def test_set_completion_to_the_current_value_is_a_no_op(service: TaskService, clock: Clock) -> None:
    task = await service.create(OWNER, TaskDraft("t"))
    clock.advance()
    assert await service.set_completion(OWNER, str(task.id), False) == task


async def test_another_users_task_cannot_be_touched(service: TaskService, store: RecordingStore, clock: Clock) -> None:
    task = await service.create(OWNER, TaskDraft("mine", "private"))
    clock.advance()
    tid = str(task.id)
    for operation in every_operation(service, OTHER, tid):
        with pytest.raises(TaskNotFound):
            await operation()
    assert (await service.list(OTHER)).tasks == []
    assert await store.list(OWNER) == [task]


@pytest.mark.parametrize("raw_id", ["abc", "", "00000000-0000-0000-0000-000000000000", "-1"])
async def test_unknown_or_malformed_ids_raise_not_found(service: TaskService, raw_id: str) -> None:
    task = await service.create(OWNER, TaskDraft("t"))
    for operation in every_operation(service, OWNER, raw_id):
        with pytest.raises(TaskNotFound):
            await operation()
    assert (await service.list(OWNER)).tasks == [task]


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
        await service.create(user_id, TaskDraft(title, description))
    assert {e.field for e in error.value.errors} == bad_fields
    assert store.added == []


async def test_invalid_replace_changes_nothing(service: TaskService, clock: Clock) -> None:
    task = await service.create(OWNER, TaskDraft("t", "d"))
    clock.advance()
    with pytest.raises(InvalidInput) as error:
        await service.replace(OWNER, str(task.id), TaskDraft("", "d" * 1001))
    assert {e.field for e in error.value.errors} == {"title", "description"}
    assert await service.get(OWNER, str(task.id)) == task


@pytest.mark.parametrize("user_id", ["", "u" * 129, "a\x00"])
async def test_invalid_user_id_is_rejected_by_every_operation(service: TaskService, user_id: str) -> None:
    tid = "0b8f3c52-4d1e-4a7b-9c3d-2e5f6a7b8c9d"
    for operation in [lambda: service.list(user_id), *every_operation(service, user_id, tid)]:
        with pytest.raises(InvalidInput):
            await operation()


async def test_ids_are_unique_across_users(service: TaskService) -> None:
    ids = {(await service.create(user, TaskDraft("t"))).id for user in ["a", "b", "c"] for _ in range(5)}
    assert len(ids) == 15


async def test_check_store_answers(service: TaskService) -> None:
    assert await service.check_store() is None


# --- the richer task through the use cases ---------------------------------------------------

DUE = datetime(2026, 4, 1, 9, 30, tzinfo=UTC)


async def test_create_takes_every_new_field_and_starts_at_version_1(service: TaskService) -> None:
    task = await service.create(OWNER, TaskDraft("t", "d", True, "high", DUE, [" b ", "a", "b"]))

    assert (task.priority, task.due_at, task.tags) == (Priority.HIGH, DUE, ["b", "a"])
    assert (task.completed_at, task.version) == (START, 1)
    assert await service.get(OWNER, str(task.id)) == task


async def test_create_passes_the_key_and_the_contents_fingerprint_to_the_store(
    service: TaskService, store: RecordingStore
) -> None:
    await service.create(OWNER, TaskDraft("t", priority="low"))
    await service.create(OWNER, TaskDraft("t", priority="low"), idempotency_key="key-1")

    expected = TaskDraft("t", priority="low").checked().fingerprint()
    assert store.keys == [(None, ""), ("key-1", expected)]


async def test_create_with_a_used_key_and_the_same_content_returns_the_first_task(
    service: TaskService, store: RecordingStore, clock: Clock
) -> None:
    first = await service.create(OWNER, TaskDraft("t", tags=["a"]), idempotency_key="k")
    clock.advance()

    again = await service.create(OWNER, TaskDraft("  t ", tags=["a", "a"]), idempotency_key="k")

    assert again == first
    assert (await service.list(OWNER)).tasks == [first]


async def test_create_with_a_used_key_and_other_content_raises_and_stores_nothing(
    service: TaskService, clock: Clock
) -> None:
    first = await service.create(OWNER, TaskDraft("t"), idempotency_key="k")
    clock.advance()

    with pytest.raises(IdempotencyKeyReused):
        await service.create(OWNER, TaskDraft("t", priority="high"), idempotency_key="k")

    assert (await service.list(OWNER)).tasks == [first]


async def test_a_key_is_per_owner(service: TaskService) -> None:
    mine = await service.create(OWNER, TaskDraft("mine"), idempotency_key="k")
    theirs = await service.create(OTHER, TaskDraft("theirs"), idempotency_key="k")

    assert mine.id != theirs.id
    assert (await service.list(OTHER)).tasks == [theirs]


@pytest.mark.parametrize("key", ["", "x" * 256, "clé", "new\nline"], ids=["empty", "256", "non-ascii", "newline"])
async def test_a_malformed_key_is_rejected_before_anything_is_stored(
    service: TaskService, store: RecordingStore, key: str
) -> None:
    with pytest.raises(InvalidInput) as error:
        await service.create(OWNER, TaskDraft("t"), idempotency_key=key)

    assert {e.field for e in error.value.errors} == {"Idempotency-Key"}
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
async def test_invalid_new_fields_store_nothing(
    service: TaskService, store: RecordingStore, fields: dict[str, Any], bad: set[str]
) -> None:
    with pytest.raises(InvalidInput) as error:
        await service.create(OWNER, TaskDraft("t", **fields))

    assert {e.field for e in error.value.errors} == bad
    assert store.added == []


# --- listing a page at a time ----------------------------------------------------------------


async def test_list_returns_a_page_and_where_the_next_one_starts(service: TaskService, clock: Clock) -> None:
    created = []
    for n in range(5):
        created.append(await service.create(OWNER, TaskDraft(f"t{n}")))
        clock.advance()

    first = await service.list(OWNER, TaskQuery(limit=2))
    second = await service.list(OWNER, TaskQuery(limit=2, after=first.next))
    last = await service.list(OWNER, TaskQuery(limit=2, after=second.next))

    assert first == Page(created[:2], Position(created[1].created_at, created[1].id))
    assert second == Page(created[2:4], Position(created[3].created_at, created[3].id))
    assert last == Page(created[4:], None)


async def test_a_page_exactly_as_long_as_the_limit_is_the_last(service: TaskService, clock: Clock) -> None:
    for n in range(3):
        await service.create(OWNER, TaskDraft(f"t{n}"))
        clock.advance()

    page = await service.list(OWNER, TaskQuery(limit=3))

    assert (len(page.tasks), page.next) == (3, None)


@pytest.mark.parametrize("limit", [1, 499, 500])
async def test_every_allowed_limit_lists(service: TaskService, limit: int) -> None:
    task = await service.create(OWNER, TaskDraft("t"))

    assert await service.list(OWNER, TaskQuery(limit=limit)) == Page([task], None)


async def test_the_next_position_follows_the_sort(service: TaskService, clock: Clock) -> None:
    for title, priority in [("c", "low"), ("a", "high"), ("b", "none")]:
        await service.create(OWNER, TaskDraft(title, priority=priority, due_at=None if title == "b" else DUE))
        clock.advance()

    by_title = await service.list(OWNER, TaskQuery(sort=SortKey.TITLE, descending=True, limit=1))
    by_due = await service.list(OWNER, TaskQuery(sort=SortKey.DUE, descending=True, limit=1))
    by_priority = await service.list(OWNER, TaskQuery(sort=SortKey.PRIORITY, limit=2))

    assert by_title.next == Position("c", by_title.tasks[0].id)
    assert by_due.next == Position(None, by_due.tasks[0].id) and by_due.tasks[0].title == "b"
    assert [t.title for t in by_priority.tasks] == ["b", "c"]
    assert by_priority.next == Position(Priority.LOW, by_priority.tasks[1].id)


async def test_list_applies_the_filter(service: TaskService) -> None:
    await service.create(OWNER, TaskDraft("open"))
    done = await service.create(OWNER, TaskDraft("done", completed=True))

    assert (await service.list(OWNER, TaskQuery(TaskFilter(completed=True)))).tasks == [done]


# --- update: JSON Merge Patch -----------------------------------------------------------------


async def test_update_changes_only_the_named_fields(service: TaskService, clock: Clock) -> None:
    task = await service.create(OWNER, TaskDraft("t", "notes", False, "medium", DUE, ["a"]))
    later = clock.advance()

    updated = await service.update(OWNER, str(task.id), {"title": " new ", "tags": None, "completed": True})

    assert (updated.title, updated.description, updated.priority, updated.due_at, updated.tags) == (
        "new",
        "notes",
        Priority.MEDIUM,
        DUE,
        [],
    )
    assert (updated.completed, updated.completed_at, updated.updated_at, updated.version) == (True, later, later, 2)
    assert await service.get(OWNER, str(task.id)) == updated


async def test_update_with_nulls_clears_what_may_be_cleared(service: TaskService) -> None:
    task = await service.create(OWNER, TaskDraft("t", "notes", False, "medium", DUE, ["a"]))

    updated = await service.update(
        OWNER, str(task.id), {"description": None, "priority": None, "due_at": None, "tags": None}
    )

    assert updated.content == TaskContent("t")


@pytest.mark.parametrize("field", ["title", "completed"])
async def test_update_refuses_to_null_a_required_field_and_writes_nothing(service: TaskService, field: str) -> None:
    task = await service.create(OWNER, TaskDraft("t"))

    with pytest.raises(InvalidInput) as error:
        await service.update(OWNER, str(task.id), {field: None})

    assert {e.field for e in error.value.errors} == {field}
    assert await service.get(OWNER, str(task.id)) == task


async def test_update_with_the_current_version_in_if_match_writes(service: TaskService) -> None:
    task = await service.create(OWNER, TaskDraft("t"))

    updated = await service.update(OWNER, str(task.id), {"title": "x"}, expected_versions=frozenset({1}))

    assert (updated.title, updated.version) == ("x", 2)


@pytest.mark.parametrize("versions", [frozenset({2}), frozenset({0, 3}), frozenset()], ids=["newer", "others", "none"])
async def test_update_with_a_stale_if_match_raises_and_writes_nothing(
    service: TaskService, versions: frozenset[int]
) -> None:
    task = await service.create(OWNER, TaskDraft("t"))

    with pytest.raises(VersionMismatch):
        await service.update(OWNER, str(task.id), {"title": "x"}, expected_versions=versions)

    assert await service.get(OWNER, str(task.id)) == task


async def test_update_of_a_missing_task_is_not_found_even_with_if_match(service: TaskService) -> None:
    with pytest.raises(TaskNotFound):
        await service.update(
            OWNER, "0b8f3c52-4d1e-4a7b-9c3d-2e5f6a7b8c9d", {"title": "x"}, expected_versions=frozenset({1})
        )


class RacingStore(RecordingStore):
    """Another client's write lands between the use case's read and its write, `races` times."""

    def __init__(self, races: int, rival: str = "toggle") -> None:
        super().__init__()
        self.races, self.rival, self.replaces = races, rival, 0

    async def replace(
        self, user_id: str, task_id: UUID, content: TaskContent, now: datetime, expected_version: int | None = None
    ) -> Task | None:
        self.replaces += 1
        if self.races > 0:
            self.races -= 1
            if self.rival == "delete":
                await super().delete(user_id, task_id)
            else:
                await super().toggle_completion(user_id, task_id, now)
        return await super().replace(user_id, task_id, content, now, expected_version)


async def test_update_retries_on_a_concurrent_change_and_keeps_it(clock: Clock) -> None:
    store = RacingStore(races=2)
    service = TaskService(store, clock)
    task = await service.create(OWNER, TaskDraft("t", "notes"))

    updated = await service.update(OWNER, str(task.id), {"title": "mine"})

    # Two rival toggles landed (open -> done -> open), then this edit: nothing was lost.
    assert (updated.title, updated.description, updated.completed, updated.version) == ("mine", "notes", False, 4)
    assert store.replaces == 3


async def test_update_keeps_a_concurrent_change_to_another_field(clock: Clock) -> None:
    store = RacingStore(races=1)
    service = TaskService(store, clock)
    task = await service.create(OWNER, TaskDraft("t"))

    updated = await service.update(OWNER, str(task.id), {"tags": ["x"]})

    assert (updated.completed, updated.tags, updated.version) == (True, ["x"], 3)


async def test_update_gives_up_with_a_conflict_when_the_task_keeps_changing(clock: Clock) -> None:
    store = RacingStore(races=100)
    service = TaskService(store, clock)
    task = await service.create(OWNER, TaskDraft("t"))

    with pytest.raises(EditConflict):
        await service.update(OWNER, str(task.id), {"title": "mine"})

    assert store.replaces == 5
    assert (await service.get(OWNER, str(task.id))).title == "t"


async def test_update_under_if_match_does_not_retry_a_concurrent_change(clock: Clock) -> None:
    store = RacingStore(races=1)
    service = TaskService(store, clock)
    task = await service.create(OWNER, TaskDraft("t"))

    with pytest.raises(VersionMismatch):
        await service.update(OWNER, str(task.id), {"title": "mine"}, expected_versions=frozenset({1}))

    assert store.replaces == 1
    assert (await service.get(OWNER, str(task.id))).title == "t"


async def test_update_of_a_task_deleted_meanwhile_is_not_found(clock: Clock) -> None:
    store = RacingStore(races=1, rival="delete")
    service = TaskService(store, clock)
    task = await service.create(OWNER, TaskDraft("t"))

    with pytest.raises(TaskNotFound):
        await service.update(OWNER, str(task.id), {"title": "mine"})


# --- If-Match on the other writes --------------------------------------------------------------

WRITES: dict[str, Callable[[TaskService, str, frozenset[int] | None], Awaitable[object]]] = {
    "replace": lambda service, tid, versions: service.replace(OWNER, tid, TaskDraft("new"), expected_versions=versions),
    "update": lambda service, tid, versions: service.update(OWNER, tid, {"title": "new"}, expected_versions=versions),
    "delete": lambda service, tid, versions: service.delete(OWNER, tid, expected_versions=versions),
    "toggle": lambda service, tid, versions: service.toggle_completion(OWNER, tid, expected_versions=versions),
    "set_completion": lambda service, tid, versions: service.set_completion(
        OWNER, tid, True, expected_versions=versions
    ),
}


async def changed_twice(service: TaskService, clock: Clock) -> Task:
    """A task at version 3."""
    task = await service.create(OWNER, TaskDraft("t"))
    clock.advance()
    await service.toggle_completion(OWNER, str(task.id))
    clock.advance()
    task = await service.toggle_completion(OWNER, str(task.id))
    assert task.version == 3
    return task


@pytest.mark.parametrize(
    "versions",
    [None, frozenset({3}), frozenset({1, 3}), frozenset({3, 4, 5}), frozenset({1, 2, 3})],
    ids=["no precondition", "current", "old or current", "current or newer", "any so far"],
)
@pytest.mark.parametrize("write", WRITES.values(), ids=WRITES.keys())
async def test_a_write_happens_when_if_match_allows_the_current_version(
    service: TaskService, clock: Clock, write: Callable[..., Awaitable[object]], versions: frozenset[int] | None
) -> None:
    task = await changed_twice(service, clock)
    clock.advance()

    result = await write(service, str(task.id), versions)

    if result is None:  # delete
        with pytest.raises(TaskNotFound):
            await service.get(OWNER, str(task.id))
    else:
        assert isinstance(result, Task) and result.version == 4
        assert await service.get(OWNER, str(task.id)) == result


@pytest.mark.parametrize(
    "versions",
    [frozenset({2}), frozenset({4}), frozenset({1, 2}), frozenset({0, 4, 5}), frozenset()],
    ids=["older", "newer", "several old", "several others", "only weak tags"],
)
@pytest.mark.parametrize("write", WRITES.values(), ids=WRITES.keys())
async def test_a_write_is_refused_when_if_match_does_not_allow_the_current_version(
    service: TaskService, clock: Clock, write: Callable[..., Awaitable[object]], versions: frozenset[int]
) -> None:
    task = await changed_twice(service, clock)
    clock.advance()

    with pytest.raises(VersionMismatch):
        await write(service, str(task.id), versions)

    assert await service.get(OWNER, str(task.id)) == task


@pytest.mark.parametrize("versions", [frozenset({1}), frozenset({1, 2}), frozenset()], ids=["one", "several", "none"])
@pytest.mark.parametrize("write", WRITES.values(), ids=WRITES.keys())
async def test_a_conditional_write_on_a_missing_or_foreign_task_is_not_found(
    service: TaskService, write: Callable[..., Awaitable[object]], versions: frozenset[int]
) -> None:
    theirs = await service.create(OTHER, TaskDraft("t"))

    for task_id in ("0b8f3c52-4d1e-4a7b-9c3d-2e5f6a7b8c9d", str(theirs.id)):
        with pytest.raises(TaskNotFound):
            await write(service, task_id, versions)

    assert await service.get(OTHER, str(theirs.id)) == theirs


async def test_a_no_op_set_completion_under_the_current_version_changes_nothing(
    service: TaskService, clock: Clock
) -> None:
    task = await changed_twice(service, clock)
    clock.advance()

    assert await service.set_completion(OWNER, str(task.id), False, expected_versions=frozenset({3})) == task
