"""The service's own gauges for /metrics, beside the request metrics: what each worker holds open,
and how large the event log is.

Per worker process, kept current by `sample_worker` (every second, and at each scrape), and added up
across the workers of `todo serve --workers N`:
- `todo_event_streams_open`: live event streams open.
- `todo_db_pool_connections{state="in_use"|"idle"}` and `todo_db_pool_waiting`: the Postgres pool's
  connections, and the requests waiting for one. SQLite and memory:// have no pool, and report none.

Shared by every worker, read at each scrape by the worker that answers it (`sample_database`):
- `todo_event_log_events`: the events the log keeps (one `count(*)` on task_events; memory:// reports none).
"""

from prometheus_client import Gauge
from sqlalchemy import func, select

from adapters.sql.psycopg_database import PsycopgDatabase
from adapters.sql.schema import task_events
from adapters.sql.store import Database
from application.streams import EventStreams

OPEN_STREAMS = Gauge("todo_event_streams_open", "Live event streams open", multiprocess_mode="livesum")
POOL_CONNECTIONS = Gauge(
    "todo_db_pool_connections", "Postgres pool connections, by state", ["state"], multiprocess_mode="livesum"
)
POOL_WAITING = Gauge("todo_db_pool_waiting", "Requests waiting for a Postgres connection", multiprocess_mode="livesum")
EVENT_LOG_EVENTS = Gauge("todo_event_log_events", "Events the event log keeps", multiprocess_mode="mostrecent")

COUNT_EVENTS = select(func.count()).select_from(task_events)


class ServiceGauges:
    def __init__(
        self, *, streams: EventStreams, database: Database | None = None, postgres: PsycopgDatabase | None = None
    ) -> None:
        self._streams = streams
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
