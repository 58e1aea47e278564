"""The Alembic revisions on real databases: they build exactly the schema the code declares, and undo it."""

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, inspect, pool
from sqlalchemy.dialects.postgresql import psycopg as psycopg_dialect
from sqlalchemy.sql import Executable

from adapters.sql.migrate import alembic_config, downgrade, upgrade
from adapters.sql.schema import metadata
from adapters.sql.statements import GET, LIST
from entrypoints.settings import Settings
from tests.conftest import create_database, drop_database

HEAD = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
INDEX = "ix_tasks_user_id_created_at_id"
OWNER_INDEXES = {"pk_tasks", INDEX}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The SQLAlchemy URL of a new database that no migration has touched."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'tasks.sqlite3'}"
        return
    server = request.getfixturevalue("postgres_server")
    url = create_database(server, migrate=False)
    yield Settings(database_url=url).sqlalchemy_url
    drop_database(server, url)


@pytest.fixture
def engine(empty_database: str) -> Iterator[Engine]:
    engine = create_engine(empty_database, poolclass=pool.NullPool)
    yield engine
    engine.dispose()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def index_names(engine: Engine) -> set[str]:
    """Every index on every table, so that one left behind by a dropped table would show."""
    return {index["name"] for indexes in inspect(engine).get_multi_indexes().values() for index in indexes}


def test_upgrade_creates_the_tasks_table_its_key_and_its_index(empty_database: str, engine: Engine) -> None:
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
    }
    primary_key = schema.get_pk_constraint("tasks")
    assert (primary_key["name"], primary_key["constrained_columns"]) == ("pk_tasks", ["user_id", "id"])
    assert {index["name"]: index["column_names"] for index in schema.get_indexes("tasks")} == {
        INDEX: ["user_id", "created_at", "id"]
    }
    assert current_revision(engine) == HEAD


def test_downgrade_to_base_removes_everything_and_upgrade_again_restores_it(
    empty_database: str, engine: Engine
) -> None:
    upgrade(empty_database)

    downgrade(empty_database, "base")
    assert "tasks" not in inspect(engine).get_table_names()
    assert INDEX not in index_names(engine)
    assert current_revision(engine) is None

    upgrade(empty_database)
    assert "tasks" in inspect(engine).get_table_names()
    assert INDEX in index_names(engine)
    assert current_revision(engine) == HEAD


def test_migrated_schema_matches_the_declared_metadata(empty_database: str, engine: Engine) -> None:
    upgrade(empty_database)

    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), metadata)

    assert differences == []


def test_every_index_on_tasks_leads_with_the_owner(empty_database: str, engine: Engine) -> None:
    upgrade(empty_database)

    schema = inspect(engine)
    keys = [schema.get_pk_constraint("tasks")["constrained_columns"]]
    keys += [index["column_names"] for index in schema.get_indexes("tasks")]
    keys += [unique["column_names"] for unique in schema.get_unique_constraints("tasks")]
    assert [key[0] for key in keys] == ["user_id"] * len(keys)


# Query plans: the store's own statements, on a table big enough for the planner to weigh its options.

USERS, TASKS_PER_USER = 40, 100


@pytest.fixture(scope="module")
def filled_postgres(postgres_server: str) -> Iterator[str]:
    """A migrated database holding a few thousand tasks of a few dozen owners, analysed."""
    url = create_database(postgres_server)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    rows = [
        (uuid.uuid4(), f"user-{n % USERS}", f"task {n}", None, n % 3 == 0, start + timedelta(seconds=n))
        for n in range(USERS * TASKS_PER_USER)
    ]
    with psycopg.connect(url, autocommit=True) as connection:
        with connection.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO tasks (id, user_id, title, description, completed, created_at, updated_at)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s)",
                [row + (row[-1],) for row in rows],
            )
        connection.execute("ANALYZE tasks")
    yield url
    drop_database(postgres_server, url)


def index_scans(plan: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(index name, index condition) of every node of an EXPLAIN (FORMAT JSON) plan that reads an index."""
    if "Index Name" in plan:
        yield plan["Index Name"], plan.get("Index Cond", "")
    for child in plan.get("Plans", []):
        yield from index_scans(child)


def plan_of(url: str, statement: Executable, params: dict[str, Any]) -> dict[str, Any]:
    sql = str(statement.compile(dialect=psycopg_dialect.dialect()))
    with psycopg.connect(url, cursor_factory=psycopg.ClientCursor) as connection:
        # The table is small enough that a sequential scan could win; what matters is that an
        # index the owner leads is there to be used when the table is big.
        connection.execute("SET enable_seqscan = off")
        [(explained,)] = connection.execute(f"EXPLAIN (FORMAT JSON) {sql}", params).fetchall()
    return explained[0]["Plan"]


@pytest.mark.postgres
@pytest.mark.parametrize("statement", [LIST, GET], ids=["list", "get"])
def test_owner_queries_use_an_index_led_by_the_owner(filled_postgres: str, statement: Executable) -> None:
    with psycopg.connect(filled_postgres) as connection:
        [(task_id,)] = connection.execute("SELECT id FROM tasks WHERE user_id = 'user-7' LIMIT 1").fetchall()

    plan = plan_of(filled_postgres, statement, {"owner": "user-7", "task_id": task_id})

    scans = list(index_scans(plan))
    assert scans, plan
    assert all(name in OWNER_INDEXES and "user_id" in condition for name, condition in scans), plan
