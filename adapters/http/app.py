"""Builds the Litestar application around a TaskService and its TaskEvents; knows nothing of which store is behind it."""

from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any

from litestar import Litestar, asgi
from litestar.config.cors import CORSConfig
from litestar.handlers import ASGIRouteHandler
from litestar.openapi import OpenAPIConfig

from adapters.http.edge.authentication import Authentication
from adapters.http.edge.metrics import Metrics
from adapters.http.edge.observability import RequestObservability, matched_route, route_template, stdout_writer
from adapters.http.edge.path_guard import PathGuard
from adapters.http.exception_handlers import EXCEPTION_HANDLERS
from adapters.http.openapi import X_REQUEST_ID, declare_bearer, finish_document
from adapters.http.parameters import refuse_unknown_query_parameters
from adapters.http.routes import bound
from adapters.http.routes.docs import DOCS_PATH, SwaggerUIPage, docs_router
from adapters.http.routes.events import TaskEventsController
from adapters.http.routes.operations import OperationsController
from adapters.http.routes.stream import HEARTBEAT_SECONDS, EventStreamController
from adapters.http.routes.tasks import TaskController
from adapters.identity.tokens import BearerTokens
from adapters.wire.cursors import PageCursors
from application.events import TaskEvents
from application.streams import EventStreams
from application.tasks import TaskService

# What a browser front end on another origin may send and read (when CORS is on).
CORS_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]
CORS_REQUEST_HEADERS = ["Authorization", "Content-Type", "If-Match", "If-None-Match", "Idempotency-Key", "X-Request-ID"]
CORS_EXPOSED_HEADERS = ["ETag", "Location", "Link", "X-Request-ID", "Retry-After", "WWW-Authenticate"]

DESCRIPTION = """\
Keeps each user's todo tasks for web and mobile front ends, scripts and other services. A task \
belongs to the user named in the path (`/api/{user_id}/tasks`), and every read and write is scoped \
to that owner, so another user's task answers exactly like a missing one (404). With authentication \
on (`TODO_AUTH=jwt`), every route under `/api/{user_id}/` also needs a bearer token whose user is \
the path's: "Authorize" below takes one. Every 4xx and 5xx body is an RFC 9457 problem \
(`application/problem+json`) with `type`, `title`, `status` and `detail`; a validation problem also \
names each offending field in `errors`. Every response carries an `X-Request-ID` header: the \
client's own, echoed when it is 1 to 200 visible ASCII characters, otherwise a new one; the access \
log names it, so quote it when reporting a problem."""


def cors_config(origins: Sequence[str]) -> CORSConfig | None:
    """Litestar's CORS for the given origins (`*` for any); None (CORS off) when there are none."""
    if not origins:
        return None
    return CORSConfig(
        allow_origins=list(origins),
        allow_methods=list(CORS_METHODS),  # type: ignore[arg-type]
        allow_headers=list(CORS_REQUEST_HEADERS),
        expose_headers=list(CORS_EXPOSED_HEADERS),
        allow_credentials=False,  # no cookies: a bearer token is a header the front end sets itself
        max_age=600,
    )


def origin_allowed(origins: Sequence[str]) -> Callable[[str], bool]:
    """Whether a browser page of that origin may call the service: TODO_CORS_ORIGINS' rule."""
    config = cors_config(origins)
    return (lambda _: False) if config is None else config.is_origin_allowed


def _mounted(path: str, app: Any) -> ASGIRouteHandler:
    async def handler(scope: Any, receive: Any, send: Any) -> None:
        scope["path_template"] = path  # its route, for the access log and the metrics
        await app(dict(scope), receive, send)  # a copy: what the mounted app changes stays its own

    return asgi(path, is_mount=True, copy_scope=False)(handler)


def build_app(
    *,
    tasks: TaskService,
    on_startup: Sequence[Callable[[], Awaitable[Any]]] = (),
    on_shutdown: Sequence[Callable[[], Awaitable[Any]]] = (),
    events: TaskEvents,
    cursors: PageCursors,
    streams: EventStreams,
    stream_heartbeat: float = HEARTBEAT_SECONDS,
    max_body_bytes: int,
    cors_origins: Sequence[str] = (),
    access_log: bool = True,
    mounts: Mapping[str, Any] = {},
    lifespan: Sequence[AbstractAsyncContextManager[None]] = (),
    metrics: Metrics | None = None,
    tokens: BearerTokens | None = None,
) -> Litestar:
    """`mounts`: ASGI apps served under a path (such as the MCP endpoint), outside the OpenAPI
    document; `lifespan`: contexts entered around the app's life (what those apps need running);
    `tokens`: with authentication on, what verifies the bearer tokens of routes under /api/."""
    if metrics is not None:
        on_startup = [*on_startup, metrics.start]
        on_shutdown = [metrics.stop, *on_shutdown]
    app = Litestar(
        route_handlers=[
            bound(TaskController, tasks=tasks, cursors=cursors),
            bound(TaskEventsController, events=events),
            bound(EventStreamController, streams=streams, heartbeat=stream_heartbeat),
            bound(OperationsController, tasks=tasks),
            *(_mounted(path, mounted) for path, mounted in mounts.items()),
            *([metrics.route()] if metrics else []),
        ],
        lifespan=list(lifespan),
        exception_handlers=EXCEPTION_HANDLERS,
        before_request=refuse_unknown_query_parameters,
        request_max_body_size=max_body_bytes,
        cors_config=cors_config(cors_origins),
        response_headers=[X_REQUEST_ID],
        on_startup=list(on_startup),
        on_shutdown=[streams.close, *on_shutdown],
        openapi_config=OpenAPIConfig(
            title="Todo task service",
            version="1.0.0",
            description=DESCRIPTION,
            path=DOCS_PATH,
            render_plugins=[SwaggerUIPage()],
            openapi_router=docs_router(),
        ),
        debug=False,
    )
    handler = app.asgi_handler
    if tokens is not None:
        declare_bearer(app.openapi_schema)
        handler = Authentication(handler, tokens, route_of=matched_route(app))
    finish_document(app.openapi_schema)
    # Outermost, around Litestar's own CORS and exception handling: app-level `middleware=` would miss
    # unknown routes, 405s and CORS preflights, which Litestar answers before any route's middleware runs.
    app.asgi_handler = RequestObservability(
        PathGuard(handler),
        write=stdout_writer() if access_log else None,
        route_of=route_template(app),
        unlogged={metrics.path} if metrics else set(),
        counts=metrics.requests if metrics else None,
    )
    return app
