from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import pytest

from adapters.memory import InMemoryTaskStore
from application.tasks import TaskService
from domain.errors import InvalidInput, TaskNotFound
from domain.task import Task

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

    async def add(self, task: Task) -> None:
        self.added.append(task)
        await super().add(task)


@pytest.fixture
def store() -> RecordingStore:
    return RecordingStore()


def every_operation(service: TaskService, user_id: str, task_id: str) -> list[Callable[[], Awaitable[object]]]:
    return [
        lambda: service.get(user_id, task_id),
        lambda: service.replace(user_id, task_id, "replaced", "replaced", True),
        lambda: service.delete(user_id, task_id),
        lambda: service.toggle_completion(user_id, task_id),
        lambda: service.set_completion(user_id, task_id, True),
    ]


@pytest.fixture
def service(store: RecordingStore, clock: Clock) -> TaskService:
    return TaskService(store, clock)


async def test_create_stamps_the_clock_and_defaults_to_not_completed(service: TaskService) -> None:
    task = await service.create(OWNER, "  write tests  ", "all of them")
    assert (task.user_id, task.title, task.description, task.completed) == (OWNER, "write tests", "all of them", False)
    assert task.created_at == task.updated_at == START
    assert await service.get(OWNER, str(task.id)) == task


async def test_create_may_start_completed(service: TaskService) -> None:
    assert (await service.create(OWNER, "t", completed=True)).completed is True


async def test_list_is_in_creation_order(service: TaskService, clock: Clock) -> None:
    created = []
    for title in ["c", "a", "b"]:
        created.append(await service.create(OWNER, title))
        clock.advance()
    await service.create(OTHER, "not mine")
    assert await service.list(OWNER) == created


async def test_list_breaks_timestamp_ties_by_id(service: TaskService) -> None:
    created = [await service.create(OWNER, str(n)) for n in range(10)]
    assert await service.list(OWNER) == sorted(created, key=lambda task: task.id)


async def test_list_of_a_user_without_tasks_is_empty(service: TaskService) -> None:
    assert await service.list("nobody") == []


async def test_get_accepts_the_id_in_upper_case(service: TaskService) -> None:
    task = await service.create(OWNER, "t")
    assert await service.get(OWNER, str(task.id).upper()) == task


async def test_replace_overwrites_fields_and_moves_updated_at(service: TaskService, clock: Clock) -> None:
    task = await service.create(OWNER, "old", "old description", completed=True)
    later = clock.advance()
    replaced = await service.replace(OWNER, str(task.id), " new ")
    assert (replaced.title, replaced.description, replaced.completed) == ("new", None, False)
    assert (replaced.created_at, replaced.updated_at) == (START, later)
    assert await service.get(OWNER, str(task.id)) == replaced


async def test_replace_sets_every_given_field(service: TaskService) -> None:
    task = await service.create(OWNER, "old")
    replaced = await service.replace(OWNER, str(task.id), "new", "described", True)
    assert (replaced.title, replaced.description, replaced.completed) == ("new", "described", True)


async def test_delete_removes_the_task(service: TaskService) -> None:
    task = await service.create(OWNER, "t")
    await service.delete(OWNER, str(task.id))
    with pytest.raises(TaskNotFound):
        await service.get(OWNER, str(task.id))
    assert await service.list(OWNER) == []


async def test_delete_twice_raises_the_second_time(service: TaskService) -> None:
    task = await service.create(OWNER, "t")
    await service.delete(OWNER, str(task.id))
    with pytest.raises(TaskNotFound):
        await service.delete(OWNER, str(task.id))


async def test_toggle_flips_and_moves_updated_at_each_time(service: TaskService, clock: Clock) -> None:
    task = await service.create(OWNER, "t")
    first = clock.advance()
    assert ((t := await service.toggle_completion(OWNER, str(task.id))).completed, t.updated_at) == (True, first)
    second = clock.advance()
    assert ((t := await service.toggle_completion(OWNER, str(task.id))).completed, t.updated_at) == (False, second)
    assert (await service.get(OWNER, str(task.id))).completed is False


async def test_set_completion_moves_updated_at_only_on_change(service: TaskService, clock: Clock) -> None:
    task = await service.create(OWNER, "t")
    changed_at = clock.advance()
    done = await service.set_completion(OWNER, str(task.id), True)
    assert (done.completed, done.updated_at) == (True, changed_at)
    clock.advance()
    again = await service.set_completion(OWNER, str(task.id), True)
    assert again == done
    assert await service.get(OWNER, str(task.id)) == done


async def test_set_completion_to_the_current_value_is_a_no_op(service: TaskService, clock: Clock) -> None:
    task = await service.create(OWNER, "t")
    clock.advance()
    assert await service.set_completion(OWNER, str(task.id), False) == task


async def test_another_users_task_cannot_be_touched(service: TaskService, store: RecordingStore, clock: Clock) -> None:
    task = await service.create(OWNER, "mine", "private")
    clock.advance()
    tid = str(task.id)
    for operation in every_operation(service, OTHER, tid):
        with pytest.raises(TaskNotFound):
            await operation()
    assert await service.list(OTHER) == []
    assert await store.list(OWNER) == [task]


@pytest.mark.parametrize("raw_id", ["abc", "", "00000000-0000-0000-0000-000000000000", "-1"])
async def test_unknown_or_malformed_ids_raise_not_found(service: TaskService, raw_id: str) -> None:
    task = await service.create(OWNER, "t")
    for operation in every_operation(service, OWNER, raw_id):
        with pytest.raises(TaskNotFound):
            await operation()
    assert await service.list(OWNER) == [task]


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
        await service.create(user_id, title, description)
    assert {e.field for e in error.value.errors} == bad_fields
    assert store.added == []


async def test_invalid_replace_changes_nothing(service: TaskService, clock: Clock) -> None:
    task = await service.create(OWNER, "t", "d")
    clock.advance()
    with pytest.raises(InvalidInput) as error:
        await service.replace(OWNER, str(task.id), "", "d" * 1001)
    assert {e.field for e in error.value.errors} == {"title", "description"}
    assert await service.get(OWNER, str(task.id)) == task


@pytest.mark.parametrize("user_id", ["", "u" * 129, "a\x00"])
async def test_invalid_user_id_is_rejected_by_every_operation(service: TaskService, user_id: str) -> None:
    tid = "0b8f3c52-4d1e-4a7b-9c3d-2e5f6a7b8c9d"
    for operation in [lambda: service.list(user_id), *every_operation(service, user_id, tid)]:
        with pytest.raises(InvalidInput):
            await operation()


async def test_ids_are_unique_across_users(service: TaskService) -> None:
    ids = {(await service.create(user, "t")).id for user in ["a", "b", "c"] for _ in range(5)}
    assert len(ids) == 15


async def test_check_store_answers(service: TaskService) -> None:
    assert await service.check_store() is None
