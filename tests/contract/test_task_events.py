"""Every TaskStore records each change as an event in the change's own transaction, in commit order."""

import asyncio
from datetime import timedelta
from uuid import UUID, uuid4

import pytest

from application.events import read_feed
from domain.errors import ChangesExpired
from domain.events import ChangeKind, FeedToken, TaskEvent
from domain.task import Task, TaskContent, utc_now

from .tasks import LATER, T0, Store, added, make_task

pytestmark = pytest.mark.anyio
EVERYTHING = 10_000


async def feed(store: Store, owner: str, after: int = 0) -> list[TaskEvent]:
    return (await store.changes(owner, after=after, limit=EVERYTHING)).events


async def read(store: Store, owner: str, after: FeedToken, limit: int = EVERYTHING) -> list[TaskEvent]:
    """The events a reader holding the token gets; `ChangesExpired` when it must start again."""
    return [entry.event for entry in (await read_feed(store, owner, after=after, limit=limit)).entries]


def replayed(events: list[TaskEvent], tasks: dict[UUID, Task] | None = None) -> dict[UUID, Task]:
    """What a reader holds after applying the events, in order, to what it had."""
    tasks = dict(tasks or {})
    for event in events:
        if event.task is None:
            tasks.pop(event.task_id, None)
        else:
            tasks[event.task_id] = event.task
    return tasks


async def current(store: Store, owner: str) -> dict[UUID, Task]:
    from domain.query import TaskQuery

    return {task.id: task for task in await store.list(owner, query=TaskQuery(limit=EVERYTHING))}


async def test_each_kind_of_change_records_one_event_with_the_task_after_it(store: Store, owner: str) -> None:
    task = await added(store, make_task(owner))
    replaced = await store.replace(owner, task_id=task.id, content=TaskContent("renamed"), now=LATER)
    completed = await store.toggle_completion(owner, task_id=task.id, now=LATER + timedelta(seconds=1))
    reopened = await store.set_completion(owner, task_id=task.id, completed=False, now=LATER + timedelta(seconds=2))
    assert await store.delete(owner, task_id=task.id)

    events = await feed(store, owner)
    assert [(e.position, e.kind, e.version) for e in events] == [
        (1, ChangeKind.CREATED, 1),
        (2, ChangeKind.UPDATED, 2),
        (3, ChangeKind.COMPLETED, 3),
        (4, ChangeKind.REOPENED, 4),
        (5, ChangeKind.DELETED, 4),
    ]
    assert [e.task for e in events] == [task, replaced, completed, reopened, None]
    assert {(e.user_id, e.task_id) for e in events} == {(owner, task.id)}
    assert [e.time for e in events[:4]] == [T0, LATER, LATER + timedelta(seconds=1), LATER + timedelta(seconds=2)]
    assert abs(events[4].time - utc_now()) < timedelta(minutes=1)


async def test_a_replace_that_flips_completion_is_a_completion(store: Store, owner: str) -> None:
    task = await added(store, make_task(owner))
    await store.replace(owner, task_id=task.id, content=TaskContent("done and renamed", completed=True), now=LATER)
    await store.replace(owner, task_id=task.id, content=TaskContent("undone", completed=False), now=LATER)
    assert [e.kind for e in await feed(store, owner)] == [ChangeKind.CREATED, ChangeKind.COMPLETED, ChangeKind.REOPENED]


async def test_writes_that_change_nothing_record_nothing(store: Store, owner: str, other: str) -> None:
    task = await added(store, make_task(owner))
    assert await store.set_completion(owner, task_id=task.id, completed=False, now=LATER) == task
    assert await store.toggle_completion(owner, task_id=task.id, now=LATER, expected_version=7) is None
    assert await store.replace(owner, task_id=task.id, content=TaskContent("x"), now=LATER, expected_version=7) is None
    assert not await store.delete(owner, task_id=task.id, expected_version=7)
    assert await store.toggle_completion(other, task_id=task.id, now=LATER) is None
    assert not await store.delete(owner, task_id=uuid4())
    assert [e.kind for e in await feed(store, owner)] == [ChangeKind.CREATED]
    assert await feed(store, other) == []


