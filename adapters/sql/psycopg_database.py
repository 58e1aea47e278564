"""Runs statements on Postgres straight through a psycopg connection pool: the fast path.

SQLAlchemy builds each statement once; its SQL is compiled once and then executed as a
server-side prepared statement, one round trip per request, with no ORM or async-engine layer.

When the database fails, a request gets `StoreUnavailable` (a 503 with Retry-After), never a 500
and never an unbounded wait:

- Every connection-level error is a `StoreUnavailable`: `psycopg.OperationalError` and all its
  subclasses (a refused or dropped connection, `AdminShutdown` while the server stops, the pool's
  `PoolTimeout` and `PoolClosed`), and `psycopg.InterfaceError` on a connection that is closed.
- A request waits at most `timeout` seconds (TODO_DB_TIMEOUT) for a connection, its one retry
  included. While every connection is out, requests queue on a semaphore with one turn per
  connection, in arrival order, rather than in the pool's own queue, which costs far more per
  waiting request (under load, most of them wait). New connections give up after
  `connect_timeout` seconds (the same timeout, unless the URL or PGCONNECT_TIMEOUT sets it), so the
  pool never sits on a host that does not answer.
- A connection that failed is closed (libpq marks it BAD), and the pool discards a BAD connection
  when it is returned and opens a replacement in the background, retrying 1 s, then 2 s later; a
  slot that has failed for RECONNECT_WINDOW seconds is given up and the next waiting request starts
  a fresh one, so attempts stay about 2 s apart however long the outage lasts (the pool's own
  back-off would grow to minutes), and requests succeed again within seconds of the database's
  return, without a restart.
- Before a statement is sent, the pooled connection is checked for a server that has already hung
  up on it (a restart, an idle-session kill, a restarted pooler): the server's last words or the
  end of the stream are waiting in the socket. That is a poll of the local socket (under 1 µs),
  not a round trip. Such a connection is closed and the next one taken, so no request, read or write, is
  lost to a connection that died while it was idle: nothing had been sent on it.

Shutdown: `close()` first waits (up to CLOSE_WAIT seconds) for statements still running. After a
graceful shutdown, none are; but when requests outlive uvicorn's grace period they are cancelled,
psycopg then cancels their statement in the server, and the wait lets that happen before the
process goes, so a cancelled write does not commit later, its answer lost.

Retries, and why only reads: once a statement has been sent and the connection fails, it may or
may not have run; an autocommit write may have committed with only its answer lost. A read
(a SELECT) changes nothing, so it is tried once more on another connection within the same
deadline. A write is not retried: a toggle applied twice is a wrong answer, and a create retried
blindly makes a second task. It leaves as a 503; a client may retry it, and a create sent with an
Idempotency-Key is safe to retry. A write that failed before it was sent (the hung-up check
above) is simply sent on a healthy connection instead.
"""

import asyncio
import logging
import math
import os
import select
from collections.abc import Awaitable, Callable, Sequence
from time import monotonic
from typing import Any, TypeVar

import psycopg
from psycopg import AsyncCursor
from psycopg.conninfo import conninfo_to_dict
from psycopg_pool import AsyncConnectionPool
from sqlalchemy.dialects.postgresql import psycopg as psycopg_dialect
from sqlalchemy.sql import ClauseElement, Executable, Select, TextClause

from adapters.sql.store import Row
from domain.errors import StoreUnavailable

log = logging.getLogger(__name__)

_dialect = psycopg_dialect.dialect()  # type: ignore[no-untyped-call]
T = TypeVar("T")
Connection = psycopg.AsyncConnection[Any]

# Seconds a pool slot keeps retrying (1, then 2 s later) before it is given up and started afresh:
# attempts stay at most about 2 s apart, however long the database is away.
RECONNECT_WINDOW = 5.0
# Seconds `close()` waits for statements still running to end (psycopg's own cancellation wait).
CLOSE_WAIT = 5.0


