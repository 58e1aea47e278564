"""The databases the migration tests start from: new, empty, on each server."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, pool

from entrypoints.settings import Settings
from tests.databases import create_database, drop_database


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
