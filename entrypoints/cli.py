"""The `todo` console command: `todo serve`, `todo migrate` and `todo mcp`.

`todo mcp` serves the task tools to one MCP client (an AI agent) over its stdin and stdout, on the
store `DATABASE_URL` names, migrated first as for `todo serve`; its log goes to stderr.

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
import asyncio
import functools
import logging
import math
import os
import sys
import time
from collections.abc import Callable
from dataclasses import fields
from importlib import metadata
from typing import Any

import psycopg
import sqlalchemy.exc
import uvicorn

from adapters.http.connections import ConnectionLimits, LimitedHttpProtocol
from adapters.mcp.stdio import serve_over_stdio
from adapters.mcp.tools import task_server
from adapters.sql.migrate import downgrade, upgrade
from adapters.sql.psycopg_database import connect_timeout
from entrypoints.container import Container
from entrypoints.settings import ConfigurationError, Kind, Settings
from entrypoints.workers import serve_workers

log = logging.getLogger("todo")

FIRST_RETRY_DELAY = 0.5
MAX_RETRY_DELAY = 5.0
EXIT_DATABASE_UNREACHABLE = 69  # EX_UNAVAILABLE in sysexits.h
EXIT_FILE_UNUSABLE = 73  # EX_CANTCREAT in sysexits.h
EXIT_BAD_CONFIGURATION = 78  # EX_CONFIG in sysexits.h


class DatabaseUnreachable(Exception):
    """The database did not answer within the start-up timeout."""


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


async def serve_tools_over_stdio(settings: Settings) -> None:
    """The MCP task tools for the client on the other end of stdin and stdout, until it closes them."""
    container = Container(settings=settings)
    store = container.store()
    await store.open()
    try:
        await serve_over_stdio(task_server(container.tasks()))
    finally:
        await store.close()


def _flag_of(name: str) -> Callable[[str], object]:
    """A flag read as its setting's environment variable is, so both allow the same values."""
    kind: Kind = next(one.metadata["kind"] for one in fields(Settings) if one.name == name)

    def parse(text: str) -> object:
        try:
            return kind.parse(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not allowed: expected {kind.allowed}") from None

    return parse


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="todo", description="The todo task service.")
    parser.add_argument("--version", action="version", version=f"todo {metadata.version('todo-task-service')}")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser(
        "serve",
        help="run the HTTP service",
        epilog=Settings.help(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    serve.add_argument("--host", type=_flag_of("host"), help="default: TODO_HOST")
    serve.add_argument("--port", type=_flag_of("port"), help="default: TODO_PORT")
    serve.add_argument("--workers", type=_flag_of("workers"), help="default: TODO_WORKERS")
    serve.add_argument("--no-migrate", action="store_true", help="do not apply pending migrations at start")
    serve.add_argument(
        "--access-log",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="log every request (sets TODO_ACCESS_LOG; without the flag, TODO_ACCESS_LOG decides)",
    )

    migrate_cmd = commands.add_parser("migrate", help="apply pending migrations (or --downgrade to a revision)")
    migrate_cmd.add_argument("--downgrade", metavar="REVISION", help="revert to REVISION (`base` empties the schema)")

    tools = commands.add_parser(
        "mcp",
        help="serve the task tools to an MCP client (an AI agent) over stdin and stdout",
        epilog=Settings.help(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    tools.add_argument("--no-migrate", action="store_true", help="do not apply pending migrations at start")

    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env()
    except ConfigurationError as error:
        print(f"todo: {error}", file=sys.stderr)  # one line, no traceback: the operator's to fix
        sys.exit(EXIT_BAD_CONFIGURATION)
    # On stderr: stdout may carry the MCP protocol (`todo mcp`).
    logging.basicConfig(level=logging.INFO, format="%(levelname)s:     %(name)s %(message)s", stream=sys.stderr)

    try:
        if args.command == "migrate":
            wait_for_database(settings, lambda: migrate(settings, args.downgrade))
            log.info("migrations applied on the %s store", settings.store_kind)
            return
        if not args.no_migrate:
            # Once, here, before any worker starts; several `todo serve` processes are serialised by a lock.
            wait_for_database(settings, lambda: migrate(settings))
        if args.command == "mcp":
            asyncio.run(serve_tools_over_stdio(settings))
            return
    except DatabaseUnreachable as error:
        log.error("%s; giving up", error)
        sys.exit(EXIT_DATABASE_UNREACHABLE)
    except FileUnusable as error:
        print(f"todo: {error}", file=sys.stderr)  # one line, no traceback
        sys.exit(EXIT_FILE_UNUSABLE)

    if args.access_log is not None:
        # The app writes its own structured access log; the workers read this when they build it.
        os.environ["TODO_ACCESS_LOG"] = "true" if args.access_log else "false"
    workers = args.workers or settings.workers
    limits = ConnectionLimits(
        settings.max_header_bytes, settings.max_headers, settings.header_timeout, settings.body_timeout
    )
    options: dict[str, Any] = {
        "factory": True,
        "http": functools.partial(LimitedHttpProtocol, limits=limits),
        "h11_max_incomplete_event_size": settings.max_header_bytes,  # the same bound, were h11 chosen
        "host": args.host or settings.host,
        "port": args.port or settings.port,
        "access_log": False,  # uvicorn's own line per request: never, the app's log replaces it
        "timeout_graceful_shutdown": math.ceil(settings.shutdown_timeout),
    }
    app = "entrypoints.app:create_app"
    if workers > 1:
        sys.exit(serve_workers(uvicorn.Config(app, workers=workers, **options), workers))
    uvicorn.run(app, **options)
