"""The SQLite adapter's group commit: writes committed together, each undone alone when it fails."""

import asyncio
import sqlite3
from uuid import uuid4

import pytest

from adapters.sql.sqlite_database import SqliteDatabase, _committed, _Write
from adapters.sql.store import SqlTaskStore

from .tasks import added, make_task

pytestmark = pytest.mark.anyio


def insert(name: str):  # type: ignore[no-untyped-def]
    return lambda connection: connection.execute("INSERT INTO service_secrets (name, value) VALUES (?, 'v')", (name,))


async def test_a_failing_write_is_undone_alone_and_the_rest_of_its_batch_commits(sqlite_url: str) -> None:
    path = sqlite_url.removeprefix("sqlite:///")
    connection = sqlite3.connect(path, isolation_level=None)
    loop = asyncio.get_running_loop()

    def broken(connection: sqlite3.Connection) -> None:
        insert("b")(connection)
        raise ValueError("a bug in one request")

    batch = [_Write(work, loop.create_future()) for work in (insert("a"), broken, insert("a"), insert("c"))]
    outcomes = _committed(connection, batch)

    # The second "a" breaks the key: a bug of the caller's, so it stays an IntegrityError (a 500).
    assert [type(error).__name__ for _, error in outcomes] == ["NoneType", "ValueError", "IntegrityError", "NoneType"]
    names = {name for (name,) in connection.execute("SELECT name FROM service_secrets WHERE value = 'v'")}
    assert names == {"a", "c"}


async def test_concurrent_writes_are_each_answered_after_their_commit(sqlite_url: str) -> None:
    store = SqlTaskStore(SqliteDatabase(sqlite_url.removeprefix("sqlite:///")), "sqlite")
    await store.open()
    owner = f"batch-{uuid4()}"
    try:
        made = await asyncio.gather(*(added(store, make_task(owner, title=f"t{n}")) for n in range(200)))
        other = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"))  # another connection sees them all
        count = other.execute("SELECT count(*) FROM tasks WHERE user_id = ?", (owner,)).fetchone()[0]
    finally:
        await store.close()
    assert count == len(made) == 200
