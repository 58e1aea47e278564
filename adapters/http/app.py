"""Builds the Litestar application around a TaskService; knows nothing of which store is behind it."""

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from litestar import Litestar, get
from litestar.di import NamedDependency, Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import ScalarRenderPlugin, SwaggerRenderPlugin

from adapters.http.problems import EXCEPTION_HANDLERS
from adapters.http.routes import TaskController
from application.tasks import TaskService

MAX_BODY_BYTES = 64 * 1024


@get("/health", summary="The process is up", tags=["operations"])
async def health() -> dict[str, str]:
    return {"status": "ok"}


@get("/ready", summary="The task store answers", tags=["operations"])
async def ready(tasks: NamedDependency[TaskService]) -> dict[str, str]:
    await tasks.check_store()
    return {"status": "ready"}


def build_app(
    tasks: TaskService,
    on_startup: Sequence[Callable[[], Awaitable[Any]]] = (),
    on_shutdown: Sequence[Callable[[], Awaitable[Any]]] = (),
    max_body_bytes: int = MAX_BODY_BYTES,
) -> Litestar:
    return Litestar(
        route_handlers=[TaskController, health, ready],
        dependencies={"tasks": Provide(lambda: tasks, use_cache=True, sync_to_thread=False)},
        exception_handlers=EXCEPTION_HANDLERS,
        request_max_body_size=max_body_bytes,
        on_startup=list(on_startup),
        on_shutdown=list(on_shutdown),
        openapi_config=OpenAPIConfig(
            title="Todo task service",
            version="1.0.0",
            path="/docs",
            render_plugins=[SwaggerRenderPlugin(path="/"), ScalarRenderPlugin(path="/scalar")],
        ),
        debug=False,
    )
