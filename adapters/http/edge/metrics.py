"""/metrics in the Prometheus text format, off the OpenAPI document and the access log.

Every request is counted by `RequestCounts`, which the outermost middleware (observability.py) calls
as each answer ends: `todo_requests_total` and the histogram `todo_request_duration_seconds`, by
method, the route's template as `path` (never the raw path: user ids stay out; `unrouted` for a path
that matches no route, a 405 or a CORS preflight) and `status_code`, and `todo_requests_in_progress`.
Litestar's Prometheus middleware did the same at many times the cost (`python -m bench.in_process`;
docs/performance.md). adapters/gauges.py adds the gauges.

With `todo serve --workers N`, entrypoints/server/workers.py gives every worker one PROMETHEUS_MULTIPROC_DIR,
where prometheus-client keeps each worker's numbers; a scrape, answered by any one worker, adds them up.
"""

import asyncio
import contextlib
import os

from litestar import Response, get
from litestar.handlers import HTTPRouteHandler
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

from adapters.gauges import ServiceGauges

SAMPLE_SECONDS = 1.0
LABELS = ("method", "path", "status_code")
REQUESTS = Counter("todo_requests", "Requests answered", LABELS)
DURATION = Histogram("todo_request_duration_seconds", "Time to the answer's last byte", LABELS)
IN_PROGRESS = Gauge("todo_requests_in_progress", "Requests in flight", multiprocess_mode="livesum")


class RequestCounts:
    """The request metrics; each series' children are looked up once, not per request.

    Requests in flight are a plain count, set on the gauge when sampled (`publish`: every second and
    at each scrape): the gauge's own `inc` and `dec` on every request were a quarter of the
    instructions a request's counting cost (callgrind; docs/performance.md)."""

    def __init__(self) -> None:
        self._series: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}
        self.in_flight = 0

    def started(self) -> None:
        self.in_flight += 1

    def answered(self, method: str, route: str, status: int, seconds: float) -> None:
        self.in_flight -= 1
        if (series := self._series.get((method, route, status))) is None:
            labels = (method, route, str(status))
            series = self._series[method, route, status] = (REQUESTS.labels(*labels), DURATION.labels(*labels))
        series[0].inc()
        series[1].observe(seconds)

    def publish(self) -> None:
        IN_PROGRESS.set(self.in_flight)


class Metrics:
    """The metrics route, the request counts, and the loop that keeps this worker's gauges current
    (`start` and `stop`, for the app's lifespan)."""

    def __init__(self, path: str, gauges: ServiceGauges) -> None:
        self.path = path
        self.gauges = gauges
        self.requests = RequestCounts()
        self._sampler: asyncio.Task[None] | None = None

    def route(self) -> HTTPRouteHandler:
        @get(self.path, include_in_schema=False)
        async def metrics() -> Response[bytes]:
            self.sample_worker()
            await self.gauges.sample_database()
            # As a header: Litestar would append a second charset to a `text/` media type.
            return Response(generate_latest(_registry()), headers={"Content-Type": CONTENT_TYPE_LATEST})

        return metrics

    async def start(self) -> None:
        self._sampler = asyncio.get_running_loop().create_task(self._sample())

    async def stop(self) -> None:
        if self._sampler is not None:
            self._sampler.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sampler

    def sample_worker(self) -> None:
        self.requests.publish()
        self.gauges.sample_worker()

    async def _sample(self) -> None:
        while True:
            self.sample_worker()
            await asyncio.sleep(SAMPLE_SECONDS)


def _registry() -> CollectorRegistry:
    if "PROMETHEUS_MULTIPROC_DIR" not in os.environ:
        return REGISTRY
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return registry
