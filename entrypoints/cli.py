"""The `todo` console command: `todo serve` and `todo migrate`."""

import argparse
import logging
import os

import uvicorn

from adapters.sql.migrate import downgrade, upgrade
from entrypoints.settings import Settings

log = logging.getLogger("todo")


def migrate(settings: Settings, downgrade_to: str | None = None) -> None:
    if settings.store_kind == "memory":
        return
    if downgrade_to:
        downgrade(settings.sqlalchemy_url, downgrade_to)
    else:
        upgrade(settings.sqlalchemy_url)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="todo", description="The todo task service.")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the HTTP service")
    serve.add_argument("--host", default=os.environ.get("TODO_HOST", "127.0.0.1"))
    serve.add_argument("--port", type=int, default=int(os.environ.get("TODO_PORT", "8000")))
    serve.add_argument("--workers", type=int, default=int(os.environ.get("TODO_WORKERS", "1")))
    serve.add_argument("--no-migrate", action="store_true", help="do not apply pending migrations at start")
    serve.add_argument("--access-log", action=argparse.BooleanOptionalAction, default=True)

    migrate_cmd = commands.add_parser("migrate", help="apply pending migrations (or --downgrade to a revision)")
    migrate_cmd.add_argument("--downgrade", metavar="REVISION", help="revert to REVISION (`base` empties the schema)")

    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s:     %(name)s %(message)s")
    settings = Settings.from_env()

    if args.command == "migrate":
        migrate(settings, args.downgrade)
        log.info("migrations applied on the %s store", settings.store_kind)
        return

    if not args.no_migrate:
        # Once, here, before any worker starts; several `todo serve` processes are serialised by a lock.
        migrate(settings)
    uvicorn.run(
        "entrypoints.app:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        access_log=args.access_log,
    )
