"""The event use cases on the memory store: a task's history a page at a time, the owner's changes since a
position, the limits and positions they take, and what retention does to a reader who fell behind."""

from datetime import datetime, timedelta
from uuid import uuid4

import pytest

from adapters.memory import InMemoryTaskStore
from application.events import TaskEvents
from application.tasks import TaskService
from domain.errors import ChangesExpired, InvalidInput, TaskNotFound
from domain.events import EVENT_RETENTION, ChangeKind, FeedToken
from domain.task import Task, TaskDraft, utc_now

from .doubles import OTHER, OWNER, Clock

pytestmark = pytest.mark.anyio


class Later:
    """The pruning clock: well past the retention of everything recorded so far."""

    def __init__(self) -> None:
        self.now = utc_now() + EVENT_RETENTION + timedelta(days=1)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def log() -> InMemoryTaskStore:
    return InMemoryTaskStore()


@pytest.fixture
def tasks(log: InMemoryTaskStore, clock: Clock) -> TaskService:
    return TaskService(log, clock)


@pytest.fixture
def later() -> Later:
    return Later()


@pytest.fixture
def events(log: InMemoryTaskStore, later: Later) -> TaskEvents:
    return TaskEvents(log, later)


async def a_task(tasks: TaskService, owner: str = OWNER, title: str = "Buy milk") -> Task:
    return await tasks.create(owner, draft=TaskDraft(title))


async def test_history_is_the_tasks_events_oldest_first(tasks: TaskService, events: TaskEvents) -> None:
    task = await a_task(tasks)
    await a_task(tasks, title="another")
    renamed = await tasks.replace(OWNER, task_id=str(task.id), draft=TaskDraft("Buy oat milk"))
    done = await tasks.toggle_completion(OWNER, task_id=str(task.id))

    page = await events.history(OWNER, task_id=str(task.id))

    assert [(e.position, e.kind, e.task) for e in page.events] == [
        (1, ChangeKind.CREATED, task),
        (3, ChangeKind.UPDATED, renamed),
        (4, ChangeKind.COMPLETED, done),
    ]
    assert page.next is None


async def test_history_comes_a_page_at_a_time(tasks: TaskService, events: TaskEvents) -> None:
    task = await a_task(tasks)
    for _ in range(4):
        await tasks.toggle_completion(OWNER, task_id=str(task.id))

    first = await events.history(OWNER, task_id=str(task.id), limit=2)
    second = await events.history(OWNER, task_id=str(task.id), cursor=str(first.next), limit=2)
    last = await events.history(OWNER, task_id=str(task.id), cursor=str(second.next), limit=2)

    assert [[e.position for e in page.events] for page in (first, second, last)] == [[1, 2], [3, 4], [5]]
    assert (first.next, second.next, last.next) == (2, 4, None)


async def test_a_page_exactly_as_long_as_the_limit_is_the_last(tasks: TaskService, events: TaskEvents) -> None:
    task = await a_task(tasks)
    await tasks.toggle_completion(OWNER, task_id=str(task.id))

    assert (await events.history(OWNER, task_id=str(task.id), limit=2)).next is None


async def test_a_deleted_tasks_history_is_still_read(tasks: TaskService, events: TaskEvents) -> None:
    task = await a_task(tasks)
    await tasks.delete(OWNER, task_id=str(task.id))

    page = await events.history(OWNER, task_id=str(task.id))

    assert [(e.kind, e.task, e.version) for e in page.events] == [
        (ChangeKind.CREATED, task, 1),
        (ChangeKind.DELETED, None, 1),
    ]


# Random ids get fixed names: every pytest-xdist worker must collect the same tests.
@pytest.mark.parametrize(
    "task_id",
    [
        "abc",
        "-1",
        pytest.param(str(uuid4()), id="unknown uuid"),
        pytest.param(str(uuid4()).upper() + " ", id="unknown uuid in capitals and a space"),
    ],
)
async def test_history_of_no_such_task_is_not_found(tasks: TaskService, events: TaskEvents, task_id: str) -> None:
    await a_task(tasks)

    with pytest.raises(TaskNotFound):
        await events.history(OWNER, task_id=task_id)


async def test_history_of_another_owners_task_is_not_found(tasks: TaskService, events: TaskEvents) -> None:
    task = await a_task(tasks, OTHER)

    with pytest.raises(TaskNotFound):
        await events.history(OWNER, task_id=str(task.id))


async def test_changes_are_the_owners_events_in_commit_order(tasks: TaskService, events: TaskEvents) -> None:
    first = await a_task(tasks)
    await a_task(tasks, OTHER)
    second = await a_task(tasks, title="second")
    await tasks.delete(OWNER, task_id=str(first.id))

    changes = await events.changes(OWNER)

    assert [(e.position, e.kind, e.task_id) for e in changes.events] == [
        (1, ChangeKind.CREATED, first.id),
        (2, ChangeKind.CREATED, second.id),
        (3, ChangeKind.DELETED, first.id),
    ]
    assert changes.next == FeedToken(3)


