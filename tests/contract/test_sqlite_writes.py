"""The SQLite adapter's group commit: writes committed together, each undone alone when it fails."""

import asyncio
import sqlite3
from uuid import uuid4

import pytest

from adapters.sql.sqlite_database import SqliteDatabase, _committed, _Write
from adapters.sql.store import SqlTaskStore

from .tasks import added, make_task

pytestmark = pytest.mark.anyio


INSERT = "INSERT INTO service_secrets (name, value) VALUES (?, 'v')"


def insert(*names: str) -> tuple[tuple[str, tuple[str]], ...]:
    return tuple((INSERT, (name,)) for name in names)


async def test_a_failing_write_is_undone_alone_and_the_rest_of_its_batch_commits(sqlite_url: str) -> None:
    path = sqlite_url.removeprefix("sqlite:///")
    connection = sqlite3.connect(path, isolation_level=None)
    loop = asyncio.get_running_loop()
    writes = [insert("a"), insert("b", "a"), insert("a"), insert("c", "d"), (("SELECT * FROM nowhere", ()),)]
    batch = [_Write(steps, loop.create_future()) for steps in writes]
    outcomes = _committed(connection, batch)

    # A write that breaks the key is a bug of the caller's, so it stays an IntegrityError (a 500);
    # the one of two statements is undone whole (no "b"), and a statement SQLite refuses fails alone.
    assert [type(error).__name__ for _, error in outcomes] == [
        "NoneType",
        "IntegrityError",
        "IntegrityError",
        "NoneType",
        "StoreUnavailable",
    ]
    names = {name for (name,) in connection.execute("SELECT name FROM service_secrets WHERE value = 'v'")}
    assert names == {"a", "c", "d"}


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