async def _in_utc(connection: Connection) -> None:
    # timestamptz values then load as UTC datetimes, whatever the server's default zone.
    # PgBouncer tracks TimeZone per client, so this holds through a transaction-mode pooler too.
    await connection.execute("SET TIME ZONE 'UTC'")


def connect_timeout(conninfo: str, timeout: float) -> int | None:
    """The `connect_timeout` to give libpq, which otherwise waits for a new connection as long as the
    OS lets it; None when the URL or PGCONNECT_TIMEOUT already bounds it."""
    if "connect_timeout" in conninfo_to_dict(conninfo) or os.environ.get("PGCONNECT_TIMEOUT"):
        return None
    return max(2, math.ceil(timeout))  # whole seconds; libpq's minimum is 2


def _hung_up(connection: Connection) -> bool:
    """Has the server closed this idle connection? Its farewell or end-of-file is then in the socket.

    An idle connection in autocommit has nothing to read unless the server spoke first; the rare
    harmless message (a notice, a changed parameter) only costs a reconnection.
    """
    if connection.closed:
        return True
    poller = select.poll()
    poller.register(connection.pgconn.socket, select.POLLIN)
    return bool(poller.poll(0))


# What a statement's failure can be short of a bug: the connection or the server failed, or the database
# was never migrated (`todo serve --no-migrate` on a new database).
_STORE_FAILURES = (psycopg.OperationalError, psycopg.InterfaceError, psycopg.errors.UndefinedTable)


def _raise_unless_retried(error: psycopg.Error, connection: Connection, retry: bool) -> None:
    """After a failed statement: return to try it once more, or raise what the request should see."""
    if isinstance(error, psycopg.errors.UndefinedTable):
        raise StoreUnavailable(f"{error}; the database is not migrated: run `todo migrate`") from error
    if isinstance(error, psycopg.InterfaceError) and not connection.closed:
        raise error  # misuse of a healthy connection: a bug, not an outage
    if not (retry and connection.closed):
        raise StoreUnavailable(str(error)) from error
    log.warning("connection lost during a read, trying it once more: %s", error)


def _is_read(statement: Executable) -> bool:
    if isinstance(statement, Select):
        return True
    return isinstance(statement, TextClause) and statement.text.lstrip()[:6].upper() == "SELECT"


