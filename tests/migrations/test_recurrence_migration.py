"""Migration 0006 (recurrence and reminders), up and down, with tasks and events in the database."""

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, inspect, select, text, update

from adapters.sql.migrate import downgrade, upgrade
from adapters.sql.schema import tasks
from adapters.sql.statements import CHANGES
from adapters.sql.store import _feed_page
from domain.events import ChangeKind
from tests.migrations.test_event_log_migration import TASKS_THEN, TOGGLE, existing_tasks, triggers, vars_of

BEFORE = "0005"
ADDED = {"recurrence", "time_zone", "remind_at", "remind_before", "previous_id", "reminded_at"}


def kinds(engine: Engine, owner: str) -> list[str]:
    with engine.connect() as connection:
        query = text("SELECT kind FROM task_events WHERE user_id = :owner ORDER BY position")
        return list(connection.execute(query, {"owner": owner}).scalars())


def test_0006_adds_the_columns_to_tasks_already_there_and_a_downgrade_keeps_them_and_their_log(
    empty_database: str, engine: Engine
) -> None:
    upgrade(empty_database, BEFORE)
    before = existing_tasks()
    with engine.begin() as connection:
        connection.execute(TASKS_THEN.insert(), [vars_of(task) for task in before])
    owner = before[0].user_id

    upgrade(empty_database)

    with engine.connect() as connection:
        rows = connection.execute(select(tasks.c.id, *(tasks.c[name] for name in sorted(ADDED)))).all()
        events = _feed_page(list(connection.execute(CHANGES, {"owner": owner, "after": 0, "limit": 100}))).events
    assert {row[0] for row in rows} == {task.id for task in before}
    assert {tuple(row[1:]) for row in rows} == {(None, None, None, None, None, "UTC")}  # sorted names: time_zone last
    assert {(e.task.time_zone, e.task.recurrence) for e in events if e.task} == {("UTC", None)}

    # At the head: a series' fields are kept, and a fired reminder is an event of its own.
    fired_at = datetime(2026, 3, 1, 12, tzinfo=UTC)
    with engine.begin() as connection:
        connection.execute(
            update(tasks)
            .where(tasks.c.id == before[0].id)
            .values(recurrence="FREQ=WEEKLY", time_zone="Europe/Berlin", remind_before=timedelta(minutes=15))
            .values(remind_at=fired_at, previous_id=uuid.uuid4(), version=tasks.c.version + 1)
        )
        connection.execute(update(tasks).where(tasks.c.id == before[0].id).values(reminded_at=fired_at))
        kept = connection.execute(
            select(tasks.c.recurrence, tasks.c.remind_before).where(tasks.c.id == before[0].id)
        ).one()
    assert tuple(kept) == ("FREQ=WEEKLY", timedelta(minutes=15))
    assert kinds(engine, owner)[-2:] == [ChangeKind.UPDATED, ChangeKind.REMINDER]

    downgrade(empty_database, BEFORE)

    assert not ADDED & {column["name"] for column in inspect(engine).get_columns("tasks")}
    assert not ADDED & {column["name"] for column in inspect(engine).get_columns("task_events")}
    assert "task_reminded" not in triggers(engine)
    assert kinds(engine, owner)[-2:] == ["updated", "updated"]  # a kind the earlier code knows
    with engine.begin() as connection:  # the earlier code's writes still record their events
        params = {"owner": owner, "task_id": before[0].id}
        assert connection.execute(TOGGLE, params).rowcount == 1
        assert {row.id for row in connection.execute(select(TASKS_THEN.c.id))} == {task.id for task in before}
    assert kinds(engine, owner)[-1] in ("completed", "reopened")

    upgrade(empty_database)
    assert "time_zone" in {column["name"] for column in inspect(engine).get_columns("tasks")}
