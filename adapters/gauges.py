"""The service's own gauges for /metrics, beside the request metrics: what each worker holds open,
and how large the event log is.

Per worker process, kept current by `sample_worker` (every second, and at each scrape), and added up
across the workers of `todo serve --workers N`:
- `todo_event_streams_open`: live event streams open.
- `todo_db_pool_connections{state="in_use"|"idle"}` and `todo_db_pool_waiting`: the Postgres pool's
  connections, and the requests waiting for one. SQLite and memory:// have no pool, and report none.

Shared by every worker, read at each scrape by the worker that answers it (`sample_database`):
- `todo_event_log_events`: the events the log keeps (one `count(*)` on task_events; memory:// reports none).
- `todo_event_sink_backlog{sink}` and `todo_event_sink_oldest_seconds{sink}`: per sink the relay delivers
  to, the events it has not been given yet, and the age of the oldest of them (0 when there is none).

Counted by the worker whose relay delivers (application/relay.py), added up across workers:
- `todo_event_deliveries_total{sink}`: events a sink took; `todo_event_delivery_failures_total{sink}`: failed
  attempts to deliver a batch (each retried after a back-off).
"""

from prometheus_client import Counter, Gauge
from sqlalchemy import func, select

from adapters.sql.psycopg_database import PsycopgDatabase
from adapters.sql.schema import task_events
from adapters.sql.store import Database
from application.streams import EventStreams
from domain.store import EventRelayLog
from domain.task import utc_now

OPEN_STREAMS = Gauge("todo_event_streams_open", "Live event streams open", multiprocess_mode="livesum")
POOL_CONNECTIONS = Gauge(
    "todo_db_pool_connections", "Postgres pool connections, by state", ["state"], multiprocess_mode="livesum"
)
POOL_WAITING = Gauge("todo_db_pool_waiting", "Requests waiting for a Postgres connection", multiprocess_mode="livesum")
SINK_BACKLOG = Gauge(
    "todo_event_sink_backlog", "Events a sink has not been given yet", ["sink"], multiprocess_mode="mostrecent"
)
SINK_OLDEST = Gauge(
    "todo_event_sink_oldest_seconds",
    "Age of the oldest event a sink has not been given yet",
    ["sink"],
    multiprocess_mode="mostrecent",
)
DELIVERIES = Counter("todo_event_deliveries", "Events a sink took", ["sink"])
DELIVERY_FAILURES = Counter("todo_event_delivery_failures", "Failed attempts to deliver a batch to a sink", ["sink"])
EVENT_LOG_EVENTS = Gauge("todo_event_log_events", "Events the event log keeps", multiprocess_mode="mostrecent")

COUNT_EVENTS = select(func.count()).select_from(task_events)


class RelayCounts:
    """What the relay reports, counted (the `RelayObserver` of application/relay.py)."""

    def delivered(self, sink: str, events: int) -> None:
        DELIVERIES.labels(sink).inc(events)

    def failed(self, sink: str) -> None:
        DELIVERY_FAILURES.labels(sink).inc()


class ServiceGauges:
    def __init__(
        self,
        *,
        streams: EventStreams,
        relay_log: EventRelayLog,
        database: Database | None = None,
        postgres: PsycopgDatabase | None = None,
    ) -> None:
        self._streams = streams
        self._relay_log = relay_log
        self._database = database
        self._postgres = postgres

    def sample_worker(self) -> None:
        OPEN_STREAMS.set(self._streams.open_streams)
        if self._postgres is not None:
            stats = self._postgres.pool.get_stats()
            idle = stats.get("pool_available", 0)
            POOL_CONNECTIONS.labels("in_use").set(stats.get("pool_size", 0) - idle)
            POOL_CONNECTIONS.labels("idle").set(idle)
            POOL_WAITING.set(self._postgres.waiting)

    async def sample_database(self) -> None:
        if self._database is not None:
            row = await self._database.fetch_one(COUNT_EVENTS, {})
            EVENT_LOG_EVENTS.set(row[0] if row else 0)
        now = utc_now()
        for sink, backlog in (await self._relay_log.backlogs()).items():
            SINK_BACKLOG.labels(sink).set(backlog.events)
            SINK_OLDEST.labels(sink).set((now - backlog.oldest).total_seconds() if backlog.oldest else 0.0)
