"""Runs statements through a SQLAlchemy engine on worker threads: the portable path, used for SQLite."""

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from anyio import to_thread
from sqlalchemy import Connection, create_engine, event
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.sql import Executable

from adapters.sql.store import Row
from domain.errors import StoreUnavailable

T = TypeVar("T")


def _tune_sqlite(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers run beside the one writer; the busy timeout makes concurrent writers
    # (threads, or several worker processes) queue for the lock instead of failing.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


class SqlAlchemyDatabase:
    def __init__(self, url: str) -> None:
        self.engine = create_engine(url, pool_size=8, max_overflow=8)
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _tune_sqlite)

    async def fetch_all(self, statement: Executable, params: dict[str, Any]) -> list[Row]:
        return await self._run(lambda connection: list(connection.execute(statement, params)))

    async def fetch_one(self, statement: Executable, params: dict[str, Any]) -> Row | None:
        return await self._run(lambda connection: connection.execute(statement, params).first())

    async def execute(self, statement: Executable, params: dict[str, Any]) -> None:
        await self._run(lambda connection: connection.execute(statement, params))

    async def fetch_one_after(self, steps: Sequence[tuple[Executable, dict[str, Any]]]) -> Row | None:
        def in_order(connection: Connection) -> Row | None:
            for statement, params in steps:
                result = connection.execute(statement, params)
            return result.first()

        return await self._run(in_order)

    async def open(self) -> None:
        return None

    async def close(self) -> None:
        self.engine.dispose()

    async def _run(self, work: Callable[[Connection], T]) -> T:
        """Run `work` in one transaction on a worker thread; a store that cannot answer is StoreUnavailable.

        Nothing is retried here: on SQLite the busy timeout already waits for the write lock, and a
        write that failed mid-way may have committed (see psycopg_database for the Postgres path).
        """

        def in_transaction() -> T:
            with self.engine.begin() as connection:
                return work(connection)

        try:
            return await to_thread.run_sync(in_transaction)
        except (OperationalError, InterfaceError) as error:
            # A locked, missing or unreadable SQLite file; for a server, a refused or dropped connection.
            raise StoreUnavailable(str(error.orig)) from error
        except PoolTimeout as error:  # every pooled connection busy for the pool's whole timeout
            raise StoreUnavailable(str(error)) from error
        except DBAPIError as error:
            # SQLAlchemy saw a disconnect and dropped the pool's connections: the next request reconnects.
            if error.connection_invalidated:
                raise StoreUnavailable(str(error.orig)) from error
            raise
