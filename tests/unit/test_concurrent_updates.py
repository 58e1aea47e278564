"""An update racing another client's write: it retries and keeps their change, or gives up with a conflict."""

from datetime import datetime
from uuid import UUID

import pytest

from application.tasks import TaskService
from domain.errors import EditConflict, TaskNotFound, VersionMismatch
from domain.task import Task, TaskContent, TaskDraft
from tests.unit.doubles import OWNER, Clock, RecordingStore

pytestmark = pytest.mark.anyio


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
                await super().delete(user_id, task_id=task_id)
            else:
                await super().toggle_completion(user_id, task_id=task_id, now=now)
        return await super().replace(
            user_id, task_id=task_id, content=content, now=now, expected_version=expected_version
        )


async def test_update_retries_on_a_concurrent_change_and_keeps_it(clock: Clock) -> None:
    store = RacingStore(races=2)
    service = TaskService(store, clock)
    task = await service.create(OWNER, draft=TaskDraft("t", "notes"))

    updated = await service.update(OWNER, task_id=str(task.id), changes={"title": "mine"})

    # Two rival toggles landed (open -> done -> open), then this edit: nothing was lost.
    assert (updated.title, updated.description, updated.completed, updated.version) == ("mine", "notes", False, 4)
    assert store.replaces == 3


async def test_update_keeps_a_concurrent_change_to_another_field(clock: Clock) -> None:
    store = RacingStore(races=1)
    service = TaskService(store, clock)
    task = await service.create(OWNER, draft=TaskDraft("t"))

    updated = await service.update(OWNER, task_id=str(task.id), changes={"tags": ["x"]})

    assert (updated.completed, updated.tags, updated.version) == (True, ["x"], 3)


async def test_update_gives_up_with_a_conflict_when_the_task_keeps_changing(clock: Clock) -> None:
    store = RacingStore(races=100)
    service = TaskService(store, clock)
    task = await service.create(OWNER, draft=TaskDraft("t"))

    with pytest.raises(EditConflict):
        await service.update(OWNER, task_id=str(task.id), changes={"title": "mine"})

    assert store.replaces == 5
    assert (await service.get(OWNER, task_id=str(task.id))).title == "t"


async def test_update_under_if_match_does_not_retry_a_concurrent_change(clock: Clock) -> None:
    store = RacingStore(races=1)
    service = TaskService(store, clock)
    task = await service.create(OWNER, draft=TaskDraft("t"))

    with pytest.raises(VersionMismatch):
        await service.update(OWNER, task_id=str(task.id), changes={"title": "mine"}, expected_versions=frozenset({1}))

    assert store.replaces == 1
    assert (await service.get(OWNER, task_id=str(task.id))).title == "t"


async def test_update_of_a_task_deleted_meanwhile_is_not_found(clock: Clock) -> None:
    store = RacingStore(races=1, rival="delete")
    service = TaskService(store, clock)
    task = await service.create(OWNER, draft=TaskDraft("t"))

    with pytest.raises(TaskNotFound):
        await service.update(OWNER, task_id=str(task.id), changes={"title": "mine"})
