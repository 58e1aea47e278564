"""The SQLite adapter loads each column as SQLAlchemy's own result processor would."""

import sqlite3
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest
from sqlalchemy.sql import Executable

from adapters.sql import statements as sql
from adapters.sql.sqlite_database import SqliteDatabase, _compile, _dialect
from adapters.sql.store import SqlTaskStore
from domain.task import Priority

from .tasks import HOSTILE, LATER, T0, make_task

pytestmark = pytest.mark.anyio

DUE = datetime(2027, 1, 2, 3, 4, 5, tzinfo=UTC)  # no microseconds: stored without a fraction


def by_sqlalchemy(statement: Executable, row: tuple[object, ...]) -> list[object]:
    columns = getattr(statement, "exported_columns", ())
    processors = [column.type.dialect_impl(_dialect).result_processor(_dialect, None) for column in columns]
    return [value if process is None else process(value) for process, value in zip(processors, row, strict=True)]


async def test_every_column_of_tasks_and_events_loads_as_sqlalchemy_loads_it(sqlite_url: str) -> None:
    path = sqlite_url.removeprefix("sqlite:///")
    store = SqlTaskStore(SqliteDatabase(path), "sqlite")
    await store.open()
    try:
        kept = await store.add(make_task("values", HOSTILE, description=None, tags=[]))
        scheduled = replace(
            make_task("values", "weekly", due_at=DUE), recurrence="FREQ=WEEKLY", time_zone="Asia/Kolkata"
        )
        scheduled = replace(scheduled, remind_at=DUE, remind_before=timedelta(seconds=90.5), previous_id=uuid4())
        await store.add(replace(scheduled, reminded_at=LATER))
        done = make_task("values", "done", "a description", True, T0, LATER, Priority.HIGH, DUE, ["a", "b c"])
        await store.add(done)
        await store.delete("values", task_id=done.id)  # the trigger writes the deletion's time itself
    finally:
        await store.close()

    connection = sqlite3.connect(path)
    reads = {
        sql.GET: {"owner": "values", "task_id": kept.id},
        sql.CHANGES: {"owner": "values", "after": 0, "limit": 10},
        sql.HISTORY: {"owner": "values", "task_id": done.id, "after": 0, "limit": 10},
    }
    compared = 0
    for statement, params in reads.items():
        compiled = _compile(statement)
        rows = connection.execute(compiled.sql, compiled.arguments(params)).fetchall()
        assert [list(row) for row in compiled.converted(rows)] == [by_sqlalchemy(statement, row) for row in rows]
        compared += len(rows)
    assert compared == 1 + 4 + 2  # the deleted task is in the feed and its history

    # A listing reads the schedule columns packed into one; it loads each task as GET does.
    listing = _compile(sql.list_tasks("sqlite", frozenset(), "created", False, None))
    listed = listing.converted(
        connection.execute(listing.sql, listing.arguments({"owner": "values", "limit": 10})).fetchall()
    )
    get = _compile(sql.GET)
    one_by_one = [
        get.converted(connection.execute(get.sql, get.arguments({"owner": "values", "task_id": row[0]})).fetchall())[0]
        for row in listed
    ]
    assert listed == one_by_one
    assert {row[0]: row[12:] for row in listed} == {
        kept.id: (None, "UTC", None, None, None, None),
        scheduled.id: ("FREQ=WEEKLY", "Asia/Kolkata", DUE, timedelta(seconds=90.5), scheduled.previous_id, LATER),
    }
