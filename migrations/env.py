"""Alembic environment: migrates the database the caller's configuration names."""

from alembic import context
from sqlalchemy import create_engine, pool, text

from adapters.sql.schema import metadata

# Any fixed number: every process that migrates a given Postgres database waits on this lock.
_MIGRATION_LOCK = 7_261_964_012


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _migrate(connection)
        return
    engine = create_engine(context.config.get_main_option("sqlalchemy.url"), poolclass=pool.NullPool)
    with engine.connect() as connection:
        _migrate(connection)
    engine.dispose()


def _migrate(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            # Held until this transaction ends, so processes starting together migrate one at a
            # time, and each reads the version table only after the previous one committed.
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("offline (SQL script) migrations are not supported; run `todo migrate`")
run_migrations_online()
