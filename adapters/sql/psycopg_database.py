"""Runs statements on Postgres straight through a psycopg connection pool: the fast path.

SQLAlchemy builds each statement once; its SQL is compiled once and then executed as a
server-side prepared statement, one round trip per request, with no ORM or async-engine layer.
"""

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

import psycopg
from psycopg import AsyncCursor
from psycopg_pool import AsyncConnectionPool, PoolTimeout
from sqlalchemy.dialects.postgresql import psycopg as psycopg_dialect
from sqlalchemy.sql import Executable

from adapters.sql.store import Row
from domain.errors import StoreUnavailable

_dialect = psycopg_dialect.dialect()
T = TypeVar("T")


async def _in_utc(connection: psycopg.AsyncConnection[Any]) -> None:
    # timestamptz values then load as UTC datetimes, whatever the server's default zone.
    # PgBouncer tracks TimeZone per client, so this holds through a transaction-mode pooler too.
    await connection.execute("SET TIME ZONE 'UTC'")


class PsycopgDatabase:
    def __init__(
        self, conninfo: str, pool_size: int = 10, prepared_statements: bool = True, timeout: float = 10.0
    ) -> None:
        self.pool = AsyncConnectionPool(
            conninfo,
            min_size=pool_size,
            max_size=pool_size,
            timeout=timeout,
            open=False,
            # Autocommit: every statement is its own transaction, with no BEGIN/COMMIT round trips.
            # Prepared statements can be switched off for poolers that cannot carry them.
            kwargs={"autocommit": True, "prepare_threshold": 5 if prepared_statements else None},
            configure=_in_utc,
        )
        self._sql: dict[Executable, str] = {}

    async def fetch_all(self, statement: Executable, params: dict[str, Any]) -> list[Row]:
        return await self._run(statement, params, AsyncCursor.fetchall)

    async def fetch_one(self, statement: Executable, params: dict[str, Any]) -> Row | None:
        return await self._run(statement, params, AsyncCursor.fetchone)

    async def execute(self, statement: Executable, params: dict[str, Any]) -> None:
        await self._run(statement, params, None)

    async def fetch_one_after(self, steps: Sequence[tuple[Executable, dict[str, Any]]]) -> Row | None:
        async def in_transaction(connection: psycopg.AsyncConnection[Any]) -> Row | None:
            async with connection.transaction():
                for statement, params in steps:
                    cursor = await connection.execute(self._compiled(statement), params)
                return await cursor.fetchone()

        return await self._with_connection(in_transaction)

    async def open(self) -> None:
        await self.pool.open()

    async def close(self) -> None:
        await self.pool.close()

    async def _run(
        self, statement: Executable, params: dict[str, Any], fetch: Callable[..., Awaitable[Any]] | None
    ) -> Any:
        async def one_statement(connection: psycopg.AsyncConnection[Any]) -> Any:
            cursor = await connection.execute(self._compiled(statement), params)
            return None if fetch is None else await fetch(cursor)

        return await self._with_connection(one_statement)

    async def _with_connection(self, work: Callable[[psycopg.AsyncConnection[Any]], Awaitable[T]]) -> T:
        try:
            connection = await self.pool.getconn()
        except PoolTimeout as error:
            raise StoreUnavailable(str(error)) from error
        try:
            return await work(connection)
        except psycopg.OperationalError as error:
            raise StoreUnavailable(str(error)) from error
        finally:
            await self.pool.putconn(connection)

    def _compiled(self, statement: Executable) -> str:
        if (sql := self._sql.get(statement)) is None:
            sql = self._sql[statement] = str(statement.compile(dialect=_dialect))
        return sql
