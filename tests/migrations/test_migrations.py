"""The Alembic revisions on real databases: they build exactly the schema the code declares, and undo it."""

import dataclasses
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import psycopg.sql
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Boolean, Engine, String, Uuid, bindparam, inspect, select, text

from adapters.memory import InMemoryTaskStore
from adapters.sql.migrate import alembic_config, downgrade, upgrade
from adapters.sql.psycopg_database import PsycopgDatabase
from adapters.sql.schema import UtcDateTime, metadata, tasks
from adapters.sql.secrets import stored_secret
from adapters.sql.statements import GET, TOGGLE
from adapters.sql.store import SqlTaskStore
from domain.errors import StoreUnavailable
from domain.query import SortKey, TaskFilter, TaskQuery
from domain.task import Priority, Task
from entrypoints.settings import Settings
from tests.databases import drop_database
from tests.migrations import SORT_INDEXES

HEAD = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
FIRST = "0001"
INDEX = "ix_tasks_user_id_created_at_id"
COLUMNS_0001 = ["id", "user_id", "title", "description", "completed", "created_at", "updated_at"]


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def index_names(engine: Engine) -> set[str]:
    """Every index on every table, so that one left behind by a dropped table would show."""
    return {str(index["name"]) for indexes in inspect(engine).get_multi_indexes().values() for index in indexes}


def test_upgrade_creates_the_tasks_table_its_key_and_its_indexes(empty_database: str, engine: Engine) -> None:
    upgrade(empty_database)

    schema = inspect(engine)
    assert {column["name"]: column["nullable"] for column in schema.get_columns("tasks")} == {
        "id": False,
        "user_id": False,
        "title": False,
        "description": True,
        "completed": False,
        "created_at": False,
        "updated_at": False,
        "priority": False,
        "due_at": True,
        "tags": False,
        "completed_at": True,
        "version": False,
        "recurrence": True,
        "time_zone": False,
        "remind_at": True,
        "remind_before": True,
        "previous_id": True,
        "reminded_at": True,
    }
    primary_key = schema.get_pk_constraint("tasks")
    assert (primary_key["name"], primary_key["constrained_columns"]) == ("pk_tasks", ["user_id", "id"])
    assert {index["name"]: index["column_names"] for index in schema.get_indexes("tasks")} == {
        INDEX: ["user_id", "created_at", "id"],
        "ix_tasks_user_id_updated_at_id": ["user_id", "updated_at", "id"],
        "ix_tasks_user_id_due_at_id": ["user_id", "due_at", "id"],
        "ix_tasks_user_id_priority_id": ["user_id", "priority", "id"],
        "ix_tasks_user_id_title_id": ["user_id", "title", "id"],
        "uq_tasks_user_id_previous_id": ["user_id", "previous_id"],
        "ix_tasks_pending_reminders": ["remind_at"],
    }
    keys = schema.get_pk_constraint("idempotency_keys")
    assert (keys["name"], keys["constrained_columns"]) == ("pk_idempotency_keys", ["user_id", "key"])
    assert {column["name"] for column in schema.get_columns("idempotency_keys")} == {
        "user_id",
        "key",
        "fingerprint",
        "task_id",
        "task",
        "created_at",
    }
    assert current_revision(engine) == HEAD


def test_upgrade_to_0001_creates_only_the_first_schema(empty_database: str, engine: Engine) -> None:
    upgrade(empty_database, FIRST)

    schema = inspect(engine)
    assert [column["name"] for column in schema.get_columns("tasks")] == COLUMNS_0001
    assert "idempotency_keys" not in schema.get_table_names()
    assert index_names(engine) == {INDEX}
    assert current_revision(engine) == FIRST


def test_0003_gives_the_database_a_cursor_key_and_a_downgrade_takes_it_away(
    empty_database: str, engine: Engine
) -> None:
    upgrade(empty_database)
    first = stored_secret(empty_database, "cursor_key")

    downgrade(empty_database, "0002")
    assert "service_secrets" not in inspect(engine).get_table_names()
    with pytest.raises(StoreUnavailable):
        stored_secret(empty_database, "cursor_key")

    upgrade(empty_database)
    again = stored_secret(empty_database, "cursor_key")
    assert len(first) == len(again) == 32
    assert first != again


