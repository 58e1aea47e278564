"""The app factory: configuration in, a ready Litestar application out (uvicorn calls `create_app`)."""

from litestar import Litestar

from adapters.http.app import build_app
from entrypoints.container import Container
from entrypoints.settings import Settings


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or Settings.from_env()
    container = Container(settings=settings)
    store = container.store()
    return build_app(
        container.tasks(),
        cursors=container.page_cursors(),
        on_startup=[store.open],
        on_shutdown=[store.close],
        max_body_bytes=settings.max_body_bytes,
        cors_origins=settings.cors_origins,
        access_log=settings.access_log,
    )
