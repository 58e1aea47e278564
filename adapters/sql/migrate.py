"""Apply or revert the Alembic revisions in `migrations/` on the database a SQLAlchemy URL names."""

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import make_url

import migrations


def alembic_config(sqlalchemy_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(Path(migrations.__file__).parent))
    config.set_main_option("sqlalchemy.url", sqlalchemy_url.replace("%", "%%"))
    return config


@contextmanager
def _sqlite_lock(sqlalchemy_url: str) -> Iterator[None]:
    """Postgres serialises migrations with an advisory lock (migrations/env.py); SQLite with a lock file."""
    url = make_url(sqlalchemy_url)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        yield
        return
    with open(f"{url.database}.migrate-lock", "w") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        yield


def upgrade(sqlalchemy_url: str, revision: str = "head") -> None:
    with _sqlite_lock(sqlalchemy_url):
        command.upgrade(alembic_config(sqlalchemy_url), revision)


def downgrade(sqlalchemy_url: str, revision: str) -> None:
    with _sqlite_lock(sqlalchemy_url):
        command.downgrade(alembic_config(sqlalchemy_url), revision)
