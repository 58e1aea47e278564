"""Runs statements on Postgres straight through a psycopg connection pool: the fast path.

SQLAlchemy builds each statement once; its SQL is compiled once and then executed as a
server-side prepared statement, one round trip per request, with no ORM or async-engine layer.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import psycopg
from psycopg_pool import AsyncConnectionPool, PoolTimeout
from sqlalchemy.dialects.postgresql import psycopg as psycopg_dialect
from sqlalchemy.sql import Executable

from adapters.sql.store import Row
from domain.errors import StoreUnavailable

_dialect = psycopg_dialect.dialect()


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
        )
        self._sql: dict[Executable, str] = {}

    async def fetch_all(self, statement: Executable, params: dict[str, Any]) -> list[Row]:
        async with self._connection() as connection:
            cursor = await connection.execute(self._compiled(statement), params)
            return await cursor.fetchall()

    async def fetch_one(self, statement: Executable, params: dict[str, Any]) -> Row | None:
        async with self._connection() as connection:
            cursor = await connection.execute(self._compiled(statement), params)
            return await cursor.fetchone()

    async def execute(self, statement: Executable, params: dict[str, Any]) -> None:
        async with self._connection() as connection:
            await connection.execute(self._compiled(statement), params)

    async def open(self) -> None:
        await self.pool.open()

    async def close(self) -> None:
        await self.pool.close()

    @asynccontextmanager
    async def _connection(self) -> AsyncIterator[psycopg.AsyncConnection[Row]]:
        try:
            async with self.pool.connection() as connection:
                yield connection
        except (psycopg.OperationalError, PoolTimeout) as error:
            raise StoreUnavailable(str(error)) from error

    def _compiled(self, statement: Executable) -> str:
        if (sql := self._sql.get(statement)) is None:
            sql = self._sql[statement] = str(statement.compile(dialect=_dialect))
        return sql
