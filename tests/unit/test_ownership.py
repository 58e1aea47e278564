"""Who reaches a task through the service: only its owner, naming it by a well-formed id, as a valid user id."""

from collections.abc import Awaitable, Callable

import pytest

from application.tasks import TaskService
from domain.errors import InvalidInput, TaskNotFound
from domain.task import TaskDraft
from tests.unit.doubles import OTHER, OWNER, Clock, RecordingStore

pytestmark = pytest.mark.anyio


def every_operation(service: TaskService, user_id: str, task_id: str) -> list[Callable[[], Awaitable[object]]]:
    return [
        lambda: service.get(user_id, task_id=task_id),
        lambda: service.replace(user_id, task_id=task_id, draft=TaskDraft("replaced", "replaced", True)),
        lambda: service.update(user_id, task_id=task_id, changes={"title": "updated", "tags": None}),
        lambda: service.delete(user_id, task_id=task_id),
        lambda: service.toggle_completion(user_id, task_id=task_id),
        lambda: service.set_completion(user_id, task_id=task_id, completed=True),
    ]


async def test_another_users_task_cannot_be_touched(service: TaskService, store: RecordingStore, clock: Clock) -> None:
    task = await service.create(OWNER, draft=TaskDraft("mine", "private"))
    clock.advance()
    tid = str(task.id)
    for operation in every_operation(service, OTHER, tid):
        with pytest.raises(TaskNotFound):
            await operation()
    assert (await service.list(OTHER)).tasks == []
    assert await store.list(OWNER) == [task]


@pytest.mark.parametrize("raw_id", ["abc", "", "00000000-0000-0000-0000-000000000000", "-1"])
async def test_unknown_or_malformed_ids_raise_not_found(service: TaskService, raw_id: str) -> None:
    task = await service.create(OWNER, draft=TaskDraft("t"))
    for operation in every_operation(service, OWNER, raw_id):
        with pytest.raises(TaskNotFound):
            await operation()
    assert (await service.list(OWNER)).tasks == [task]


@pytest.mark.parametrize("user_id", ["", "u" * 129, "a\x00"])
async def test_invalid_user_id_is_rejected_by_every_operation(service: TaskService, user_id: str) -> None:
    tid = "0b8f3c52-4d1e-4a7b-9c3d-2e5f6a7b8c9d"
    for operation in [lambda: service.list(user_id), *every_operation(service, user_id, tid)]:
        with pytest.raises(InvalidInput):
            await operation()
