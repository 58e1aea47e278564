"""Deleting a task and changing its completion through the service: toggling it, or setting it to a value."""

import pytest

from application.tasks import TaskService
from domain.errors import TaskNotFound
from domain.task import TaskDraft
from tests.unit.doubles import OWNER, Clock

pytestmark = pytest.mark.anyio


async def test_delete_removes_the_task(service: TaskService) -> None:
    task = await service.create(OWNER, draft=TaskDraft("t"))
    await service.delete(OWNER, task_id=str(task.id))
    with pytest.raises(TaskNotFound):
        await service.get(OWNER, task_id=str(task.id))
    assert (await service.list(OWNER)).tasks == []


async def test_delete_twice_raises_the_second_time(service: TaskService) -> None:
    task = await service.create(OWNER, draft=TaskDraft("t"))
    await service.delete(OWNER, task_id=str(task.id))
    with pytest.raises(TaskNotFound):
        await service.delete(OWNER, task_id=str(task.id))


async def test_toggle_flips_and_moves_updated_at_each_time(service: TaskService, clock: Clock) -> None:
    task = await service.create(OWNER, draft=TaskDraft("t"))
    first = clock.advance()
    assert ((t := await service.toggle_completion(OWNER, task_id=str(task.id))).completed, t.updated_at) == (
        True,
        first,
    )
    second = clock.advance()
    assert ((t := await service.toggle_completion(OWNER, task_id=str(task.id))).completed, t.updated_at) == (
        False,
        second,
    )
    assert (await service.get(OWNER, task_id=str(task.id))).completed is False


async def test_set_completion_moves_updated_at_only_on_change(service: TaskService, clock: Clock) -> None:
    task = await service.create(OWNER, draft=TaskDraft("t"))
    changed_at = clock.advance()
    done = await service.set_completion(OWNER, task_id=str(task.id), completed=True)
    assert (done.completed, done.updated_at) == (True, changed_at)
    clock.advance()
    again = await service.set_completion(OWNER, task_id=str(task.id), completed=True)
    assert again == done
    assert await service.get(OWNER, task_id=str(task.id)) == done


async def test_set_completion_to_the_current_value_is_a_no_op(service: TaskService, clock: Clock) -> None:
    task = await service.create(OWNER, draft=TaskDraft("t"))
    clock.advance()
    assert await service.set_completion(OWNER, task_id=str(task.id), completed=False) == task
