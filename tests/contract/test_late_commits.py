"""No reader, nor the relay, skips an event that commits late (Postgres, where concurrent transactions are real).

A write holds its owner's feed row from the moment it takes a position until it commits, so a
later write of that owner waits for it and takes the next position after it: a reader can never
see position n+1 while n is uncommitted. Other owners' writes do not wait.
"""

import asyncio
from collections.abc import AsyncIterator

import psycopg
import pytest

from adapters.sql.psycopg_database import PsycopgDatabase
from adapters.sql.relay import SqlRelayLog
from adapters.sql.store import SqlTaskStore
from application.streams import EventStreams, Subscription
from domain.events import ChangeKind, FeedToken, TaskEvent
from tests.databases import create_database, drop_database

from .tasks import LATER, added, make_task

pytestmark = [pytest.mark.anyio, pytest.mark.postgres]


async def events_of(subscription: Subscription, wait: float) -> list[TaskEvent]:
    return [entry.event for entry in await subscription.next_entries(wait)]


@pytest.fixture
async def store(postgres_url: str) -> AsyncIterator[SqlTaskStore]:
    opened = SqlTaskStore(PsycopgDatabase(postgres_url, pool_size=4, timeout=10.0), "postgresql")
    await opened.open()
    yield opened
    await opened.close()


async def test_a_write_that_commits_late_is_seen_before_every_write_after_it(
    store: SqlTaskStore, postgres_url: str, owner: str, other: str
) -> None:
    held, later = await added(store, make_task(owner)), await added(store, make_task(owner))
    await added(store, make_task(other))
    streams = EventStreams(store, max_streams=10, poll_interval=0.02)
    follower, neighbour = (
        await streams.subscribe(owner, after=FeedToken(2)),
        await streams.subscribe(other, after=FeedToken(1)),
    )

    async with await psycopg.AsyncConnection.connect(postgres_url) as connection:
        # Position 3 is taken here and stays uncommitted.
        await connection.execute(
            "UPDATE tasks SET title = 'held', version = version + 1 WHERE user_id = %s AND id = %s", (owner, held.id)
        )
        toggling = asyncio.create_task(store.toggle_completion(owner, task_id=later.id, now=LATER))
        others = await store.toggle_completion(other, task_id=(await store.list(other))[0].id, now=LATER)
        await asyncio.sleep(0.3)

        assert not toggling.done()  # the owner's next write waits for the one holding position 3
        assert (await store.changes(owner, after=2, limit=10)).events == []
        assert await events_of(follower, 0.1) == []
        assert [e.version for e in await events_of(neighbour, 1.0)] == [others.version if others else -1]
        await connection.commit()

    await asyncio.wait_for(toggling, 5)
    seen = await events_of(follower, 1.0)
    seen += await events_of(follower, 0.2) if len(seen) < 2 else []
    assert [(e.position, e.task_id, e.kind) for e in seen] == [
        (3, held.id, ChangeKind.UPDATED),
        (4, later.id, ChangeKind.COMPLETED),
    ]
    assert [e.position for e in (await store.changes(owner, after=2, limit=10)).events] == [3, 4]
    streams.close()


async def test_the_relay_never_skips_an_event_whose_transaction_commits_late(
    postgres_server: str, owner: str, other: str
) -> None:
    url = create_database(postgres_server)
    database = PsycopgDatabase(url, pool_size=4, timeout=10.0)
    await database.open()
    try:
        store, relay = SqlTaskStore(database, "postgresql"), SqlRelayLog(database, "postgresql")
        held = await added(store, make_task(owner))
        await relay.add_sinks(["nats"])
        assert await relay.claim_relay("relay", lease=30)
        async with await psycopg.AsyncConnection.connect(url) as connection:
            # The owner's position 2 is taken here and stays uncommitted while others commit.
            await connection.execute(
                "UPDATE tasks SET title = 'held', version = version + 1 WHERE user_id = %s AND id = %s",
                (owner, held.id),
            )
            for n in range(3):
                await added(store, make_task(other, f"later {n}"))
            assert await asyncio.wait_for(relay.order_committed("relay", limit=100), 5) == 4
            delivered = await relay.events_after(seq=0, limit=100)
            await relay.record_delivered("nats", through=delivered[-1].seq)
            assert sorted((r.event.user_id, r.event.position) for r in delivered) == sorted(
                [(owner, 1), (other, 1), (other, 2), (other, 3)]
            )
            await connection.commit()

        assert await relay.order_committed("relay", limit=100) == 5
        late = await relay.events_after(seq=await relay.delivered_through("nats"), limit=100)
        assert [(r.seq, r.event.user_id, r.event.position, r.event.kind) for r in late] == [
            (5, owner, 2, ChangeKind.UPDATED)
        ]
    finally:
        await database.close()
        drop_database(postgres_server, url)
