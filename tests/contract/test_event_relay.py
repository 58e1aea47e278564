"""Every store keeps the relay's side of the log alike: one lease, one order that keeps each owner's,
each sink's progress, and retention that waits for every sink. Each test has a database of its own:
the lease and the order are the database's, not an owner's."""

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta

import pytest

from adapters.memory import InMemoryTaskStore
from adapters.sql.psycopg_database import PsycopgDatabase
from adapters.sql.relay import SqlRelayLog
from adapters.sql.sqlite_database import SqliteDatabase
from adapters.sql.store import SqlTaskStore
from domain.errors import RelayLost
from domain.store import EventRelayLog
from tests.databases import create_database, drop_database

from .tasks import LATER, Store, added, make_task

EVERYTHING = 10_000


@pytest.fixture
def database_url(request: pytest.FixtureRequest) -> Iterator[str]:
    kind = request.param
    if kind == "postgres":
        server = request.getfixturevalue("postgres_server")
        url = create_database(server)
        yield url
        drop_database(server, url)
    else:
        yield request.getfixturevalue("sqlite_url") if kind == "sqlite" else "memory://"


@pytest.fixture
async def stores(database_url: str) -> AsyncIterator[tuple[Store, EventRelayLog]]:
    if database_url == "memory://":
        memory = InMemoryTaskStore()
        yield memory, memory
        return
    if database_url.startswith("sqlite"):
        database: SqliteDatabase | PsycopgDatabase = SqliteDatabase(database_url.removeprefix("sqlite:///"))
        dialect = "sqlite"
    else:
        database, dialect = PsycopgDatabase(database_url, pool_size=4, timeout=5.0), "postgresql"
    await database.open()
    yield SqlTaskStore(database, dialect), SqlRelayLog(database, dialect)
    await database.close()


pytestmark = [
    pytest.mark.anyio,
    pytest.mark.parametrize(
        "database_url",
        ["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
        indirect=True,
    ),
]


async def test_the_relay_orders_every_committed_event_once_keeping_each_owners_order(
    stores: tuple[Store, EventRelayLog], owner: str, other: str
) -> None:
    store, relay = stores
    mine = [await added(store, make_task(owner, f"mine {n}")) for n in range(3)]
    await added(store, make_task(other))
    await store.toggle_completion(owner, task_id=mine[0].id, now=LATER)
    await store.delete(other, task_id=(await store.list(other))[0].id)
    assert await relay.claim_relay("one", lease=5)

    assert await relay.order_committed("one", limit=4) == 4
    assert await relay.order_committed("one", limit=100) == 6
    assert await relay.order_committed("one", limit=100) == 6  # nothing new

    ordered = await relay.events_after(seq=0, limit=EVERYTHING)
    assert [r.seq for r in ordered] == [1, 2, 3, 4, 5, 6]
    for who, positions in ((owner, [1, 2, 3, 4]), (other, [1, 2])):
        assert [r.event.position for r in ordered if r.event.user_id == who] == positions
    assert [r.seq for r in await relay.events_after(seq=4, limit=1)] == [5]


async def test_one_holder_at_a_time_and_a_lapsed_lease_passes_on(
    stores: tuple[Store, EventRelayLog], owner: str
) -> None:
    store, relay = stores
    await added(store, make_task(owner))
    assert await relay.claim_relay("first", lease=0.5)
    assert not await relay.claim_relay("second", lease=0.5)
    assert await relay.claim_relay("first", lease=0.5)  # renewed
    with pytest.raises(RelayLost):
        await relay.order_committed("second", limit=10)

    await asyncio.sleep(0.7)
    assert await relay.claim_relay("second", lease=5)
    with pytest.raises(RelayLost):
        await relay.order_committed("first", limit=10)  # the old holder orders nothing any more
    assert await relay.order_committed("second", limit=10) == 1

    await relay.release_relay("second")
    assert await relay.claim_relay("first", lease=5)  # at once, without waiting for the lease to run out


async def test_each_sink_keeps_its_own_progress_which_only_moves_on(
    stores: tuple[Store, EventRelayLog], owner: str
) -> None:
    store, relay = stores
    for n in range(4):
        await added(store, make_task(owner, f"task {n}"))
    await relay.claim_relay("one", lease=5)
    await relay.order_committed("one", limit=100)
    await relay.add_sinks(["nats", "kafka"])

    await relay.record_delivered("nats", through=3)
    await relay.record_delivered("nats", through=2)  # a late report of an earlier batch
    await relay.add_sinks(["nats"])  # a restart: known sinks keep their progress
    assert (await relay.delivered_through("nats"), await relay.delivered_through("kafka")) == (3, 0)

    backlogs = await relay.backlogs()
    assert {name: b.events for name, b in backlogs.items()} == {"kafka": 4, "nats": 1}
    ordered = await relay.events_after(seq=0, limit=10)
    assert backlogs["nats"].oldest == ordered[3].event.time
    assert backlogs["kafka"].oldest == ordered[0].event.time

    await added(store, make_task(owner, "not ordered yet"))
    assert (await relay.backlogs())["nats"].events == 2

    assert await relay.drop_sink("kafka")
    assert not await relay.drop_sink("kafka")
    assert set(await relay.backlogs()) == {"nats"}


async def test_retention_keeps_every_event_a_sink_has_not_been_given(
    stores: tuple[Store, EventRelayLog], owner: str
) -> None:
    store, relay = stores
    task = await added(store, make_task(owner))
    for n in range(3):
        await store.toggle_completion(owner, task_id=task.id, now=LATER + timedelta(seconds=n))
    later = LATER + timedelta(days=1)
    await relay.add_sinks(["nats"])
    await relay.claim_relay("one", lease=5)

    assert await store.prune_events(owner, recorded_before=later, limit=100) == 0  # none ordered yet
    await relay.order_committed("one", limit=100)
    assert await store.prune_events(owner, recorded_before=later, limit=100) == 0  # none delivered yet
    await relay.record_delivered("nats", through=2)
    assert await store.prune_events(owner, recorded_before=later, limit=100) == 2  # positions 1 and 2 only
    assert [e.position for e in (await store.changes(owner, after=0, limit=10)).events] == [3, 4]

    await relay.drop_sink("nats")  # forgotten: retention waits for it no more
    assert await store.prune_events(owner, recorded_before=later, limit=100) == 1  # all but the task's latest


async def test_numbers_are_never_handed_out_twice_after_retention_removed_the_last(
    stores: tuple[Store, EventRelayLog], owner: str
) -> None:
    store, relay = stores
    task = await added(store, make_task(owner))
    await store.delete(owner, task_id=task.id)
    await relay.add_sinks(["nats"])
    await relay.claim_relay("one", lease=5)
    assert await relay.order_committed("one", limit=100) == 2
    await relay.record_delivered("nats", through=2)
    assert await store.prune_events(owner, recorded_before=LATER + timedelta(days=365 * 100), limit=100) == 2

    await added(store, make_task(owner, "after"))
    assert await relay.order_committed("one", limit=100) == 3
    assert [
        (r.seq, r.event.task.title if r.event.task else None) for r in await relay.events_after(seq=2, limit=10)
    ] == [(3, "after")]