async def test_next_is_where_to_ask_again(tasks: TaskService, events: TaskEvents) -> None:
    for n in range(5):
        await a_task(tasks, title=f"t{n}")

    first = await events.changes(OWNER, limit=2)
    second = await events.changes(OWNER, after=str(first.next), limit=2)
    third = await events.changes(OWNER, after=str(second.next), limit=2)
    nothing_new = await events.changes(OWNER, after=str(third.next), limit=2)

    assert [[e.position for e in c.events] for c in (first, second, third)] == [[1, 2], [3, 4], [5]]
    assert (first.next, second.next, third.next) == (FeedToken(2), FeedToken(4), FeedToken(5))
    assert (nothing_new.events, nothing_new.next) == ([], FeedToken(5))


async def test_next_is_0_when_nothing_ever_happened(events: TaskEvents) -> None:
    changes = await events.changes(OWNER)

    assert (changes.events, changes.next) == ([], FeedToken(0))
    assert (await events.changes(OWNER, after="0")).next == FeedToken(0)


@pytest.mark.parametrize("limit", [0, -1, 501])
async def test_a_limit_out_of_range_is_invalid(tasks: TaskService, events: TaskEvents, limit: int) -> None:
    task = await a_task(tasks)

    with pytest.raises(InvalidInput) as history:
        await events.history(OWNER, task_id=str(task.id), limit=limit)
    with pytest.raises(InvalidInput) as changes:
        await events.changes(OWNER, limit=limit)

    assert [e.field for e in history.value.errors] == [e.field for e in changes.value.errors] == ["limit"]


@pytest.mark.parametrize("limit", [1, 500])
async def test_limits_at_the_bounds_are_taken(tasks: TaskService, events: TaskEvents, limit: int) -> None:
    task = await a_task(tasks)
    await tasks.toggle_completion(OWNER, task_id=str(task.id))

    assert len((await events.history(OWNER, task_id=str(task.id), limit=limit)).events) == min(limit, 2)
    assert len((await events.changes(OWNER, limit=limit)).events) == min(limit, 2)


@pytest.mark.parametrize("position", ["", "-1", "1.0", "x", " 1", "١", str(2**63)])
async def test_a_position_not_handed_out_is_invalid(tasks: TaskService, events: TaskEvents, position: str) -> None:
    task = await a_task(tasks)

    with pytest.raises(InvalidInput) as history:
        await events.history(OWNER, task_id=str(task.id), cursor=position)
    with pytest.raises(InvalidInput) as changes:
        await events.changes(OWNER, after=position)

    assert [e.field for e in history.value.errors] == ["cursor"]
    assert [e.field for e in changes.value.errors] == ["after"]


async def test_a_position_beyond_the_latest_has_expired(tasks: TaskService, events: TaskEvents) -> None:
    await a_task(tasks)

    with pytest.raises(ChangesExpired):
        await events.changes(OWNER, after="2")


async def test_after_pruning_a_reader_behind_must_start_again(
    tasks: TaskService, events: TaskEvents, later: Later
) -> None:
    kept = await a_task(tasks, title="kept")
    gone = await a_task(tasks, title="gone")
    reader = await events.changes(OWNER)
    await tasks.replace(OWNER, task_id=str(kept.id), draft=TaskDraft("renamed"))
    await tasks.delete(OWNER, task_id=str(gone.id))
    before_pruning = await events.changes(OWNER)

    assert await events.prune() == 3

    with pytest.raises(ChangesExpired):
        await events.changes(OWNER, after=str(reader.next))
    again = await events.changes(OWNER)
    assert [(e.kind, e.task_id) for e in again.events] == [(ChangeKind.UPDATED, kept.id)]
    assert again.events[0].task == await tasks.get(OWNER, task_id=str(kept.id))
    assert (await events.changes(OWNER, after=str(before_pruning.next))).events == []


async def test_pruning_keeps_what_is_younger_than_the_retention(
    tasks: TaskService, log: InMemoryTaskStore, later: Later
) -> None:
    task = await a_task(tasks)
    await tasks.delete(OWNER, task_id=str(task.id))
    events = TaskEvents(log, later, retention=timedelta(days=10_000))

    assert await events.prune() == 0
    assert len((await events.changes(OWNER)).events) == 2


async def test_history_after_pruning_starts_at_what_is_kept(
    tasks: TaskService, events: TaskEvents, later: Later
) -> None:
    task = await a_task(tasks)
    for _ in range(3):
        await tasks.toggle_completion(OWNER, task_id=str(task.id))

    await events.prune()

    page = await events.history(OWNER, task_id=str(task.id))
    assert [(e.position, e.task) for e in page.events] == [(4, await tasks.get(OWNER, task_id=str(task.id)))]
