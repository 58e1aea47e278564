"""The composition root: the one place that chooses adapters, from the settings."""

import functools
import secrets
from collections.abc import Callable
from datetime import timedelta

from dependency_injector import containers, providers

from adapters.http.cursors import PageCursors
from adapters.memory import InMemoryTaskStore
from adapters.metrics import ServiceGauges
from adapters.sql.psycopg_database import PsycopgDatabase
from adapters.sql.secrets import stored_secret
from adapters.sql.sqlite_database import SqliteDatabase
from adapters.sql.store import SqlTaskStore
from application.events import TaskEvents
from application.streams import EventStreams
from application.tasks import TaskService
from entrypoints.settings import Settings


def cursor_secret(settings: Settings) -> Callable[[], bytes]:
    """TODO_CURSOR_KEY, else the database's own (made when it was migrated); the memory store's
    tasks live as long as the process, and so does its secret."""
    if settings.cursor_key:
        return settings.cursor_key.encode
    if settings.store_kind == "memory":
        return functools.partial(secrets.token_bytes, 32)
    return functools.partial(stored_secret, settings.sqlalchemy_url, "cursor_key")


class Container(containers.DeclarativeContainer):
    settings = providers.Dependency(instance_of=Settings)

    sqlite_database = providers.Singleton(SqliteDatabase, settings.provided.sqlite_path)
    postgres_database = providers.Singleton(
        PsycopgDatabase,
        settings.provided.libpq_url,
        pool_size=settings.provided.pool_size,
        timeout=settings.provided.db_timeout,
        prepared_statements=settings.provided.prepared_statements,
    )
    store = providers.Selector(
        settings.provided.store_kind,
        memory=providers.Singleton(InMemoryTaskStore),
        sqlite=providers.Singleton(SqlTaskStore, sqlite_database, dialect="sqlite"),
        postgres=providers.Singleton(SqlTaskStore, postgres_database, dialect="postgresql"),
    )

    tasks = providers.Singleton(TaskService, store=store)
    events = providers.Singleton(
        TaskEvents, log=store, retention=providers.Factory(timedelta, days=settings.provided.event_retention_days)
    )
    streams = providers.Singleton(EventStreams, log=store, max_streams=settings.provided.max_streams)
    page_cursors = providers.Singleton(PageCursors, providers.Callable(cursor_secret, settings))
    # What /metrics reads beside the request counts: the event log's size, and the pool's use on Postgres.
    gauges = providers.Selector(
        settings.provided.store_kind,
        memory=providers.Singleton(ServiceGauges, streams=streams),
        sqlite=providers.Singleton(ServiceGauges, streams=streams, database=sqlite_database),
        postgres=providers.Singleton(
            ServiceGauges, streams=streams, database=postgres_database, postgres=postgres_database
        ),
    )