def test_downgrade_to_base_removes_everything_and_upgrade_again_restores_it(
    empty_database: str, engine: Engine
) -> None:
    upgrade(empty_database)

    downgrade(empty_database, "base")
    assert "tasks" not in inspect(engine).get_table_names()
    assert INDEX not in index_names(engine)
    assert current_revision(engine) is None

    assert "idempotency_keys" not in inspect(engine).get_table_names()
    assert index_names(engine) == set()

    upgrade(empty_database)
    assert {"tasks", "idempotency_keys"} <= set(inspect(engine).get_table_names())
    assert set(SORT_INDEXES.values()) <= index_names(engine)
    assert current_revision(engine) == HEAD


def test_the_tasks_columns_are_the_task_fields_in_order() -> None:
    # The stores build a Task from a row positionally: Task(*row).
    assert [column.name for column in tasks.c] == [field.name for field in dataclasses.fields(Task)]


def test_migrated_schema_matches_the_declared_metadata(empty_database: str, engine: Engine) -> None:
    upgrade(empty_database)

    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), metadata)

    assert differences == []


KEYS_PER_TABLE = {"tasks": 2 + len(SORT_INDEXES), "idempotency_keys": 1, "task_events": 2, "event_owners": 1}
# The relay's order runs across every owner's events (adapters/sql/relay.py), and so does its index.
ACROSS_OWNERS = {"ix_task_events_relay_seq", "ix_tasks_pending_reminders"}  # and the reminders due


@pytest.mark.parametrize("table", KEYS_PER_TABLE)
def test_every_index_and_key_leads_with_the_owner(empty_database: str, engine: Engine, table: str) -> None:
    upgrade(empty_database)

    schema = inspect(engine)
    keys: list[list[Any]] = [list(schema.get_pk_constraint(table)["constrained_columns"])]
    keys += [index["column_names"] for index in schema.get_indexes(table) if index["name"] not in ACROSS_OWNERS]
    keys += [unique["column_names"] for unique in schema.get_unique_constraints(table)]
    assert len(keys) == KEYS_PER_TABLE[table]
    assert [key[0] for key in keys] == ["user_id"] * len(keys)


# Data: tasks written under 0001 survive 0002 both ways.

START = datetime(2025, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)

INSERT_0001 = text(
    "INSERT INTO tasks (id, user_id, title, description, completed, created_at, updated_at)"
    " VALUES (:id, :user_id, :title, :description, :completed, :created_at, :updated_at)"
).bindparams(
    bindparam("id", type_=Uuid()),
    bindparam("user_id", type_=String()),
    bindparam("title", type_=String()),
    bindparam("description", type_=String()),
    bindparam("completed", type_=Boolean()),
    bindparam("created_at", type_=UtcDateTime()),
    bindparam("updated_at", type_=UtcDateTime()),
)
SELECT_0001 = text(
    "SELECT id, user_id, title, description, completed, created_at, updated_at FROM tasks ORDER BY user_id, id"
).columns(
    id=Uuid(),
    user_id=String(),
    title=String(),
    description=String(),
    completed=Boolean(),
    created_at=UtcDateTime(),
    updated_at=UtcDateTime(),
)


def rows_0001() -> list[tuple[Any, ...]]:
    """Tasks as 0001 kept them: open and completed, with and without description, odd text and owners."""
    rows = []
    for n in range(12):
        created = START + timedelta(hours=n, microseconds=n)
        updated = created + timedelta(minutes=n % 4, microseconds=7 * n)
        rows.append(
            (
                uuid.uuid4(),
                f"owner-{n % 3}" if n != 11 else "o'brien 🦄",
                f"task {n} \u00e9 'quoted' %s" if n % 2 else "t" * 200,
                None if n % 3 == 0 else f"description {n}",
                n % 2 == 1,
                created,
                updated,
            )
        )
    return sorted(rows, key=lambda row: (row[1], row[0]))


