from collections.abc import AsyncIterator, Callable

import pytest

from adapters.memory import InMemoryTaskStore
from adapters.sql.psycopg_database import PsycopgDatabase
from adapters.sql.sqlite_database import SqliteDatabase
from adapters.sql.store import SqlTaskStore

from .tasks import Store


@pytest.fixture(
    params=[
        pytest.param("memory", id="memory"),
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
    ]
)
def make_store(request: pytest.FixtureRequest) -> Callable[[], Store]:
    if request.param == "memory":
        return InMemoryTaskStore
    if request.param == "sqlite":
        sqlite_url = request.getfixturevalue("sqlite_url")
        return lambda: SqlTaskStore(SqliteDatabase(sqlite_url.removeprefix("sqlite:///")), "sqlite")
    postgres_url = request.getfixturevalue("postgres_url")
    return lambda: SqlTaskStore(PsycopgDatabase(postgres_url, pool_size=4, timeout=5.0), "postgresql")


@pytest.fixture
async def store(make_store: Callable[[], Store]) -> AsyncIterator[Store]:
    opened = make_store()
    await opened.open()
    try:
        yield opened
    finally:
        await opened.close()


@pytest.fixture
def owner(user: str) -> str:
    """The fresh owner of tests/conftest.py, named as the port names it."""
    return user


@pytest.fixture
def other(other_user: str) -> str:
    return other_user
