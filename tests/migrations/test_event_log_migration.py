"""Revision 0004 on real databases: the event log starts from the tasks already there, and goes cleanly."""

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import Column, Engine, MetaData, Table, bindparam, inspect, not_, select, text, update

from adapters.sql.migrate import downgrade, upgrade
from adapters.sql.schema import event_owners, tasks
from adapters.sql.statements import CHANGES
from adapters.sql.store import _feed_page
from domain.events import ChangeKind, TaskEvent
from domain.task import Priority, Task

BEFORE_EVENTS = "0003"
# The table as it was then (migration 0002), and a toggle as the store then wrote it.
TASKS_THEN = Table("tasks", MetaData(), *(Column(c.name, c.type) for c in list(tasks.c)[:12]))
TOGGLE = (
    update(TASKS_THEN)
    .where((TASKS_THEN.c.user_id == bindparam("owner")) & (TASKS_THEN.c.id == bindparam("task_id")))
    .values(completed=not_(TASKS_THEN.c.completed), version=TASKS_THEN.c.version + 1)
)
START = datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)


def existing_tasks() -> list[Task]:
    made = []
    for n in range(7):
        created = START + timedelta(hours=n)
        completed = n % 2 == 1
        made.append(
            Task(
                uuid.uuid4(),
                "o'brien 🦄" if n == 6 else f"owner-{n % 2}",
                f"task {n}",
                None if n % 3 else "described",
                completed,
                created,
                created + timedelta(minutes=n),
                Priority(n % 4),
                START if n == 2 else None,
                ["a", "b"] if n == 3 else [],
                created + timedelta(minutes=n) if completed else None,
                1 + n,
            )
        )
    return made


def events_of(engine: Engine, owner: str) -> list[TaskEvent]:
    with engine.connect() as connection:
        rows = connection.execute(CHANGES, {"owner": owner, "after": 0, "limit": 1000})
        return _feed_page(list(rows)).events


def triggers(engine: Engine) -> set[str]:
    query = (
        "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"
        if engine.dialect.name == "postgresql"
        else "SELECT name FROM sqlite_master WHERE type = 'trigger'"
    )
    with engine.connect() as connection:
        return set(connection.execute(text(query)).scalars())


def tasks_before_the_log(database: str, engine: Engine) -> list[Task]:
    """The database at the revision before the log, with `existing_tasks()` in it."""
    upgrade(database, BEFORE_EVENTS)
    before = existing_tasks()
    with engine.begin() as connection:
        connection.execute(TASKS_THEN.insert(), [vars_of(task) for task in before])
    return before


def test_tasks_already_there_each_get_a_creation_showing_them_as_they_are(empty_database: str, engine: Engine) -> None:
    before = tasks_before_the_log(empty_database, engine)

    upgrade(empty_database)

    for owner in {task.user_id for task in before}:
        theirs = sorted((t for t in before if t.user_id == owner), key=lambda t: t.created_at)
        events = events_of(engine, owner)
        assert [(e.position, e.kind, e.task_id, e.version) for e in events] == [
            (n, ChangeKind.CREATED, task.id, task.version) for n, task in enumerate(theirs, 1)
        ]
        assert [e.task for e in events] == theirs
        assert [e.time for e in events] == [task.updated_at for task in theirs]
    with engine.connect() as connection:
        positions = dict(connection.execute(select(event_owners.c.user_id, event_owners.c.last_position)).all())
    assert positions == {"owner-0": 3, "owner-1": 3, "o'brien 🦄": 1}

    # The next change follows on from them.
    first = next(t for t in before if t.user_id == "owner-0")
    with engine.begin() as connection:
        params = {"owner": first.user_id, "task_id": first.id, "now": START, "expected_version": None}
        connection.execute(TOGGLE, params)
    latest = events_of(engine, "owner-0")[-1]
    assert (latest.position, latest.kind, latest.version) == (4, ChangeKind.COMPLETED, first.version + 1)


def test_a_downgrade_removes_the_log_and_its_triggers_and_keeps_the_tasks(empty_database: str, engine: Engine) -> None:
    before = tasks_before_the_log(empty_database, engine)
    upgrade(empty_database)
    assert triggers(engine)

    downgrade(empty_database, BEFORE_EVENTS)

    assert not {"task_events", "event_owners"} & set(inspect(engine).get_table_names())
    assert triggers(engine) == set()
    with engine.begin() as connection:  # writes work without the log
        params = {"owner": before[0].user_id, "task_id": before[0].id, "now": START, "expected_version": None}
        assert connection.execute(TOGGLE, params).rowcount == 1
        kept = [Task(*row) for row in connection.execute(select(TASKS_THEN).order_by(TASKS_THEN.c.created_at))]
    assert [t.id for t in kept] == [t.id for t in before]

    upgrade(empty_database)
    assert events_of(engine, before[0].user_id)[0].version == before[0].version + 1


def vars_of(task: Task) -> dict[str, object]:
    return {column.name: getattr(task, column.name) for column in TASKS_THEN.c}
