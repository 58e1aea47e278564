"""The `todo` console command: `todo serve` and `todo migrate`.

Start-up: both commands migrate a Postgres database before anything else, and a database that
cannot be reached yet (a container starting beside it, a failover, a pooler restarting) is waited
for: each attempt that fails is logged as "database not reachable, retrying in N s", the waits
double from 0.5 s up to 5 s, and after TODO_DB_STARTUP_TIMEOUT seconds (30) the command gives up
with exit status 69 (EX_UNAVAILABLE) and says why. Each connection attempt is itself bounded
(`connect_timeout`, from TODO_DB_TIMEOUT, unless the URL or PGCONNECT_TIMEOUT sets it).

Shutdown: on SIGTERM (or Ctrl-C) uvicorn stops accepting connections, closes idle keep-alive
connections, and lets the requests in flight finish and answer for up to TODO_SHUTDOWN_TIMEOUT
seconds (10, inside the 30 s an orchestrator such as Kubernetes waits before SIGKILL); only then
are stragglers cancelled. The database pool closes after the last request. uvicorn then ends
the process by the signal it received (exit status 143 for SIGTERM).
"""

import argparse
import logging
import math
import os
import sys
import time
from collections.abc import Callable

import psycopg
import sqlalchemy.exc
import uvicorn

from adapters.sql.migrate import downgrade, upgrade
from adapters.sql.psycopg_database import connect_timeout
from entrypoints.settings import Settings
from entrypoints.workers import serve_workers

log = logging.getLogger("todo")

FIRST_RETRY_DELAY = 0.5
MAX_RETRY_DELAY = 5.0
EXIT_DATABASE_UNREACHABLE = 69  # EX_UNAVAILABLE in sysexits.h


class DatabaseUnreachable(Exception):
    """The database did not answer within the start-up timeout."""


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


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="todo", description="The todo task service.")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the HTTP service")
    serve.add_argument("--host", default=os.environ.get("TODO_HOST", "127.0.0.1"))
    serve.add_argument("--port", type=int, default=int(os.environ.get("TODO_PORT", "8000")))
    serve.add_argument("--workers", type=int, default=int(os.environ.get("TODO_WORKERS", "1")))
    serve.add_argument("--no-migrate", action="store_true", help="do not apply pending migrations at start")
    serve.add_argument(
        "--access-log",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="log every request (sets TODO_ACCESS_LOG; without the flag, TODO_ACCESS_LOG decides)",
    )

    migrate_cmd = commands.add_parser("migrate", help="apply pending migrations (or --downgrade to a revision)")
    migrate_cmd.add_argument("--downgrade", metavar="REVISION", help="revert to REVISION (`base` empties the schema)")

    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s:     %(name)s %(message)s")
    settings = Settings.from_env()

    try:
        if args.command == "migrate":
            wait_for_database(settings, lambda: migrate(settings, args.downgrade))
            log.info("migrations applied on the %s store", settings.store_kind)
            return
        if not args.no_migrate:
            # Once, here, before any worker starts; several `todo serve` processes are serialised by a lock.
            wait_for_database(settings, lambda: migrate(settings))
    except DatabaseUnreachable as error:
        log.error("%s; giving up", error)
        sys.exit(EXIT_DATABASE_UNREACHABLE)

    if args.access_log is not None:
        # The app writes its own structured access log; the workers read this when they build it.
        os.environ["TODO_ACCESS_LOG"] = "true" if args.access_log else "false"
    options = {
        "factory": True,
        "host": args.host,
        "port": args.port,
        "access_log": False,  # uvicorn's own line per request: never, the app's log replaces it
        "timeout_graceful_shutdown": math.ceil(settings.shutdown_timeout),
    }
    app = "entrypoints.app:create_app"
    if args.workers > 1:
        sys.exit(serve_workers(uvicorn.Config(app, workers=args.workers, **options), args.workers))
    uvicorn.run(app, **options)
