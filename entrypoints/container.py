"""The composition root: the one place that chooses adapters and builds every long-lived object, from
the settings. `Container(settings=...)` is made once per process; its `app()` is what uvicorn serves."""

import functools
import gc
import secrets
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from dependency_injector import containers, providers
from litestar import Litestar
from mcp.server import Server

from adapters.gauges import RelayCounts, ServiceGauges
from adapters.http.app import build_app, origin_allowed
from adapters.http.edge.metrics import Metrics
from adapters.identity.keys import PublishedKeys, SharedSecret, SigningKeys
from adapters.identity.tokens import BearerTokens
from adapters.mcp.http import StreamableHttp, streamable_http
from adapters.mcp.tools import task_server
from adapters.memory import InMemoryTaskStore
from adapters.sinks.http import DaprSink, WebhookSink
from adapters.sinks.kafka import KafkaSink
from adapters.sinks.nats import NatsSink
from adapters.sql.psycopg_database import PsycopgDatabase
from adapters.sql.relay import SqlRelayLog
from adapters.sql.secrets import stored_secret
from adapters.sql.sqlite_database import SqliteDatabase
from adapters.sql.store import SqlTaskStore
from adapters.wire.cursors import PageCursors
from application.events import TaskEvents
from application.relay import EventRelay, EventSink
from application.reminders import ReminderScheduler
from application.streams import EventStreams
from application.tasks import TaskService
from entrypoints.retention import RetentionSchedule
from entrypoints.settings import Settings


def cursor_secret(settings: Settings) -> Callable[[], bytes]:
    """TODO_CURSOR_KEY, else the database's own (made when it was migrated); the memory store's
    tasks live as long as the process, and so does its secret."""
    if settings.cursor_key:
        return settings.cursor_key.encode
    if settings.store_kind == "memory":
        return functools.partial(secrets.token_bytes, 32)
    return functools.partial(stored_secret, settings.sqlalchemy_url, "cursor_key")


def bearer_tokens(settings: Settings) -> BearerTokens | None:
    """What verifies callers' tokens, when TODO_AUTH asks for it."""
    if settings.auth != "jwt":
        return None
    keys: SigningKeys = (
        SharedSecret(settings.jwt_secret.encode())
        if settings.jwt_secret
        else PublishedKeys(settings.jwt_jwks_url, ttl=settings.jwt_jwks_ttl)
    )
    return BearerTokens(
        keys,
        algorithms=settings.token_algorithms,
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        leeway=settings.jwt_leeway,
        user_claim=settings.jwt_user_claim,
    )


def event_sinks(settings: Settings) -> list[EventSink]:
    """The sinks the TODO_EVENTS_* settings turn on; none by default."""
    sinks: list[EventSink] = []
    if settings.events_nats_url:
        sinks.append(NatsSink(settings.events_nats_url, stream=settings.events_nats_stream))
    if settings.events_kafka_brokers:
        sinks.append(KafkaSink(settings.events_kafka_brokers, topic=settings.events_kafka_topic))
    sinks += [WebhookSink(url, settings.events_webhook_secret) for url in settings.events_webhook_urls]
    if settings.events_dapr_url:
        sinks.append(
            DaprSink(settings.events_dapr_url, pubsub=settings.events_dapr_pubsub, topic=settings.events_dapr_topic)
        )
    return sinks


def mcp_endpoint(settings: Settings, tools: Server[Any], tokens: BearerTokens | None) -> StreamableHttp | None:
    """The MCP tools over streamable HTTP, when TODO_MCP asks for them."""
    if not settings.mcp:
        return None
    return streamable_http(
        tools,
        origin_allowed(settings.cors_origins),
        settings.max_body_bytes,
        tokens=tokens,
        authorization_server=settings.jwt_authorization_server or settings.jwt_issuer,
    )


async def tune_garbage_collector() -> None:
    # Everything built at start-up lives as long as the process: keep the collector from re-scanning it,
    # and let the short-lived objects of many requests pile up before a young-generation pass.
    # `bash bench/run.sh` shows what it pays on create (docs/performance.md).
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)


def service_app(
    settings: Settings,
    *,
    tasks: TaskService,
    events: TaskEvents,
    streams: EventStreams,
    cursors: PageCursors,
    store: InMemoryTaskStore | SqlTaskStore,
    retention: RetentionSchedule,
    relay: EventRelay,
    reminders: ReminderScheduler,
    metrics: Metrics,
    mcp: StreamableHttp | None,
    tokens: BearerTokens | None,
) -> Litestar:
    return build_app(
        tasks=tasks,
        events=events,
        cursors=cursors,
        streams=streams,
        stream_heartbeat=settings.stream_heartbeat,
        on_startup=[store.open, retention.start, relay.start, reminders.start, tune_garbage_collector],
        on_shutdown=[reminders.stop, relay.stop, retention.stop, store.close],
        max_body_bytes=settings.max_body_bytes,
        cors_origins=settings.cors_origins,
        access_log=settings.access_log,
        mounts=mcp.mounts if mcp else {},
        lifespan=[mcp.running()] if mcp else [],
        metrics=metrics,
        tokens=tokens,
    )


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
    retention = providers.Singleton(RetentionSchedule, events)
    relay_log = providers.Selector(
        settings.provided.store_kind,
        memory=store,
        sqlite=providers.Singleton(SqlRelayLog, sqlite_database, dialect="sqlite"),
        postgres=providers.Singleton(SqlRelayLog, postgres_database, dialect="postgresql"),
    )
    relay = providers.Singleton(
        EventRelay,
        relay_log,
        providers.Callable(event_sinks, settings),
        observer=providers.Singleton(RelayCounts),
        longest_back_off=settings.provided.events_retry_max,
        backlog_warning=settings.provided.events_backlog_warning,
        retention=providers.Factory(timedelta, days=settings.provided.event_retention_days),
    )
    reminders = providers.Singleton(ReminderScheduler, store)
    # What /metrics reads beside the request counts: the event log's size and the sinks' backlogs, and
    # the pool's use on Postgres.
    gauges = providers.Selector(
        settings.provided.store_kind,
        memory=providers.Singleton(ServiceGauges, streams=streams, relay_log=relay_log),
        sqlite=providers.Singleton(ServiceGauges, streams=streams, relay_log=relay_log, database=sqlite_database),
        postgres=providers.Singleton(
            ServiceGauges, streams=streams, relay_log=relay_log, database=postgres_database, postgres=postgres_database
        ),
    )
    metrics = providers.Singleton(Metrics, settings.provided.metrics_path, gauges)
    tokens = providers.Singleton(bearer_tokens, settings)
    mcp_tools = providers.Singleton(task_server, tasks, page_cursors)
    mcp = providers.Singleton(mcp_endpoint, settings, mcp_tools, tokens)

    app = providers.Singleton(
        service_app,
        settings,
        tasks=tasks,
        events=events,
        streams=streams,
        cursors=page_cursors,
        store=store,
        retention=retention,
        relay=relay,
        reminders=reminders,
        metrics=metrics,
        mcp=mcp,
        tokens=tokens,
    )
