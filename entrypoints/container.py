"""The composition root: the one place that chooses adapters, from configuration."""

from dependency_injector import containers, providers

from adapters.memory import InMemoryTaskStore
from adapters.sql.psycopg_database import PsycopgDatabase
from adapters.sql.sqlalchemy_database import SqlAlchemyDatabase
from adapters.sql.store import SqlTaskStore
from application.tasks import TaskService


class Container(containers.DeclarativeContainer):
    config = providers.Configuration()

    store = providers.Selector(
        config.store_kind,
        memory=providers.Singleton(InMemoryTaskStore),
        sqlite=providers.Singleton(
            SqlTaskStore, providers.Singleton(SqlAlchemyDatabase, config.sqlalchemy_url), dialect="sqlite"
        ),
        postgres=providers.Singleton(
            SqlTaskStore,
            providers.Singleton(
                PsycopgDatabase,
                config.libpq_url,
                pool_size=config.pool_size,
                prepared_statements=config.prepared_statements,
                timeout=config.db_timeout,
            ),
            dialect="postgresql",
        ),
    )

    tasks = providers.Singleton(TaskService, store=store)