async def test_a_replayed_idempotent_add_records_one_creation(store: Store, owner: str) -> None:
    first = make_task(owner)
    await store.add(first, idempotency_key="key-1", fingerprint="print")
    await store.add(make_task(owner), idempotency_key="key-1", fingerprint="print")
    assert [(e.kind, e.task_id) for e in await feed(store, owner)] == [(ChangeKind.CREATED, first.id)]


async def test_the_feed_is_the_owners_alone_and_continues_after_a_position(
    store: Store, owner: str, other: str
) -> None:
    mine = [await added(store, make_task(owner, title=f"mine {n}")) for n in range(5)]
    await added(store, make_task(other))
    assert [e.task_id for e in await read(store, owner, FeedToken(0), 2)] == [mine[0].id, mine[1].id]
    assert [e.task_id for e in await read(store, owner, FeedToken(2), 2)] == [mine[2].id, mine[3].id]
    assert [e.task_id for e in await read(store, owner, FeedToken(4), 2)] == [mine[4].id]
    assert await read(store, owner, FeedToken(5), 2) == []
    assert [e.position for e in await feed(store, other)] == [1]


async def test_a_position_the_feed_never_reached_has_expired(store: Store, owner: str) -> None:
    await added(store, make_task(owner))
    with pytest.raises(ChangesExpired):
        await read(store, owner, FeedToken(2), 10)
    with pytest.raises(ChangesExpired):
        await read(store, f"nobody-{uuid4()}", FeedToken(1))
    assert await read(store, f"nobody-{uuid4()}", FeedToken(0)) == []


async def test_history_is_one_tasks_events_oldest_first_and_outlives_the_task(
    store: Store, owner: str, other: str
) -> None:
    task = await added(store, make_task(owner))
    neighbour = await added(store, make_task(owner))
    await store.toggle_completion(owner, task_id=task.id, now=LATER)
    await store.toggle_completion(owner, task_id=neighbour.id, now=LATER)
    await store.delete(owner, task_id=task.id)

    history = await store.history(owner, task_id=task.id, after=0, limit=EVERYTHING)
    assert [(e.kind, e.version) for e in history] == [
        (ChangeKind.CREATED, 1),
        (ChangeKind.COMPLETED, 2),
        (ChangeKind.DELETED, 2),
    ]
    assert await store.history(owner, task_id=task.id, after=history[0].position, limit=1) == [history[1]]
    assert await store.history(other, task_id=task.id, after=0, limit=EVERYTHING) == []


async def test_41_concurrent_toggles_record_41_events_in_version_order(store: Store, owner: str) -> None:
    task = await added(store, make_task(owner))
    await asyncio.gather(*(store.toggle_completion(owner, task_id=task.id, now=LATER) for _ in range(41)))
    events = await feed(store, owner)
    assert [e.version for e in events] == list(range(1, 43))
    assert [e.position for e in events] == list(range(1, 43))
    kinds = [e.kind for e in events[1:]]
    assert kinds == [ChangeKind.COMPLETED, ChangeKind.REOPENED] * 20 + [ChangeKind.COMPLETED]


async def test_concurrent_writers_to_many_tasks_leave_a_feed_that_replays_to_the_tasks(
    store: Store, owner: str
) -> None:
    tasks = [await added(store, make_task(owner, title=f"t{n}")) for n in range(8)]

    async def writer(n: int) -> None:
        for step in range(6):
            task = tasks[(n + step) % len(tasks)]
            if step == 5 and n % 3 == 0:
                await store.delete(owner, task_id=task.id)
            elif step % 2:
                await store.toggle_completion(owner, task_id=task.id, now=LATER)
            else:
                await store.replace(owner, task_id=task.id, content=TaskContent(f"w{n} s{step}"), now=LATER)
            await added(store, make_task(owner, title=f"new {n} {step}")) if step == 3 else None

    await asyncio.gather(*(writer(n) for n in range(32)))
    events = await feed(store, owner)
    assert [e.position for e in events] == list(range(1, len(events) + 1))
    assert replayed(events) == await current(store, owner)


