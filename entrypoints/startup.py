"""What `todo serve`, `todo migrate` and `todo mcp` do before they serve: migrate the store, waiting for it.

Start-up: both commands migrate a Postgres database before anything else, and a database that
cannot be reached yet (a container starting beside it, a failover, a pooler restarting) is waited
for: each attempt that fails is logged as "database not reachable, retrying in N s", the waits
double from 0.5 s up to 5 s, and after TODO_DB_STARTUP_TIMEOUT seconds (30) the command gives up
with exit status 69 (EX_UNAVAILABLE) and says why. Each connection attempt is itself bounded
(`connect_timeout`, from TODO_DB_TIMEOUT, unless the URL or PGCONNECT_TIMEOUT sets it).
"""

import logging
import math
import re
import time
from collections.abc import Callable

import psycopg
import sqlalchemy.exc

from adapters.sql.migrate import downgrade, upgrade
from adapters.sql.psycopg_database import connect_timeout
from entrypoints.settings import Settings

log = logging.getLogger("todo")

FIRST_RETRY_DELAY = 0.5
MAX_RETRY_DELAY = 5.0


class DatabaseUnreachable(Exception):
    """The database did not answer within the start-up timeout."""


class DatabaseRefused(Exception):
    """The database server answered, and refused: no such database or role, a wrong password, a host not
    allowed. Waiting will not change that: the operator's to fix."""


# What libpq reports when the server itself refuses a connection (the server's FATAL message).
_REFUSALS = re.compile(
    r'(database|role) "[^"]*" does not exist|password authentication failed|no pg_hba\.conf entry|'
    r"authentication failed"
)


class FileUnusable(Exception):
    """The SQLite file (or its folder) cannot be created, read or written: the operator's to fix."""


def migrate(settings: Settings, downgrade_to: str | None = None) -> None:
    if settings.store_kind == "memory":
        return
    url = _migration_url(settings)
    if downgrade_to:
        downgrade(url, downgrade_to)
    else:
        upgrade(url)


def _migration_url(settings: Settings) -> str:
    """SQLAlchemy's URL, on Postgres with the same bound on connecting as the service's pool."""
    url = settings.sqlalchemy_url
    if settings.store_kind != "postgres":
        return url
    bound = connect_timeout(settings.libpq_url, settings.db_timeout)
    return url if bound is None else f"{url}{'&' if '?' in url else '?'}connect_timeout={bound}"


def _one_line(error: BaseException) -> str:
    original = getattr(error, "orig", None) or error  # SQLAlchemy wraps the driver's error
    return " ".join(str(original).split())


def wait_for_database(settings: Settings, action: Callable[[], None]) -> None:
    """Run `action` (a migration), retrying with back-off while Postgres cannot be reached.

    A migration that lost its connection half-way is safe to run again: it runs in one transaction,
    which Postgres rolled back. Errors other than connection failures are not retried.
    """
    if settings.store_kind == "sqlite":
        try:
            action()
        except (OSError, sqlalchemy.exc.OperationalError) as error:  # read-only, missing folder, not a database
            raise FileUnusable(f"cannot use the SQLite file {settings.sqlite_path}: {_one_line(error)}") from error
        return
    if settings.store_kind != "postgres":
        action()
        return
    deadline = time.monotonic() + settings.db_startup_timeout
    delay = FIRST_RETRY_DELAY
    # Bounded by the deadline; the count bound is the back-off schedule's (0.5 + 1 + 2 + 4, then 5 s each).
    max_attempts = 6 + math.ceil(settings.db_startup_timeout / MAX_RETRY_DELAY)
    for attempt in range(1, max_attempts + 1):
        try:
            action()
            return
        except (sqlalchemy.exc.OperationalError, psycopg.OperationalError) as error:
            reason = _one_line(error)
            if _REFUSALS.search(reason):
                raise DatabaseRefused(f"the database refused the connection (check DATABASE_URL): {reason}") from error
            remaining = deadline - time.monotonic()
            if remaining <= 0 or attempt == max_attempts:
                raise DatabaseUnreachable(
                    f"database not reachable after {attempt} attempts in {settings.db_startup_timeout:g} s "
                    f"(TODO_DB_STARTUP_TIMEOUT): {reason}"
                ) from error
            wait = min(delay, remaining)
            log.warning("database not reachable, retrying in %.1f s (attempt %d): %s", wait, attempt, reason)
            time.sleep(wait)
            delay = min(delay * 2, MAX_RETRY_DELAY)
