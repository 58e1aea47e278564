"""/metrics in the Prometheus text format, off the OpenAPI document and the access log.

Requests are counted by Litestar's Prometheus middleware: `todo_requests_total`, the histogram
`todo_request_duration_seconds`, `todo_requests_in_progress` and `todo_requests_error_total` (5xx),
each labelled with the method, the route's template as `path` (never the raw path: user ids stay
out), `status_code` and `app_name`. The middleware runs once a request is routed, so a path that
matches no route, a 405 and a CORS preflight are not counted. adapters/metrics.py adds the gauges.

With `todo serve --workers N`, entrypoints/workers.py gives every worker one PROMETHEUS_MULTIPROC_DIR,
where prometheus-client keeps each worker's numbers; a scrape, answered by any one worker, adds them up.
"""

import asyncio
import contextlib
import os

from litestar import Response, get
from litestar.handlers import HTTPRouteHandler
from litestar.middleware.base import DefineMiddleware
from litestar.plugins.prometheus import PrometheusConfig
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest, multiprocess

from adapters.metrics import ServiceGauges

SAMPLE_SECONDS = 1.0


class Metrics:
    """The metrics route, the middleware that counts requests, and the loop that keeps this worker's
    gauges current (`start` and `stop`, for the app's lifespan)."""

    def __init__(self, path: str, gauges: ServiceGauges) -> None:
        self.path = path
        self.gauges = gauges
        self.middleware: DefineMiddleware = PrometheusConfig(app_name="todo", prefix="todo", group_path=True).middleware
        self._sampler: asyncio.Task[None] | None = None

    def route(self) -> HTTPRouteHandler:
        gauges = self.gauges

        @get(self.path, include_in_schema=False)
        async def metrics() -> Response[bytes]:
            gauges.sample_worker()
            await gauges.sample_database()
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

    async def _sample(self) -> None:
        while True:
            self.gauges.sample_worker()
            await asyncio.sleep(SAMPLE_SECONDS)


def _registry() -> CollectorRegistry:
    if "PROMETHEUS_MULTIPROC_DIR" not in os.environ:
        return REGISTRY
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return registry
