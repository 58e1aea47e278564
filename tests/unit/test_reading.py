"""Reading through the service: one task by id, lists a page at a time in the asked order and filter, the store check."""

import pytest

from application.tasks import TaskService
from domain.query import Page, Position, SortKey, TaskFilter, TaskQuery
from domain.task import Priority, TaskDraft
from tests.unit.doubles import DUE, OTHER, OWNER, Clock

pytestmark = pytest.mark.anyio


async def test_get_accepts_the_id_in_upper_case(service: TaskService) -> None:
    task = await service.create(OWNER, draft=TaskDraft("t"))
    assert await service.get(OWNER, task_id=str(task.id).upper()) == task


async def test_check_store_answers(service: TaskService) -> None:
    assert await service.check_store() is None


# --- order ----------------------------------------------------------------------------------


async def test_list_is_in_creation_order(service: TaskService, clock: Clock) -> None:
    created = []
    for title in ["c", "a", "b"]:
        created.append(await service.create(OWNER, draft=TaskDraft(title)))
        clock.advance()
    await service.create(OTHER, draft=TaskDraft("not mine"))
    assert await service.list(OWNER) == Page(created, None)


async def test_list_breaks_timestamp_ties_by_id(service: TaskService) -> None:
    created = [await service.create(OWNER, draft=TaskDraft(str(n))) for n in range(10)]
    assert (await service.list(OWNER)).tasks == sorted(created, key=lambda task: task.id)


async def test_list_of_a_user_without_tasks_is_empty(service: TaskService) -> None:
    assert await service.list("nobody") == Page([], None)


# --- pages ----------------------------------------------------------------------------------


async def test_list_returns_a_page_and_where_the_next_one_starts(service: TaskService, clock: Clock) -> None:
    created = []
    for n in range(5):
        created.append(await service.create(OWNER, draft=TaskDraft(f"t{n}")))
        clock.advance()

    first = await service.list(OWNER, query=TaskQuery(limit=2))
    second = await service.list(OWNER, query=TaskQuery(limit=2, after=first.next))
    last = await service.list(OWNER, query=TaskQuery(limit=2, after=second.next))

    assert first == Page(created[:2], Position(created[1].created_at, created[1].id))
    assert second == Page(created[2:4], Position(created[3].created_at, created[3].id))
    assert last == Page(created[4:], None)


async def test_a_page_exactly_as_long_as_the_limit_is_the_last(service: TaskService, clock: Clock) -> None:
    for n in range(3):
        await service.create(OWNER, draft=TaskDraft(f"t{n}"))
        clock.advance()

    page = await service.list(OWNER, query=TaskQuery(limit=3))

    assert (len(page.tasks), page.next) == (3, None)


@pytest.mark.parametrize("limit", [1, 499, 500])
async def test_every_allowed_limit_lists(service: TaskService, limit: int) -> None:
    task = await service.create(OWNER, draft=TaskDraft("t"))

    assert await service.list(OWNER, query=TaskQuery(limit=limit)) == Page([task], None)


async def test_the_next_position_follows_the_sort(service: TaskService, clock: Clock) -> None:
    for title, priority in [("c", "low"), ("a", "high"), ("b", "none")]:
        await service.create(OWNER, draft=TaskDraft(title, priority=priority, due_at=None if title == "b" else DUE))
        clock.advance()

    by_title = await service.list(OWNER, query=TaskQuery(sort=SortKey.TITLE, descending=True, limit=1))
    by_due = await service.list(OWNER, query=TaskQuery(sort=SortKey.DUE, descending=True, limit=1))
    by_priority = await service.list(OWNER, query=TaskQuery(sort=SortKey.PRIORITY, limit=2))

    assert by_title.next == Position("c", by_title.tasks[0].id)
    assert by_due.next == Position(None, by_due.tasks[0].id)
    assert by_due.tasks[0].title == "b"
    assert [t.title for t in by_priority.tasks] == ["b", "c"]
    assert by_priority.next == Position(Priority.LOW, by_priority.tasks[1].id)


# --- filter ---------------------------------------------------------------------------------


async def test_list_applies_the_filter(service: TaskService) -> None:
    await service.create(OWNER, draft=TaskDraft("open"))
    done = await service.create(OWNER, draft=TaskDraft("done", completed=True))

    assert (await service.list(OWNER, query=TaskQuery(TaskFilter(completed=True)))).tasks == [done]
