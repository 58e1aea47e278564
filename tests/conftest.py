"""Fixtures shared by every level: databases to run against, and the anyio backend for async tests.

Postgres tests use the real server named by TODO_TEST_POSTGRES_URL (default: the local one). Each
test session gets a database of its own, created here and dropped at the end. Without a server they
skip with the reason, except under CI=true, where they fail: CI must run them.

Each pytest-xdist worker is a test session of its own: its databases, files and ports are its own
too. Only the tests marked `stops_postgres` cannot run beside others, so `--postgres-stops` picks
them out or leaves them out (scripts/test.sh runs them alone, then the rest in parallel).
"""

import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from adapters.sql.migrate import upgrade
from tests.databases import POSTGRES_SERVER_URL, create_database, drop_database
from tests.tools import unavailable

# Run every test in a zone far from UTC, so a timestamp that is silently local instead of UTC shows.
os.environ["TZ"] = "America/New_York"


time.tzset()


pytest_plugins = ["tests.property.summary", "tests.e2e.servers", "tests.sinks.services"]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--postgres-stops",
        choices=("run", "only", "leave-out"),
        default="run",
        help="the tests marked stops_postgres: run them with the others (default), run only them, or leave them out",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    choice = config.getoption("--postgres-stops")
    if choice == "run":
        return
    kept: list[pytest.Item] = []
    left: list[pytest.Item] = []
    for item in items:
        stops = item.get_closest_marker("stops_postgres") is not None
        (kept if stops == (choice == "only") else left).append(item)
    config.hook.pytest_deselected(items=left)
    items[:] = kept


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def postgres_server() -> str:
    """The URL of the maintenance database of a reachable Postgres server."""
    try:
        with psycopg.connect(POSTGRES_SERVER_URL, connect_timeout=3):
            pass
    except psycopg.OperationalError as error:
        unavailable(f"PostgreSQL is not reachable at {POSTGRES_SERVER_URL} ({error}); set TODO_TEST_POSTGRES_URL")
    return POSTGRES_SERVER_URL


@pytest.fixture(scope="session")
def postgres_url(postgres_server: str) -> Iterator[str]:
    """A migrated database for this test session (`postgresql://` URL). Tests isolate by owner."""
    url = create_database(postgres_server)
    yield url
    drop_database(postgres_server, url)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A migrated SQLite file for one test (`sqlite:///` URL)."""
    url = f"sqlite:///{tmp_path / 'tasks.sqlite3'}"
    upgrade(url)
    return url


@pytest.fixture
def user() -> str:
    """A fresh owner per test, so tests sharing the session's Postgres database never see each other."""
    return f"user-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def other_user() -> str:
    return f"other-{uuid.uuid4().hex[:12]}"