async def test_retention_keeps_each_live_tasks_latest_event_so_a_replay_still_gives_the_tasks(
    store: Store, owner: str
) -> None:
    kept = await added(store, make_task(owner, title="kept"))
    changed = await added(store, make_task(owner, title="changed"))
    await store.toggle_completion(owner, task_id=changed.id, now=LATER)
    gone = await added(store, make_task(owner, title="gone"))
    await store.delete(owner, task_id=gone.id)
    before_pruning = await feed(store, owner)

    assert await store.prune_events(owner, recorded_before=utc_now() + timedelta(days=1), limit=100) == 3
    assert await store.prune_events(owner, recorded_before=utc_now() + timedelta(days=1), limit=100) == 0
    left = await feed(store, owner)
    assert [(e.task_id, e.version) for e in left] == [(kept.id, 1), (changed.id, 2)]
    assert replayed(left) == replayed(before_pruning) == await current(store, owner)


async def test_retention_removes_only_events_older_than_its_bound(store: Store, owner: str) -> None:
    task = await added(store, make_task(owner))
    await store.replace(owner, task_id=task.id, content=TaskContent("later"), now=LATER)
    await store.replace(owner, task_id=task.id, content=TaskContent("latest"), now=LATER + timedelta(days=3))
    assert await store.prune_events(owner, recorded_before=LATER + timedelta(days=1), limit=100) == 2
    assert [e.version for e in await feed(store, owner)] == [3]


async def test_after_pruning_a_reader_behind_the_pruned_events_is_told_to_start_again(store: Store, owner: str) -> None:
    task = await added(store, make_task(owner))
    for step in range(4):
        await store.toggle_completion(owner, task_id=task.id, now=LATER + timedelta(seconds=step))
    await store.prune_events(owner, recorded_before=LATER + timedelta(seconds=2), limit=100)  # positions 1 to 3 go
    for behind in (1, 2):
        with pytest.raises(ChangesExpired):
            await read(store, owner, FeedToken(behind))
    assert [e.position for e in await read(store, owner, FeedToken(3), 10)] == [4, 5]
    assert [e.position for e in await read(store, owner, FeedToken(0), 10)] == [4, 5]


async def test_pruning_goes_in_batches(store: Store, owner: str) -> None:
    task = await added(store, make_task(owner))
    for _ in range(6):
        await store.toggle_completion(owner, task_id=task.id, now=LATER)
    assert await store.prune_events(owner, recorded_before=utc_now() + timedelta(days=1), limit=4) == 4
    with pytest.raises(ChangesExpired):
        await read(store, owner, FeedToken(3), 10)
    assert [e.position for e in await read(store, owner, FeedToken(4), 10)] == [5, 6, 7]
    assert await store.prune_events(owner, recorded_before=utc_now() + timedelta(days=1), limit=4) == 2


async def test_latest_positions_and_feed_owners_name_owners_with_events(store: Store, owner: str, other: str) -> None:
    await added(store, make_task(owner))
    await added(store, make_task(owner))
    await added(store, make_task(other))
    nobody = f"nobody-{uuid4()}"
    assert await store.latest_positions([owner, other, nobody]) == {owner: 2, other: 1}
    assert await store.latest_positions([]) == {}
    listed = await store.feed_owners(after="", limit=EVERYTHING)
    assert {owner, other} <= set(listed)
    assert listed == sorted(listed)
    assert owner not in await store.feed_owners(after=owner, limit=EVERYTHING)


# Retention and resuming: a reader that starts from nothing and follows each token reaches the present
# and stays there, whatever retention removed (the retention clock moved two days on, with one day kept).
TWO_DAYS_ON = timedelta(days=2)


async def prune(store: Store, owner: str) -> int:
    return await store.prune_events(
        owner, recorded_before=utc_now() + TWO_DAYS_ON - timedelta(days=1), limit=EVERYTHING
    )


async def follow(store: Store, owner: str, limit: int) -> tuple[list[TaskEvent], FeedToken]:
    """Every event from nothing on, a page at a time, following each token until one comes back
    unchanged with no events: the events, and that token (the present)."""
    events: list[TaskEvent] = []
    after = FeedToken()
    while True:
        page = await read_feed(store, owner, after=after, limit=limit)
        events += [entry.event for entry in page.entries]
        if not page.entries and page.next == after:
            return events, after
        after = page.next


