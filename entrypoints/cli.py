"""The `todo` console command: `todo serve`, `todo migrate`, `todo mcp` and `todo events`; the command line only.

`todo mcp` serves the task tools to one MCP client (an AI agent) over its stdin and stdout, on the
store `DATABASE_URL` names, migrated first as for `todo serve`; its log goes to stderr. What happens
before serving is in `startup.py`, how a server process runs and stops in `server/`.
"""

import argparse
import asyncio
import dataclasses
import logging
import sys
from collections.abc import Callable
from dataclasses import fields
from importlib import metadata

from entrypoints.agents import serve_tools_over_stdio
from entrypoints.container import Container
from entrypoints.events import drop_sink, new_webhook_secret
from entrypoints.server import serve
from entrypoints.settings import ConfigurationError, Kind, Settings
from entrypoints.startup import DatabaseRefused, DatabaseUnreachable, FileUnusable, migrate, wait_for_database

log = logging.getLogger("todo")

EXIT_DATABASE_UNREACHABLE = 69  # EX_UNAVAILABLE in sysexits.h
EXIT_FILE_UNUSABLE = 73  # EX_CANTCREAT in sysexits.h
EXIT_BAD_CONFIGURATION = 78  # EX_CONFIG in sysexits.h
EXIT_NO_SUCH_SINK = 65  # EX_DATAERR in sysexits.h


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

    serve_cmd = commands.add_parser(
        "serve",
        help="run the HTTP service",
        epilog=Settings.help(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    serve_cmd.add_argument("--host", type=_flag_of("host"), help="default: TODO_HOST")
    serve_cmd.add_argument("--port", type=_flag_of("port"), help="default: TODO_PORT")
    serve_cmd.add_argument("--workers", type=_flag_of("workers"), help="default: TODO_WORKERS")
    serve_cmd.add_argument("--no-migrate", action="store_true", help="do not apply pending migrations at start")
    serve_cmd.add_argument(
        "--access-log",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="log every request (without the flag, TODO_ACCESS_LOG decides)",
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

    events = commands.add_parser("events", help="the sinks task events are delivered to (TODO_EVENTS_*)")
    actions = events.add_subparsers(dest="action", required=True)
    drop = actions.add_parser("drop-sink", help="forget a sink for good: the log stops keeping events for it")
    drop.add_argument("sink", help="its name in /metrics: nats, kafka, dapr or webhook-<12 hex digits>")
    actions.add_parser("webhook-secret", help="print a new secret for TODO_EVENTS_WEBHOOK_SECRET")

    args = parser.parse_args(argv)
    if args.command == "events" and args.action == "webhook-secret":
        print(new_webhook_secret())
        return
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
        if not getattr(args, "no_migrate", False):
            # Once, here, before any worker starts; several `todo serve` processes are serialised by a lock.
            wait_for_database(settings, lambda: migrate(settings))
        if args.command == "events":
            if not asyncio.run(drop_sink(Container(settings=settings), args.sink)):
                print(f"todo: no sink named {args.sink!r} is known to this database", file=sys.stderr)
                sys.exit(EXIT_NO_SUCH_SINK)
            log.info("sink %s dropped: retention no longer keeps events for it", args.sink)
            return
        if args.command == "mcp":
            asyncio.run(serve_tools_over_stdio(Container(settings=settings)))
            return
    except DatabaseUnreachable as error:
        log.error("%s; giving up", error)
        sys.exit(EXIT_DATABASE_UNREACHABLE)
    except DatabaseRefused as error:
        print(f"todo: {error}", file=sys.stderr)  # one line, no traceback: waiting would not help
        sys.exit(EXIT_BAD_CONFIGURATION)
    except FileUnusable as error:
        print(f"todo: {error}", file=sys.stderr)  # one line, no traceback
        sys.exit(EXIT_FILE_UNUSABLE)

    chosen = {"host": args.host, "port": args.port, "workers": args.workers, "access_log": args.access_log}
    sys.exit(
        serve(dataclasses.replace(settings, **{name: value for name, value in chosen.items() if value is not None}))
    )
