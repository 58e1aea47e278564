"""Query plans on Postgres: the store's own statements, on a table big enough for the planner to weigh its
options, read an index the owner leads (the primary key for one task, each sort's own index for a list)."""

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
from sqlalchemy.dialects.postgresql import psycopg as psycopg_dialect
from sqlalchemy.sql import Executable

from adapters.sql.statements import GET, list_tasks
from domain.query import SortKey
from tests.databases import create_database, drop_database
from tests.migrations import SORT_INDEXES

OWNER_INDEXES = {"pk_tasks", *SORT_INDEXES.values()}
USERS, TASKS_PER_USER = 10, 500
PLAN_OWNER = "user-7"


@pytest.fixture(scope="module")
def filled_postgres(postgres_server: str) -> Iterator[str]:
    """A migrated database holding a few thousand tasks of a few owners, every column varied, analysed."""
    url = create_database(postgres_server)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    rows = []
    for n in range(USERS * TASKS_PER_USER):
        created = start + timedelta(seconds=n)
        rows.append(
            (
                uuid.uuid4(),
                f"user-{n % USERS}",
                f"task {n:05d}",
                None if n % 4 else f"about {n}",
                n % 3 == 0,
                created,
                created + timedelta(minutes=n % 17),
                n % 4,
                None if n % 5 == 0 else start + timedelta(days=n % 60),
                [f"tag-{n % 7}"],
                created if n % 3 == 0 else None,
                1,
            )
        )
    with psycopg.connect(url, autocommit=True) as connection:
        with connection.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO tasks (id, user_id, title, description, completed, created_at, updated_at,"
                " priority, due_at, tags, completed_at, version)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                rows,
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


def node_types(plan: dict[str, Any]) -> Iterator[str]:
    yield plan["Node Type"]
    for child in plan.get("Plans", []):
        yield from node_types(child)


def plan_of(url: str, statement: Executable, params: dict[str, Any]) -> dict[str, Any]:
    sql = str(statement.compile(dialect=psycopg_dialect.dialect()))  # type: ignore[attr-defined,no-untyped-call]
    with psycopg.connect(url, cursor_factory=psycopg.ClientCursor) as connection:
        # The table is small enough that a sequential scan could win; what matters is that an
        # index the owner leads is there to be used when the table is big.
        connection.execute("SET enable_seqscan = off")
        [(explained,)] = connection.execute(f"EXPLAIN (FORMAT JSON) {sql}", params).fetchall()
    return explained[0]["Plan"]


@pytest.mark.postgres
def test_get_uses_the_primary_key(filled_postgres: str) -> None:
    with psycopg.connect(filled_postgres) as connection:
        [(task_id,)] = connection.execute("SELECT id FROM tasks WHERE user_id = %s LIMIT 1", [PLAN_OWNER]).fetchall()

    scans = list(index_scans(plan_of(filled_postgres, GET, {"owner": PLAN_OWNER, "task_id": task_id})))

    assert [name for name, _ in scans] == ["pk_tasks"]
    assert all("user_id" in condition for _, condition in scans)


FILTER_PARAMS: dict[str, dict[str, Any]] = {
    "completed": {"completed": True},
    "priority": {"priority": 2},
    "tag": {"tag": "tag-3"},
    "due_before": {"due_before": datetime(2026, 2, 1, tzinfo=UTC)},
    "due_after": {"due_after": datetime(2026, 1, 10, tzinfo=UTC)},
    "text": {"pattern": "%ABOUT 1%"},
}


def list_plan(
    url: str, sort: SortKey, descending: bool, filters: frozenset[str] = frozenset(), after: bool = False
) -> dict[str, Any]:
    params: dict[str, Any] = {"owner": PLAN_OWNER, "limit": 101}
    for name in filters:
        params |= FILTER_PARAMS[name]
    if after:
        values = {
            SortKey.CREATED: datetime(2026, 1, 1, 0, 30, tzinfo=UTC),
            SortKey.UPDATED: datetime(2026, 1, 1, 0, 30, tzinfo=UTC),
            SortKey.DUE: datetime(2026, 1, 20, tzinfo=UTC),
            SortKey.PRIORITY: 1,
            SortKey.TITLE: "task 01000",
        }
        params |= {"after_value": values[sort], "after_id": uuid.UUID(int=0)}
    statement = list_tasks("postgresql", filters, sort, descending, "value" if after else None)
    return plan_of(url, statement, params)


def assert_reads_index(plan: dict[str, Any], index: str) -> None:
    scans = list(index_scans(plan))
    assert [name for name, _ in scans] == [index], plan
    assert all("user_id" in condition for _, condition in scans), plan


def assert_ordered_by_index(plan: dict[str, Any], index: str) -> None:
    assert_reads_index(plan, index)
    # The index gives the order: no sort step on top of it.
    assert "Sort" not in set(node_types(plan)), plan


@pytest.mark.postgres
@pytest.mark.parametrize("descending", [False, True], ids=["ascending", "descending"])
@pytest.mark.parametrize("sort", list(SortKey))
def test_each_sort_reads_its_own_index_led_by_the_owner(filled_postgres: str, sort: SortKey, descending: bool) -> None:
    assert_ordered_by_index(list_plan(filled_postgres, sort, descending), SORT_INDEXES[sort])


@pytest.mark.postgres
@pytest.mark.parametrize("descending", [False, True], ids=["ascending", "descending"])
@pytest.mark.parametrize("sort", list(SortKey))
def test_each_sort_continues_after_a_position_on_its_index(
    filled_postgres: str, sort: SortKey, descending: bool
) -> None:
    # Past a position few rows remain: the planner may read them through the index and sort them.
    assert_reads_index(list_plan(filled_postgres, sort, descending, after=True), SORT_INDEXES[sort])


@pytest.mark.postgres
@pytest.mark.parametrize("name", FILTER_PARAMS)
def test_a_filtered_listing_still_reads_an_index_led_by_the_owner(filled_postgres: str, name: str) -> None:
    plan = list_plan(filled_postgres, SortKey.CREATED, False, frozenset({name}))

    scans = list(index_scans(plan))
    assert scans, plan
    assert all(index in OWNER_INDEXES and "user_id" in condition for index, condition in scans), plan


@pytest.mark.postgres
def test_every_filter_at_once_reads_the_sort_index(filled_postgres: str) -> None:
    plan = list_plan(filled_postgres, SortKey.DUE, True, frozenset(FILTER_PARAMS))

    scans = list(index_scans(plan))
    assert scans, plan
    assert all(index in OWNER_INDEXES and "user_id" in condition for index, condition in scans), plan
