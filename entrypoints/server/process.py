"""One server process: the container's app under uvicorn, with the edge's limits and a clean stop.

Shutdown: on SIGTERM (or Ctrl-C) uvicorn stops accepting connections, closes idle keep-alive
connections, and lets the requests in flight finish and answer for up to TODO_SHUTDOWN_TIMEOUT
seconds (10, inside the 30 s an orchestrator such as Kubernetes waits before SIGKILL); only then
are stragglers cancelled. The live event streams end as the shutdown begins, since they would
otherwise hold it to its grace period. The database pool closes after the last request. uvicorn
then ends the process by the signal it received (exit status 143 for SIGTERM).
"""

import functools
import math
import socket
from collections.abc import Callable
from typing import Any

import uvicorn

from entrypoints.container import Container
from entrypoints.server.protocol import ConnectionLimits, LimitedHttpProtocol
from entrypoints.settings import Settings


class StoppingServer(uvicorn.Server):
    """uvicorn's server, calling `on_stopping` as soon as a graceful shutdown begins."""

    def __init__(self, config: uvicorn.Config, *, on_stopping: Callable[[], object]) -> None:
        super().__init__(config)
        self._on_stopping = on_stopping

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        self._on_stopping()
        await super().shutdown(sockets)


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """How uvicorn serves: the edge's limits on its httptools protocol, no access log of its own (the app
    writes one), and the grace period of a shutdown."""
    limits = ConnectionLimits(
        settings.max_header_bytes, settings.max_headers, settings.header_timeout, settings.body_timeout
    )
    return {
        "http": functools.partial(LimitedHttpProtocol, limits=limits),
        "h11_max_incomplete_event_size": settings.max_header_bytes,  # the same bound, were h11 chosen
        "host": settings.host,
        "port": settings.port,
        "access_log": False,
        "timeout_graceful_shutdown": math.ceil(settings.shutdown_timeout),
    }


def server(settings: Settings) -> StoppingServer:
    """This process's server: the container made here, its app served, its streams ended at the stop."""
    container = Container(settings=settings)
    config = uvicorn.Config(container.app, factory=True, **uvicorn_options(settings))
    return StoppingServer(config, on_stopping=container.streams().close)