def read_0001_fields(engine: Engine) -> list[tuple[Any, ...]]:
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(SELECT_0001)]


def read_tasks(engine: Engine) -> list[Task]:
    with engine.connect() as connection:
        rows = connection.execute(select(tasks).order_by(tasks.c.user_id, tasks.c.id))
        return [Task(*row) for row in rows]


def test_tasks_of_0001_survive_upgrade_downgrade_and_upgrade_again(empty_database: str, engine: Engine) -> None:
    upgrade(empty_database, FIRST)
    rows = rows_0001()
    with engine.begin() as connection:
        for row in rows:
            connection.execute(INSERT_0001, dict(zip(COLUMNS_0001, row, strict=True)))

    upgrade(empty_database)

    assert current_revision(engine) == HEAD
    expected = [
        Task(
            row[0],
            row[1],
            row[2],
            row[3],
            row[4],
            row[5],
            row[6],
            Priority.NONE,
            None,
            [],
            row[6] if row[4] else None,
            1,
        )
        for row in rows
    ]
    migrated = read_tasks(engine)
    assert migrated == expected
    assert all(type(task.tags) is list and task.priority == 0 for task in migrated)

    # Give one task values in the columns 0002 adds: a downgrade must still keep its 0001 fields.
    with engine.begin() as connection:
        connection.execute(
            tasks.update()
            .where(tasks.c.id == rows[0][0])
            .values(priority=3, due_at=START, tags=["x", "y"], completed_at=START, version=9)
        )

    downgrade(empty_database, FIRST)

    assert current_revision(engine) == FIRST
    assert [column["name"] for column in inspect(engine).get_columns("tasks")] == COLUMNS_0001
    assert "idempotency_keys" not in inspect(engine).get_table_names()
    assert index_names(engine) == {INDEX}
    assert read_0001_fields(engine) == rows

    upgrade(empty_database)

    assert current_revision(engine) == HEAD
    assert read_tasks(engine) == expected


def test_a_task_of_0001_behaves_like_any_other_after_the_upgrade(empty_database: str, engine: Engine) -> None:
    upgrade(empty_database, FIRST)
    row = next(row for row in rows_0001() if row[4])  # a completed one
    with engine.begin() as connection:
        connection.execute(INSERT_0001, dict(zip(COLUMNS_0001, row, strict=True)))
    upgrade(empty_database)
    later = START + timedelta(days=3)

    with engine.begin() as connection:
        [migrated] = [Task(*r) for r in connection.execute(GET, {"owner": row[1], "task_id": row[0]})]
        params = {"owner": row[1], "task_id": row[0], "now": later, "expected_version": 1}
        reopened = Task(*connection.execute(TOGGLE, params).one())

    assert (migrated.completed, migrated.completed_at, migrated.version) == (True, row[6], 1)
    assert (reopened.completed, reopened.completed_at, reopened.updated_at, reopened.version) == (
        False,
        None,
        later,
        2,
    )


# Collation: on a database whose default collation is a locale's, titles still sort by code point and
# text search still folds ASCII letters only, exactly as the memory store does.


@pytest.fixture
def icu_postgres(postgres_server: str) -> Iterator[str]:
    """A migrated database whose default collation is ICU en-US (where "a" sorts before "B")."""
    name = f"todo_test_icu_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(postgres_server, autocommit=True) as connection:
        connection.execute(
            psycopg.sql.SQL(
                "CREATE DATABASE {} TEMPLATE template0 ENCODING 'UTF8' LOCALE_PROVIDER icu ICU_LOCALE 'en-US'"
            ).format(psycopg.sql.Identifier(name))
        )
    url = postgres_server.rpartition("/")[0] + "/" + name
    upgrade(Settings(database_url=url).sqlalchemy_url)
    yield url
    drop_database(postgres_server, url)