class PsycopgDatabase:
    def __init__(self, conninfo: str, *, pool_size: int, timeout: float, prepared_statements: bool = True) -> None:
        self.timeout = timeout
        # Autocommit: every statement is its own transaction, with no BEGIN/COMMIT round trips.
        # Prepared statements can be switched off for poolers that cannot carry them.
        options: dict[str, Any] = {"autocommit": True, "prepare_threshold": 5 if prepared_statements else None}
        if (seconds := connect_timeout(conninfo, timeout)) is not None:
            options["connect_timeout"] = seconds
        self.pool = AsyncConnectionPool(
            conninfo,
            min_size=pool_size,
            max_size=pool_size,
            timeout=timeout,
            reconnect_timeout=RECONNECT_WINDOW,
            open=False,
            kwargs=options,
            configure=_in_utc,
        )
        self._sql: dict[Executable, tuple[str, bool]] = {}
        self._in_use = 0  # connections out of the pool
        self._turns = asyncio.Semaphore(pool_size)  # one per connection
        self.waiting = 0  # requests waiting for a connection now

    async def fetch_all(self, statement: Executable, params: dict[str, Any]) -> list[Row]:
        rows: list[Row] = await self._run(statement, params, AsyncCursor.fetchall)
        return rows

    async def fetch_one(self, statement: Executable, params: dict[str, Any]) -> Row | None:
        row: Row | None = await self._run(statement, params, AsyncCursor.fetchone)
        return row

    async def execute(self, statement: Executable, params: dict[str, Any]) -> None:
        await self._run(statement, params, None)

    async def fetch_all_after(self, steps: Sequence[tuple[Executable, dict[str, Any]]]) -> list[Row]:
        return (await self.fetch_each(steps))[-1]

    async def fetch_each(self, steps: Sequence[tuple[Executable, dict[str, Any]]]) -> list[list[Row]]:
        async def in_transaction(connection: Connection) -> list[list[Row]]:
            each = []
            async with connection.transaction():
                for statement, params in steps:
                    cursor = await connection.execute(self._compiled(statement)[0], params)
                    each.append(await cursor.fetchall() if cursor.description else [])
            return each

        return await self._with_connection(in_transaction)

    async def open(self) -> None:
        await self.pool.open()

    async def close(self) -> None:
        deadline = monotonic() + CLOSE_WAIT
        while self._in_use and monotonic() < deadline:
            await asyncio.sleep(0.02)
        if self._in_use:
            log.warning("closing the pool with %d statement(s) still running", self._in_use)
        await self.pool.close()

    async def _run(
        self, statement: Executable, params: dict[str, Any], fetch: Callable[..., Awaitable[Any]] | None
    ) -> Any:
        sql, is_read = self._compiled(statement)
        deadline = monotonic() + self.timeout
        for attempt in (1, 2):
            connection = await self._connection(deadline)
            self._in_use += 1
            try:
                cursor = await connection.execute(sql, params)
                return None if fetch is None else await fetch(cursor)
            except _STORE_FAILURES as error:
                _raise_unless_retried(error, connection, retry=is_read and attempt == 1)
            finally:
                await self._release(connection)
        raise AssertionError("unreachable: the second attempt returns or raises")

    async def _with_connection(self, work: Callable[[Connection], Awaitable[T]]) -> T:
        """Run `work` on a pooled connection; never retried once sent (it may write)."""
        connection = await self._connection(monotonic() + self.timeout)
        self._in_use += 1
        try:
            return await work(connection)
        except _STORE_FAILURES as error:
            _raise_unless_retried(error, connection, retry=False)
            raise AssertionError("unreachable: never retried") from error
        finally:
            await self._release(connection)

    async def _release(self, connection: Connection) -> None:
        try:
            await self.pool.putconn(connection)  # the pool discards it if it is closed
        finally:
            self._in_use -= 1
            self._turns.release()

    async def _connection(self, deadline: float) -> Connection:
        """A pooled connection the server has not hung up on, or StoreUnavailable by the deadline."""
        await self._take_turn(deadline)
        try:
            return await self._live_connection(deadline)
        except BaseException:
            self._turns.release()
            raise

    async def _take_turn(self, deadline: float) -> None:
        """Wait here, not in the pool, while every connection is out: the pool's wait (a condition,
        a lock, a timer task per waiting request) costs several times as much as a semaphore's."""
        if not self._turns.locked():
            await self._turns.acquire()  # free: returns without waiting
            return
        self.waiting += 1
        try:
            async with asyncio.timeout(deadline - monotonic()):
                await self._turns.acquire()
        except TimeoutError:
            raise StoreUnavailable(f"no database connection was free within {self.timeout:g} s") from None
        finally:
            self.waiting -= 1

    async def _live_connection(self, deadline: float) -> Connection:
        for _ in range(self.pool.max_size + 1):  # past that many, the pool hands out fresh connections
            try:
                connection = await self.pool.getconn(deadline - monotonic())
            except psycopg.OperationalError as error:  # PoolTimeout, PoolClosed
                raise StoreUnavailable(str(error)) from error
            if not _hung_up(connection):
                return connection
            log.info("discarding a connection the server has closed")
            await connection.close()
            await self.pool.putconn(connection)
        raise StoreUnavailable("the server closed every connection handed out")

    def _compiled(self, statement: Executable) -> tuple[str, bool]:
        """The statement's SQL, compiled once, and whether it only reads (and so may be retried)."""
        if (compiled := self._sql.get(statement)) is None:
            assert isinstance(statement, ClauseElement)  # every statement the store runs is one
            compiled = self._sql[statement] = (str(statement.compile(dialect=_dialect)), _is_read(statement))
        return compiled
