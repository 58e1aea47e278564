"""The composition root: the one place that chooses adapters, from the settings."""

from dependency_injector import containers, providers

from adapters.memory import InMemoryTaskStore
from adapters.sql.psycopg_database import PsycopgDatabase
from adapters.sql.sqlalchemy_database import SqlAlchemyDatabase
from adapters.sql.store import SqlTaskStore
from application.tasks import TaskService
from entrypoints.settings import Settings


class Container(containers.DeclarativeContainer):
    settings = providers.Dependency(instance_of=Settings)

    store = providers.Selector(
        settings.provided.store_kind,
        memory=providers.Singleton(InMemoryTaskStore),
        sqlite=providers.Singleton(
            SqlTaskStore, providers.Singleton(SqlAlchemyDatabase, settings.provided.sqlalchemy_url), dialect="sqlite"
        ),
        postgres=providers.Singleton(
            SqlTaskStore,
            providers.Singleton(
                PsycopgDatabase,
                settings.provided.libpq_url,
                pool_size=settings.provided.pool_size,
                timeout=settings.provided.db_timeout,
                prepared_statements=settings.provided.prepared_statements,
            ),
            dialect="postgresql",
        ),
    )

    tasks = providers.Singleton(TaskService, store=store)