def title_collation(url: str) -> str | None:
    with psycopg.connect(url) as connection:
        [(collation,)] = connection.execute(
            "SELECT collation_name FROM information_schema.columns WHERE table_name = 'tasks' AND column_name = 'title'"
        ).fetchall()
    return collation


@pytest.mark.postgres
def test_titles_are_collated_by_code_point_at_head_and_not_after_downgrade(icu_postgres: str) -> None:
    sqlalchemy_url = Settings(database_url=icu_postgres).sqlalchemy_url
    with psycopg.connect(icu_postgres) as connection:
        [(ordered,)] = connection.execute("SELECT array_agg(t ORDER BY t) FROM unnest(ARRAY['B', 'a']) t").fetchall()
    assert ordered == ["a", "B"]  # the database's own order is the locale's, so the test can tell

    assert title_collation(icu_postgres) == "C"
    downgrade(sqlalchemy_url, FIRST)
    assert title_collation(icu_postgres) is None
    upgrade(sqlalchemy_url)
    assert title_collation(icu_postgres) == "C"


@pytest.mark.postgres
@pytest.mark.anyio
async def test_a_locale_collated_database_sorts_and_searches_like_the_memory_store(icu_postgres: str) -> None:
    memory, postgres = (
        InMemoryTaskStore(),
        SqlTaskStore(PsycopgDatabase(icu_postgres, pool_size=2, timeout=5.0), "postgresql"),
    )
    await postgres.open()
    try:
        start = datetime(2026, 1, 1, tzinfo=UTC)
        rows = [
            ("b", "Crème"),
            ("B", "crème"),
            ("a", "ÉTÉ"),
            ("A", "été"),
            ("_x", None),
            ("é", "Straße"),
            ("Z", "STRASSE"),
        ]
        for n, (title, description) in enumerate(rows):
            task = Task(uuid.uuid4(), "owner", title, description, False, start + timedelta(seconds=n), start)
            await memory.add(task)
            await postgres.add(task)

        queries = [TaskQuery(sort=SortKey.TITLE), TaskQuery(sort=SortKey.TITLE, descending=True)]
        queries += [TaskQuery(TaskFilter(text=text)) for text in ("crème", "CRÈME", "été", "ÉTÉ", "strasse", "B")]
        for query in queries:
            expected = [task.title for task in await memory.list("owner", query=query)]
            assert [task.title for task in await postgres.list("owner", query=query)] == expected, query
        sorted_titles = [task.title for task in await postgres.list("owner", query=queries[0])]
        assert sorted_titles == ["A", "B", "Z", "_x", "a", "b", "é"]
    finally:
        await postgres.close()


# Every event is written by a trigger on `tasks`: a migration that recreates the table (SQLite's batch
# mode does, to alter a column) drops the triggers with it, and changes would go unrecorded.
TRIGGERS = {
    "postgresql": {"record_task_event"},
    "sqlite": {"task_created", "task_changed", "task_deleted", "task_reminded"},
}


def test_at_the_head_every_change_to_a_task_still_records_its_event(empty_database: str, engine: Engine) -> None:
    upgrade(empty_database)
    query = (
        "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgrelid = 'tasks'::regclass"
        if engine.dialect.name == "postgresql"
        else "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'tasks'"
    )
    owner, task_id = "trigger-check", uuid.uuid4()
    with engine.begin() as connection:
        assert set(connection.execute(text(query)).scalars()) == TRIGGERS[engine.dialect.name]
        now = datetime.now(UTC)
        values = {"id": task_id, "user_id": owner, "title": "t", "description": None, "completed": False}
        connection.execute(tasks.insert().values(**values, created_at=now, updated_at=now, tags=[]))
        connection.execute(tasks.update().where(tasks.c.id == task_id).values(completed=True, version=2))
        connection.execute(tasks.delete().where(tasks.c.id == task_id))
        kinds = connection.execute(
            text("SELECT kind FROM task_events WHERE user_id = :owner ORDER BY position"), {"owner": owner}
        ).scalars()
        assert list(kinds) == ["created", "completed", "deleted"]
