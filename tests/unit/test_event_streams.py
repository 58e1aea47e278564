"""EventStreams on the memory store: one poller feeds every stream, in order, nothing lost or repeated."""

import asyncio
from uuid import uuid4

import pytest

from adapters.memory import InMemoryTaskStore
from application.streams import EventStreams, StreamsClosed, Subscription, TooManyStreams
from application.tasks import TaskService
from domain.errors import ChangesExpired
from domain.events import FeedToken, TaskEvent
from domain.task import TaskDraft

pytestmark = pytest.mark.anyio
POLL = 0.01


@pytest.fixture
def store() -> InMemoryTaskStore:
    return InMemoryTaskStore()


@pytest.fixture
def tasks(store: InMemoryTaskStore) -> TaskService:
    return TaskService(store)


@pytest.fixture
def streams(store: InMemoryTaskStore) -> EventStreams:
    return EventStreams(store, max_streams=3, poll_interval=POLL)


async def next_events(subscription: Subscription, wait: float) -> list[TaskEvent]:
    return [entry.event for entry in await subscription.next_entries(wait)]


async def positions(subscription, count: int, wait: float = 1.0) -> list[int]:  # type: ignore[no-untyped-def]
    seen: list[int] = []
    async with asyncio.timeout(wait):
        while len(seen) < count:
            seen += [event.position for event in await next_events(subscription, wait)]
    return seen


async def test_a_stream_starts_with_what_is_committed_then_follows_new_events(
    tasks: TaskService, streams: EventStreams
) -> None:
    first = await tasks.create("ann", draft=TaskDraft("one"))
    subscription = await streams.subscribe("ann", after=FeedToken(0))
    assert [e.task_id for e in await next_events(subscription, 0.1)] == [first.id]

    second = await tasks.create("ann", draft=TaskDraft("two"))
    await tasks.toggle_completion("ann", task_id=str(second.id))
    events = await next_events(subscription, 1.0)
    events += [] if len(events) == 2 else await next_events(subscription, 1.0)
    assert [(e.position, e.task_id, e.kind) for e in events] == [
        (2, second.id, "created"),
        (3, second.id, "completed"),
    ]


async def test_a_stream_resumes_after_a_position_and_sees_only_its_owner(
    tasks: TaskService, streams: EventStreams
) -> None:
    for n in range(3):
        await tasks.create("ann", draft=TaskDraft(f"t{n}"))
    subscription = await streams.subscribe("ann", after=FeedToken(2))
    await tasks.create("bob", draft=TaskDraft("not ann's"))
    await tasks.create("ann", draft=TaskDraft("t3"))
    assert await positions(subscription, 2) == [3, 4]
    assert await next_events(subscription, 3 * POLL) == []


async def test_every_stream_of_an_owner_gets_every_event_once_in_order(
    tasks: TaskService, store: InMemoryTaskStore
) -> None:
    streams = EventStreams(store, max_streams=50, poll_interval=POLL)
    subscriptions = [await streams.subscribe("ann", after=FeedToken(0)) for _ in range(20)]
    for n in range(30):
        await tasks.create("ann", draft=TaskDraft(f"t{n}"))
        if n % 7 == 0:
            await asyncio.sleep(POLL)
    for subscription in subscriptions:
        assert await positions(subscription, 30) == list(range(1, 31))


async def test_nothing_committed_means_an_empty_wait(streams: EventStreams) -> None:
    subscription = await streams.subscribe(f"quiet-{uuid4()}", after=FeedToken())
    assert await next_events(subscription, 0.05) == []


async def test_beyond_the_limit_a_stream_is_refused_until_one_ends(streams: EventStreams) -> None:
    held = [await streams.subscribe("ann", after=FeedToken(0)) for _ in range(3)]
    with pytest.raises(TooManyStreams):
        await streams.subscribe("bob", after=FeedToken(0))
    streams.unsubscribe(held[0])
    streams.unsubscribe(held[0])  # a second end changes nothing
    assert streams.open_streams == 2
    await streams.subscribe("bob", after=FeedToken(0))


async def test_a_position_past_the_feed_is_refused_and_not_counted(streams: EventStreams) -> None:
    with pytest.raises(ChangesExpired):
        await streams.subscribe("ann", after=FeedToken(5))
    assert streams.open_streams == 0


async def test_closing_ends_every_stream_and_refuses_new_ones(streams: EventStreams) -> None:
    subscription = await streams.subscribe("ann", after=FeedToken(0))
    waiting = asyncio.create_task(next_events(subscription, 10))
    await asyncio.sleep(0)
    streams.close()
    with pytest.raises(StreamsClosed):
        await asyncio.wait_for(waiting, 1)
    with pytest.raises(StreamsClosed):
        await streams.subscribe("ann", after=FeedToken(0))


async def test_a_reader_far_behind_reads_the_log_itself_and_still_misses_nothing(
    tasks: TaskService, store: InMemoryTaskStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("application.streams.MAX_WAITING", 5)
    monkeypatch.setattr("application.streams.BATCH", 4)
    for n in range(10):
        await tasks.create("ann", draft=TaskDraft(f"before {n}"))
    streams = EventStreams(store, max_streams=5, poll_interval=POLL)
    slow = await streams.subscribe("ann", after=FeedToken(0))  # ten waiting, four read: it starts behind
    for n in range(12):
        await tasks.create("ann", draft=TaskDraft(f"after {n}"))
        await asyncio.sleep(POLL / 2)
    seen = await positions(slow, 22)
    assert seen == list(range(1, 23))
