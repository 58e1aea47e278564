"""The Postgres adapter when connections die: which failures are retried, which are 503, what the pool drops.

A backend is killed with pg_terminate_backend (the same AdminShutdown a stopping server sends), so
these run beside other tests without stopping the shared server.
"""

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Iterator

import psycopg
import pytest
from sqlalchemy import text

from adapters.sql.psycopg_database import PsycopgDatabase
from domain.errors import StoreUnavailable
from tests.databases import create_database, drop_database
from tests.e2e.servers import free_port

SLOW_READ = text("SELECT n FROM (SELECT 7 AS n, pg_sleep(0.5)) AS slow")
SLOW_WRITE = text("INSERT INTO probe (n) SELECT 1 FROM pg_sleep(0.5)")
WRITE = text("INSERT INTO probe (n) VALUES (2)")


@pytest.fixture(scope="module")
def probe_database(postgres_server: str) -> Iterator[str]:
    url = create_database(postgres_server, migrate=False)
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("CREATE TABLE probe (n int)")
    yield url
    drop_database(postgres_server, url)


@pytest.fixture
async def database(probe_database: str) -> AsyncIterator[tuple[PsycopgDatabase, str]]:
    """A pool of 3 under an application_name of its own, so its backends can be found and killed."""
    name = f"faults-{uuid.uuid4().hex[:8]}"
    database = PsycopgDatabase(f"{probe_database}?application_name={name}", pool_size=3, timeout=3)
    await database.open()
    await database.pool.wait(timeout=10)
    with psycopg.connect(probe_database, autocommit=True) as connection:
        connection.execute("TRUNCATE probe")
    yield database, name
    await database.close()


def terminate(url: str, application_name: str, running: str | None = None) -> int:
    """Kill the pool's backends (only those running `running`, if given); how many were killed."""
    query = "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = %s"
    params: list[str] = [application_name]
    if running is not None:
        query += " AND state = 'active' AND query LIKE %s"
        params.append(f"{running}%")
    with psycopg.connect(url, autocommit=True) as connection:
        return int(connection.execute(query, params).fetchone()[0])  # type: ignore[index]


async def terminate_when_running(url: str, application_name: str, running: str) -> int:
    for _ in range(50):  # up to 2.5 s for the statement to show as active
        await asyncio.sleep(0.05)
        if killed := await asyncio.to_thread(terminate, url, application_name, running):
            return killed
    return 0


def probe_rows(url: str) -> list[int]:
    with psycopg.connect(url) as connection:
        return [n for (n,) in connection.execute("SELECT n FROM probe ORDER BY n").fetchall()]


@pytest.mark.anyio
@pytest.mark.postgres
async def test_a_read_whose_connection_dies_mid_statement_is_retried_once_on_another(
    database: tuple[PsycopgDatabase, str], probe_database: str
) -> None:
    db, name = database
    read = asyncio.create_task(db.fetch_one(SLOW_READ, {}))
    assert await terminate_when_running(probe_database, name, "SELECT n FROM") == 1

    assert await read == (7,)
    assert db.pool.get_stats().get("returns_bad", 0) >= 1  # the dead connection went back and was dropped


@pytest.mark.anyio
@pytest.mark.postgres
async def test_a_write_whose_connection_dies_mid_statement_is_503_and_not_retried(
    database: tuple[PsycopgDatabase, str], probe_database: str
) -> None:
    db, name = database
    write = asyncio.create_task(db.execute(SLOW_WRITE, {}))
    assert await terminate_when_running(probe_database, name, "INSERT INTO probe") == 1

    with pytest.raises(StoreUnavailable):
        await write
    # Killed mid-statement, it rolled back; a retry would have written the row.
    assert probe_rows(probe_database) == []
    await db.execute(WRITE, {})  # and the pool serves the next write on a healthy connection
    assert probe_rows(probe_database) == [2]


