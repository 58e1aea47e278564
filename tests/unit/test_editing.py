"""Editing a task through the service: replacing all its fields, or updating some with a JSON Merge Patch."""

import pytest

from application.tasks import TaskService
from domain.errors import InvalidInput
from domain.task import Priority, TaskContent, TaskDraft
from tests.unit.doubles import DUE, OWNER, START, Clock

pytestmark = pytest.mark.anyio

# --- replace --------------------------------------------------------------------------------


async def test_replace_overwrites_fields_and_moves_updated_at(service: TaskService, clock: Clock) -> None:
    task = await service.create(OWNER, draft=TaskDraft("old", "old description", completed=True))
    later = clock.advance()
    replaced = await service.replace(OWNER, task_id=str(task.id), draft=TaskDraft(" new "))
    assert (replaced.title, replaced.description, replaced.completed) == ("new", None, False)
    assert (replaced.created_at, replaced.updated_at) == (START, later)
    assert await service.get(OWNER, task_id=str(task.id)) == replaced


async def test_replace_sets_every_given_field(service: TaskService) -> None:
    task = await service.create(OWNER, draft=TaskDraft("old"))
    replaced = await service.replace(OWNER, task_id=str(task.id), draft=TaskDraft("new", "described", True))
    assert (replaced.title, replaced.description, replaced.completed) == ("new", "described", True)


async def test_invalid_replace_changes_nothing(service: TaskService, clock: Clock) -> None:
    task = await service.create(OWNER, draft=TaskDraft("t", "d"))
    clock.advance()
    with pytest.raises(InvalidInput) as error:
        await service.replace(OWNER, task_id=str(task.id), draft=TaskDraft("", "d" * 1001))
    assert {e.field for e in error.value.errors} == {"title", "description"}
    assert await service.get(OWNER, task_id=str(task.id)) == task


# --- update: JSON Merge Patch ---------------------------------------------------------------


async def test_update_changes_only_the_named_fields(service: TaskService, clock: Clock) -> None:
    task = await service.create(OWNER, draft=TaskDraft("t", "notes", False, "medium", DUE, ["a"]))
    later = clock.advance()

    updated = await service.update(
        OWNER, task_id=str(task.id), changes={"title": " new ", "tags": None, "completed": True}
    )

    assert (updated.title, updated.description, updated.priority, updated.due_at, updated.tags) == (
        "new",
        "notes",
        Priority.MEDIUM,
        DUE,
        [],
    )
    assert (updated.completed, updated.completed_at, updated.updated_at, updated.version) == (True, later, later, 2)
    assert await service.get(OWNER, task_id=str(task.id)) == updated


async def test_update_with_nulls_clears_what_may_be_cleared(service: TaskService) -> None:
    task = await service.create(OWNER, draft=TaskDraft("t", "notes", False, "medium", DUE, ["a"]))

    updated = await service.update(
        OWNER, task_id=str(task.id), changes={"description": None, "priority": None, "due_at": None, "tags": None}
    )

    assert updated.content == TaskContent("t")


@pytest.mark.parametrize("field", ["title", "completed"])
async def test_update_refuses_to_null_a_required_field_and_writes_nothing(service: TaskService, field: str) -> None:
    task = await service.create(OWNER, draft=TaskDraft("t"))

    with pytest.raises(InvalidInput) as error:
        await service.update(OWNER, task_id=str(task.id), changes={field: None})

    assert {e.field for e in error.value.errors} == {field}
    assert await service.get(OWNER, task_id=str(task.id)) == task
