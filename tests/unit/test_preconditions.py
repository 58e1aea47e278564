"""Writes under If-Match (`expected_versions`): they happen only while the task is at one of the versions named."""

from collections.abc import Awaitable, Callable

import pytest

from application.tasks import TaskService
from domain.errors import TaskNotFound, VersionMismatch
from domain.task import Task, TaskDraft
from tests.unit.doubles import OTHER, OWNER, Clock

pytestmark = pytest.mark.anyio

# --- update ---------------------------------------------------------------------------------


async def test_update_with_the_current_version_in_if_match_writes(service: TaskService) -> None:
    task = await service.create(OWNER, draft=TaskDraft("t"))

    updated = await service.update(
        OWNER, task_id=str(task.id), changes={"title": "x"}, expected_versions=frozenset({1})
    )

    assert (updated.title, updated.version) == ("x", 2)


@pytest.mark.parametrize("versions", [frozenset({2}), frozenset({0, 3}), frozenset()], ids=["newer", "others", "none"])
async def test_update_with_a_stale_if_match_raises_and_writes_nothing(
    service: TaskService, versions: frozenset[int]
) -> None:
    task = await service.create(OWNER, draft=TaskDraft("t"))

    with pytest.raises(VersionMismatch):
        await service.update(OWNER, task_id=str(task.id), changes={"title": "x"}, expected_versions=versions)

    assert await service.get(OWNER, task_id=str(task.id)) == task


async def test_update_of_a_missing_task_is_not_found_even_with_if_match(service: TaskService) -> None:
    with pytest.raises(TaskNotFound):
        await service.update(
            OWNER,
            task_id="0b8f3c52-4d1e-4a7b-9c3d-2e5f6a7b8c9d",
            changes={"title": "x"},
            expected_versions=frozenset({1}),
        )


# --- every write ----------------------------------------------------------------------------

WRITES: dict[str, Callable[[TaskService, str, frozenset[int] | None], Awaitable[object]]] = {
    "replace": lambda service, tid, versions: service.replace(
        OWNER, task_id=tid, draft=TaskDraft("new"), expected_versions=versions
    ),
    "update": lambda service, tid, versions: service.update(
        OWNER, task_id=tid, changes={"title": "new"}, expected_versions=versions
    ),
    "delete": lambda service, tid, versions: service.delete(OWNER, task_id=tid, expected_versions=versions),
    "toggle": lambda service, tid, versions: service.toggle_completion(OWNER, task_id=tid, expected_versions=versions),
    "set_completion": lambda service, tid, versions: service.set_completion(
        OWNER, task_id=tid, completed=True, expected_versions=versions
    ),
}


async def changed_twice(service: TaskService, clock: Clock) -> Task:
    """A task at version 3."""
    task = await service.create(OWNER, draft=TaskDraft("t"))
    clock.advance()
    await service.toggle_completion(OWNER, task_id=str(task.id))
    clock.advance()
    task = await service.toggle_completion(OWNER, task_id=str(task.id))
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
            await service.get(OWNER, task_id=str(task.id))
    else:
        assert isinstance(result, Task)
        assert result.version == 4
        assert await service.get(OWNER, task_id=str(task.id)) == result


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

    assert await service.get(OWNER, task_id=str(task.id)) == task


@pytest.mark.parametrize("versions", [frozenset({1}), frozenset({1, 2}), frozenset()], ids=["one", "several", "none"])
@pytest.mark.parametrize("write", WRITES.values(), ids=WRITES.keys())
async def test_a_conditional_write_on_a_missing_or_foreign_task_is_not_found(
    service: TaskService, write: Callable[..., Awaitable[object]], versions: frozenset[int]
) -> None:
    theirs = await service.create(OTHER, draft=TaskDraft("t"))

    for task_id in ("0b8f3c52-4d1e-4a7b-9c3d-2e5f6a7b8c9d", str(theirs.id)):
        with pytest.raises(TaskNotFound):
            await write(service, task_id, versions)

    assert await service.get(OTHER, task_id=str(theirs.id)) == theirs


async def test_a_no_op_set_completion_under_the_current_version_changes_nothing(
    service: TaskService, clock: Clock
) -> None:
    task = await changed_twice(service, clock)
    clock.advance()

    assert (
        await service.set_completion(OWNER, task_id=str(task.id), completed=False, expected_versions=frozenset({3}))
        == task
    )