async def test_after_retention_a_reader_from_nothing_reaches_the_present_and_stays(store: Store, owner: str) -> None:
    kept = await added(store, make_task(owner, title="t1"))
    gone = await added(store, make_task(owner, title="t2"))
    assert await store.delete(owner, task_id=gone.id)
    assert await prune(store, owner) == 2  # t2's creation and deletion; t1's creation is its latest

    events, present = await follow(store, owner, limit=100)

    assert [(e.position, e.task_id) for e in events] == [(1, kept.id)]
    assert present == FeedToken(3)  # where the feed is: what retention removed after t1 changes nothing
    later = await added(store, make_task(owner, title="t3"))
    assert [entry.event.task_id for entry in (await read_feed(store, owner, after=present, limit=100)).entries] == [
        later.id
    ]


async def test_after_retention_paging_from_nothing_never_runs_into_what_was_removed(store: Store, owner: str) -> None:
    a, b, _ = [await added(store, make_task(owner, title=title)) for title in "abc"]
    await store.replace(owner, task_id=a.id, content=TaskContent("a again"), now=LATER)
    await store.replace(owner, task_id=b.id, content=TaskContent("b again"), now=LATER)
    await store.replace(owner, task_id=b.id, content=TaskContent("b once more"), now=LATER)
    assert await prune(store, owner) == 3  # positions 1, 2 and 5 go; 3, 4 and 6 are the tasks' latest

    for limit in (1, 2, 3):
        events, present = await follow(store, owner, limit)
        assert [e.position for e in events] == [3, 4, 6]
        assert replayed(events) == await current(store, owner)
        assert present == FeedToken(6)
    # Below the bound a token names it, except where the read shows that nothing kept lies before it.
    assert [str(entry.token) for entry in (await read_feed(store, owner, after=FeedToken(), limit=2)).entries] == [
        "3~5",
        "4~5",
    ]
    assert [str(entry.token) for entry in (await read_feed(store, owner, after=FeedToken(), limit=3)).entries] == [
        "3~5",
        "5",
        "6",
    ]


async def test_a_replay_below_what_retention_removed_must_start_again_once_it_removes_more(
    store: Store, owner: str
) -> None:
    tasks = [await added(store, make_task(owner, title=f"t{n}")) for n in range(3)]
    passing = await added(store, make_task(owner, title="passing"))
    assert await store.delete(owner, task_id=passing.id)
    await prune(store, owner)  # positions 4 and 5 go
    replaying = (await read_feed(store, owner, after=FeedToken(), limit=1)).next
    assert replaying == FeedToken(1, under=5)
    assert [e.task_id for e in await read(store, owner, replaying, 1)] == [tasks[1].id]

    doomed = await added(store, make_task(owner, title="doomed"))
    await store.delete(owner, task_id=doomed.id)
    await store.prune_events(
        owner, recorded_before=utc_now() + TWO_DAYS_ON, limit=EVERYTHING
    )  # the bound moves on, to 7

    with pytest.raises(ChangesExpired):
        await read(store, owner, replaying)
    events, present = await follow(store, owner, limit=1)
    assert replayed(events) == await current(store, owner)
    assert present == FeedToken(7)


async def test_retention_removes_a_prefix_and_stops_at_the_first_event_young_enough_to_keep(
    store: Store, owner: str
) -> None:
    task = await added(store, make_task(owner))  # 1
    await added(store, make_task(owner, created_at=LATER + timedelta(days=3)))  # 2: young
    await store.replace(owner, task_id=task.id, content=TaskContent("old time, later position"), now=LATER)  # 3
    await store.replace(owner, task_id=task.id, content=TaskContent("latest"), now=LATER + timedelta(seconds=1))  # 4

    assert await store.prune_events(owner, recorded_before=LATER + timedelta(days=1), limit=EVERYTHING) == 1

    assert [e.position for e in await feed(store, owner)] == [2, 3, 4]
