"""The relay's side of the log on SQL (the `EventRelayLog` port): its lease, its order, the sinks' progress.

Why an order of the relay's own: positions order each owner's events, but events of different owners
commit in any order, so no number given at write time can tell a reader "nothing will commit below
me any more". The relay numbers (`relay_seq`) only what it sees committed; an owner's event n+1
commits after n (the owner's feed row is locked in between), so whenever n+1 is seen, n is too, and
gets a lower number. A sink that has everything through a number has everything before it, however
late its transaction committed. The numbers have no gaps, and retention never removes one a sink lacks.

The lease is a row, not an advisory lock, so that it works through a transaction-mode pooler and on
SQLite alike; its times are the database's clock, so instances on machines whose clocks differ agree.
"""

from collections.abc import Collection
from functools import cache
from typing import Any

from sqlalchemy import BigInteger, Float, Integer, String, bindparam, delete, func, literal_column, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql import ColumnElement, Insert, Update

from adapters.sql.schema import event_relay, event_sinks, task_events
from adapters.sql.statements import EVENT_COLUMNS
from adapters.sql.store import Database, event_from_row
from domain.errors import RelayLost
from domain.events import Backlog, RelayedEvent

_relay, _sinks, _event = event_relay.c, event_sinks.c, task_events.c
_holder = bindparam("holder", type_=String())
_held = _relay.holder == _holder


def _database_clock(dialect: str) -> ColumnElement[Any]:
    if dialect == "postgresql":
        return func.extract("epoch", func.clock_timestamp())
    return (func.julianday(literal_column("'now'")) - literal_column("2440587.5")) * literal_column("86400.0")


@cache
def claim(dialect: str) -> Update:
    now = _database_clock(dialect)
    return (
        update(event_relay)
        .where(_held | (_relay.lease_until < now))
        .values(holder=_holder, lease_until=now + bindparam("lease", type_=Float()))
        .returning(_relay.holder)
    )


RELEASE = update(event_relay).where(_held).values(lease_until=literal_column("0.0", Float()))

# Ordering, in one transaction: lock the relay's row if this holder still holds it (a relay that lost
# the lease changes nothing), number the committed events not yet numbered after
# the last number, and move the last number on.
LOCK_IF_HELD = update(event_relay).where(_held).values(holder=_relay.holder)
_unordered = (
    select(
        _event.user_id,
        _event.position,
        func.row_number().over(order_by=(_event.user_id, _event.position)).label("n"),
    )
    .where(_event.relay_seq.is_(None))
    .order_by(_event.user_id, _event.position)
    .limit(bindparam("limit", type_=Integer()))
    .subquery()
)
_last_if_held = select(_relay.last_seq).where(_held).scalar_subquery()
NUMBER_UNORDERED = (
    update(task_events)
    .where((_event.user_id == _unordered.c.user_id) & (_event.position == _unordered.c.position))
    .where(_last_if_held.is_not(None))
    .values(relay_seq=_last_if_held + _unordered.c.n)
)
_numbered_past_last = select(func.max(_event.relay_seq)).where(_event.relay_seq > _relay.last_seq).scalar_subquery()
ADVANCE_LAST = (
    update(event_relay)
    .where(_held)
    .values(last_seq=func.coalesce(_numbered_past_last, _relay.last_seq))
    .returning(_relay.last_seq)
)


@cache
def add_sink(dialect: str) -> Insert:
    dialect_insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return dialect_insert(event_sinks).on_conflict_do_nothing(index_elements=["name"])


_sink = bindparam("sink", type_=String())
_through = bindparam("through", type_=BigInteger())
DROP_SINK = delete(event_sinks).where(_sinks.name == _sink).returning(_sinks.name)
DELIVERED_THROUGH = select(_sinks.delivered_through).where(_sinks.name == _sink)
RECORD_DELIVERED = (
    update(event_sinks)
    .where((_sinks.name == _sink) & (_sinks.delivered_through < _through))
    .values(delivered_through=_through)
)
EVENTS_AFTER = (
    select(_event.relay_seq, *EVENT_COLUMNS)
    .where(_event.relay_seq > bindparam("after", type_=BigInteger()))
    .order_by(_event.relay_seq)
    .limit(bindparam("limit", type_=Integer()))
)

# What /metrics and the backlog warning read: the numbers have no gaps and nothing a sink lacks is
# pruned, so a sink lacks (last number - its progress) numbered events, plus every one not yet numbered.
SINKS = select(_sinks.name, _sinks.delivered_through).order_by(_sinks.name)
LAST_SEQ = select(_relay.last_seq)
UNORDERED = select(func.count(), func.min(_event.time)).where(_event.relay_seq.is_(None))
TIME_OF = select(_event.time).where(_event.relay_seq == bindparam("seq", type_=BigInteger()))


class SqlRelayLog:
    def __init__(self, database: Database, dialect: str) -> None:
        self.database = database
        self.dialect = dialect

    async def claim_relay(self, holder: str, *, lease: float) -> bool:
        return await self.database.fetch_one(claim(self.dialect), {"holder": holder, "lease": lease}) is not None

    async def release_relay(self, holder: str) -> None:
        await self.database.execute(RELEASE, {"holder": holder})

    async def order_committed(self, holder: str, *, limit: int) -> int:
        held = {"holder": holder}
        rows = await self.database.fetch_all_after(
            [(LOCK_IF_HELD, held), (NUMBER_UNORDERED, held | {"limit": limit}), (ADVANCE_LAST, held)]
        )
        if not rows:
            raise RelayLost(holder)
        return int(rows[0][0])

    async def add_sinks(self, names: Collection[str]) -> None:
        for name in names:
            await self.database.execute(add_sink(self.dialect), {"name": name, "delivered_through": 0})

    async def drop_sink(self, name: str) -> bool:
        return await self.database.fetch_one(DROP_SINK, {"sink": name}) is not None

    async def delivered_through(self, sink: str) -> int:
        row = await self.database.fetch_one(DELIVERED_THROUGH, {"sink": sink})
        return 0 if row is None else int(row[0])

    async def record_delivered(self, sink: str, *, through: int) -> None:
        await self.database.execute(RECORD_DELIVERED, {"sink": sink, "through": through})

    async def events_after(self, *, seq: int, limit: int) -> list[RelayedEvent]:
        rows = await self.database.fetch_all(EVENTS_AFTER, {"after": seq, "limit": limit})
        return [RelayedEvent(row[0], event_from_row(row[1:])) for row in rows]

    async def backlogs(self) -> dict[str, Backlog]:
        sinks = await self.database.fetch_all(SINKS, {})
        if not sinks:
            return {}
        last = await self.database.fetch_one(LAST_SEQ, {})
        unordered, unordered_oldest = await self.database.fetch_one(UNORDERED, {}) or (0, None)
        backlogs = {}
        for name, delivered in sinks:
            ordered = (last[0] if last else 0) - delivered
            oldest = await self.database.fetch_one(TIME_OF, {"seq": delivered + 1}) if ordered else None
            backlogs[name] = Backlog(ordered + unordered, oldest[0] if oldest else unordered_oldest)
        return backlogs