@pytest.mark.anyio
@pytest.mark.postgres
async def test_connections_the_server_closed_while_idle_are_dropped_before_a_write_is_sent(
    database: tuple[PsycopgDatabase, str], probe_database: str
) -> None:
    db, name = database
    assert terminate(probe_database, name) == 3  # every idle pooled connection, as a server restart does
    await asyncio.sleep(0.2)

    started = time.monotonic()
    await db.execute(WRITE, {})  # no 503: the dead ones are noticed without sending, and replaced
    await db.execute(WRITE, {})

    assert probe_rows(probe_database) == [2, 2]
    assert time.monotonic() - started < 2
    assert db.pool.get_stats().get("returns_bad", 0) == 3  # closed, returned, discarded by the pool


@pytest.mark.anyio
@pytest.mark.postgres
async def test_requests_beyond_the_pool_wait_their_turn_and_all_succeed(database: tuple[PsycopgDatabase, str]) -> None:
    db, _ = database  # 3 connections

    started = time.monotonic()
    rows = await asyncio.gather(*(db.fetch_one(SLOW_READ, {}) for _ in range(7)))

    assert [row[0] for row in rows] == [7] * 7  # type: ignore[index]
    assert 1.4 < time.monotonic() - started < 2.9  # three waves of 0.5 s: never more than 3 at once
    assert db._in_use == 0


@pytest.mark.anyio
@pytest.mark.postgres
async def test_a_request_that_finds_no_free_connection_in_time_is_503(probe_database: str) -> None:
    db = PsycopgDatabase(probe_database, pool_size=1, timeout=0.3)
    await db.open()
    try:
        holder = asyncio.ensure_future(db.fetch_one(SLOW_READ, {}))  # holds the one connection for 0.5 s
        await asyncio.sleep(0.1)
        started = time.monotonic()
        with pytest.raises(StoreUnavailable, match=r"no database connection was free within 0\.3 s"):
            await db.fetch_one(text("SELECT 1"), {})
        assert 0.25 < time.monotonic() - started < 0.45

        assert (await holder)[0] == 7  # type: ignore[index]
        assert (await db.fetch_one(text("SELECT 1"), {}))[0] == 1  # type: ignore[index]
    finally:
        await db.close()


@pytest.mark.anyio
@pytest.mark.postgres
async def test_a_request_cancelled_while_waiting_for_a_connection_gives_its_turn_back(
    database: tuple[PsycopgDatabase, str],
) -> None:
    db, _ = database  # 3 connections
    holders = [asyncio.ensure_future(db.fetch_one(SLOW_READ, {})) for _ in range(3)]
    await asyncio.sleep(0.1)
    waiter = asyncio.ensure_future(db.fetch_one(SLOW_READ, {}))
    await asyncio.sleep(0.1)
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    await asyncio.gather(*holders)

    started = time.monotonic()
    await asyncio.gather(*(db.fetch_one(SLOW_READ, {}) for _ in range(3)))
    assert time.monotonic() - started < 0.95  # all three turns are back: one wave, not two
    assert db._in_use == 0


@pytest.mark.anyio
async def test_a_database_that_refuses_connections_is_503_within_the_timeout() -> None:
    db = PsycopgDatabase(f"postgresql://postgres@127.0.0.1:{free_port()}/todo", pool_size=2, timeout=1)
    await db.open()
    try:
        for statement in (SLOW_READ, WRITE, SLOW_READ):  # reads and writes alike
            started = time.monotonic()
            with pytest.raises(StoreUnavailable) as raised:
                await db.fetch_one(statement, {})
            assert 0.9 < time.monotonic() - started < 1.5
            # The pool's own complaint each time: a failed request gave its turn back (else the third waits for one).
            assert "couldn't get a connection" in str(raised.value)
    finally:
        await db.close()


def test_new_connections_get_a_connect_timeout_unless_the_url_sets_one() -> None:
    def kwargs(url: str, timeout: float = 5.0) -> dict[str, object]:
        given = PsycopgDatabase(url, pool_size=1, timeout=timeout).pool.kwargs
        assert isinstance(given, dict)
        return given

    assert kwargs("postgresql://h/db", timeout=5)["connect_timeout"] == 5
    assert kwargs("postgresql://h/db", timeout=0.5)["connect_timeout"] == 2
    assert "connect_timeout" not in kwargs("postgresql://h/db?connect_timeout=9")
